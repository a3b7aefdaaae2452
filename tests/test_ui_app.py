"""Pilot tests: every key does what it says, on a deterministic fake runtime."""

from __future__ import annotations

from typing import Any

import pytest

from tnet.ui.app import TnetApp
from tnet.ui.fake import FakeRuntime
from tnet.ui.render.scale import N_LEVELS
from tnet.ui.render.text import strip_text
from tnet.venues import RECORDS
from tnet.ui.screens.help import HelpScreen
from tnet.ui.widgets.lines import LinesWidget

SIZE = (160, 48)


def _text(app: TnetApp, selector: str) -> str:
    return "\n".join(strip_text(s) for s in app.query_one(selector, LinesWidget).lines)


def _make(**kwargs: Any) -> tuple[TnetApp, FakeRuntime]:
    runtime = FakeRuntime()
    kwargs.setdefault("color_depth", 256)
    return TnetApp(runtime, refresh_hz=20.0, **kwargs), runtime


async def test_first_screen_shows_every_panel() -> None:
    app, runtime = _make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        assert runtime.started
        assert "1:BTC" in _text(app, "#header") and "67,000" in _text(app, "#header")
        chart = _text(app, "#chart")
        assert "▀" in chart and "▶67,000" in chart and "UTC" in chart and "/cell" in chart
        assert "TAPE" in _text(app, "#tape") and "SHORT" in _text(app, "#tape")
        assert "ZONES" in _text(app, "#zones") and "reinforced" in _text(app, "#zones")
        assert all(rec.abbr in _text(app, "#calib") for rec in RECORDS.values())  # every venue, by its letters
        health = _text(app, "#health")
        assert health.count("live") == len(runtime.health()["venues"])


async def test_heatmap_history_pulled_about_once_a_second() -> None:
    app, runtime = _make()  # 20 Hz refresh
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        calls, heat = runtime.view_calls, runtime.heatmap_calls
        for _ in range(8):
            runtime.step(250)
            await pilot.pause(0.2)
        assert runtime.view_calls - calls >= 10  # fresh price/tape every tick
        assert runtime.heatmap_calls - heat <= 3  # the costly history at most ~1 Hz
        assert "▀" in _text(app, "#chart")


async def test_symbol_switch_changes_header_and_data() -> None:
    app, _ = _make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        before = _text(app, "#chart")
        await pilot.press("tab")
        assert app.controls.symbol == "ETH"
        assert "3,500" in _text(app, "#header")
        assert _text(app, "#chart") != before
        tab = next(s for s in app.query_one("#header", LinesWidget).lines[0] if "2:ETH" in s.text)
        assert tab.style == app.palette.accent_reverse
        await pilot.press("3")
        assert app.controls.symbol == "SOL" and "150" in _text(app, "#header")
        await pilot.press("9")  # no 9th symbol: nothing changes
        assert app.controls.symbol == "SOL"


async def test_zoom_changes_price_range() -> None:
    app, _ = _make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        span = lambda: app._chart_state.last_viewport.rows * app._chart_state.last_viewport.row_usd  # noqa: E731
        start = span()
        await pilot.press("plus")  # the '+' key (Textual's name for it is "plus")
        narrower = span()
        await pilot.press("minus", "minus")
        wider = span()
        assert narrower < start < wider
        assert "±8%" in _text(app, "#header")  # 5 % -> 3 % -> 5 % -> 8 %


async def test_window_changes_columns() -> None:
    app, _ = _make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        col = lambda: app._chart_state.last_viewport.col_ms  # noqa: E731
        start = col()
        await pilot.press("right_square_bracket")
        assert col() > start and "window 4h" in _text(app, "#header")
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert col() < start and "window 15m" in _text(app, "#header")


async def test_h_switches_between_hazard_and_usd() -> None:
    app, runtime = _make()
    asked: list[str] = []
    view = runtime.view

    def spy(symbol: str, heatmap: bool = True, measure: str = "usd", **kw: Any) -> Any:
        asked.append(measure)
        return view(symbol, heatmap=heatmap, measure=measure, **kw)

    runtime.view = spy  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        assert asked[-1] == "hazard" and "│ hazard" in _text(app, "#header")
        assert "hazard/cell" in _text(app, "#chart")
        await pilot.press("h")
        await pilot.pause(0.1)
        assert asked[-1] == "usd" and "│ USD" in _text(app, "#header")
        assert "liq USD/cell" in _text(app, "#chart") and "hazard" not in _text(app, "#chart")
        await pilot.press("h")
        await pilot.pause(0.1)
        assert asked[-1] == "hazard"


