"""`snapshot --svg`: a standalone SVG picture of a heatmap view (no Textual, no plotting library)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

from tnet.ui.render.scale import wall_threshold

# A perceptual dark-to-bright ramp (inferno-like stops); colour is log-scaled USD.
_RAMP = np.array(
    [(0, 0, 4), (40, 11, 84), (101, 21, 110), (159, 42, 99), (212, 72, 66), (245, 125, 21), (250, 193, 39), (252, 255, 164)],
    dtype=np.float64,
)


# The order book's own ramp (deep blue -> cyan -> white), so resting liquidity never reads as liquidations.
_BOOK_RAMP = np.array([(4, 14, 36), (8, 48, 92), (14, 100, 140), (36, 160, 190), (120, 222, 232), (236, 255, 255)],
                      dtype=np.float64)
WALL_COLOUR = "#5ff3ff"
LAYERS = ("liquidations", "book", "both")

MAX_COLS = 240
MAX_ROWS = 160


def _pool(values: np.ndarray, col_pool: int, row_pool: int, by_max: bool = False) -> np.ndarray:
    """Pool a (cols, rows) USD matrix: sum over `row_pool` price rows, then the mean over `col_pool` columns
    (or the max: a book wall pulled within the pooled columns must stay visible)."""
    cols, rows = values.shape
    pad_c, pad_r = (-cols) % col_pool, (-rows) % row_pool
    v = np.pad(values, ((pad_c, 0), (0, pad_r)))  # pad old columns, keep the newest aligned at the right
    v = v.reshape(v.shape[0] // col_pool, col_pool, v.shape[1] // row_pool, row_pool).sum(axis=3)
    return v.max(axis=1) if by_max else v.mean(axis=1)


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


def _colour(t: float, ramp: np.ndarray = _RAMP) -> str:
    t = min(max(t, 0.0), 1.0) * (len(ramp) - 1)
    i = min(int(t), len(ramp) - 2)
    c = ramp[i] + (ramp[i + 1] - ramp[i]) * (t - i)
    return "#%02x%02x%02x" % tuple(int(round(v)) for v in c)


def _cells(parts: list[str], values: np.ndarray, ramp: np.ndarray, box: tuple[float, float, float, float]) -> float:
    """One rect per non-empty cell, log colour from the 20th to the 99th percentile of the non-empty
    cells (as the TUI does: a map whose mass is spread broadly still shows its structure). Returns the top."""
    left, top, cw, rh = box
    nonzero = values[values > 0]
    if not nonzero.size:
        return 0.0
    vmax, vmin = (float(x) for x in np.percentile(nonzero, [99.0, 20.0]))
    span = math.log(max(vmax / vmin, 10.0))
    scaled = np.log(np.maximum(values, 1e-12) / (vmax * math.exp(-span))) / span
    cols, rows = values.shape
    for j in range(cols):
        for i in range(rows):
            v = scaled[j, i]
            if values[j, i] <= 0 or v < 0.02:
                continue
            x, y = left + j * cw, top - (i + 1) * rh
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{cw + 0.3:.1f}" height="{rh + 0.3:.1f}" fill="{_colour(v, ramp)}"/>')
    return vmax


def _walls(parts: list[str], book: np.ndarray, box: tuple[float, float, float, float]) -> float:
    """Book walls (cells at or above `wall_threshold`) as short horizontal lines over the liquidation colours."""
    left, top, cw, rh = box
    threshold = wall_threshold(book)
    if not threshold > 0:
        return 0.0
    for j, i in zip(*np.nonzero(book >= threshold)):
        x, y = left + j * cw, top - (i + 0.5) * rh
        parts.append(f'<line x1="{x:.1f}" x2="{x + cw:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{WALL_COLOUR}" stroke-width="{max(1.0, rh * 0.6):.1f}"/>')
    return threshold


def render_heatmap_svg(view: Any, width: int = 1200, height: int = 640, layer: str = "liquidations") -> str:
    """SVG text: time x price cells coloured by predicted liquidation USD (`layer` "liquidations"), by the
    resting order book ("book"), or liquidations with the book's walls over them ("both"); price path, prints, axes."""
    hm = view.heatmap
    margin_l, margin_r, margin_t, margin_b = 80, 20, 36, 40
    pw, ph = width - margin_l - margin_r, height - margin_t - margin_b
    title = {"liquidations": "liquidation heatmap", "book": "resting order book", "both": "liquidations + order book"}[layer]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="monospace" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="#0b0b10"/>',
        f'<text x="{margin_l}" y="22" fill="#e0e0e0" font-size="14">{escape(view.symbol)} {title}  price {view.price:,.2f}</text>',
    ]
    if hm is None or hm.long_usd.size == 0:
        parts.append(f'<text x="{margin_l}" y="{height // 2}" fill="#e0e0e0">no data yet</text></svg>')
        return "\n".join(parts)
    if layer != "liquidations" and hm.bid_usd is None:
        parts.append(f'<text x="{margin_l}" y="{height // 2}" fill="#e0e0e0">no order book data</text></svg>')
        return "\n".join(parts)
    total = np.asarray(hm.long_usd, dtype=np.float64) + np.asarray(hm.short_usd, dtype=np.float64)
    # One SVG rect per cell: pool to at most MAX_COLS x MAX_ROWS so a 24 h map stays a small file.
    col_pool = -(-total.shape[0] // MAX_COLS)
    row_pool = -(-total.shape[1] // MAX_ROWS)
    total = _pool(total, col_pool, row_pool)
    book = None
    if hm.bid_usd is not None and hm.ask_usd is not None:
        # unknown (NaN) columns are left unpainted; pooled columns take the largest book, as walls must show
        both = np.nan_to_num(np.asarray(hm.bid_usd, dtype=np.float64) + np.asarray(hm.ask_usd, dtype=np.float64))
        book = _pool(both, col_pool, row_pool, by_max=True)
    col_ms = hm.col_ms * col_pool
    bucket = hm.bucket_usd * row_pool
    path = _pool_path(np.asarray(hm.price_path, dtype=np.float64), col_pool)
    cols, rows = total.shape
    cw, rh = pw / cols, ph / rows
    box = (margin_l, margin_t + ph, cw, rh)
    if layer == "book":
        assert book is not None
        vmax = _cells(parts, book, _BOOK_RAMP, box)
        legend = f"colour: log resting book USD per cell (bids below price, asks above), bright ≥ ${vmax:,.0f}"
    else:
        vmax = _cells(parts, total, _RAMP, box)
        legend = f"colour: log liquidation USD per cell, bright ≥ ${vmax:,.0f}"
        if layer == "both" and book is not None:
            wall = _walls(parts, book, box)
            legend += f"; cyan lines: book walls ≥ ${wall:,.0f}"
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
    parts.append(f'<text x="{margin_l}" y="{height - 26}" fill="#b0b0b0">{escape(legend)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def write_heatmap_svg(view: Any, path: Path, layer: str = "liquidations") -> None:
    """Write the SVG picture of `layer` atomically."""
    from tnet.storage.atomic import atomic_write_bytes

    atomic_write_bytes(Path(path), render_heatmap_svg(view, layer=layer).encode())
