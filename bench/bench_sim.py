"""Benchmark of tnet.sim.Market: construction time and simulated seconds per wall second.

Usage: python bench/bench_sim.py [--hours 36] [--symbols BTC]
The baseline, measured in the same run, is a loop that only produces the same 1 s steps of the
price path (exp of the pre-generated log path, min/max) with no positions: the ratio says how much the
book, the liquidation checks and the venue publishing cost on top of the bare price process.
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter

import numpy as np

from tnet.sim.market import Market


def baseline(seconds: int) -> float:
    """Wall seconds for the bare price process at 1 s steps (10 ticks each)."""
    rng = np.random.default_rng(0)
    path = np.cumsum(rng.standard_normal(seconds * 10 + 10) * 1e-5) + math.log(85_000.0)
    t0 = time.perf_counter()
    acc = 0.0
    for i in range(seconds):
        seg = np.exp(path[i * 10:(i + 1) * 10])
        acc += float(seg.min()) + float(seg.max())
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=36.0)
    ap.add_argument("--symbols", default="BTC")
    args = ap.parse_args()
    symbols = [s.strip() for s in args.symbols.split(",") if s.strip()]

    t0 = time.perf_counter()
    Market(["BTC", "ETH", "SOL"], seed=0)
    print(f"construction incl. 24 h pre-history, 3 symbols: {time.perf_counter() - t0:.2f} s (target < 2 s)")

    m = Market(symbols, seed=1)
    seconds = int(args.hours * 3600)
    kinds: Counter[str] = Counter()
    t0 = time.perf_counter()
    for i in range(1, seconds + 1):
        for ev in m.step(m.start_ms + i * 1000):
            kinds[f"{ev.type}/{ev.venue}"] += 1
    wall = time.perf_counter() - t0
    base = baseline(seconds)
    rate = seconds / wall
    print(f"stepped {args.hours:g} simulated h of {','.join(symbols)} at 1 s steps, 3 venues: {wall:.1f} s wall "
          f"(target well under 60 s for 36 h, 1 symbol)")
    print(f"  {rate:,.0f} simulated s per wall s; {sum(kinds.values()) / wall:,.0f} events/s")
    print(f"  bare price-process baseline: {seconds / base:,.0f} simulated s per wall s; sim costs {wall / base:.1f}x it")
    liqs = m.liquidations_all(start_ms=m.start_ms)
    hours = args.hours
    for venue in ("binance", "bybit", "okx"):
        happened = sum(1 for r in liqs if r.venue == venue)
        published = kinds[f"liquidation/{venue}"]
        print(f"  {venue:8s} liquidations/h: {happened / hours:6.1f} happened, {published / hours:6.1f} published")
    tiers = Counter(r.leverage for r in liqs)
    print("  liquidations by leverage tier:", dict(sorted(tiers.items())))
    closes = [b.close for b in m.history_bars(symbols[0], "binance", m.now_ms, n=100_000)]
    print(f"  {symbols[0]} price range over the run: {min(closes):,.2f} .. {max(closes):,.2f}")


if __name__ == "__main__":
    main()