async def test_pause_stops_updates() -> None:
    app, runtime = _make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        await pilot.press("space")
        assert "PAUSED" in _text(app, "#header")
        frozen_tape, calls = _text(app, "#tape"), runtime.view_calls
        runtime.step(5_000, prints=3)
        await pilot.pause(0.3)
        assert runtime.view_calls == calls and _text(app, "#tape") == frozen_tape
        await pilot.press("p")
        await pilot.pause(0.2)
        assert runtime.view_calls > calls and _text(app, "#tape") != frozen_tape


async def test_theme_cycles_colours() -> None:
    app, _ = _make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        first_name = app.palette.name
        old_ramp = set(app.palette.codes[1 : N_LEVELS + 1])  # the liquidation ramp (the book ramp follows the price code)
        await pilot.press("t")
        assert app.palette.name != first_name and app.theme == f"tnet-{app.palette.name}"
        shown = {seg.style.bgcolor for line in app.query_one("#chart", LinesWidget).lines for seg in line}
        assert shown & set(app.palette.codes[1 : N_LEVELS + 1]) and not (shown & old_ramp)
        assert app.palette.name in _text(app, "#header")


async def test_filter_hides_small_prints() -> None:
    app, _ = _make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        assert "+2.50k" in _text(app, "#tape")
        await pilot.press("f", "f", "f")  # 0 -> 1k -> 10k -> 100k
        assert app.controls.min_usd == 100_000
        tape = _text(app, "#tape")
        assert "≥100k" in tape and "2.50k" not in tape and "18.0k" not in tape and "-140k" in tape


async def test_min_usd_option_starts_filtered() -> None:
    app, _ = _make(min_usd=50_000)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        assert "18.0k" not in _text(app, "#tape") and "≥50.0k" in _text(app, "#tape")


async def test_help_opens_and_closes() -> None:
    app, _ = _make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_q_quits_and_stops_runtime() -> None:
    app, runtime = _make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        await pilot.press("q")
        await pilot.pause(0.1)
    assert runtime.stopped and app.return_code == 0


async def test_ctrl_q_also_stops_runtime() -> None:
    app, runtime = _make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        await pilot.press("ctrl+q")
        await pilot.pause(0.1)
    assert runtime.stopped


async def test_small_terminal_shows_message_and_recovers() -> None:
    app, _ = _make()
    async with app.run_test(size=(70, 20)) as pilot:
        await pilot.pause(0.1)
        message = app.query_one("#too-small")
        assert message.display and "at least 80x24" in str(message.render())
        assert not app.query_one("#body").display
        await pilot.resize_terminal(160, 48)
        await pilot.pause(0.2)
        assert not message.display and app.query_one("#body").display
        assert app.query_one("#chart").size.width > 80 and "▀" in _text(app, "#chart")


async def test_all_venues_down_opens_with_reasons_and_hint() -> None:
    runtime = FakeRuntime(venues_down=True)

    def no_view(symbol: str, heatmap: bool = True) -> Any:
        raise KeyError(symbol)  # no data at all yet

    runtime.view = no_view  # type: ignore[method-assign]
    app = TnetApp(runtime, refresh_hz=20.0, color_depth=256)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        health = _text(app, "#health")
        # every venue down with the start of its reason (as much as the line holds); the hint in the chart
        venues = runtime.health()["venues"]
        assert health.count("DOWN: ") == len(venues) and all(v["reason"][:5] in health for v in venues.values())
        assert "no data — try `tnet demo`" in _text(app, "#chart")


async def test_failing_start_is_shown_not_raised() -> None:
    app, runtime = _make()

    async def boom() -> None:
        raise OSError("address in use")

    runtime.start = boom  # type: ignore[method-assign]
    runtime.view = lambda symbol, heatmap=True: (_ for _ in ()).throw(KeyError(symbol))  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        assert "start failed: address in use" in _text(app, "#chart")


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_minimum_and_mid_sizes_lay_out(size: tuple[int, int]) -> None:
    app, _ = _make()
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.1)
        assert not app.query_one("#too-small").display
        chart = _text(app, "#chart")
        assert "▶" in chart and "▀" in chart
        assert "TAPE" in _text(app, "#tape")


async def test_price_axis_marker_shows_the_header_price_between_heatmap_pulls() -> None:
    app, runtime = _make()  # 20 Hz refresh; the heatmap history is pulled about once a second
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        assert "▶67,000.0" in _text(app, "#chart")
        for price in (67_000.3, 67_000.6):  # moves far smaller than a cell row
            runtime._state["BTC"]["path"][-1] = price
            runtime.now_ms += 50
            await pilot.pause(0.2)
            shown = f"{price:,.1f}"
            assert shown in _text(app, "#header")
            assert f"▶{shown}" in _text(app, "#chart")  # the chart's marker says the same price, not the last drawn
