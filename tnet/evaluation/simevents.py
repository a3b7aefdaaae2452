"""A simulated stand-in for the real-events test: hourly market bars with realised totals, and one venue's published prints.

It has the shape of `backtest --events` on real data (Coinglass-like hourly bars aggregated over the
venues, OKX's partial prints at their bankruptcy price), so the bar path that learns from prints
can be developed and checked on the simulator instead of on the held-out real events.
"""

from __future__ import annotations

from tnet.evaluation.barfile import RealBar
from tnet.evaluation.eventfile import RealEvent
from tnet.events import Bar

HOUR_MS = 3_600_000


def sim_event_dataset(seed: int = 0, hours: float = 12.0, symbol: str = "BTC", venue: str = "okx",
                      activity: float = 10.0, leverage_mix: dict | None = None,
                      step_ms: int = 1_000) -> tuple[list[RealEvent], list[RealBar], dict]:
    """(published prints of `venue`, hourly bars over every venue with realised liquidation USD per side,
    the hidden truth at the end: `venue`'s at-risk leverage mix and at-risk share of open interest)."""
    from tnet.sim.market import Market

    market = Market([symbol], seed=seed, activity=activity, leverage_mix=leverage_mix)
    start = market.start_ms // HOUR_MS * HOUR_MS + HOUR_MS  # first whole hour after the start
    end = start + int(hours * HOUR_MS)
    events: list[RealEvent] = []
    t = market.start_ms
    while t < end:
        t += step_ms
        for ev in market.step(t):
            if ev.type == "liquidation" and ev.venue == venue and start <= ev.ts_ms < end:
                events.append(RealEvent(ev.ts_ms, ev.side, ev.price, ev.fire, ev.usd, ev.venue))
    per_venue = {v: {b.ts_ms: b for b in market.history_bars(symbol, v, end, n=100_000, interval_ms=HOUR_MS)}
                 for v in market.venues}
    realised: dict[int, list[float]] = {}
    for rec in market.liquidations_all(symbol):
        row = realised.setdefault(rec.ts_ms // HOUR_MS * HOUR_MS, [0.0, 0.0])
        row[0 if rec.side == "long" else 1] += rec.qty * rec.mark
    bars: list[RealBar] = []
    ref = per_venue[market.venues[0]]
    for ts in sorted(ref):
        group = [per_venue[v][ts] for v in market.venues if ts in per_venue[v]]
        b = ref[ts]
        oi = sum(x.oi_usd for x in group)
        agg = Bar(venue, symbol, ts, ts, HOUR_MS, b.open, b.high, b.low, b.close, b.volume, b.buy_volume, oi)
        long_usd, short_usd = realised.get(ts, [0.0, 0.0])
        bars.append(RealBar(agg, long_usd, short_usd))
    events.sort(key=lambda e: e.ts_ms)
    truth = {"at_risk_mix": market.truth_at_risk_mix(symbol)[venue], "at_risk_share": market.truth_at_risk_share(symbol)[venue]}
    return events, bars, truth
