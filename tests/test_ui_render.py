"""Pure renderer tests: no App, hand-computed expectations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tnet.engine.views import HeatmapView, Level
from tnet.ui.controls import Controls
from tnet.ui.render import axes, heatmap
from tnet.ui.render.diff import dirty_span
from tnet.ui.render.palette import PRICE, Palette, interpolate_ramp, luminance
from tnet.ui.render.scale import N_LEVELS, format_age, format_usd, nice_ceil, quantize
from tnet.ui.render.tape import (
    filter_prints,
    next_min_usd,
    signed_size,
    tape_lines,
    tape_row,
)
from tnet.ui.render.text import strip_text
from tnet.ui.themes import available_themes, load_theme


@pytest.fixture(scope="module")
def palette() -> Palette:
    return Palette(load_theme("inferno"))


def test_half_block_two_rows_use_fg_for_upper_and_bg_for_lower(palette: Palette) -> None:
    codes = np.array([[3, 7], [5, 7]], dtype=np.uint8)  # column 0: two colours, column 1: one colour
    (strip,) = heatmap.heatmap_strips(codes, palette)
    segments = list(strip)
    assert segments[0].text == "▀"
    assert segments[0].style.color == palette.codes[3]
    assert segments[0].style.bgcolor == palette.codes[5]
    # equal halves: a blank cell painted with the background only (no foreground bytes)
    assert segments[1].text == " "
    assert segments[1].style.bgcolor == palette.codes[7]
    assert segments[1].style.color is None


def test_runs_of_equal_cells_are_merged(palette: Palette) -> None:
    codes = np.array([[2, 2, 2, 4], [1, 1, 1, 4]], dtype=np.uint8)
    (strip,) = heatmap.heatmap_strips(codes, palette)
    assert [s.text for s in strip] == ["▀▀▀", " "]


@pytest.mark.parametrize("name", available_themes())
def test_ramp_gets_brighter_in_truecolor_and_256(name: str) -> None:
    pal = Palette(load_theme(name))
    lum = [luminance(rgb) for rgb in pal.ramp_rgb]
    assert all(b > a for a, b in zip(lum, lum[1:])), "ramp must be strictly brighter step by step"
    down = [c.downgrade(ColorSystem.EIGHT_BIT).get_truecolor() for c in pal.codes[1 : N_LEVELS + 1]]
    lum256 = [luminance((c.red, c.green, c.blue)) for c in down]
    assert all(b >= a - 1e-9 for a, b in zip(lum256, lum256[1:])), "256-colour ramp must not get darker"
    assert len(set(down)) >= N_LEVELS // 2, "the 256-colour ramp must keep enough distinct steps"
    # the first level must be distinguishable from an empty cell
    assert luminance(pal.ramp_rgb[0]) > luminance((pal.bg.triplet.red, pal.bg.triplet.green, pal.bg.triplet.blue))


def test_interpolate_ramp_hits_stops() -> None:
    assert interpolate_ramp(("#000000", "#ffffff"), 3) == [(0, 0, 0), (128, 128, 128), (255, 255, 255)]


def test_quantize_hand_computed() -> None:
    # vmax 1000 over 3 decades in 3 levels: level k holds [10**(k-1), 10**k) ... 1 to 1000
    values = np.array([0.0, 0.5, 5.0, 50.0, 500.0, 5000.0, np.nan])
    assert quantize(values, 1000.0, n_levels=3, decades=3.0).tolist() == [0, 0, 1, 2, 3, 3, 0]


@given(st.lists(st.floats(0, 1e12), min_size=2, max_size=50))
def test_quantize_is_monotonic_and_bounded(values: list[float]) -> None:
    arr = np.sort(np.array(values))
    levels = quantize(arr, 1e9)
    assert levels.min() >= 0 and levels.max() <= N_LEVELS
    assert np.all(np.diff(levels.astype(int)) >= 0)


def test_legend_values_and_text(palette: Palette) -> None:
    low, high = axes.legend_values(1e6)
    assert math.isclose(low, 1e6 * 10 ** -2.5)  # 3162.28
    text = strip_text(axes.legend(1e6, 80, palette))
    assert "3.16k" in text and "1.00M" in text
    coloured = [s for s in axes.legend(1e6, 80, palette) if s.style and s.style.bgcolor in palette.codes[1:N_LEVELS + 1]]
    assert len({s.style.bgcolor for s in coloured}) == N_LEVELS


def test_format_usd_and_age() -> None:
    assert format_usd(950) == "950"
    assert format_usd(12_345) == "12.3k"
    assert format_usd(1_250_000) == "1.25M"
    assert format_usd(-3.4e9) == "-3.40B"
    assert format_usd(2500, signed=True) == "+2.50k"
    # an amount worth a cent or more never reads as zero; less than half a cent is 0, as in the JSON
    assert format_usd(0.4) == "<1" and format_usd(0.999) == "<1" and format_usd(0.005) == "<1"
    assert format_usd(0.0049) == "0" and format_usd(1.3e-59) == "0"
    assert format_usd(0) == "0" and format_usd(1) == "1"
    assert format_usd(0.4, signed=True) == "+<1" and format_usd(-0.4) == "-<1"
    assert format_age(59) == "59s" and format_age(61) == "1m" and format_age(7300) == "2h"
    assert nice_ceil(3.1e6) == 5e6 and nice_ceil(2e6) == 2e6 and nice_ceil(2.2) == 2.5


def _viewport(price_top: float = 110.0, row_usd: float = 1.0, rows: int = 20) -> heatmap.Viewport:
    return heatmap.Viewport(price_top, row_usd, rows, t_end_ms=120_000, col_ms=60_000.0, cols=2)


def test_price_axis_highlights_current_price_once(palette: Palette) -> None:
    vp = _viewport()  # 10 terminal rows, each 2 USD: row y spans (110-2y-2, 110-2y]
    lines = axes.price_axis(vp, 104.5, 10, palette)
    marked = [y for y, s in enumerate(lines) if strip_text(s).startswith("▶")]
    assert marked == [2]  # 110 - 104.5 = 5.5 -> display row 5 -> terminal row 2
    assert "104.5" in strip_text(lines[2])
    assert all(seg.style == palette.accent_reverse for seg in lines[2] if seg.text.strip())


def _two_minutes() -> HeatmapView:
    """Buckets centred at 100, 101, 102, 103 (edges 99.5 .. 103.5); two closed one-minute columns."""
    long = np.array([[1.0, 2.0, 3.0, 4.0], [10.0, 20.0, 30.0, 40.0]])
    return HeatmapView(t0_ms=0, col_ms=60_000, price_lo=100.0, bucket_usd=1.0, long_usd=long,
                       short_usd=np.zeros_like(long), price_path=np.array([101.0, 102.0]))


def test_resample_identity_and_merge() -> None:
    hm = _two_minutes()
    vp = heatmap.Viewport(103.5, 1.0, 4, t_end_ms=120_000, col_ms=60_000.0, cols=2)
    out = heatmap.resample(hm, vp)
    assert out[:, 0].tolist() == [4.0, 3.0, 2.0, 1.0]  # row 0 = highest price
    assert out[:, 1].tolist() == [40.0, 30.0, 20.0, 10.0]
    wide = heatmap.Viewport(103.5, 2.0, 2, t_end_ms=120_000, col_ms=120_000.0, cols=1)
    merged = heatmap.resample(hm, wide)  # two buckets per row, max over the two columns
    assert merged[:, 0].tolist() == [70.0, 30.0]
    half = heatmap.Viewport(103.5, 0.5, 2, t_end_ms=120_000, col_ms=60_000.0, cols=2)
    assert heatmap.resample(hm, half)[:, 0].tolist() == [2.0, 2.0]  # half of the top bucket each


def test_price_path_and_prints_are_drawn(palette: Palette) -> None:
    long = np.zeros((2, 4))
    hm = HeatmapView(t0_ms=0, col_ms=60_000, price_lo=100.0, bucket_usd=1.0, long_usd=long,
                     short_usd=long.copy(), price_path=np.array([103.0, 100.0]),
                     prints=[(70_000, 101.2, "long", 250_000.0), (80_000, 101.4, "short", 10.0)])
    vp = heatmap.Viewport(103.5, 1.0, 4, t_end_ms=120_000, col_ms=60_000.0, cols=2)
    rows = heatmap.price_path_rows(hm, vp)
    assert rows.tolist() == [0, 3]
    codes = heatmap.cell_codes(heatmap.resample(hm, vp), 1.0, rows)
    assert codes[:, 1].tolist() == [PRICE] * 4  # the jump from row 0 to row 3 is joined
    marks = heatmap.print_markers(hm.prints, vp, big_usd=100_000)
    assert marks == {(1, 1): ("long", True, 250_000.0)}  # the bigger print wins its cell
    strips = heatmap.heatmap_strips(codes, palette, marks)
    assert strip_text(strips[1])[1] == heatmap.BIG_PRINT


def test_the_minute_in_progress_shows_the_latest_map_and_the_current_price() -> None:
    # the viewport ends with the minute in progress, then a minute no data reached
    hm = _two_minutes()
    vp = heatmap.Viewport(103.5, 1.0, 4, t_end_ms=240_000, col_ms=60_000.0, cols=4)
    out = heatmap.resample(hm, vp)
    assert out[:, 2].tolist() == [40.0, 30.0, 20.0, 10.0]  # not a blank column at "now"
    assert out[:, 3].tolist() == [0.0] * 4  # beyond it nothing is made up
    assert heatmap.price_path_rows(hm, vp, price=100.2).tolist() == [2, 1, 3, -1]
    narrow = heatmap.Viewport(103.5, 1.0, 4, t_end_ms=180_000, col_ms=10_000.0, cols=18)  # 15m-like columns
    assert (heatmap.resample(hm, narrow)[:, 12:] > 0).all()


def test_price_window_is_sticky_then_recentres() -> None:
    top, row = heatmap.price_window(67_000.0, 5.0, 80)
    assert row == pytest.approx(2 * 67_000 * 0.05 / 80, rel=0.005)  # the labelled window, not a rounded-up one
    assert abs((top - 40 * row) - 67_000) <= 2 * row  # the window's middle is within a cell of price
    assert heatmap.price_window(67_300.0, 5.0, 80, (top, row)) == (top, row)  # small move: same picture
    moved = heatmap.price_window(70_500.0, 5.0, 80, (top, row))
    assert moved != (top, row) and moved[0] - 80 * row < 70_500 < moved[0]
    # cell centres fall on multiples of 2*row_usd
    assert math.isclose(((top - row) / (2 * row)) % 1, 0.0, abs_tol=1e-9)


@pytest.mark.parametrize("half_pct", [0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0])
@pytest.mark.parametrize("rows", [42, 60, 90])
def test_price_window_spans_what_the_header_says(half_pct: float, rows: int) -> None:
    # issue 9: at 160x48 the header said ±5 % while the axis spanned about ±9 %
    top, row = heatmap.price_window(67_000.0, half_pct, rows)
    shown_half_pct = rows * row / 2 / 67_000 * 100
    assert shown_half_pct == pytest.approx(half_pct, rel=0.02)


@pytest.mark.parametrize("window_ms", [900_000, 3_600_000, 14_400_000, 86_400_000])
@pytest.mark.parametrize("cols", [29, 41, 83, 90])
def test_time_window_covers_what_the_header_says(window_ms: int, cols: int) -> None:
    # issue 9: at 100 columns `window 1h` showed about 41 minutes
    end, col = heatmap.time_window(61_000, window_ms, cols, 0, 60_000)
    assert cols * col == pytest.approx(window_ms)
    assert end == 120_000  # the right edge is the end of the source column holding now


def test_time_window_steps_with_source_columns() -> None:
    a = heatmap.time_window(1_000, 900_000, 90, 0, 60_000)
    b = heatmap.time_window(59_000, 900_000, 90, 0, 60_000)
    c = heatmap.time_window(61_000, 900_000, 90, 0, 60_000)
    assert a == b == (60_000, 10_000.0) and c[0] == 120_000


def test_vmax_hysteresis() -> None:
    assert heatmap.update_vmax(None, 3.1e6) == 5e6
    assert heatmap.update_vmax(5e6, 2e6) == 5e6  # small fall: keep the scale
    assert heatmap.update_vmax(5e6, 1e6) == 1e6  # > 4x fall: rescale
    assert heatmap.update_vmax(5e6, 6e6) == 1e7


def test_profile_short_above_long_below() -> None:
    vp = _viewport()  # terminal rows of 2 USD from 110 down to 90
    levels = [Level(107.0, 999.0, 50.0), Level(101.0, 70.0, 888.0), Level(93.0, 30.0, 5.0)]
    values, sides = axes.profile_values(levels, vp, price=100.0)
    here = axes.current_price_cell(vp, 100.0)  # (110-100)/2 = 5
    assert here == 5 and sides[here] == ""
    assert sides[1] == "short" and values[1] == 50.0  # 107 -> row 1, above price: short USD only
    assert sides[4] == "short" and values[4] == 888.0  # 101 -> row 4
    assert sides[8] == "long" and values[8] == 30.0  # 93 -> row 8


def test_profile_labels_a_tiny_level_as_under_one_never_zero(palette: Palette) -> None:
    vp = _viewport()  # terminal rows of 2 USD from 110 down to 90, price 100 at row 5
    levels = [Level(107.0, 0.0, 2_000_000.0), Level(103.0, 0.0, 0.4), Level(101.0, 0.0, 0.0), Level(93.0, 1.3e-59, 0.0)]
    rows = [strip_text(s) for s in axes.profile(levels, vp, 100.0, 20, palette)]
    assert rows[1].endswith("2.00M")
    assert rows[3].rstrip().endswith("<1")  # $0.40: too small for a bar, but there
    assert rows[4].strip() == ""  # nothing at all stays blank
    assert rows[8].strip() == ""  # a far level's hazard of 1e-59 USD is nothing, not a column of '<1'


def _event(side: str, usd: float, ts: int = 0, venue: str = "bybit") -> dict:
    return {"type": "liquidation", "venue": venue, "symbol": "BTC", "ts_ms": ts, "recv_ms": ts,
            "side": side, "price": 67_123.4, "qty": usd / 67_123.4, "usd": usd}


def test_tape_sign_colour_and_big_prints(palette: Palette) -> None:
    assert signed_size(_event("long", 1_250_000)) == "-1.25M"
    assert signed_size(_event("short", 2_500)) == "+2.50k"
    row = tape_row(_event("long", 2_500, ts=0), now_ms=12_000, width=46, palette=palette, decimals=1)
    text = strip_text(row)
    assert "BYB" in text and "LONG" in text and "-2.50k" in text and "67,123.4" in text and "12s" in text
    size_seg = next(s for s in row if "-2.50k" in s.text)
    assert size_seg.style.color == palette.side_color["long"] and not size_seg.style.bold
    big = next(s for s in tape_row(_event("short", 250_000), 0, 46, palette, 1) if "+250k" in s.text)
    assert big.style.bold and big.style.color == palette.side_color["short"]
    huge = next(s for s in tape_row(_event("short", 2_000_000), 0, 46, palette, 1) if "+2.00M" in s.text)
    assert huge.style.bgcolor == palette.side_color["short"]  # reverse video


def test_tape_filter_and_cycle(palette: Palette) -> None:
    events = [_event("long", 500), _event("short", 20_000), _event("long", 3_000_000)]
    assert [e["usd"] for e in filter_prints(events, 10_000)] == [20_000, 3_000_000]
    lines = tape_lines(events, 0, 46, 10, 10_000, palette, 67_000)
    body = "\n".join(strip_text(s) for s in lines)
    assert "+20.0k" in body and "-3.00M" in body and "-500" not in body
    assert "2/3" in strip_text(lines[0])
    assert next_min_usd(0) == 1_000 and next_min_usd(1_000_000) == 0
    c = Controls(symbols=["BTC"], themes=["a"], min_usd=25_000)
    c.cycle_filter()
    assert c.min_usd == 100_000


def test_empty_tape_says_how_far_back_it_looked(palette: Palette) -> None:
    # the tape holds the last hour; older prints (a warm start's backfill) were taken, just not shown
    body = [strip_text(s).strip() for s in tape_lines([], 0, 46, 4, 0, palette, 67_000, window_s=3600)]
    assert "no prints in the last 1h" in body and "no prints yet" not in body
    # a view filtered by the engine holds no print below the filter, though the hour had 252
    body = [strip_text(s).strip() for s in tape_lines([], 0, 46, 4, 1e6, palette, 67_000, window_s=3600, count=252)]
    assert body[0].endswith("0/252 prints") and "no prints ≥1.00M (f: filter)" in body


def test_dirty_span_finds_changed_cells() -> None:
    s = Style(color="red")
    a = Strip([Segment("abcdef", s)])
    b = Strip([Segment("ab", s), Segment("X", s), Segment("def", s)])
    assert dirty_span(a, b) == (2, 3)
    assert dirty_span(a, Strip([Segment("ab", s), Segment("cdef", s)])) is None
    assert dirty_span(None, a) == (0, 6)


def test_profile_from_newest_heatmap_column() -> None:
    old = np.zeros(4)
    long = np.array([old, [1.0, 2.0, 3.0, 4.0]])  # buckets centred 100..103, newest column last
    short = np.array([old, [10.0, 20.0, 30.0, 40.0]])
    hm = HeatmapView(t0_ms=0, col_ms=60_000, price_lo=100.0, bucket_usd=1.0, long_usd=long,
                     short_usd=short, price_path=np.array([101.0, 101.0]))
    vp = heatmap.Viewport(103.5, 1.0, 4, t_end_ms=120_000, col_ms=60_000.0, cols=2)
    longs, shorts = axes.profile_from_heatmap(hm, vp)
    assert longs.tolist() == [7.0, 3.0]  # terminal row 0 = buckets 103 + 102
    assert shorts.tolist() == [70.0, 30.0]


def test_health_line_reasons_hint_and_notes(palette: Palette) -> None:
    from tnet.ui.render.panels import NO_DATA_HINT, health_line

    live = {"state": "live", "msgs_per_s": 12.4, "latency_ms_p50": 30.2, "reconnects": 2, "note": "x" * 80}
    down = {"state": "down", "reason": "DNS failure", "reconnects": 0}
    text = strip_text(health_line({"venues": {"binance": live, "okx": down}}, 200, palette))
    assert "binance live 12/s 30ms ↻2" in text and "okx DOWN: DNS failure" in text and NO_DATA_HINT not in text
    assert "x" * 80 in text  # the note fits at 200 columns
    narrow = strip_text(health_line({"venues": {"binance": live, "okx": down}}, 80, palette))
    assert "xxx" not in narrow and "okx DOWN: DNS failure" in narrow  # a long note never hides a venue
    all_down = strip_text(health_line({"venues": {"okx": down}}, 120, palette))
    assert NO_DATA_HINT in all_down
    starting = strip_text(health_line({"starting": "building the simulated market", "venues": {"okx": down}}, 100, palette))
    assert "starting: building the simulated market" in starting and "okx" not in starting


def test_contrast_follows_the_visible_distribution() -> None:
    from tnet.ui.render import heatmap as hmr
    from tnet.ui.render.scale import DECADES

    # 100 cells from 1k to 1M (log-uniform): p99 ~ 0.93M, p20 ~ 4k -> ~2.37 + 0.3 decades, capped at DECADES.
    broad = np.logspace(3, 6, 100)
    top, decades = hmr.contrast(broad)
    assert abs(top - np.percentile(broad, 99)) < 1e-6
    assert decades == DECADES
    # A map spread evenly between 8M and 10M gets the minimum span, so 8M is not drawn as bright as 10M.
    narrow = np.linspace(8e6, 10e6, 200)
    top, decades = hmr.contrast(narrow)
    assert decades == hmr.MIN_DECADES and 9.9e6 < top <= 10e6
    assert hmr.cell_codes(np.array([[8e6, 1e6]]), top, None, decades).tolist()[0][1] == 0  # 1M is below the ramp
    # Too few cells to judge: the plain maximum and the default span.
    assert hmr.contrast(np.array([0.0, 5.0, 7.0])) == (7.0, DECADES)
    # Smoothing moves a fifth of the way per frame.
    assert hmr.update_decades(2.0, 1.0) == 1.8 and hmr.update_decades(None, 1.0) == 1.0


def test_health_line_keeps_every_venue_at_160_and_100_columns(palette: Palette) -> None:
    from tnet.ui.render.panels import health_line
    from tnet.venues import RECORDS

    live = {"state": "live", "msgs_per_s": 24.0, "latency_ms_p50": 55.0, "reconnects": 0, "note": "n" * 30}
    names = list(RECORDS) + ["kraken"][: max(0, 6 - len(RECORDS))]  # six venues
    venues = {name: dict(live) for name in names}
    venues[names[1]] = {"state": "down", "reason": "connection refused", "reconnects": 3}
    wide = strip_text(health_line({"venues": venues}, 160, palette))
    narrow = strip_text(health_line({"venues": venues}, 100, palette))
    for name in names:
        short = RECORDS[name].abbr if name in RECORDS else name[:3].upper()
        assert name in wide or short in wide, (name, wide)
        assert short in narrow or name in narrow, (name, narrow)
    assert "DOWN: connect" in narrow  # a down venue says why, shortened if need be
    assert len(wide.rstrip()) <= 160 and len(narrow.rstrip()) <= 100


def test_calibration_panel_lists_every_venue_and_says_which_has_no_feed(palette: Palette) -> None:
    from tnet.engine.views import CalibrationView
    from tnet.ui.render.panels import calibration_lines
    from tnet.venues import RECORDS, quality

    tiers = [2, 3, 5, 10, 20, 25, 50, 75, 100, 125]
    cal = {name: CalibrationView(tiers=tiers, weights=[0.1] * 10, events=7) for name in RECORDS}
    lines = [strip_text(s) for s in calibration_lines(cal, 46, 8, palette)]
    for name, rec in RECORDS.items():
        [row] = [text for text in lines if text.startswith(rec.abbr)]
        assert row.rstrip().endswith("7" if quality(name).liquidations else "no feed")


@pytest.mark.parametrize("width", [80, 100, 160])
@pytest.mark.parametrize("paused", [False, True])
def test_header_leaves_out_whole_settings_never_cuts_one(palette: Palette, width: int, paused: bool) -> None:
    from tnet.ui.fake import FakeRuntime
    from tnet.ui.render.panels import header_line

    view = FakeRuntime().view("BTC")
    controls = Controls(symbols=["BTC", "ETH", "SOL"], themes=["inferno"])
    controls.paused = paused
    status = controls.status()
    text = strip_text(header_line(controls.symbols, "BTC", view, status, width, palette)).rstrip()
    assert "67,000.0  OI 20.5B" in text, text  # the price is never glued to the next label
    fields = [f.strip() for f in text.split("│")[2:]]  # after the tabs and the price
    if paused:
        assert fields and fields[-1].endswith("PAUSED"), text  # pausing is said at every width
        fields[-1] = fields[-1].removesuffix("PAUSED").strip()
    whole = {v for k, v in status.items() if k != "paused" and v}
    assert all(f in whole for f in fields), f"a setting cut short at {width}: {text!r}"
    if width == 160:
        assert len(fields) == len(whole)  # room for every setting


def test_legend_of_an_empty_view_shows_no_scale(palette: Palette) -> None:
    import dataclasses

    from tnet.ui.fake import FakeRuntime
    from tnet.ui.render.chart import ChartSettings, ChartState, chart_lines

    view = FakeRuntime().view("BTC")
    hm = view.heatmap
    assert hm is not None
    empty = dataclasses.replace(view, heatmap=dataclasses.replace(
        hm, long_usd=np.zeros_like(hm.long_usd), short_usd=np.zeros_like(hm.short_usd)))
    legend = strip_text(chart_lines(empty, ChartSettings(), ChartState(), palette, 120, 30, "", "")[-1])
    assert "nothing in view" in legend and "<1" not in legend, legend  # not a 0..1 colour scale for no data
    full = strip_text(chart_lines(view, ChartSettings(), ChartState(), palette, 120, 30, "", "")[-1])
    assert "nothing in view" not in full and "M" in full, full  # a real scale in USD


def test_tape_shows_where_a_print_fired_and_the_reported_price_when_wide(palette: Palette) -> None:
    # Bybit reports the bankruptcy price; the engine moved it back by the maintenance margin (0.5 %)
    ev = {**_event("long", 5_000), "price": 67_123.4, "fire": 67_460.7}
    narrow = strip_text(tape_row(ev, 0, 46, palette, 1))
    assert "67,460.7" in narrow and "67,123.4" not in narrow  # where it fired, as the map's dots
    wide = strip_text(tape_row(ev, 3_000, 60, palette, 1))
    assert "67,460.7 bk   67,123.4" in wide and wide.rstrip().endswith("3s")
    same = strip_text(tape_row({**_event("long", 5_000, venue="binance"), "fire": 67_123.4}, 0, 60, palette, 1))
    assert "bk" not in same  # a venue that reports its fill: one price
    assert "67,123.4" in strip_text(tape_row(_event("long", 5_000), 0, 46, palette, 1))  # no `fire` key: the price
