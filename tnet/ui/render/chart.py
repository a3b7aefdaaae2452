"""The chart panel: heatmap | price axis | level profile, then time axis and legend (pure composition)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from textual.strip import Strip

from tnet.engine.views import SymbolView
from tnet.ui.render import axes, heatmap
from tnet.ui.render.palette import Palette
from tnet.ui.render.tape import BIG_USD
from tnet.ui.render.text import fit, line

COMPACT_CHART_W = 60  # below this panel width the axis and profile narrow so the heatmap keeps its columns


@dataclass(slots=True)
class ChartSettings:
    """What the user chose: zoom (+-% around price), time window and which side to colour."""

    half_range_pct: float = 5.0
    window_ms: int = 3_600_000
    side: str = "both"


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
    values = heatmap.resample(hm, vp, settings.side)
    scale_top, decades = heatmap.contrast(values)
    state.vmax = heatmap.update_vmax(state.vmax, scale_top)
    state.decades = heatmap.update_decades(state.decades, decades)
    codes = heatmap.cell_codes(values, state.vmax, heatmap.price_path_rows(hm, vp), state.decades)
    marks = heatmap.print_markers(hm.prints, vp, BIG_USD)
    state.last_viewport, state.last_codes = vp, codes

    heat = heatmap.heatmap_strips(codes, palette, marks)
    axis = axes.price_axis(vp, price, axis_w, palette)
    prof = axes.profile(view.levels, vp, price, prof_w, palette, hm)
    out = [_join3(h, a, p) for h, a, p in zip(heat, axis, prof)]
    wide = prof_w + axis_w >= 24
    label = line([(" ▲ short liq" if wide else " ▲short", palette.side["short"]),
                  ("  ▼ long liq" if wide else " ▼long", palette.side["long"])], prof_w + axis_w, palette.text)
    out.append(Strip.join([axes.time_axis(vp, heat_w, palette), label]))
    if banner:
        out.append(line([(fit(banner, width), palette.state["stale"])], width, palette.text))
    else:
        side_label = {"both": "liq USD/cell", "long": "long liq USD", "short": "short liq USD"}[settings.side]
        if hm.measure == "hazard":  # USD times the chance price gets there within an hour
            side_label = {"both": "hazard/cell", "long": "long hazard", "short": "short hazard"}[settings.side]
        out.append(axes.legend(state.vmax, width, palette, side_label, state.decades))
    return out[:height]
