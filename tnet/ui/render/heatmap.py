"""Heatmap renderer: HeatmapView -> display grid (time x price) -> half-block Strips.

A terminal cell shows two price rows: "▀" with foreground = upper row colour and background =
lower row colour. Display row 0 is the highest price; column 0 the oldest time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from rich.segment import Segment
from textual.strip import Strip

from tnet.engine.views import HeatmapView
from tnet.ui.render.palette import EMPTY, PRICE, Palette
from tnet.ui.render.scale import DECADES, N_LEVELS, nice_ceil, quantize, wall_threshold

MIN_DECADES = 0.8  # never less than this span of USD on the ramp (a flat map stays mostly one colour)
UPPER_HALF = "▀"
SMALL_PRINT = "•"
BIG_PRINT = "●"
WALL = "━"


@dataclass(frozen=True, slots=True)
class Viewport:
    """Which prices and times the heatmap shows, and at what resolution."""

    price_top: float  # upper edge of display row 0
    row_usd: float  # price height of one display row (half a terminal cell)
    rows: int  # display rows = 2 x terminal rows
    t_end_ms: int  # right edge of the last column
    col_ms: float  # time width of one column
    cols: int

    @property
    def t_start_ms(self) -> float:
        """Left edge of column 0."""
        return self.t_end_ms - self.cols * self.col_ms

    @property
    def price_bottom(self) -> float:
        """Lower edge of the last display row."""
        return self.price_top - self.rows * self.row_usd

    def row_of(self, price: float) -> int:
        """Display row holding `price` (may be outside 0..rows-1)."""
        return math.floor((self.price_top - price) / self.row_usd)

    def col_of(self, ts_ms: float) -> int:
        """Column holding time `ts_ms` (may be outside 0..cols-1)."""
        return math.floor((ts_ms - self.t_start_ms) / self.col_ms)


ROW_STICKY = 0.02  # keep the row height while within 2 % of the exact one (a still picture, label true to 2 %)


def price_window(
    price: float, half_range_pct: float, rows: int, prev: tuple[float, float] | None = None
) -> tuple[float, float]:
    """(price_top, row_usd) for a window of +-half_range_pct around `price` that fills `rows`.

    The row height is the exact one (3 significant digits), kept while within ROW_STICKY of it, so
    the window shown is the one labelled; the window only re-centres when price leaves its middle
    60 % (a still picture costs no terminal bytes). Cell centres fall on multiples of 2*row_usd.
    """
    rows = max(2, rows - rows % 2)
    exact = 2 * price * half_range_pct / 100 / rows if price > 0 else 1.0
    if prev is not None and abs(prev[1] / exact - 1) <= ROW_STICKY:
        row_usd = prev[1]
        top = prev[0]
        band = 0.2 * rows * row_usd
        if top - band >= price >= top - rows * row_usd + band:
            return top, row_usd
    else:
        row_usd = float(f"{exact:.3g}")
    cell = 2 * row_usd
    k = math.ceil((price + rows / 2 * row_usd - row_usd) / cell)
    return k * cell + row_usd, row_usd


def time_window(ts_ms: int, window_ms: int, cols: int, t0_ms: int, src_col_ms: int) -> tuple[int, float]:
    """(t_end_ms, col_ms): `cols` columns cover exactly `window_ms`, ending at the source column holding `ts_ms`.

    The right edge steps only when a new source column starts, so the picture shifts once per
    source column rather than every tick.
    """
    cols = max(1, cols)
    t_end = t0_ms + math.ceil((ts_ms - t0_ms + 1) / src_col_ms) * src_col_ms
    return int(t_end), window_ms / cols


def contrast(values: np.ndarray) -> tuple[float, float]:
    """(top, decades) of the colour scale from the visible cells' distribution.

    The ramp runs from the 99th percentile of the non-empty cells down to a little below their
    20th, so a map whose mass is spread broadly still shows its structure instead of one bright
    block; a handful of outliers saturate rather than darken everything else.
    """
    nonzero = values[values > 0]
    if nonzero.size < 16:
        return (float(values.max()) if values.size else 0.0), DECADES
    hi, lo = np.percentile(nonzero, [99.0, 20.0])
    if not (hi > 0 and lo > 0):
        return float(hi), DECADES
    return float(hi), float(min(max(np.log10(hi / lo) + 0.3, MIN_DECADES), DECADES))


def update_decades(prev: float | None, target: float) -> float:
    """Smooth the contrast between frames so colours do not flicker."""
    return target if prev is None else 0.8 * prev + 0.2 * target


def update_vmax(prev: float | None, visible_max: float) -> float:
    """Colour-scale maximum with hysteresis: jumps up at once, comes down only after a 4x fall."""
    if visible_max <= 0:
        return prev if prev else 1.0
    if prev is None or visible_max > prev or visible_max < prev / 4:
        return nice_ceil(visible_max)
    return prev


def _source_cols(hm: HeatmapView, vp: Viewport) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per display column, the [start, stop) range of source columns it covers (clipped; may be empty),
    and whether it lies in the minute in progress.

    The minute in progress has no source column until it closes; its display columns show the newest
    closed one (the latest map), so the right edge at "now" is not a blank strip (a sixth of the 15m view).
    """
    n_src = hm.long_usd.shape[0]
    c = np.arange(vp.cols, dtype=np.float64)
    if vp.col_ms <= hm.col_ms:  # narrow columns sample the source column under their centre
        j = np.floor((vp.t_start_ms + (c + 0.5) * vp.col_ms - hm.t0_ms) / hm.col_ms).astype(np.int64)
        start, stop = j, j + 1
    else:
        start = np.ceil((vp.t_start_ms + c * vp.col_ms - hm.t0_ms) / hm.col_ms).astype(np.int64)
        stop = np.ceil((vp.t_start_ms + (c + 1) * vp.col_ms - hm.t0_ms) / hm.col_ms).astype(np.int64)
    open_now = (start == n_src) & (stop > start) & (n_src > 0)
    start = np.where(open_now, n_src - 1, start)
    return np.clip(start, 0, n_src), np.clip(stop, 0, n_src), open_now


