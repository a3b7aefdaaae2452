"""A scaled-time simulator (`tnet sim --speed N`, watched as sim@HOST:PORT): the TUI draws it at the simulator's
clock, not the wall clock, and claims no latency from exchange times that run ahead of the receive clock."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone

from tests.conftest import SimSettings, StartSim, WaitUntil
from tnet.runtime import Runtime
from tnet.symbols import resolve
from tnet.ui.app import TnetApp
from tnet.ui.render.text import strip_text

SPEED = 300.0  # five simulated minutes per wall second


def _minute_of_day(ms: int) -> int:
    t = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return t.hour * 60 + t.minute


async def test_heatmap_window_follows_a_fast_simulators_clock(start_sim: StartSim, sim_settings: SimSettings,
                                                             wait_until: WaitUntil) -> None:
    sim = await start_sim(("BTC",), seed=1, speed=SPEED)
    runtime = Runtime([resolve("BTC")], sim_settings(sim, exchanges=["binance", "bybit"]))
    engine = runtime.engines["BTC"]
    app = TnetApp(runtime, refresh_hz=4.0)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("left_square_bracket")  # the 15 min window: the wall clock's would be left far behind
        # the simulated market runs 20 minutes ahead of the wall clock
        await wait_until(lambda: engine.clock_ms > time.time() * 1000 + 20 * 60_000, 30, "the simulator to run ahead")
        await pilot.pause(1.5)  # a heatmap pull (HEATMAP_PULL_S) and a redraw
        sim_now = engine.clock_ms
        lines = [strip_text(s) for s in app.panels["chart"].lines]
        axis = next(line for line in lines if "UTC" in line and "╵" in line)
        labels = [int(h) * 60 + int(m) for h, m in re.findall(r"╵(\d\d):(\d\d)", axis)]
        assert labels, axis
        # the newest label lies within the 15 min window that ends at the simulator's now
        behind = (_minute_of_day(sim_now) - labels[-1]) % 1440
        assert behind < 15, f"time axis ends {behind} min before the simulator's clock: {axis}"
        # the tape's ages are measured on the same clock: no print is in the future
        view = runtime.view("BTC", heatmap=False)
        assert view.ts_ms >= max((e["ts_ms"] for e in view.tape.events), default=0)
        # receive minus exchange time is no latency when the exchange's clock runs ahead: none is shown
        health = "\n".join(strip_text(s) for s in app.panels["health"].lines)
        assert " live" in health and "ms" not in health, health
        assert all(v["latency_ms_p50"] is None for v in runtime.health()["venues"].values())
        await pilot.press("q")
        await pilot.pause(0.3)
