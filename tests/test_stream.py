"""`tnet stream`: NDJSON of events, zone changes and level summaries; a closed pipe ends it cleanly."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from alert_recording import BYBIT_OI_USD, LIQ_PRICE, OI_BASE, PRICE, T0, alert_frames, burst_print_times, ms

from tnet.cli.stream import zone_changes
from tnet.engine.views import SymbolView, TapeView, Zone

NO_TEXTUAL = ("import sys, atexit\n"
              "atexit.register(lambda: sys.stderr.write('TEXTUAL=%s\\n' % ('textual' in sys.modules)))\n"
              "from tnet.cli import main\nsys.argv = ['tnet'] + sys.argv[1:]\nmain()\n")


@pytest.fixture
def rec(recording: Any) -> Path:
    return recording(alert_frames())


def test_head_closing_the_pipe_ends_the_stream_cleanly() -> None:
    cmd = f"set -o pipefail; '{sys.executable}' -m tnet stream BTC --source sim | head -5"
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no traceback, no "Exception ignored" from the last flush
    lines = proc.stdout.splitlines()
    assert len(lines) == 5 and all(json.loads(line)["symbol"] == "BTC" for line in lines)


def test_stream_of_a_recording_has_every_print_and_level_summaries_and_no_textual(rec: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", NO_TEXTUAL, "stream", "BTC", "--source", f"replay:{rec}", "--speed", "max",
         "--exchanges", "binance,bybit", "--types", "all", "--levels-every", "10"],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "TEXTUAL=False" in proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    liqs = [x for x in lines if x["type"] == "liquidation"]
    assert [x["recv_ms"] for x in liqs] == [T0 + int(round(t * 1000)) for t in burst_print_times()]
    assert {(x["venue"], x["side"], x["price"]) for x in liqs} == {("binance", "long", LIQ_PRICE)}
    levels = [x for x in lines if x["type"] == "levels"]
    gaps = [b["ts_ms"] - a["ts_ms"] for a, b in zip(levels, levels[1:])]
    assert len(levels) >= 25 and all(g >= 10_000 for g in gaps[:-1])  # the last one is the end-of-replay summary
    assert {x["price"] for x in levels} == {PRICE}
    assert levels[-1]["oi_usd"] == pytest.approx(BYBIT_OI_USD + 1100 * PRICE)
    assert {x["type"] for x in lines} >= {"liquidation", "mark_price", "open_interest", "levels"}


def _levels(rec: Path) -> list[dict[str, Any]]:
    proc = subprocess.run([sys.executable, "-m", "tnet", "stream", "BTC", "--source", f"replay:{rec}", "--speed", "max",
                           "--exchanges", "binance,bybit", "--types", "levels"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_first_level_summary_waits_for_every_venues_open_interest(rec: Path) -> None:
    # Marks from 0.5 s, Bybit's open interest at 0.7 s, Binance's first poll at 2.8 s: a summary at the
    # first mark would say $50M for a market holding $100M.
    levels = _levels(rec)
    assert levels[0]["ts_ms"] >= ms(2.8)
    assert levels[0]["oi_usd"] == pytest.approx(BYBIT_OI_USD + OI_BASE[0] * PRICE)
    assert all(x["oi_missing"] == [] for x in levels)


def test_a_venue_that_never_reports_open_interest_is_named_after_the_wait(recording: Any) -> None:
    # Binance is live (marks every second) but its open interest polls never come back.
    rec = recording([f for f in alert_frames() if "openInterest?" not in f[2]])
    levels = _levels(rec)
    assert ms(15) <= levels[0]["ts_ms"] < ms(17)  # held for the bounded wait, not for ever
    assert all(x["oi_missing"] == ["binance"] and x["oi_usd"] == pytest.approx(BYBIT_OI_USD) for x in levels)


def test_types_filter_and_bad_types(rec: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "tnet", "stream", "BTC", "--source", f"replay:{rec}",
                           "--speed", "max", "--exchanges", "binance,bybit", "--types", "liquidation"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert {json.loads(line)["type"] for line in proc.stdout.splitlines()} == {"liquidation"}
    proc = subprocess.run([sys.executable, "-m", "tnet", "stream", "BTC", "--types", "liquidation,gossip"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "unknown type 'gossip'" in proc.stderr


def _view(price: float, zones: list[Zone]) -> SymbolView:
    tape = TapeView(events=[], clusters=[], long_usd=0.0, short_usd=0.0, window_s=3600)
    return SymbolView("BTC", T0, price, 10.0, [], zones, tape, {}, {"total_usd": 0.0})


def _zone(zid: int, low: float, high: float, state: str = "active", side: str = "long") -> Zone:
    return Zone(zid, side, low, high, 1e6, state, T0, 0, 0.0)


def test_zone_changes() -> None:
    a, b = _zone(1, 49_000, 49_100), _zone(2, 51_000, 51_200, side="short")
    first = zone_changes("BTC", None, _view(50_000, [a, b]), 0.0)
    assert [(x["change"], x["zone"]["id"]) for x in first] == [("existing", 1), ("existing", 2)]
    before = {1: a, 2: b}
    c = _zone(3, 48_000, 48_100)
    lines = zone_changes("BTC", before, _view(49_050, [_zone(1, 49_000, 49_100, "reinforced"), c]), 50_000)
    # Zone 1 reinforced; 3 is new; 2 (short, above) vanished with price nowhere near it: ended, not swept.
    assert [(x["change"], x["zone"]["id"]) for x in lines] == [("reinforced", 1), ("created", 3), ("ended", 2)]
    lines = zone_changes("BTC", {1: a}, _view(48_950, []), 49_500)  # price went through 49,000-49,100
    assert [(x["change"], x["zone"]["id"]) for x in lines] == [("swept", 1)]


class _Lines:
    """Collects what the stream writes (the NdjsonOut interface)."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def write(self, objects: Any) -> None:
        self.lines.extend(objects)


