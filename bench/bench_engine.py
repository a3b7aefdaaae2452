"""Engine throughput (events/s vs a bare Python loop and vs orjson.loads of equivalent frames) and view() latency."""

from __future__ import annotations

import argparse
import collections
import time

import orjson

from tnet.engine.engine import SymbolEngine
from tnet.events import MarkPrice, Trades, event_to_dict
from tnet.sim.market import Market


def realistic_events(hours: float, seed: int = 0) -> tuple[list, list]:
    """Events the three simulated venues publish for BTC (real-time mark/OI rates), plus warm-start bars."""
    market = Market(["BTC"], seed=seed, mark_ms={"binance": 1000, "bybit": 100, "okx": 200})
    bars = [b for v in market.venues for b in market.history_bars("BTC", v, market.start_ms)]
    events: list = []
    t = market.start_ms
    end = t + int(hours * 3_600_000)
    while t < end:
        t += 1000
        events.extend(market.step(t))
    return bars, events


def best_of(fn, rounds: int) -> float:
    """Fastest wall time of `rounds` runs (the least disturbed by other processes)."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--hours", type=float, default=1.0, help="simulated hours of events")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    bars, events = realistic_events(args.hours)
    mix = collections.Counter(ev.type for ev in events)
    frames = [orjson.dumps(event_to_dict(ev)) for ev in events]
    n = len(events)

    def bare_loop() -> None:
        sink = None
        for ev in events:
            sink = ev.ts_ms
        del sink

    def bare_call() -> None:
        def f(ev: object) -> None:
            return None

        for ev in events:
            f(ev)

    def parse_only() -> None:
        loads = orjson.loads
        for fr in frames:
            loads(fr)

    engines: list[SymbolEngine] = []

    def engine_run() -> None:
        eng = SymbolEngine("BTC")
        eng.warm_start(bars, [])
        engines.append(eng)
        t0 = time.perf_counter()
        on_event = eng.on_event
        for ev in events:
            on_event(ev)
        engine_run.elapsed = min(getattr(engine_run, "elapsed", float("inf")), time.perf_counter() - t0)  # type: ignore[attr-defined]

    t_loop = best_of(bare_loop, args.rounds)
    t_call = best_of(bare_call, args.rounds)
    t_parse = best_of(parse_only, args.rounds)
    best_of(engine_run, args.rounds)
    t_engine = engine_run.elapsed  # type: ignore[attr-defined]
    eng = engines[-1]
    now = events[-1].ts_ms
    t_view = best_of(lambda: eng.view(now, heatmap=False), 20)
    t_view_hm = best_of(lambda: eng.view(now, heatmap=True), 5)
    # the hot path alone: mark prices and trades inside one second (no tick due), the per-message cost
    hot_eng = engines[-1]
    ts = hot_eng._next_tick_ms - 1 if hot_eng._next_tick_ms else now
    p = hot_eng.price
    hot = [MarkPrice("bybit", "BTC", ts, ts, p * (1 + 1e-6 * (k % 7))) if k % 2 else
           Trades("binance", "BTC", ts, ts, p, 0.01 * (k % 3), 0.02) for k in range(200_000)]
    hot_frames = [orjson.dumps(event_to_dict(ev)) for ev in hot]

    def hot_run() -> None:
        on_event = hot_eng.on_event
        for ev in hot:
            on_event(ev)

    def hot_parse() -> None:
        loads = orjson.loads
        for fr in hot_frames:
            loads(fr)

    t_hot = best_of(hot_run, args.rounds)
    t_hot_parse = best_of(hot_parse, args.rounds)
    tick_s = t_engine - n * t_hot / len(hot)
    print(f"events: {n} over {args.hours:g} simulated hours ({dict(mix)})")
    print(f"bare python loop      : {n / t_loop:12,.0f} ev/s")
    print(f"bare function call    : {n / t_call:12,.0f} ev/s")
    print(f"orjson.loads (frames) : {n / t_parse:12,.0f} frames/s")
    print(f"engine.on_event       : {n / t_engine:12,.0f} ev/s  ({t_engine / n * 1e9:,.0f} ns/event incl. ticks)")
    print(f"engine / bare call    : {t_call / t_engine:.2f}")
    print(f"engine / orjson.loads : {t_parse / t_engine:.2f}   (parse+engine vs loads alone: "
          f"{(1 / (t_parse + t_engine)) / (1 / t_parse):.2f}, if parsing costs one loads per frame)")
    print(f"hot path (mark/trades): {t_hot / len(hot) * 1e9:,.0f} ns/event = {t_hot_parse / t_hot:.2f} x orjson.loads "
          f"of the same frames -> parse+engine at {t_hot_parse / (t_hot_parse + t_hot):.2f} of bare loads")
    print(f"periodic ticks        : {tick_s / (args.hours * 3600) * 1e6:,.0f} us per simulated second "
          f"(sweeps each second, inference/zones/history each minute)")
    print(f"view() latency        : {t_view * 1e3:.2f} ms, with heatmap {t_view_hm * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
