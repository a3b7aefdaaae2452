"""The chart panel: heatmap | price axis | level profile, then time axis and legend (pure composition)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from textual.strip import Strip

from tnet.engine.views import SymbolView
from tnet.ui.render import axes, heatmap
from tnet.ui.render.palette import BOOK_OFFSET, Palette
from tnet.ui.render.scale import DECADES, format_usd
from tnet.ui.render.tape import BIG_USD
from tnet.ui.render.text import fit, line

COMPACT_CHART_W = 60  # below this panel width the axis and profile narrow so the heatmap keeps its columns


@dataclass(slots=True)
class ChartSettings:
    """What the user chose: zoom (+-% around price), time window and which side to colour."""

    half_range_pct: float = 5.0
    window_ms: int = 3_600_000
    side: str = "both"
    layer: str = "liquidations"  # "liquidations", "book" (the resting order book) or "both" (liquidations + book walls)


@dataclass(slots=True)
class ChartState:
    """Sticky scale state kept between frames so the picture does not jitter (reset on symbol switch)."""

    price_window: tuple[float, float] | None = None
    vmax: float | None = None
    decades: float | None = None
    last_viewport: heatmap.Viewport | None = None
    last_codes: np.ndarray | None = field(default=None, repr=False)


_JOINED: dict[tuple[int, int, int], tuple[Strip, Strip, Strip, Strip]] = {}


def _join3(a: Strip, b: Strip, c: Strip) -> Strip:
    """Strip.join, cached by the identity of the (themselves cached) parts: unchanged rows stay the same object."""
    key = (id(a), id(b), id(c))
    hit = _JOINED.get(key)
    if hit is not None and hit[0] is a and hit[1] is b and hit[2] is c:
        return hit[3]
    if len(_JOINED) > 4096:
        _JOINED.clear()
    joined = Strip.join([a, b, c])
    _JOINED[key] = (a, b, c, joined)
    return joined


def profile_width(width: int) -> int:
    """Columns given to the level profile at this panel width."""
    return 18 if width >= 100 else (12 if width >= COMPACT_CHART_W else 8)


def axis_width(width: int) -> int:
    """Columns given to the price axis at this panel width."""
    return 12 if width >= COMPACT_CHART_W else 9


def chart_lines(
    view: SymbolView | None, settings: ChartSettings, state: ChartState, palette: Palette,
    width: int, height: int, message: str = "", banner: str = "",
) -> list[Strip]:
    """All lines of the chart panel; updates `state` (viewport, vmax) in place.

    `message` replaces an empty map ("connecting…"); `banner` replaces the legend (stale data).
    """
    prof_w = profile_width(width)
    axis_w = axis_width(width)
    heat_w = max(1, width - axis_w - prof_w)
    rows = max(1, height - 2)
    hm = view.heatmap if view is not None else None
    price = view.price if view is not None else 0.0
    if view is None or hm is None or price <= 0:
        state.last_viewport = None
        codes = heatmap.empty_codes(2 * rows, heat_w)
        lines = heatmap.heatmap_strips(codes, palette)
        blank_side = [line([], axis_w + prof_w, palette.text)] * rows
        out = [Strip.join([a, b]) for a, b in zip(lines, blank_side)]
        note = message or "waiting for data…"
        out[rows // 2] = line([(fit(note, width, "^"), palette.accent)], width, palette.text)
        out.append(line([], width, palette.text))
        out.append(line([], width, palette.text))
        return out[:height]

    state.price_window = heatmap.price_window(price, settings.half_range_pct, 2 * rows, state.price_window)
    top, row_usd = state.price_window
    t_end, col_ms = heatmap.time_window(view.ts_ms, settings.window_ms, heat_w, hm.t0_ms, hm.col_ms)
    vp = heatmap.Viewport(top, row_usd, 2 * rows, t_end, col_ms, heat_w)
    layer = settings.layer
    book_values = heatmap.resample(hm, vp, "book") if layer != "liquidations" else None
    values = book_values if layer == "book" and book_values is not None else heatmap.resample(hm, vp, settings.side)
    scale_top, decades = heatmap.contrast(values)
    state.vmax = heatmap.update_vmax(state.vmax, scale_top)
    state.decades = heatmap.update_decades(state.decades, decades)
    offset = BOOK_OFFSET if layer == "book" else 0
    codes = heatmap.cell_codes(values, state.vmax, heatmap.price_path_rows(hm, vp, price), state.decades, offset)
    marks = heatmap.print_markers(hm.prints, vp, BIG_USD)
    walls, wall_usd = heatmap.wall_cells(book_values) if layer == "both" and book_values is not None else (set(), 0.0)
    state.last_viewport, state.last_codes = vp, codes

    heat = heatmap.heatmap_strips(codes, palette, marks, walls)
    if layer == "book" and hm.bid_usd is None:
        heat[rows // 2] = line([(fit(NO_BOOK, heat_w, "^"), palette.accent)], heat_w, palette.text)
    axis = axes.price_axis(vp, price, axis_w, palette)
    prof = axes.profile(view.levels, vp, price, prof_w, palette, hm, layer, view.book)
    out = [_join3(h, a, p) for h, a, p in zip(heat, axis, prof)]
    out.append(Strip.join([axes.time_axis(vp, heat_w, palette), _profile_key(layer, prof_w + axis_w, palette)]))
    if banner:
        out.append(line([(fit(banner, width), palette.state["stale"])], width, palette.text))
    else:
        out.append(_legend(settings, hm.measure, hm.bid_usd is not None, state, wall_usd, width, palette,
                           empty=not scale_top > 0))
    return out[:height]


NO_BOOK = "no order book data (the venues' depth feeds are off or not synced yet)"


def _profile_key(layer: str, width: int, palette: Palette) -> Strip:
    """The line under the price axis and profile: what the profile's bars are."""
    wide = width >= 24
    if layer == "book":
        parts = [(" ▲ resting asks" if wide else " ▲asks", palette.book), ("  ▼ bids" if wide else " ▼bids", palette.book)]
    elif layer == "both":  # the glyphs as the profile draws them: liquidations on top of each row, the book below
        parts = [(" ", palette.text), ("▀", palette.side["long"]), (" liq" if wide else "liq", palette.text),
                 ("  " if wide else " ", palette.text), ("▄", palette.book), (" resting book" if wide else "book", palette.text)]
    else:
        parts = [(" ▲ short liq" if wide else " ▲short", palette.side["short"]),
                 ("  ▼ long liq" if wide else " ▼long", palette.side["long"])]
    return line(parts, width, palette.text)


