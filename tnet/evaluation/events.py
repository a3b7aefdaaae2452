"""`backtest --events`: the map at each origin, built only from what was known then, scored on the next hour's real liquidations.

Per origin (every bar boundary inside the events' span) the engine has seen the bars that closed
by then (and, in the `prints` variant, the earlier liquidation prints as live evidence), never
anything at or after the origin. The next horizon's events are scored per side, at the price where
they fired, in two windows: a fixed ±3 % around the origin's price, and the range the market
actually traded. Every ranking is measured in the same run:

- `model`: the engine's map (inventory USD per bucket of the event's side); `hazard`: the same
  weighted by the chance price reaches each bucket within the horizon;
- `frozen`: the same engine with the calibrator never updated (the prior);
- `uniform`; `distance` (closer to price ranks higher); `distance_side` (closer ranks higher, on the
  side where that side's positions can liquidate: below price for longs, above for shorts);
- `recent_prints`: the last 3 h of prints of that side, smoothed; `entry_profile`: open-interest
  increases spread over each bar's range (where positions were opened, no ladder).

Figures: per-event mean rank percentile (1 = top bucket, 0.5 = random) and capture@10 % (share of the
side's realised USD in the 10 % of window buckets ranked highest), pooled over origins with an
origin-level bootstrap interval; and where the map's mass sits by distance band beside the events.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tnet.engine.engine import SymbolEngine
from tnet.evaluation.barfile import RealBar
from tnet.evaluation.eventfile import RealEvent
from tnet.evaluation.metrics import SCHEMA, bootstrap_ci, capture_top, rank_percentiles
from tnet.events import Liquidation

WINDOW_PCT = 0.03  # the fixed window: ±3 % around the origin's price
TOP_SHARE = 0.10
RECENT_PRINTS_MS = 3 * 3_600_000  # the recent-prints baseline remembers 3 h
RECENT_PRINTS_SMOOTH_PCT = 0.001  # ... smoothed with a 0.1 % Gaussian
ENTRY_PROFILE_BARS = 24  # the entry-profile baseline: OI increases of the last 24 bars
BANDS_PCT = (0.0, 0.25, 0.5, 1.0, 2.0, 3.0)
SIDES = ("long", "short")
RANKINGS = ("model", "hazard", "frozen", "uniform", "distance", "distance_side", "recent_prints", "entry_profile")


@dataclass
class _SideScore:
    """One origin, one side, one window: per-event rank percentiles and captured USD per ranking."""

    ranks: dict[str, list[float]] = field(default_factory=dict)
    captured: dict[str, float] = field(default_factory=dict)
    usd: float = 0.0
    events: int = 0


@dataclass
class _OriginScore:
    t_ms: int
    price: float
    windows: dict[str, dict[str, _SideScore]]  # window -> side -> score
    map_bands: dict[str, np.ndarray]  # side -> model USD share per distance band (fixed window)
    event_bands: dict[str, np.ndarray]  # side -> event USD per distance band


def _engine(symbol: str, frozen: bool) -> SymbolEngine:
    eng = SymbolEngine(symbol, ("binance",))
    eng.calibrator.frozen = frozen
    return eng


def run_events(events: Sequence[RealEvent], bars: Sequence[RealBar], symbol: str = "BTC",
               since_ms: int | None = None, until_ms: int | None = None, n_boot: int = 1000) -> dict[str, Any]:
    """Score the map on real events; see the module docstring. `bars` must cover the events' span."""
    if not bars:
        raise ValueError("no bars")
    interval = bars[0].bar.interval_ms
    first = since_ms if since_ms is not None else events[0].ts_ms
    last = until_ms if until_ms is not None else events[-1].ts_ms + 1
    scored = [e for e in events if first <= e.ts_ms < last]
    variants = {"bars": _engine(symbol, False), "prints": _engine(symbol, False), "frozen": _engine(symbol, True)}
    origins: dict[str, list[_OriginScore]] = {"bars": [], "prints": []}
    entry_hist: list[tuple[float, float, float]] = []  # (low, high, OI increase USD) per bar
    prev_oi: float | None = None
    ev_i = 0  # next event not yet fed to the `prints` variant
    for k, rb in enumerate(bars):
        b = rb.bar
        t = b.ts_ms  # an origin: everything that closed by t is known, nothing after
        if first - interval < t < last and t >= bars[0].bar.ts_ms + ENTRY_PROFILE_BARS * interval:
            horizon = [e for e in scored if t <= e.ts_ms < t + interval]
            if horizon:
                known = [e for e in events if e.ts_ms < t]
                for name in ("bars", "prints"):
                    origins[name].append(_score_origin(variants[name], variants["frozen"], rb, horizon, known,
                                                       entry_hist, interval))
        # the bar closes: feed it (the prints variant first gets the prints that happened inside it)
        prints: list[Liquidation] = []
        while ev_i < len(events) and events[ev_i].ts_ms < t + interval:
            e = events[ev_i]
            ev_i += 1
            if e.ts_ms >= t:
                prints.append(Liquidation(e.venue, symbol, e.ts_ms, e.ts_ms, e.side, e.price, e.usd / e.price, e.usd,
                                          fire=e.fire))
        variants["bars"].ingest_bar_group([b], realised=(rb.liq_long_usd, rb.liq_short_usd))
        variants["prints"].ingest_bar_group([b], realised=(rb.liq_long_usd, rb.liq_short_usd), prints=prints)
        variants["frozen"].ingest_bar_group([b])
        if prev_oi is not None and b.oi_usd > prev_oi:
            entry_hist.append((b.low, b.high, b.oi_usd - prev_oi))
        else:
            entry_hist.append((b.low, b.high, 0.0))
        entry_hist[:] = entry_hist[-ENTRY_PROFILE_BARS:]
        prev_oi = b.oi_usd
        del k
    report: dict[str, Any] = {
        "schema": SCHEMA, "mode": "events", "symbol": symbol, "horizon_min": interval // 60_000,
        "window_pct": WINDOW_PCT * 100, "top_share": TOP_SHARE,
        "events": {s: sum(1 for e in scored if e.side == s) for s in SIDES},
        "events_usd": {s: round(sum(e.usd for e in scored if e.side == s)) for s in SIDES},
        "fire_inside_range": _inside_range_share(scored, bars),
    }
    for name, ors in origins.items():
        report[name] = _summarise(ors, n_boot)
    return report


