"""End to end over real loopback sockets: connectors + supervisor + runtime against the simulator."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tnet.config import Settings, Source
from tnet.events import Event, event_to_dict
from tnet.runtime import Runtime
from tnet.storage.recording import RecordingWriter
from tnet.symbols import resolve_all
from tnet.venues import NAMES, quality

if TYPE_CHECKING:
    from conftest import SimSettings, StartSim, WaitUntil

SYMBOLS = ["BTC", "ETH", "SOL"]
VENUES = NAMES
FAST = 15.0  # scaled time: liquidations come in cascades, minutes apart in real time


@pytest.mark.slow
async def test_every_venue_delivers_what_it_publishes_for_three_symbols(start_sim: StartSim, sim_settings: SimSettings,
                                                                         wait_until: WaitUntil) -> None:
    # every position isolated, seed 2: a protocol test wants prints from every venue and symbol within
    # ~6 sim-minutes (measured), not realism
    sim = await start_sim(SYMBOLS, seed=2, speed=FAST, risk_mix={v: {"isolated": 1.0} for v in VENUES})
    rt = Runtime(resolve_all(SYMBOLS), sim_settings(sim, warm_start=False), engines=False)
    seen: set[tuple[str, str, str]] = set()
    rt.event_hooks.append(lambda evs: seen.update((e.type, e.venue, e.symbol) for e in evs))
    published = {v: ("liquidation", "open_interest", "mark_price", "trades") if quality(v).liquidations
                 else ("open_interest", "mark_price", "trades") for v in VENUES}  # Hyperliquid: no prints
    needed = {(t, v, s) for v in VENUES for t in published[v] for s in SYMBOLS}
    await rt.start()
    try:
        await wait_until(lambda: needed <= seen, 90, f"missing {sorted(needed - seen)[:5]}")
        health = rt.health()["venues"]
        assert all(health[v]["state"] == "live" for v in VENUES), health
        assert all(health[v]["parse_errors"] == 0 for v in VENUES)
        assert not any(t == "liquidation" and not quality(v).liquidations for t, v, _s in seen)
    finally:
        await rt.stop()


@pytest.mark.slow
@pytest.mark.timeout(300)  # building the simulated market alone took 30-45 s on a loaded 2-core machine
async def test_record_then_replay_gives_the_same_events(tmp_path: Path, start_sim: StartSim, sim_settings: SimSettings,
                                                        wait_until: WaitUntil) -> None:
    out = tmp_path / "rec.jsonl.gz"
    writer = RecordingWriter(out)
    # Real time (a replay checks timestamps against the recorded receive times); bursts and an all-isolated
    # market (a protocol test, not realism) bring prints within seconds even when the tuned market is calm.
    sim = await start_sim(["BTC", "ETH"], seed=2, faults="burst=20", risk_mix={v: {"isolated": 1.0} for v in VENUES})
    live_events: list[dict[str, Any]] = []
    live = Runtime(resolve_all(["BTC", "ETH"]), sim_settings(sim), recorder=writer, engines=False)
    live.event_hooks.append(lambda evs: live_events.extend(event_to_dict(e) for e in evs))
    await live.start()
    try:
        # Wait for live frames of every kind and a liquidation after the start: the REST backfills of OKX
        # and Gate (the whole day, thousands of prints here) must not end the recording.
        await wait_until(
            lambda: any(e["type"] == "liquidation" and e["ts_ms"] >= sim.start_ms for e in live_events)
            and {e["type"] for e in live_events} >= {"open_interest", "mark_price", "trades"}
            and len(live_events) > 300, 200, "live liquidations")
    finally:
        await live.stop()
        writer.close()

    replayed: list[dict[str, Any]] = []
    settings = Settings(source=Source("replay", path=out), speed=0.0, save_state=False)
    rp = Runtime(resolve_all(["BTC", "ETH"]), settings, engines=False)
    rp.event_hooks.append(lambda evs: replayed.extend(event_to_dict(e) for e in evs))
    await rp.start()
    await asyncio.wait_for(rp.run(), 30)
    await rp.stop()
    assert rp.source.report.ok
    assert replayed == live_events
    assert {e["type"] for e in replayed} >= {"liquidation", "open_interest", "mark_price", "trades"}


async def test_feeds_go_down_under_drop_faults_and_come_back_resubscribed(start_sim: StartSim, sim_settings: SimSettings,
                                                                           wait_until: WaitUntil) -> None:
    # A remote simulator that closes every connection every 3 s.
    sim = await start_sim(["BTC"], seed=3, faults="drop=3")
    rt = Runtime(resolve_all(["BTC"]), sim_settings(sim, warm_start=False), engines=False)
    for conn_health in rt.source.health_by_venue.values():
        conn_health.stale_after_s = 5.0
    marks_after: dict[str, int] = {v: 0 for v in VENUES}

    def count(evs: list[Event]) -> None:
        for e in evs:
            if e.type == "mark_price" and rt.source.health_by_venue[e.venue].reconnects >= 2:
                marks_after[e.venue] += 1

    rt.event_hooks.append(count)
    await rt.start()
    try:
        # Each venue is dropped at least twice, reconnects by itself and delivers data again
        # (mark prices only flow after a fresh subscription, so this proves resubscription).
        await wait_until(lambda: all(n > 0 for n in marks_after.values()), 40, f"data after reconnect {marks_after}")
        await wait_until(lambda: all(h["state"] == "live" for h in rt.health()["venues"].values()), 10, "live again")
        for v, h in rt.health()["venues"].items():
            assert h["reconnects"] >= 2, (v, h)
    finally:
        await rt.stop()


@pytest.mark.parametrize("venue", VENUES)
async def test_malformed_frames_are_counted_not_fatal(venue: str, start_sim: StartSim, sim_settings: SimSettings,
                                                 wait_until: WaitUntil) -> None:
    sim = await start_sim(["BTC"], seed=5, faults="malformed=0.2")
    rt = Runtime(resolve_all(["BTC"]), sim_settings(sim, exchanges=(venue,), warm_start=False), engines=False)
    marks = []
    rt.event_hooks.append(lambda evs: marks.extend(e for e in evs if e.type == "mark_price"))
    await rt.start()
    try:
        await wait_until(lambda: rt.health()["venues"][venue]["parse_errors"] >= 3 and len(marks) >= 5, 30, "errors")
        h = rt.health()["venues"][venue]
        assert h["reconnects"] == 0  # junk never kills the connection
        assert h["state"] == "live"
    finally:
        await rt.stop()


async def test_warm_start_fills_the_map_and_live_ticks_run_at_once(state_dir: Path, wait_until: WaitUntil) -> None:
    settings = Settings(source=Source("sim"), save_state=False, state_dir=state_dir)
    rt = Runtime(resolve_all(["SOL"]), settings)
    starting = asyncio.create_task(rt.start())
    # while the in-process simulator builds its day, health says so (the TUI shows it, not six CONNECTINGs)
    await wait_until(lambda: "simulated market" in rt.health().get("starting", ""), 10, "the starting note")
    await starting
    assert "starting" not in rt.health()
    try:
        first = rt.view("SOL", heatmap=True)
        # Full on the first frame: 24 h of history bars have built a profile and heatmap columns.
        assert first.warm and first.price > 0
        assert sum(lv.long_usd + lv.short_usd for lv in first.levels) > 0
        assert first.heatmap is not None and first.heatmap.long_usd.shape[0] >= 60
        # OKX's REST backfill reaches the calibrator within seconds, which needs the engine's
        # periodic ticks to run now (the engine clock must not sit at the end of an unfinished bar).
        await wait_until(lambda: rt.view("SOL", heatmap=False).calibration["okx"].events > 0, 10, "OKX backfill attributed")
    finally:
        await rt.stop()
