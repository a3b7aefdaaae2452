"""Price axis, time axis, colour legend and the current level profile (aligned to heatmap rows)."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np
from textual.strip import Strip

from rich.color import Color
from rich.style import Style

from tnet.engine.views import BookView, HeatmapView, Level
from tnet.ui.render.heatmap import Viewport, price_resample
from tnet.ui.render.palette import Palette
from tnet.ui.render.scale import (
    DECADES,
    HALF_CENT,
    N_LEVELS,
    format_price,
    format_usd,
    level_floor,
    nice_ceil,
    price_decimals,
)
from tnet.ui.render.text import fit, line

AXIS_LABEL_EVERY = 4  # terminal rows between price labels
_BAR_EIGHTHS = " ▏▎▍▌▋▊▉█"
_TIME_STEPS_MS = [m * 60_000 for m in (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440)]


def current_price_cell(vp: Viewport, price: float) -> int:
    """Terminal row holding `price` (may be off-screen)."""
    return math.floor((vp.price_top - price) / (2 * vp.row_usd))


def label_step(row_usd: float) -> float:
    """A round price step (1/2/2.5/5 x 10^k) about AXIS_LABEL_EVERY terminal rows apart."""
    return nice_ceil(AXIS_LABEL_EVERY * 2 * row_usd)


def price_marker(row_usd: float, price: float) -> str:
    """The current price as the axis marks it (`▶67,000.3`): to a cell's resolution, at least the header's."""
    return "▶" + format_price(price, max(price_decimals(2 * row_usd), price_decimals(price / 1e5)))


def price_axis(vp: Viewport, price: float, width: int, palette: Palette) -> list[Strip]:
    """One Strip per terminal row: round prices every few rows (in the row that holds them), the current price highlighted."""
    n = vp.rows // 2
    step = label_step(vp.row_usd)
    decimals = price_decimals(step)
    here = current_price_cell(vp, price) if price > 0 else -1
    out: list[Strip] = []
    for y in range(n):
        if y == here:
            text = price_marker(vp.row_usd, price)
            out.append(line([(fit(text, width), palette.accent_reverse)], width, palette.text))
            continue
        hi = vp.price_top - 2 * y * vp.row_usd
        lo = hi - 2 * vp.row_usd
        mark = math.floor(hi / step) * step
        if mark > lo and abs(y - here) > 0:
            text = "┤" + format_price(mark, decimals)
            out.append(line([(fit(text, width), palette.muted)], width, palette.text))
        else:
            out.append(line([("│", palette.muted)], width, palette.text))
    return out


def time_step_ms(col_ms: float, min_cells: int = 10) -> int:
    """Smallest round label interval leaving at least `min_cells` columns between labels."""
    for step in _TIME_STEPS_MS:
        if step / col_ms >= min_cells:
            return step
    return _TIME_STEPS_MS[-1]


def time_axis(vp: Viewport, width: int, palette: Palette) -> Strip:
    """HH:MM (UTC) labels under the heatmap at round times, 'UTC' at the right end."""
    chars = [" "] * width
    step = time_step_ms(vp.col_ms)
    first = math.ceil(vp.t_start_ms / step) * step
    t = first
    while t < vp.t_end_ms:
        c = vp.col_of(t)
        label = "╵" + datetime.fromtimestamp(t / 1000, tz=timezone.utc).strftime("%H:%M")
        if 0 <= c and c + len(label) <= width - 4:
            chars[c : c + len(label)] = list(label)
        t += step
    chars[width - 3 :] = list("UTC")[: max(0, min(3, width))]
    return line([("".join(chars)[:width], palette.muted)], width, palette.text)


def legend_values(vmax: float, decades: float = DECADES) -> tuple[float, float]:
    """(lowest USD drawn, vmax): the two ends of the colour legend."""
    return level_floor(1, vmax, decades=decades), vmax


def legend(vmax: float, width: int, palette: Palette, label: str = "liq USD/cell", decades: float = DECADES,
           offset: int = 0, extra: list[tuple[str, Style]] | None = None) -> Strip:
    """Colour legend: '<label> <low> ██…██ <high>', one coloured block per level of the ramp at `offset`
    (0 liquidations, BOOK_OFFSET the order book), then `extra` parts (e.g. what a book wall looks like)."""
    low, high = legend_values(vmax, decades)
    parts = [(f"{label} ", palette.muted), (format_usd(low) + " ", palette.text)]
    block = max(1, min(2, (width - 30 - sum(len(t) for t, _ in extra or ())) // N_LEVELS))
    for level in range(offset + 1, offset + N_LEVELS + 1):
        parts.append((" " * block, palette.cell(level, level)))
    parts.append((" " + format_usd(high), palette.text))
    parts.extend(extra or ())
    return line(parts, width, palette.text)


def bar(fraction: float, width: int) -> str:
    """Horizontal bar of `width` cells filled to `fraction` (eighth-block resolution)."""
    eighths = int(round(max(0.0, min(1.0, fraction)) * width * 8))
    full, rest = divmod(eighths, 8)
    text = "█" * full + (_BAR_EIGHTHS[rest] if rest and full < width else "")
    return text.ljust(width)


def profile_from_heatmap(hm: HeatmapView, vp: Viewport) -> tuple[np.ndarray, np.ndarray]:
    """(long, short) USD per terminal row from the newest heatmap column: the profile matches the heatmap's rows."""
    n = vp.rows // 2
    if hm.long_usd.shape[0] == 0:
        return np.zeros(n), np.zeros(n)
    both = np.stack([hm.long_usd[-1], hm.short_usd[-1]]).astype(np.float64)
    per_row = price_resample(both, hm, vp)  # (2, display rows)
    per_cell = per_row[:, : 2 * n].reshape(2, n, 2).sum(axis=2)
    return per_cell[0], per_cell[1]