def _score_origin(eng: SymbolEngine, frozen: SymbolEngine, rb: RealBar, horizon: list[RealEvent],
                  known: list[RealEvent], entry_hist: list[tuple[float, float, float]], interval: int) -> _OriginScore:
    """Rank every window bucket by each ranking and score the horizon's events on it."""
    grid = eng.grid
    assert grid is not None
    w = grid.bucket_usd
    price = eng.price
    p_idx = grid.index_of(price)
    half = int(math.ceil(price * WINDOW_PCT / w))
    fixed = np.arange(p_idx - half, p_idx + half + 1)
    lo_i, hi_i = grid.index_of(rb.bar.low), grid.index_of(rb.bar.high)
    traded = np.arange(min(lo_i, p_idx), max(hi_i, p_idx) + 1)
    maps = _maps(eng, frozen, price, known, entry_hist, interval)
    windows: dict[str, dict[str, _SideScore]] = {}
    for wname, idx in (("fixed", fixed), ("traded", traded)):
        windows[wname] = {}
        for si, side in enumerate(SIDES):
            evs = [e for e in horizon if e.side == side]
            sc = _SideScore()
            pos = np.array([grid.index_of(e.fire) for e in evs], dtype=np.int64) - idx[0]
            inside = (pos >= 0) & (pos < len(idx))
            usd = np.array([e.usd for e in evs])[inside]
            pos = pos[inside]
            sc.events = int(inside.sum())
            sc.usd = float(usd.sum())
            realised = np.bincount(pos, weights=usd, minlength=len(idx)) if len(pos) else np.zeros(len(idx))
            for name in RANKINGS:
                score = _window_score(maps, name, si, idx, p_idx, grid.origin)
                sc.ranks[name] = rank_percentiles(score, pos).tolist() if len(pos) else []
                sc.captured[name] = capture_top(score, realised, TOP_SHARE) if len(pos) else 0.0
            windows[wname][side] = sc
    map_bands: dict[str, np.ndarray] = {}
    event_bands: dict[str, np.ndarray] = {}
    dist = np.abs(fixed - p_idx) * w / price * 100
    for si, side in enumerate(SIDES):
        m = _window_score(maps, "model", si, fixed, p_idx, grid.origin)
        map_bands[side] = _banded(dist, m)
        evs = [e for e in horizon if e.side == side]
        event_bands[side] = _banded(np.array([abs(e.fire / price - 1) * 100 for e in evs]), np.array([e.usd for e in evs]))
    return _OriginScore(rb.bar.ts_ms, price, windows, map_bands, event_bands)