def price_resample(grid: np.ndarray, hm: HeatmapView, vp: Viewport) -> np.ndarray:
    """(n, src_rows) USD per bucket -> (n, vp.rows) USD per display row (exact share of each bucket)."""
    n, r = grid.shape
    if r == 0 or n == 0:
        return np.zeros((n, vp.rows))
    cum = np.zeros((n, r + 1))
    np.cumsum(np.nan_to_num(grid, nan=0.0), axis=1, out=cum[:, 1:])
    edges = vp.price_top - np.arange(vp.rows + 1) * vp.row_usd  # descending
    f = np.clip((edges - (hm.price_lo - hm.bucket_usd / 2)) / hm.bucket_usd, 0.0, float(r))
    i0 = np.minimum(np.floor(f).astype(np.int64), r - 1)
    frac = f - i0
    at_edge = cum[:, i0] + frac * (cum[:, i0 + 1] - cum[:, i0])
    return np.maximum(at_edge[:, :-1] - at_edge[:, 1:], 0.0)


def resample(hm: HeatmapView, vp: Viewport, side: str = "both") -> np.ndarray:
    """USD per display cell, shape (vp.rows, vp.cols), row 0 = highest price; max over merged columns.

    `side` "book" is the resting order book (bids + asks; columns without a sample are empty).
    """
    if side == "long":
        src = hm.long_usd
    elif side == "short":
        src = hm.short_usd
    elif side == "book":
        if hm.bid_usd is None or hm.ask_usd is None:
            return np.zeros((vp.rows, vp.cols))
        src = np.nan_to_num(hm.bid_usd) + np.nan_to_num(hm.ask_usd)
    else:
        src = hm.long_usd + hm.short_usd
    start, stop, _ = _source_cols(hm, vp)
    out = np.zeros((vp.rows, vp.cols))
    valid = stop > start
    if not valid.any():
        return out
    lo, hi = int(start[valid].min()), int(stop[valid].max())
    by_price = price_resample(np.asarray(src[lo:hi], dtype=np.float64), hm, vp)  # (hi-lo, rows)
    for c in np.nonzero(valid)[0]:
        out[:, c] = by_price[start[c] - lo : stop[c] - lo].max(axis=0)
    return out


def price_path_rows(hm: HeatmapView, vp: Viewport, price: float = 0.0) -> np.ndarray:
    """Display row of the price per column (the last known price in the column), -1 where unknown;
    `price` (the current one, when known) in the minute in progress."""
    start, stop, open_now = _source_cols(hm, vp)
    path = np.asarray(hm.price_path, dtype=np.float64)
    rows = np.full(vp.cols, -1, dtype=np.int64)
    for c in range(vp.cols):
        if open_now[c] and price > 0:
            rows[c] = vp.row_of(price)
            continue
        seg = path[start[c] : stop[c]]
        seg = seg[np.isfinite(seg)]
        if seg.size:
            rows[c] = vp.row_of(float(seg[-1]))
    return rows


def cell_codes(values: np.ndarray, vmax: float, path_rows: np.ndarray | None, decades: float = DECADES,
               offset: int = 0) -> np.ndarray:
    """Heatmap codes per display cell: 0 empty, offset + 1..N ramp, PRICE where the price path passes.

    `offset` picks the ramp: 0 liquidations, BOOK_OFFSET the order book.
    """
    codes = quantize(values, vmax, decades=decades)
    if offset:
        codes[codes > 0] += offset
    if path_rows is None:
        return codes
    n_rows = codes.shape[0]
    prev = -1
    for c, r in enumerate(path_rows):
        if r < 0 and prev < 0:
            continue
        if r < 0:
            prev = -1
            continue
        lo, hi = (min(prev, r), max(prev, r)) if prev >= 0 else (r, r)
        lo, hi = max(lo, 0), min(hi, n_rows - 1)
        if lo <= hi:
            codes[lo : hi + 1, c] = PRICE  # join vertical jumps so the path reads as a line
        prev = r
    return codes