def profile_from_levels(levels: list[Level], vp: Viewport) -> tuple[np.ndarray, np.ndarray]:
    """(long, short) USD per terminal row from the engine's level list (used when there is no heatmap)."""
    n = vp.rows // 2
    if not levels:
        return np.zeros(n), np.zeros(n)
    prices = np.fromiter((lv.price for lv in levels), dtype=np.float64, count=len(levels))
    longs = np.fromiter((lv.long_usd for lv in levels), dtype=np.float64, count=len(levels))
    shorts = np.fromiter((lv.short_usd for lv in levels), dtype=np.float64, count=len(levels))
    rows = np.floor((vp.price_top - prices) / (2 * vp.row_usd)).astype(np.int64)
    ok = (rows >= 0) & (rows < n)
    return (np.bincount(rows[ok], weights=longs[ok], minlength=n)[:n],
            np.bincount(rows[ok], weights=shorts[ok], minlength=n)[:n])


def profile_values(
    levels: list[Level], vp: Viewport, price: float, hm: HeatmapView | None = None
) -> tuple[np.ndarray, list[str]]:
    """Per terminal row: USD and side shown ('short' above price, 'long' below, '' at the price row)."""
    n = vp.rows // 2
    values = np.zeros(n)
    sides = [""] * n
    long_sum, short_sum = profile_from_heatmap(hm, vp) if hm is not None else profile_from_levels(levels, vp)
    here = current_price_cell(vp, price) if price > 0 else n // 2
    for y in range(n):
        if y < here:
            values[y], sides[y] = short_sum[y], "short"
        elif y > here:
            values[y], sides[y] = long_sum[y], "long"
    return values, sides


def book_rows(book: BookView | None, vp: Viewport) -> np.ndarray:
    """Resting book USD (bids + asks) per terminal row, from the current book at bucket resolution."""
    n = vp.rows // 2
    if book is None or book.bids.size == 0:
        return np.zeros(n)
    per_row = price_resample((book.bids + book.asks)[None, :], book, vp)  # type: ignore[arg-type]  # BookView has the grid
    return per_row[0, : 2 * n].reshape(n, 2).sum(axis=1)


def profile(
    levels: list[Level], vp: Viewport, price: float, width: int, palette: Palette, hm: HeatmapView | None = None,
    layer: str = "liquidations", book: BookView | None = None,
) -> list[Strip]:
    """Level profile: short liquidation USD above price, long below, as bars with a USD label.

    `layer` "book": resting asks above price, bids below, in the book colour; "both": two thin bars per
    row, liquidations in the upper half of the cells, the book in the lower half, labelled with the liquidation USD.
    """
    values, sides = profile_values(levels, vp, price, hm)
    resting = book_rows(book, vp) if layer != "liquidations" else None
    shown = resting if layer == "book" and resting is not None else values
    vmax = float(shown.max()) if shown.size else 0.0
    book_max = float(resting.max()) if resting is not None and resting.size else 0.0
    label_w = 6
    bar_w = max(1, width - label_w - 1)
    out: list[Strip] = []
    for y, (value, side) in enumerate(zip(shown, sides)):
        if not side:
            out.append(line([(" " + "─" * (width - 1), palette.accent)], width, palette.text))
            continue
        label = (fit(format_usd(value), label_w, ">"), palette.muted) if value >= HALF_CENT and vmax > 0 else ("", palette.muted)
        if layer == "both" and resting is not None:
            liq = value / vmax if vmax > 0 else 0.0
            rest = resting[y] / book_max if book_max > 0 else 0.0
            out.append(line([(" ", palette.text), *_two_bars(liq, rest, bar_w, palette.side_color[side], palette), label],
                            width, palette.text))
            continue
        if value <= 0 or vmax <= 0:
            out.append(line([], width, palette.text))
            continue
        frac = value / vmax
        if layer == "book":
            style = palette.book_bold if frac >= 0.5 else palette.book
        else:
            style = palette.side_bold[side] if frac >= 0.5 else palette.side[side]
        out.append(line([(" ", palette.text), (bar(frac, bar_w), style), label], width, palette.text))
    return out


def _two_bars(upper: float, lower: float, width: int, upper_color: Color, palette: Palette) -> list[tuple[str, Style]]:
    """Two bars in one row of `width` cells: '▀' coloured by the upper bar on top, by the book's bar below."""
    n_up = int(round(max(0.0, min(1.0, upper)) * width))
    n_low = int(round(max(0.0, min(1.0, lower)) * width))
    a, b = sorted((n_up, n_low))
    parts: list[tuple[str, Style]] = []
    for start, stop in ((0, a), (a, b), (b, width)):
        if stop <= start:
            continue
        up, low = start < n_up, start < n_low
        if up or low:
            parts.append(("▀" * (stop - start), palette.bars(upper_color if up else None, palette.book_color if low else None)))
        else:
            parts.append((" " * (stop - start), palette.text))
    return parts
