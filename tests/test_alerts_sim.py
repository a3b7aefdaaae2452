"""Alert rules against the simulator over loopback, with faults: a liquidation burst and dropped connections."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tnet.alerts.monitor import AlertMonitor
from tnet.alerts.rules import parse_rules
from tnet.events import Liquidation
from tnet.runtime import Runtime
from tnet.symbols import resolve_all

RULES = [
    "burst:name=burst,min_usd=50k,window=60s,cooldown=10s",
    "burst:name=never,min_usd=1B,window=30s",
    # Drops every 8 s never let the reconnect backoff (capped at 30 s) keep a venue down for 45 s.
    "venue:name=down45,for=45s",
    "venue:name=down3,for=3s,states=down,cooldown=0s",
]


@pytest.mark.slow
async def test_rules_under_burst_and_drop_faults_then_every_venue_down(start_sim: Any, sim_settings: Any,
                                                                       wait_until: Any) -> None:
    sim = await start_sim(speed=20.0, activity=8.0, faults="burst=30,drop=8")
    runtime = Runtime(resolve_all(["BTC"]), sim_settings(sim))
    prints: list[Liquidation] = []
    runtime.event_hooks.append(lambda evs: prints.extend(e for e in evs if e.type == "liquidation"))
    monitor = AlertMonitor(runtime, parse_rules([], RULES))
    alerts: list[Any] = []
    monitor.listeners.append(alerts.append)
    def side_usd(side: str, end_ms: int) -> float:
        # a print counts at its exchange time, capped at its receipt (a backfilled print is old news)
        return sum(p.usd for p in prints if p.side == side and end_ms - 60_000 < min(p.ts_ms, p.recv_ms) <= end_ms)

    down_since: dict[str, int | None] = {}  # venue -> start of its current down/stale run, sampled here

    async def sample_health() -> None:
        while True:
            now = runtime.now_ms()
            for venue, report in runtime.health()["venues"].items():
                if report["state"] == "live":
                    down_since[venue] = None
                elif report["state"] in ("down", "stale") and down_since.get(venue) is None:
                    down_since[venue] = now
            await asyncio.sleep(0.2)

    def all_down_for(ms: int) -> bool:
        now = runtime.now_ms()
        return len(down_since) == len(runtime.health()["venues"]) and all(t is not None and now - t >= ms for t in down_since.values())

    try:
        await runtime.start()
        tasks = [asyncio.create_task(monitor.run()), asyncio.create_task(sample_health())]
        # Independently of the rule: wait until the prints seen here add up to $50k on a side within 60 s ...
        await wait_until(lambda: max(side_usd(s, runtime.now_ms()) for s in ("long", "short")) >= 50_000, 120,
                         "$50k of liquidations on one side within 60 s")
        # ... then the rule must have fired, or fire at its next evaluation (once a second).
        await wait_until(lambda: any(a.rule == "burst" for a in alerts), 3, "the burst alert")
        await asyncio.sleep(12)  # the burst goes on past one 10 s cooldown
        await sim.stop()
        await wait_until(lambda: all_down_for(6000), 40, "every venue down for 6 s")
        for task in tasks:
            task.cancel()
    finally:
        await runtime.stop()
    bursts = [a for a in alerts if a.rule == "burst"]
    for a in bursts:  # recount the prints behind each alert
        assert side_usd(a.data["side"], a.ts_ms) >= 50_000
    by_key: dict[str, list[int]] = {}
    for a in bursts:
        by_key.setdefault(a.key, []).append(a.ts_ms)
    for times in by_key.values():
        assert all(b - a >= 10_000 for a, b in zip(times, times[1:]))  # at most once per cooldown
    assert not [a for a in alerts if a.rule in ("never", "down45")]
    for venue, since in down_since.items():
        # The last outage (the simulator gone): reported once, after 3 s of it, never repeated.
        assert since is not None
        mine = [a for a in alerts if a.rule == "down3" and a.data["venue"] == venue and a.data["since_ms"] >= since - 1500]
        assert len(mine) == 1, (venue, since, mine)
        assert mine[0].ts_ms - mine[0].data["since_ms"] >= 3000 and mine[0].data["reason"]
    assert runtime.health()["venues"]["binance"]["reconnects"] >= 1  # the drop fault really dropped connections


def test_zone_rules_wait_for_a_live_price_not_the_warm_starts_history() -> None:
    from tnet.config import Settings, Source
    from tnet.events import MarkPrice, OpenInterest
    from tnet.sim.market import Market

    market = Market(["BTC"], seed=3)
    now = [market.start_ms]
    # never started: no socket is opened; the history is handed over as the warm start would
    runtime = Runtime(resolve_all(["BTC"]), Settings(source=Source("sim", host="127.0.0.1", port=9), save_state=False),
                      clock=lambda: now[0] / 1000)
    history = [b for v in runtime.settings.exchanges for b in market.history_bars("BTC", v, now[0])]
    history += [OpenInterest(v, "BTC", now[0], now[0], *market.current_oi("BTC", v)) for v in runtime.settings.exchanges]
    runtime.apply_history(history)
    view = runtime.view("BTC", heatmap=False)
    assert view.zones, "the warm start built zones: a rule on them could fire"
    monitor = AlertMonitor(runtime, parse_rules([], ["zone:within_pct=10,min_usd=1"]))
    alerts: list[Any] = []
    monitor.listeners.append(alerts.append)
    assert monitor.evaluate() == [] and alerts == []  # history only: its price is minutes old
    now[0] += 2_000
    price = market.current_price("BTC")
    runtime.dispatch([MarkPrice("binance", "BTC", now[0], now[0], price)])  # the first live price
    assert alerts and all(a.kind == "zone" for a in alerts)
