"""`backtest --events`: the map at each origin, built only from what was known then, scored on the next hour's real liquidations.

Per origin (every bar boundary inside the events' span) the engine has seen the bars that closed by
then, with their realised liquidation totals (variant `bars`), and in variant `prints` also the
earlier liquidation prints as evidence, never anything at or after the origin. Rankings measured in
the same run (see `tnet.evaluation.scoring` for the figures): `model` (the engine's inventory map of
the event's side), `hazard` (the same times the chance price reaches each bucket within the
horizon), `frozen` / `frozen_hazard` (the same engine with the calibrator never updated), and the
baselines `uniform`, `distance` (closer to price ranks higher), `distance_side` (closer ranks higher
on the side where that side's positions liquidate: below price for longs, above for shorts),
`recent_prints` (the last 3 h of prints, smoothed) and `entry_profile` (open-interest increases
spread over each bar's range, no ladder).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from tnet.engine.engine import SymbolEngine
from tnet.engine.ladder import TIERS
from tnet.evaluation.barfile import RealBar
from tnet.evaluation.eventfile import RealEvent
from tnet.evaluation.metrics import SCHEMA
from tnet.evaluation.scoring import (
    SIDES,
    EntryProfile,
    Fired,
    OriginScore,
    RecentPrints,
    engine_maps,
    score_origin,
    summarise,
)
from tnet.events import Liquidation

WARMUP_BARS = 24  # origins start once a day of bars has built the map
# Events further than this (median) from their hour's bar close belong to another market than the bars
# (ETH prints against BTC bars); a venue's basis or a bankruptcy price is well under 1 %.
MAX_MARKET_GAP = 0.10


def run_events(events: Sequence[RealEvent], bars: Sequence[RealBar], symbol: str = "BTC",
               since_ms: int | None = None, until_ms: int | None = None, n_boot: int = 1000) -> dict[str, Any]:
    """Score the map on real events; see the module docstring. `bars` must cover the events' span."""
    if len(bars) <= WARMUP_BARS:
        raise ValueError(f"need more than {WARMUP_BARS} bars before the events")
    interval = bars[0].bar.interval_ms
    first = since_ms if since_ms is not None else events[0].ts_ms
    last = until_ms if until_ms is not None else events[-1].ts_ms + 1
    scored = [e for e in events if first <= e.ts_ms < last]
    venue = events[0].venue  # the engine reads the venue's margin facts; the bars stand for the market
    engines = {name: SymbolEngine(symbol, (venue,)) for name in ("bars", "prints", "frozen")}
    engines["frozen"].calibrator.frozen = True
    origins: dict[str, list[OriginScore]] = {"bars": [], "prints": []}
    recent, entries = RecentPrints(), EntryProfile()
    prev_oi: float | None = None
    ev_i = 0  # next event not yet shown to the `prints` variant
    for k, rb in enumerate(bars):
        b = rb.bar
        t = b.ts_ms  # an origin: everything that closed by t is known, nothing after
        if k >= WARMUP_BARS and first - interval < t < last:
            fired = [Fired(e.side, e.fire, e.usd) for e in scored if t <= e.ts_ms < t + interval]
            if fired:
                for name in ("bars", "prints"):
                    eng = engines[name]
                    assert eng.grid is not None
                    maps = engine_maps(eng, interval, {"frozen": engines["frozen"], "frozen_hazard": engines["frozen"]})
                    prices = eng.grid.prices()
                    maps["recent_prints"] = recent.profile(t, prices, eng.price)
                    maps["entry_profile"] = entries.profile(t, prices)
                    origins[name].append(score_origin(t, eng.price, eng.grid.bucket_usd, eng.grid.origin, maps, fired,
                                                      b.low, b.high))
        prints: list[Liquidation] = []
        while ev_i < len(events) and events[ev_i].ts_ms < t + interval:
            e = events[ev_i]
            ev_i += 1
            if e.ts_ms >= t:
                prints.append(Liquidation(venue, symbol, e.ts_ms, e.ts_ms, e.side, e.price, e.usd / e.price, e.usd,
                                          fire=e.fire))
                recent.add(e.ts_ms, e.side, e.fire, e.usd)
        # the bar closes: its realised totals (and, for one variant, its prints) become known
        bar = b if b.venue == venue else _as_venue(b, venue)
        realised = rb.realised  # None when the bars file has no totals: only the prints variant learns then
        engines["bars"].ingest_bar_group([bar], realised=realised)
        engines["prints"].ingest_bar_group([bar], realised=realised, prints=prints)
        engines["frozen"].ingest_bar_group([bar])
        if prev_oi is not None:
            entries.add(t + interval, b.low, b.high, b.oi_usd - prev_oi)
        prev_oi = b.oi_usd
    report: dict[str, Any] = {
        "schema": SCHEMA, "mode": "events", "symbol": symbol, "venue": venue, "horizon_min": interval // 60_000,
        "window_pct": 3.0, "top_share": 0.10,
        "events": {s: sum(1 for e in scored if e.side == s) for s in SIDES},
        "events_usd": {s: round(sum(e.usd for e in scored if e.side == s)) for s in SIDES},
        "inside_traded_range": _inside_range_share(scored, bars),
    }
    for name, ors in origins.items():
        report[name] = summarise(ors, n_boot)
        cal = engines[name].calibrator.per_venue[0]
        report[name]["calibration"] = {"tiers": [int(t) for t in TIERS], "weights": [round(float(x), 4) for x in cal.weights],
                                       "at_risk": round(float(cal.at_risk), 5), "prints": cal.events}
    return report


def market_gap(events: Iterable[RealEvent], bars: Sequence[RealBar]) -> tuple[float, float, float] | None:
    """(median event price, median close of their hours' bars, median relative gap) over the events a
    bar covers; None when no bar covers any event."""
    by_ts = {rb.bar.ts_ms: rb.bar for rb in bars}
    interval = bars[0].bar.interval_ms if bars else 0
    pairs = [(e.price, b.close) for e in events if interval and (b := by_ts.get(e.ts_ms // interval * interval)) is not None]
    if not pairs:
        return None
    ev, bar = np.array(pairs).T
    return float(np.median(ev)), float(np.median(bar)), float(np.median(np.abs(ev / bar - 1.0)))


def _as_venue(b: Any, venue: str) -> Any:
    from tnet.events import Bar

    return Bar(venue, b.symbol, b.ts_ms, b.recv_ms, b.interval_ms, b.open, b.high, b.low, b.close, b.volume,
               b.buy_volume, b.oi_usd)


def _inside_range_share(events: Iterable[RealEvent], bars: Sequence[RealBar]) -> dict[str, Any]:
    """Share of events whose reported / firing price lies inside their hour's traded range (a units check)."""
    by_ts = {rb.bar.ts_ms: rb.bar for rb in bars}
    interval = bars[0].bar.interval_ms
    out: dict[str, Any] = {}
    for side in SIDES:
        rep = fire = n = 0
        for e in events:
            b = by_ts.get(e.ts_ms // interval * interval)
            if e.side != side or b is None:
                continue
            n += 1
            rep += b.low <= e.price <= b.high
            fire += b.low <= e.fire <= b.high
        out[side] = {"reported": round(rep / n, 3) if n else None, "fire": round(fire / n, 3) if n else None}
    return out