def print_markers(
    prints: list[tuple[int, float, str, float]], vp: Viewport, big_usd: float
) -> dict[tuple[int, int], tuple[str, bool, float]]:
    """(cell_row, col) -> (side, is_big, usd) of the largest real liquidation in each terminal cell."""
    marks: dict[tuple[int, int], tuple[str, bool, float]] = {}
    for ts, price, side, usd in prints:
        c, r = vp.col_of(ts), vp.row_of(price)
        if not (0 <= c < vp.cols and 0 <= r < vp.rows):
            continue
        key = (r // 2, c)
        if key not in marks or usd > marks[key][2]:
            marks[key] = (side, usd >= big_usd, usd)
    return marks


def wall_cells(book: np.ndarray) -> tuple[set[tuple[int, int]], float]:
    """(cell_row, col) of terminal cells where either half holds an order-book wall, and the wall threshold (USD)."""
    threshold = wall_threshold(book)
    if not threshold > 0:
        return set(), 0.0
    rows, cols = np.nonzero(book >= threshold)
    if not rows.size:
        return set(), 0.0  # nothing stands out of the book: no walls, and the legend says so
    return set(zip((rows // 2).tolist(), cols.tolist())), threshold


_ROW_CACHE: dict[tuple[object, ...], Strip] = {}
_ROW_CACHE_MAX = 4096


def heatmap_strips(
    codes: np.ndarray, palette: Palette, marks: dict[tuple[int, int], tuple[str, bool, float]] | None = None,
    walls: set[tuple[int, int]] | None = None,
) -> list[Strip]:
    """One Strip per terminal row (two display rows each), runs of equal cells merged.

    Rows are cached by their codes, markers and walls, so a row that did not change is the same Strip.
    """
    marks = marks or {}
    walls = walls or set()
    n_rows, n_cols = codes.shape
    row_marks: dict[int, list[tuple[int, str, bool]]] = {}
    for (y, c), (side, big, _usd) in marks.items():
        row_marks.setdefault(y, []).append((c, side, big))
    row_walls: dict[int, list[int]] = {}
    for y, c in walls:
        row_walls.setdefault(y, []).append(c)
    lines: list[Strip] = []
    if len(_ROW_CACHE) > _ROW_CACHE_MAX:
        _ROW_CACHE.clear()
    for y in range(n_rows // 2):
        key = (palette, codes[2 * y].tobytes(), codes[2 * y + 1].tobytes(), tuple(sorted(row_marks.get(y, ()))),
               tuple(sorted(row_walls.get(y, ()))))
        cached = _ROW_CACHE.get(key)
        if cached is None:
            cached = _ROW_CACHE[key] = _row_strip(codes[2 * y].tolist(), codes[2 * y + 1].tolist(), y, marks, palette, walls)
        lines.append(cached)
    return lines


def _row_strip(
    upper: list[int], lower: list[int], y: int, marks: dict[tuple[int, int], tuple[str, bool, float]], palette: Palette,
    walls: set[tuple[int, int]],
) -> Strip:
    """One terminal row: '▀' (fg = upper, bg = lower), ' ' when both halves match, a print marker, or a book wall."""
    n_cols = len(upper)
    segments: list[Segment] = []
    run_text: list[str] = []
    run_style = None
    for c in range(n_cols):
        mark = marks.get((y, c))
        if mark is not None:
            char, style = (BIG_PRINT if mark[1] else SMALL_PRINT), palette.marker(mark[0], lower[c])
        elif (y, c) in walls:
            char, style = WALL, palette.wall(max(upper[c], lower[c]))  # over the brighter half
        elif upper[c] == lower[c]:
            char, style = " ", palette.cell(upper[c], lower[c])
        else:
            char, style = UPPER_HALF, palette.cell(upper[c], lower[c])
        if style is not run_style and run_text:
            segments.append(Segment("".join(run_text), run_style))
            run_text = []
        run_style = style
        run_text.append(char)
    if run_text:
        segments.append(Segment("".join(run_text), run_style))
    return Strip(segments, n_cols)


def empty_codes(rows: int, cols: int) -> np.ndarray:
    """An all-empty grid (no heatmap yet)."""
    return np.full((rows, cols), EMPTY, dtype=np.uint8)


__all__ = [
    "Viewport", "price_window", "time_window", "update_vmax", "resample", "price_path_rows",
    "cell_codes", "print_markers", "wall_cells", "heatmap_strips", "empty_codes", "N_LEVELS",
]
