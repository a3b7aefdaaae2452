"""Availability under a flapping link: the share of a run each venue is live when every connection drops every 4 s.

Usage: python bench/bench_availability.py [--seconds 120] [--drop 4]
Two simulators on loopback, one closing every connection every `--drop` seconds and one steady (the
baseline, measured at the same time), each watched by a headless runtime for `--seconds`. Prints
`live_share` and `worst_gap_s` per venue from `tnet health`'s own bookkeeping and the ratio of the
flapping share to the steady one. Target: at least 85 % live per venue under drop=4 over 120 s.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from tnet.config import Settings, Source
from tnet.runtime import Runtime
from tnet.sim.server import SimServer, parse_faults
from tnet.symbols import resolve_all

TARGET = 0.85


async def watch(faults: str | None, seconds: float) -> dict[str, Any]:
    """Venue health after `seconds` against a simulator with `faults`."""
    sim = SimServer(port=0, symbols=["BTC"], seed=4, faults=parse_faults(faults) if faults else None)
    await sim.start()
    try:
        settings = Settings(source=Source("sim", host="127.0.0.1", port=sim.port), save_state=False, warm_start=False)
        rt = Runtime(resolve_all(["BTC"]), settings, engines=False)
        await rt.start()
        try:
            await rt.run(seconds)
            return rt.health()["venues"]
        finally:
            await rt.stop()
    finally:
        await sim.stop()


async def main(seconds: float, drop: float) -> int:
    flapping, steady = await asyncio.gather(watch(f"drop={drop:g}", seconds), watch(None, seconds))
    print(f"availability over {seconds:g} s, every connection dropped every {drop:g} s (baseline: no drops)")
    print(f"{'venue':8} {'live_share':>10} {'worst_gap_s':>11} {'reconnects':>10} {'baseline':>8} {'ratio':>6}")
    ok = True
    for venue, h in flapping.items():
        base = steady[venue]["live_share"] or 0.0
        share = h["live_share"] or 0.0
        ok &= share >= TARGET
        ratio = share / base if base else float("nan")
        print(f"{venue:8} {share:10.3f} {h['worst_gap_s']:11.2f} {h['reconnects']:10d} {base:8.3f} {ratio:6.3f}")
    print(f"target >= {TARGET:.0%} live per venue: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--drop", type=float, default=4.0)
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.seconds, args.drop)))