def _legend(settings: ChartSettings, measure: str, has_book: bool, state: ChartState, wall_usd: float, width: int,
            palette: Palette, empty: bool = False) -> Strip:
    """The colour legend of the layer on show: what the colours (and the book's walls) mean.

    `empty`: no cell in view holds anything, so there is no scale to show (a ramp would claim one).
    """
    vmax, decades = state.vmax or 1.0, state.decades or DECADES
    if settings.layer == "book":
        if empty and has_book:
            return line([("book USD/cell  nothing in view", palette.muted)], width, palette.text)
        return axes.legend(vmax, width, palette, "book USD/cell" if has_book else "no book", decades, BOOK_OFFSET)
    label = {"both": "liq USD/cell", "long": "long liq USD", "short": "short liq USD"}[settings.side]
    if measure == "hazard":  # USD times the chance price gets there within an hour
        label = {"both": "hazard/cell", "long": "long hazard", "short": "short hazard"}[settings.side]
    if empty and settings.layer == "liquidations":  # ("both" keeps its legend: the book's walls may be there)
        return line([(f"{label}  nothing in view", palette.muted)], width, palette.text)
    extra = None
    if settings.layer == "both":
        if not has_book:
            wall = "no book"
        elif wall_usd <= 0:
            wall = "━ no walls"
        else:  # the threshold only where it fits (COMPACT: the legend's ramp needs the room)
            wall = f"━ wall ≥{format_usd(wall_usd)}" if width >= COMPACT_CHART_W else "━wall"
        extra = [(" ", palette.text), (wall, palette.book_bold)]
        if width < COMPACT_CHART_W:
            label = label.removesuffix("/cell")
    return axes.legend(vmax, width, palette, label, decades, 0, extra)