async def test_feed_status_lines_say_when_each_venue_comes_up_and_goes_down(
        start_sim: Any, sim_settings: Any, wait_until: Any) -> None:
    import asyncio

    from tnet.cli.stream import StreamWriter
    from tnet.runtime import Runtime
    from tnet.symbols import resolve_all

    venues = ("binance", "okx")
    sim = await start_sim()
    runtime = Runtime(resolve_all(["BTC"]), sim_settings(sim, warm_start=False, exchanges=venues))
    out = _Lines()
    writer = StreamWriter(runtime, out, {"feed_status", "levels"}, 10.0)

    def states(venue: str) -> list[str]:
        return [x["state"] for x in out.lines if x["type"] == "feed_status" and x["venue"] == venue]

    await runtime.start()
    tasks = [asyncio.create_task(writer.run()), asyncio.create_task(runtime.run())]
    try:
        await wait_until(lambda: all("live" in states(v) for v in venues), 30, "a live line per venue")
        await sim.stop()  # the source goes away mid-stream
        await wait_until(lambda: all(states(v)[-1] == "down" for v in venues), 30, "a down line per venue")
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await runtime.stop()
    for venue in venues:
        seen = states(venue)
        assert all(a != b for a, b in zip(seen, seen[1:]))  # one line per change, never a repeat
    down = [x for x in out.lines if x["type"] == "feed_status" and x["state"] == "down"]
    assert all(x["symbol"] == "" and x["reason"] and x["ts_ms"] == x["recv_ms"] for x in down)
    assert set(down[0]) == {"type", "venue", "symbol", "ts_ms", "recv_ms", "state", "reason"}


def test_level_summary_gives_usd_to_the_cent_and_unknown_open_interest_as_null() -> None:
    from tnet.cli.stream import levels_line
    from tnet.engine.views import Level

    rows = [Level(49_990.0, 1_000.004, 0.0, 1e-59, 0.0), Level(50_010.0, 0.0, 2_000.333333, 0.0, 0.5)]
    view = SymbolView("BTC", T0, 50_000.0, 20.0, rows, [], _view(0, []).tape, {}, {"total_usd": 11_968_478_335.3456})
    line = levels_line(view)
    assert (line["oi_usd"], line["long_usd"], line["short_usd"]) == (11_968_478_335.35, 1_000.0, 2_000.33)
    assert line["levels"][0]["long_hazard_usd"] == 0.0
    assert levels_line(replace(view, oi={}))["oi_usd"] is None  # no venue heard from: unknown, not 0