def _maps(eng: SymbolEngine, frozen: SymbolEngine, price: float, known: list[RealEvent],
          entry_hist: list[tuple[float, float, float]], interval: int) -> dict[str, Any]:
    """Per-bucket scores on the engine's grid (absolute index = origin + local) for the map-based rankings."""
    grid = eng.grid
    assert grid is not None
    origin, n, w = grid.origin, grid.size, grid.bucket_usd
    prices = (np.arange(n) + origin) * w
    out: dict[str, Any] = {"model": eng.profile().copy(), "hazard": eng.hazard_profile(interval),
                           "frozen": _on_grid(frozen, origin, n)}
    t = known[-1].ts_ms if known else 0
    recent = np.zeros((2, n))
    sig = price * RECENT_PRINTS_SMOOTH_PCT
    for e in known:
        if e.ts_ms >= t - RECENT_PRINTS_MS:
            recent[SIDES.index(e.side)] += e.usd * np.exp(-0.5 * ((prices - e.fire) / sig) ** 2)
    out["recent_prints"] = recent
    entry = np.zeros(n)
    for lo, hi, usd in entry_hist:
        if usd > 0:
            a, b = grid.local(lo), grid.local(hi)
            entry[a : b + 1] += usd / (b - a + 1)
    out["entry_profile"] = np.stack([entry, entry])
    return out


def _on_grid(eng: SymbolEngine, origin: int, n: int) -> np.ndarray:
    """`eng`'s profile re-indexed onto a window starting at absolute bucket `origin` (zeros outside)."""
    out = np.zeros((2, n))
    g = eng.grid
    if g is None:
        return out
    prof = eng.profile()
    shift = g.origin - origin
    a, b = max(shift, 0), min(shift + prof.shape[1], n)
    if b > a:
        out[:, a:b] = prof[:, a - shift : b - shift]
    return out


def _window_score(maps: dict[str, Any], name: str, side: int, idx: np.ndarray, p_idx: int, origin: int) -> np.ndarray:
    """The ranking `name`'s score for side `side` over absolute buckets `idx`."""
    if name == "uniform":
        return np.zeros(len(idx))
    d = np.abs(idx - p_idx).astype(np.float64)
    if name == "distance":
        return -d
    if name == "distance_side":
        wrong = idx > p_idx if side == 0 else idx < p_idx
        return -d - wrong * 1e9
    arr = maps[name][side]
    local = np.clip(idx - origin, 0, arr.shape[0] - 1)
    return np.asarray(arr[local], dtype=np.float64)


def _banded(dist_pct: np.ndarray, usd: np.ndarray) -> np.ndarray:
    """USD per distance band (BANDS_PCT edges; beyond the last edge is dropped)."""
    out = np.zeros(len(BANDS_PCT) - 1)
    for i in range(len(out)):
        hi_inclusive = i == len(out) - 1
        sel = (dist_pct >= BANDS_PCT[i]) & ((dist_pct <= BANDS_PCT[i + 1]) if hi_inclusive else (dist_pct < BANDS_PCT[i + 1]))
        out[i] = float(np.asarray(usd)[sel].sum())
    return out


