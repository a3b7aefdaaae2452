"""The TUI against the real Runtime and a seeded in-process simulator (no network, loopback only)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tnet.ui.app import TnetApp
from tnet.ui.render.text import strip_text
from tnet.venues import NAMES

SYMBOLS = ("BTC", "ETH", "SOL")


def _runtime(tmp_path: Path) -> Any:
    try:
        from tnet.config import Settings, parse_source
        from tnet.runtime import Runtime
        from tnet.symbols import resolve

        # burst=20: liquidations arrive in larger cascades; seed 19 prints within a second of the start
        # (the realistic market is calm for minutes on some seeds, as the real one is)
        settings = Settings(source=parse_source("sim"), state_dir=tmp_path, sim_seed=19, sim_faults="burst=20")
        return Runtime([resolve(s) for s in SYMBOLS], settings)
    except ImportError as exc:  # the runtime or simulator is not there yet in this checkout
        pytest.skip(f"runtime/simulator unavailable: {exc}")


def _text(app: TnetApp, name: str) -> str:
    return "\n".join(strip_text(s) for s in app.panels[name].lines)


@pytest.mark.slow
@pytest.mark.timeout(360)
async def test_tui_on_simulator_shows_heatmap_tape_zones_and_live_venues(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    app = TnetApp(runtime, refresh_hz=4.0)
    async with app.run_test(size=(160, 48)) as pilot:
        # Building the simulated market (a day of history for every venue) takes seconds, and a minute
        # on a loaded machine: the minute for the first print counts from when the simulator serves.
        started = time.monotonic()
        while runtime.events_total == 0 and time.monotonic() - started < 150:
            await pilot.pause(0.5)
        deadline = time.monotonic() + 60
        with_prints = None
        while time.monotonic() < deadline and with_prints is None:
            await pilot.pause(0.5)
            # cascades hit one symbol at a time: find one whose tape has prints, then show it
            with_prints = next((i for i, s in enumerate(SYMBOLS) if runtime.view(s, heatmap=False).tape.events), None)
        assert with_prints is not None, "the simulator produced no liquidation print in 60 s"
        await pilot.press(str(with_prints + 1))
        zone_rows = 0
        while time.monotonic() < deadline + 90:  # zones form at minute ticks, late on a loaded machine
            await pilot.pause(0.5)
            chart, tape, zones, health = (_text(app, n) for n in ("chart", "tape", "zones", "health"))
            zone_rows = sum(("active" in line or "reinforced" in line) for line in zones.splitlines()[2:])
            # the tape can fill from OKX's REST backfill before every venue's first mark price
            if zone_rows and health.count(" live") == len(NAMES):
                break
        assert sum("▀" in line for line in chart.splitlines()) >= 5, chart
        assert "▶" in chart  # the current price on the axis
        assert any(("LONG" in line or "SHORT" in line) for line in tape.splitlines()), tape
        assert health.count(" live") == len(NAMES), health
        assert zone_rows >= 1, zones
        await pilot.press("q")
        await pilot.pause(0.5)
    assert runtime.source.sim is None  # stop() shut the simulator down
