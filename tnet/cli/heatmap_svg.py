"""`snapshot --svg`: a standalone SVG picture of a heatmap view (no Textual, no plotting library)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

# A perceptual dark-to-bright ramp (inferno-like stops); colour is log-scaled USD.
_RAMP = np.array(
    [(0, 0, 4), (40, 11, 84), (101, 21, 110), (159, 42, 99), (212, 72, 66), (245, 125, 21), (250, 193, 39), (252, 255, 164)],
    dtype=np.float64,
)


MAX_COLS = 240
MAX_ROWS = 160


def _pool(values: np.ndarray, col_pool: int, row_pool: int) -> np.ndarray:
    """Pool a (cols, rows) USD matrix: mean over `col_pool` columns, sum over `row_pool` price rows."""
    cols, rows = values.shape
    pad_c, pad_r = (-cols) % col_pool, (-rows) % row_pool
    v = np.pad(values, ((pad_c, 0), (0, pad_r)))  # pad old columns, keep the newest aligned at the right
    v = v.reshape(v.shape[0] // col_pool, col_pool, v.shape[1] // row_pool, row_pool)
    return v.sum(axis=3).mean(axis=1)


def _pool_path(path: np.ndarray, col_pool: int) -> np.ndarray:
    """The last known price of each pooled column."""
    pad = (-len(path)) % col_pool
    p = np.concatenate([np.full(pad, np.nan), path]).reshape(-1, col_pool)
    out = np.full(p.shape[0], np.nan)
    for i, row in enumerate(p):
        ok = row[np.isfinite(row)]
        if ok.size:
            out[i] = ok[-1]
    return out


def _colour(t: float) -> str:
    t = min(max(t, 0.0), 1.0) * (len(_RAMP) - 1)
    i = min(int(t), len(_RAMP) - 2)
    c = _RAMP[i] + (_RAMP[i + 1] - _RAMP[i]) * (t - i)
    return "#%02x%02x%02x" % tuple(int(round(v)) for v in c)


def render_heatmap_svg(view: Any, width: int = 1200, height: int = 640) -> str:
    """SVG text: time x price cells coloured by predicted liquidation USD, price path, prints, axes."""
    hm = view.heatmap
    margin_l, margin_r, margin_t, margin_b = 80, 20, 36, 40
    pw, ph = width - margin_l - margin_r, height - margin_t - margin_b
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="monospace" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="#0b0b10"/>',
        f'<text x="{margin_l}" y="22" fill="#e0e0e0" font-size="14">{escape(view.symbol)} liquidation heatmap  price {view.price:,.2f}</text>',
    ]
    if hm is None or hm.long_usd.size == 0:
        parts.append(f'<text x="{margin_l}" y="{height // 2}" fill="#e0e0e0">no data yet</text></svg>')
        return "\n".join(parts)
    total = np.asarray(hm.long_usd, dtype=np.float64) + np.asarray(hm.short_usd, dtype=np.float64)
    # One SVG rect per cell: pool to at most MAX_COLS x MAX_ROWS so a 24 h map stays a small file.
    col_pool = -(-total.shape[0] // MAX_COLS)
    row_pool = -(-total.shape[1] // MAX_ROWS)
    total = _pool(total, col_pool, row_pool)
    col_ms = hm.col_ms * col_pool
    bucket = hm.bucket_usd * row_pool
    path = _pool_path(np.asarray(hm.price_path, dtype=np.float64), col_pool)
    cols, rows = total.shape
    cw, rh = pw / cols, ph / rows
    nonzero = total[total > 0]
    vmax = 0.0
    if nonzero.size:
        # Colour from the 20th to the 99th percentile of the non-empty cells (log), as the TUI does:
        # a map whose mass is spread broadly still shows its structure.
        vmax, vmin = (float(x) for x in np.percentile(nonzero, [99.0, 20.0]))
        span = math.log(max(vmax / vmin, 10.0))
        scaled = np.log(np.maximum(total, 1e-12) / (vmax * math.exp(-span))) / span
        for j in range(cols):
            for i in range(rows):
                v = scaled[j, i]
                if total[j, i] <= 0 or v < 0.02:
                    continue
                x = margin_l + j * cw
                y = margin_t + ph - (i + 1) * rh
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{cw + 0.3:.1f}" height="{rh + 0.3:.1f}" fill="{_colour(v)}"/>')
    price_hi = hm.price_lo + rows * bucket

    def ypix(price: float) -> float:
        return margin_t + ph - (price - hm.price_lo) / (price_hi - hm.price_lo) * ph

    pts = [
        f"{margin_l + (j + 0.5) * cw:.1f},{ypix(p):.1f}"
        for j, p in enumerate(path)
        if np.isfinite(p) and hm.price_lo <= p <= price_hi
    ]
    if len(pts) > 1:
        parts.append(f'<polyline points="{" ".join(pts)}" fill="none" stroke="#ffffff" stroke-width="1.2"/>')
    for ts, price, side, usd in hm.prints:
        j = (ts - hm.t0_ms) / col_ms
        if 0 <= j < cols and hm.price_lo <= price <= price_hi:
            r = 2 + min(6.0, math.log10(max(usd, 10.0)) - 1)
            colour = "#ff5555" if side == "long" else "#55ff88"
            parts.append(f'<circle cx="{margin_l + j * cw:.1f}" cy="{ypix(price):.1f}" r="{r:.1f}" fill="none" stroke="{colour}"/>')
    for k in range(6):
        price = hm.price_lo + (price_hi - hm.price_lo) * k / 5
        parts.append(f'<text x="4" y="{ypix(price) + 4:.1f}" fill="#b0b0b0">{price:,.0f}</text>')
    if view.price:
        y = ypix(view.price)
        parts.append(f'<line x1="{margin_l}" x2="{margin_l + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#00e5ff" stroke-dasharray="4 3"/>')
    span_min = cols * col_ms / 60000
    parts.append(f'<text x="{margin_l}" y="{height - 12}" fill="#b0b0b0">-{span_min:.0f} min</text>')
    parts.append(f'<text x="{margin_l + pw - 30}" y="{height - 12}" fill="#b0b0b0">now</text>')
    parts.append(f'<text x="{width - 330}" y="22" fill="#b0b0b0">colour: log USD per cell, bright ≥ ${vmax:,.0f}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def write_heatmap_svg(view: Any, path: Path) -> None:
    """Write the SVG picture atomically."""
    from tnet.storage.atomic import atomic_write_bytes

    atomic_write_bytes(Path(path), render_heatmap_svg(view).encode())
