"""What a trader sees is true: keys that work, stale data marked, a window that matches its label,
a layout that fits 80x24, a readable 16-colour fallback (issue 9, screen half; Pilot on a fake runtime)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from rich.color import ColorType

from tnet.ui.app import TnetApp
from tnet.ui.fake import FakeRuntime
from tnet.ui.render.palette import PRICE
from tnet.ui.render.text import strip_text
from tnet.ui.screens.help import HelpScreen
from tnet.ui.widgets.lines import LinesWidget


def _text(app: TnetApp, selector: str) -> str:
    return "\n".join(strip_text(s) for s in app.query_one(selector, LinesWidget).lines)


def _make(depth: int = 256, **fake: Any) -> tuple[TnetApp, FakeRuntime]:
    runtime = FakeRuntime(**fake)
    return TnetApp(runtime, refresh_hz=20.0, color_depth=depth), runtime


def _heat_colours(app: TnetApp) -> set[Any]:
    """Colours of the heatmap cells (left of the price axis; print markers excluded)."""
    chart = app.query_one("#chart", LinesWidget)
    cols = app._chart_state.last_viewport.cols
    out: set[Any] = set()
    for line in chart.lines[:-2]:
        x = 0
        for seg in line:
            if x < cols and seg.style and seg.text.strip("▀ ") == "":
                out |= {c for c in (seg.style.color, seg.style.bgcolor) if c}
            x += len(seg.text)
    return out


async def test_plus_key_zooms_in() -> None:
    app, _ = _make()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.1)
        await pilot.press("plus")
        assert "±3%" in _text(app, "#header")
        await pilot.press("equals_sign")
        assert "±2%" in _text(app, "#header")


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 48)])
async def test_price_and_time_shown_are_the_ones_labelled(size: tuple[int, int]) -> None:
    app, runtime = _make()
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.2)
        vp = app._chart_state.last_viewport
        price = runtime.view("BTC", heatmap=False).price
        assert "±5%" in _text(app, "#header") and "window 1h" in _text(app, "#header")
        assert vp.rows * vp.row_usd / 2 / price * 100 == pytest.approx(5.0, rel=0.02)
        assert vp.cols * vp.col_ms == pytest.approx(3_600_000)


async def test_lost_source_dims_the_map_and_counts_the_age() -> None:
    app, runtime = _make()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.2)
        live_colours = _heat_colours(app)
        runtime.lose_source()
        runtime.now_ms += 42_000
        await pilot.pause(0.3)
        header, chart, health = _text(app, "#header"), _text(app, "#chart"), _text(app, "#health")
        assert "data 42s old" in header
        assert "source lost — reconnecting…" in chart
        assert "try `tnet demo`" not in health and "reconnecting" in health
        dim = _heat_colours(app)
        assert dim and not (dim & (live_colours - {app.palette.codes[0]}))  # every map colour dimmed
        runtime.now_ms += 60_000
        await pilot.pause(0.3)
        assert "1m old" in _text(app, "#header")  # the counter keeps counting


async def test_finished_replay_says_so_instead_of_live() -> None:
    app, runtime = _make()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.2)
        runtime.finished = True
        await pilot.pause(0.3)
        health = _text(app, "#health")
        assert "replay finished" in health and "/s" not in health  # no frozen message rates shown as live
        assert "replay finished" in _text(app, "#chart") and "replay finished" in _text(app, "#header")


async def test_footer_keeps_help_at_80_columns_and_help_scrolls() -> None:
    app, _ = _make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        footer = app.screen.query_one("Footer")
        keys = [b.key_display or b.key for b in footer.query("FooterKey")]  # type: ignore[attr-defined]
        assert "?" in keys[:3]
        await pilot.press("question_mark")
        await pilot.pause(0.1)
        assert isinstance(app.screen, HelpScreen)
        box = app.screen.query_one("#help-box")
        assert box.region.bottom <= 24 and box.max_scroll_y > 0  # fits the screen, the rest scrolls
        await pilot.press("end")
        await pilot.pause(0.1)
        assert box.scroll_y == box.max_scroll_y


async def test_layout_plan_at_80x24_keeps_the_essentials() -> None:
    app, _ = _make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        tape, zones = _text(app, "#tape"), _text(app, "#zones")
        heat_cols = app._chart_state.last_viewport.cols
        assert heat_cols >= 25  # was 21
        assert "BIN" in tape or "BYB" in tape or "OKX" in tape  # venue kept; only the clock went
        assert "act" in zones or "reinf" in zones  # state kept (abbreviated); only the age went
        assert not app.query_one("#calib").display  # calibration is the first thing dropped


async def test_sixteen_colour_map_uses_basic_colours_and_hints() -> None:
    app, _ = _make(depth=16)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.2)
        assert {c.type for c in _heat_colours(app)} == {ColorType.STANDARD}  # the basic ramp, no downgrade
        codes = app.palette.codes
        assert codes[PRICE] not in codes[:PRICE] + codes[PRICE + 1 :]  # the price line is its own colour (also on the book)
        assert any("TERM=xterm-256color" in n.message for n in app._notifications)


async def test_sixteen_colours_detected_from_term(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.delenv("TEXTUAL_COLOR_SYSTEM", raising=False)
    app = TnetApp(FakeRuntime(), refresh_hz=20.0)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.1)
        assert app.color_depth == 16


async def test_clicking_a_symbol_tab_selects_it() -> None:
    app, _ = _make()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.1)
        header = _text(app, "#header")
        await pilot.click("#header", offset=(header.index("3:SOL") + 1, 0))
        await pilot.pause(0.1)
        assert app.controls.symbol == "SOL"
        await pilot.click("#header", offset=(header.index("2:ETH"), 0))
        assert app.controls.symbol == "ETH"


async def test_command_palette_offers_tnet_actions() -> None:
    app, _ = _make()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.1)
        titles = {c.title: c for c in app.get_system_commands(app.screen)}
        assert {"Zoom in", "Help", "Quit", "Symbol ETH", "Theme viridis"} <= set(titles)
        titles["Theme viridis"].callback()
        await pilot.pause(0.1)
        assert app.palette.name == "viridis"
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "CommandPalette"


def test_user_themes_folder_is_searched_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tnet.ui.themes import available_themes, load_theme

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    folder = tmp_path / "tnet" / "themes"
    folder.mkdir(parents=True)
    viridis = Path(__file__).parents[1].joinpath("themes", "viridis.toml").read_text(encoding="utf-8")
    (folder / "desk.toml").write_text(viridis.replace('"viridis"', '"desk"'), encoding="utf-8")
    assert "desk" in available_themes()
    assert load_theme("desk").name == "desk"


@pytest.mark.parametrize(("size", "reported_shown"), [((160, 48), False), ((210, 50), True)])
async def test_tape_shows_where_prints_fired_and_on_a_wide_screen_the_reported_price(
        size: tuple[int, int], reported_shown: bool) -> None:
    app, runtime = _make()
    runtime.add_print("BTC", "long", 250_000.0, venue="bybit", price=66_000.0, fire=66_330.0)
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.2)
        tape = _text(app, "#tape")
        row = next(r for r in tape.splitlines() if "-250k" in r)
        assert "66,330.0" in row  # the firing price, as the map's dot
        assert ("bk   66,000.0" in row) is reported_shown


async def test_tape_filter_finds_large_prints_older_than_the_newest_200(recording: Any) -> None:
    from alert_recording import PRICE, alert_frames, ms

    from tnet.config import Settings, Source
    from tnet.runtime import Runtime
    from tnet.symbols import resolve_all

    def force_order(t_s: float, qty: float) -> tuple[int, str, str, str]:
        order = {"e": "forceOrder", "E": ms(t_s), "o": {
            "s": "BTCUSDT", "S": "SELL", "o": "LIMIT", "f": "IOC", "q": f"{qty:.3f}", "p": f"{PRICE:.2f}",
            "ap": f"{PRICE:.2f}", "X": "FILLED", "l": f"{qty:.3f}", "z": f"{qty:.3f}", "T": ms(t_s), "st": 1}}
        return ms(t_s), "binance", "market", json.dumps({"stream": "!forceOrder@arr", "data": order})

    # Two $2.5M long liquidations, then 250 of $5k: the largest prints are not among the newest 200.
    prints = [force_order(10 + k, 50.0) for k in range(2)] + [force_order(20 + k, 0.1) for k in range(250)]
    frames = [f for f in alert_frames() if "forceOrder" not in f[3]] + prints
    rec = recording(sorted(frames, key=lambda f: f[0]))
    settings = Settings(source=Source("replay", path=rec), speed=0.0, save_state=False, warm_start=False,
                        exchanges=("binance", "bybit"))
    app = TnetApp(Runtime(resolve_all(["BTC"]), settings), refresh_hz=20.0, min_usd=1_000_000.0)
    async with app.run_test(size=(160, 48)) as pilot:
        deadline = time.monotonic() + 90  # a loaded machine replays slowly
        while time.monotonic() < deadline and not (app.runtime.finished and "/252 prints" in _text(app, "#tape")):
            await pilot.pause(0.1)
        tape = _text(app, "#tape")
        assert tape.count("-2.50M") == 2, tape
        assert "2/252 prints" in tape  # shown / in the window