def _inside_range_share(events: Iterable[RealEvent], bars: Sequence[RealBar]) -> dict[str, Any]:
    """Share of events whose reported / firing price lies inside their hour's traded range (a units check)."""
    by_ts = {rb.bar.ts_ms: rb.bar for rb in bars}
    interval = bars[0].bar.interval_ms
    out: dict[str, Any] = {}
    for side in SIDES:
        rep = fire = n = 0
        for e in events:
            if e.side != side:
                continue
            b = by_ts.get(e.ts_ms // interval * interval)
            if b is None:
                continue
            n += 1
            rep += b.low <= e.price <= b.high
            fire += b.low <= e.fire <= b.high
        out[side] = {"reported": round(rep / n, 3) if n else None, "fire": round(fire / n, 3) if n else None}
    return out


def _summarise(origins: list[_OriginScore], n_boot: int) -> dict[str, Any]:
    """Pooled figures per window and side with origin-level bootstrap intervals."""
    out: dict[str, Any] = {"origins": len(origins), "windows": {}}
    for wname in ("fixed", "traded"):
        wout: dict[str, Any] = {}
        for side in SIDES:
            units = [o.windows[wname][side] for o in origins if o.windows[wname][side].events]
            sout: dict[str, Any] = {"events": sum(u.events for u in units), "usd": round(sum(u.usd for u in units)),
                                    "origins": len(units), "rank_pct": {}, "capture_at_10pct": {}}
            for name in RANKINGS:
                def rank_stat(us: Sequence[_SideScore], name: str = name) -> float | None:
                    vals = [r for u in us for r in u.ranks[name]]
                    return float(np.mean(vals)) if vals else None

                def cap_stat(us: Sequence[_SideScore], name: str = name) -> float | None:
                    tot = sum(u.usd for u in us)
                    return sum(u.captured[name] for u in us) / tot if tot > 0 else None

                sout["rank_pct"][name] = _with_ci(rank_stat(units), bootstrap_ci(units, rank_stat, n_boot))
                sout["capture_at_10pct"][name] = _with_ci(cap_stat(units), bootstrap_ci(units, cap_stat, n_boot))
            best = _best_baseline(sout)
            sout["best_baseline"] = best
            for metric in ("rank_pct", "capture_at_10pct"):
                b = best[metric]

                def ratio(us: Sequence[_SideScore], metric: str = metric, b: str = b) -> float | None:
                    st = rank_stat if metric == "rank_pct" else cap_stat
                    m, base = st(us, "model"), st(us, b)
                    return m / base if m is not None and base else None

                sout.setdefault("model_over_best", {})[metric] = _with_ci(ratio(units), bootstrap_ci(units, ratio, n_boot))
            wout[side] = sout
        out["windows"][wname] = wout
    bands: dict[str, Any] = {}
    for side in SIDES:
        maps = [o.map_bands[side] / o.map_bands[side].sum() for o in origins if o.map_bands[side].sum() > 0]
        ev = sum((o.event_bands[side] for o in origins), np.zeros(len(BANDS_PCT) - 1))
        labels = [f"{a:g}-{b:g}%" for a, b in zip(BANDS_PCT, BANDS_PCT[1:])]
        bands[side] = {
            "bands": labels,
            "map_share": [round(float(x), 4) for x in (np.mean(maps, axis=0) if maps else np.zeros(len(labels)))],
            "event_share": [round(float(x), 4) for x in (ev / ev.sum() if ev.sum() > 0 else ev)],
        }
    out["mass_by_distance"] = bands
    return out


BASELINES = ("uniform", "distance", "distance_side", "recent_prints", "entry_profile")


def _best_baseline(sout: dict[str, Any]) -> dict[str, str]:
    """The strongest baseline per metric (by its point value)."""
    best: dict[str, str] = {}
    for metric in ("rank_pct", "capture_at_10pct"):
        vals = {b: sout[metric][b]["value"] for b in BASELINES if sout[metric][b]["value"] is not None}
        best[metric] = max(vals, key=lambda k: vals[k]) if vals else "uniform"
    return best


def _with_ci(value: float | None, ci: tuple[float, float] | None) -> dict[str, Any]:
    return {"value": None if value is None else round(value, 4),
            "ci95": None if ci is None else [round(ci[0], 4), round(ci[1], 4)]}
