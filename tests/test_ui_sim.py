"""The TUI against the real Runtime and a seeded in-process simulator (no network, loopback only)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tnet.ui.app import TnetApp
from tnet.ui.render.text import strip_text


def _runtime(tmp_path: Path):  # type: ignore[no-untyped-def]
    try:
        from tnet.config import Settings, parse_source
        from tnet.runtime import Runtime
        from tnet.symbols import resolve

        settings = Settings(source=parse_source("sim"), state_dir=tmp_path, sim_seed=11)
        return Runtime([resolve(s) for s in ("BTC", "ETH")], settings)
    except ImportError as exc:  # the runtime or simulator is not there yet in this checkout
        pytest.skip(f"runtime/simulator unavailable: {exc}")


def _text(app: TnetApp, name: str) -> str:
    return "\n".join(strip_text(s) for s in app.panels[name].lines)


async def test_tui_on_simulator_shows_heatmap_tape_zones_and_live_venues(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    app = TnetApp(runtime, refresh_hz=4.0)
    async with app.run_test(size=(160, 48)) as pilot:
        deadline = time.monotonic() + 45
        ok = False
        while time.monotonic() < deadline:
            await pilot.pause(0.5)
            chart, tape, zones, health = (_text(app, n) for n in ("chart", "tape", "zones", "health"))
            heat_rows = sum("▀" in line for line in chart.splitlines())
            tape_rows = sum(("LONG" in line or "SHORT" in line) for line in tape.splitlines())
            zone_rows = sum(("active" in line or "reinforced" in line) for line in zones.splitlines()[2:])
            if heat_rows >= 5 and tape_rows >= 1 and zone_rows >= 1 and health.count(" live") >= 3:
                ok = True
                break
        assert ok, f"after 45 s: heat rows {heat_rows}, tape rows {tape_rows}, zone rows {zone_rows}\n{health}"
        assert "▶" in chart  # the current price on the axis
        await pilot.press("q")
        await pilot.pause(0.5)
    assert runtime.sim is None  # stop() shut the simulator down
