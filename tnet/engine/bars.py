"""The bar path's helpers: merge klines with OI history and group bars by time (warm start, backtest --bars)."""

from __future__ import annotations

import bisect
import math

from tnet.events import Bar, OpenInterest


def merge_bars_and_oi(bars: list[Bar], oi: list[OpenInterest]) -> list[Bar]:
    """Copy of `bars` (time order) with oi_usd filled from the latest OI event at or before each bar's close."""
    by_venue: dict[str, list[OpenInterest]] = {}
    for ev in sorted(oi, key=lambda e: e.ts_ms):
        by_venue.setdefault(ev.venue, []).append(ev)
    times = {v: [e.ts_ms for e in evs] for v, evs in by_venue.items()}
    out = []
    for b in sorted(bars, key=lambda b: (b.ts_ms, b.venue)):
        oi_usd = b.oi_usd
        evs = by_venue.get(b.venue)
        if math.isnan(oi_usd) and evs:
            k = bisect.bisect_right(times[b.venue], b.ts_ms + b.interval_ms) - 1
            if k >= 0:
                ev = evs[k]
                oi_usd = ev.oi_base * b.close if ev.oi_base > 0 else ev.oi_usd
        out.append(Bar(b.venue, b.symbol, b.ts_ms, b.recv_ms, b.interval_ms, b.open, b.high, b.low, b.close,
                       b.volume, b.buy_volume, oi_usd))
    return out


def group_bars(bars: list[Bar]) -> list[list[Bar]]:
    """Consecutive bars with the same open time, in time order."""
    groups: list[list[Bar]] = []
    for b in sorted(bars, key=lambda b: (b.ts_ms, b.venue)):
        if not (b.high >= b.low > 0 and b.close > 0 and b.open > 0):
            continue  # a malformed bar is dropped, never fed to the engine
        if groups and groups[-1][0].ts_ms == b.ts_ms:
            groups[-1].append(b)
        else:
            groups.append([b])
    return groups


# The diffuse component: positions whose liquidation prices nobody can place (cross margin, unknown
# entries, other venues) still exist. Model them as a share of open interest spread smoothly over
# distance, so the USD a bar sweeps grows with its adverse move even where the point map is empty.
# Tuned on the 30-minute file to 0: the turnover mass the engine re-places at the current price every
# minute already plays this role (0.001 and above lowered Spearman on both sides there).
DIFFUSE_SHARE: float = 0.0  # of OI liquidatable by a move of DIFFUSE_SCALE_PCT
DIFFUSE_SCALE_PCT: float = 0.01


def diffuse_sweep(oi_usd: float, adverse_move_pct: float) -> float:
    """Diffuse-component USD swept by an adverse move (fraction of price) with OI `oi_usd`."""
    if not oi_usd > 0 or not adverse_move_pct > 0:
        return 0.0
    x = adverse_move_pct / DIFFUSE_SCALE_PCT
    return DIFFUSE_SHARE * oi_usd * x * (1.0 + 0.5 * x)
