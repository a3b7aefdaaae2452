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
    cols, rows = total.shape
    vmax = float(np.nanmax(total)) if np.isfinite(total).any() else 0.0
    cw, rh = pw / cols, ph / rows
    if vmax > 0:
        scaled = np.log1p(np.maximum(total, 0) / vmax * 1000.0) / math.log1p(1000.0)
        for j in range(cols):
            for i in range(rows):
                v = scaled[j, i]
                if v < 0.02:
                    continue
                x = margin_l + j * cw
                y = margin_t + ph - (i + 1) * rh
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{cw + 0.3:.1f}" height="{rh + 0.3:.1f}" fill="{_colour(v)}"/>')
    price_hi = hm.price_lo + rows * hm.bucket_usd

    def ypix(price: float) -> float:
        return margin_t + ph - (price - hm.price_lo) / (price_hi - hm.price_lo) * ph

    pts = [
        f"{margin_l + (j + 0.5) * cw:.1f},{ypix(p):.1f}"
        for j, p in enumerate(hm.price_path)
        if np.isfinite(p) and hm.price_lo <= p <= price_hi
    ]
    if len(pts) > 1:
        parts.append(f'<polyline points="{" ".join(pts)}" fill="none" stroke="#ffffff" stroke-width="1.2"/>')
    for ts, price, side, usd in hm.prints:
        j = (ts - hm.t0_ms) / hm.col_ms
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
    span_min = cols * hm.col_ms / 60000
    parts.append(f'<text x="{margin_l}" y="{height - 12}" fill="#b0b0b0">-{span_min:.0f} min</text>')
    parts.append(f'<text x="{margin_l + pw - 30}" y="{height - 12}" fill="#b0b0b0">now</text>')
    parts.append(f'<text x="{width - 300}" y="22" fill="#b0b0b0">colour: log USD, max ${vmax:,.0f}/bucket</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def write_heatmap_svg(view: Any, path: Path) -> None:
    """Write the SVG picture atomically."""
    from tnet.storage.atomic import atomic_write_bytes

    atomic_write_bytes(Path(path), render_heatmap_svg(view).encode())
