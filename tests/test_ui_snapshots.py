"""Text snapshots of deterministic screens; `TNET_UPDATE_SNAPSHOTS=1` rewrites them (review the diff!)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from tnet.ui.app import TAPE_MAX_HZ, TnetApp
from tnet.ui.fake import FakeRuntime

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("TNET_UPDATE_SNAPSHOTS") == "1"


def screen_text(app: TnetApp) -> str:
    """The whole screen as plain text, exactly as the compositor would draw it."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False)


def check(name: str, text: str, app: TnetApp | None = None) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"missing snapshot {path.name}: run with TNET_UPDATE_SNAPSHOTS=1 and review it")
        path.write_text(text, encoding="utf-8")
        if app is not None:  # the picture for humans (README); not compared, it depends on Textual's SVG writer
            (SNAPSHOTS / f"{name}.svg").write_text(app.export_screenshot(title=f"tnet {name}"), encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"screen differs from {path.name}; TNET_UPDATE_SNAPSHOTS=1 to accept"


async def settled_text(app: TnetApp, pilot: Any) -> str:
    """Screen text once two captures 0.1 s apart agree (the footer fills in asynchronously)."""
    previous = ""
    for _ in range(30):
        await pilot.pause(0.1)
        text = screen_text(app)
        if text == previous:
            return text
        previous = text
    return previous


async def _shot(name: str, size: tuple[int, int], keys: list[str] | None = None, depth: int = 256,
                then: Any = None, **fake: Any) -> None:
    runtime = FakeRuntime(**fake)
    app = TnetApp(runtime, refresh_hz=20.0, color_depth=depth)
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.1)
        if keys:
            await pilot.press(*keys)
        if then is not None:
            then(runtime)
            await pilot.pause(1 / TAPE_MAX_HZ + 0.1)  # the tape redraws at most TAPE_MAX_HZ
        check(name, await settled_text(app, pilot), app)


# The layout plan at the three sizes the README names, in 256 and 16 colours (the SVGs show the colours).
@pytest.mark.parametrize("depth", [256, 16])
@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 48)])
async def test_snapshot_main_screen(size: tuple[int, int], depth: int) -> None:
    await _shot(f"ui_main_{size[0]}x{size[1]}_{depth}c", size, depth=depth)


async def test_snapshot_eth_15m_zoomed_cb_theme() -> None:
    await _shot("ui_eth_15m_cb_160x48", (160, 48), ["tab", "left_square_bracket", "plus", "t", "f", "f"])


async def test_snapshot_all_venues_down() -> None:
    await _shot("ui_all_down_120x36", (120, 36), venues_down=True)


def _lose(runtime: FakeRuntime) -> None:
    runtime.lose_source()
    runtime.now_ms += 42_000


def _finish(runtime: FakeRuntime) -> None:
    runtime.finished = True


async def test_snapshot_source_lost_mid_session() -> None:
    await _shot("ui_source_lost_100x30", (100, 30), then=_lose)


async def test_snapshot_replay_finished() -> None:
    await _shot("ui_replay_finished_100x30", (100, 30), then=_finish)


async def test_snapshot_help() -> None:
    await _shot("ui_help_120x36", (120, 36), ["question_mark"])


async def test_snapshot_help_scrolls_at_80x24() -> None:
    await _shot("ui_help_80x24", (80, 24), ["question_mark"])


async def test_snapshot_too_small() -> None:
    await _shot("ui_too_small_70x20", (70, 20))
