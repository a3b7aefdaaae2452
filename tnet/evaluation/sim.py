"""`backtest --sim`: capture@10 % against the simulator's truth, calibration TVD, zone stats."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tnet.engine.engine import SymbolEngine
from tnet.engine.hazard import side_hazard
from tnet.engine.ladder import TIERS
from tnet.evaluation.metrics import SCHEMA, tvd
from tnet.evaluation.scoring import (
    EntryProfile,
    Fired,
    OriginScore,
    RecentPrints,
    engine_maps,
    score_origin,
    summarise,
)
from tnet.events import Bar, OpenInterest

HORIZON_MS = 3_600_000
ORIGIN_EVERY_MS = 1_800_000
TOP_SHARE = 0.10
STEP_MS = 1_000
OI_POLL_MS = 5_000  # venues whose open interest the market does not push are polled (REST in real life)
# More, smaller at-risk positions at the same open interest and liquidated USD: enough liquidations per
# hour to score a ranking (at 1 a simulated position stands for so many traders that BTC has a few a day).
SIM_ACTIVITY = 10.0
# The default hidden mix of `backtest --sim`: mostly 3x-10x with a thin tail (TVD 0.35 from the prior).
# Within 2x-10x it keeps the prior's proportions: levels 10-50 % from entry are almost never reached in
# a day, so no print can tell those tiers apart; a mix that splits them differently has a TVD floor
# no learner can pass (reported as `tvd_floor`, e.g. for LOW_SKEWED_MIX).
DEFAULT_TEST_MIX: dict[int, float] = {2: 0.13, 3: 0.165, 5: 0.265, 10: 0.33, 20: 0.07, 25: 0.03, 50: 0.01}
LOW_SKEWED_MIX: dict[int, float] = {2: 0.08, 3: 0.22, 5: 0.30, 10: 0.28, 20: 0.07, 25: 0.03, 50: 0.02}
# ... and the mix it shifts to: a more aggressive crowd (20x-50x heavy).
DEFAULT_SHIFT_MIX: dict[int, float] = {2: 0.06, 3: 0.075, 5: 0.12, 10: 0.15, 20: 0.25, 25: 0.15, 50: 0.10,
                                       75: 0.05, 100: 0.03, 125: 0.01}


def _truth_vec(mix: dict[int, float]) -> np.ndarray:
    return np.array([float(mix.get(int(t), 0.0)) for t in TIERS])


@dataclass
class _Pending:
    """An origin waiting for its horizon to pass: the maps then, and what happened since."""

    t_ms: int
    price: float
    bucket_usd: float
    grid_origin: int
    maps: dict[str, np.ndarray]
    low: float = math.inf
    high: float = -math.inf
    fired: list[Fired] = field(default_factory=list)


def run_sim(seed: int = 0, hours: float = 36.0, leverage_mix: dict | None = None, shift_at: float | None = None,
            shift_mix: dict | None = None, symbol: str = "BTC", progress: Any = None, n_boot: int = 500,
            activity: float = SIM_ACTIVITY) -> dict[str, Any]:
    """Drive the simulator directly (no sockets) through a learning and a frozen engine; score both on its truth.

    The truth is every liquidation (published or not) where it fired; the oracle ranks by the
    simulator's true at-risk inventory. Scoring is `tnet.evaluation.scoring`, the same as for real events.
    """
    from tnet.sim.market import Market

    market = Market([symbol], seed=seed, leverage_mix=leverage_mix, activity=activity)
    venues = market.venues
    engine = SymbolEngine(symbol, venues)
    static = SymbolEngine(symbol, venues)
    static.calibrator.frozen = True  # the uncalibrated prior ladder
    # Diagnostic: the same ladder frozen at the hidden at-risk mix. It says how much capture knowing the
    # mix exactly would buy, i.e. how much of the gap to the oracle calibration can close at all.
    true_mix = SymbolEngine(symbol, venues)
    true_mix.calibrator.frozen = True
    bars: list[Bar] = []
    for v in venues:
        bars += market.history_bars(symbol, v, market.start_ms)
    for eng in (engine, static, true_mix):
        eng.warm_start(bars, [])
    start = market.start_ms
    end = start + int(hours * 3_600_000)
    shift_ms = start + int(shift_at * 3_600_000) if shift_at is not None and shift_mix else None
    truth = _truth_mixes(market, symbol)
    _set_mix(true_mix, truth)
    tvd_start = {v: tvd(engine.calibrator.per_venue[i].weights, truth[v]) for i, v in enumerate(venues)}
    trajectory: list[dict[str, Any]] = []
    tvd_at_shift: dict[str, float] = {}
    tvd_before_shift: dict[str, float] = {}
    floor_before_shift: dict[str, float] = {}
    scored: list[OriginScore] = []
    pending: list[_Pending] = []
    recent, entries = RecentPrints(), EntryProfile()
    minute_lo, minute_hi, minute_oi = math.inf, -math.inf, None
    next_origin = start
    t = start
    seen_liq = 0
    polled = [v for v in venues if market.oi_ms.get(v) is None]
    while t < end:
        t += STEP_MS
        if shift_ms is not None and t - STEP_MS < shift_ms <= t:
            tvd_before_shift = {v: tvd(engine.calibrator.per_venue[i].weights, truth[v]) for i, v in enumerate(venues)}
            floor_before_shift = {v: _tvd_floor(engine.calibrator.per_venue[i], truth[v]) for i, v in enumerate(venues)}
            market.set_leverage_mix(shift_mix)  # type: ignore[arg-type]
            truth = _truth_mixes(market, symbol)
            _set_mix(true_mix, truth)
            tvd_at_shift = {v: tvd(engine.calibrator.per_venue[i].weights, truth[v]) for i, v in enumerate(venues)}
        events = market.step(t)
        if polled and t % OI_POLL_MS == 0:
            for venue in polled:
                base, usd = market.current_oi(symbol, venue)
                events.append(OpenInterest(venue, symbol, t, t, base, usd))
        for ev in events:
            engine.on_event(ev)
            static.on_event(ev)
            true_mix.on_event(ev)
            if ev.type == "liquidation":
                recent.add(ev.ts_ms, ev.side, ev.fire, ev.usd)
        price = market.current_price(symbol)
        minute_lo, minute_hi = min(minute_lo, price), max(minute_hi, price)
        for o in pending:
            o.low, o.high = min(o.low, price), max(o.high, price)
        liqs = market.liquidations_all(symbol, start_ms=t - STEP_MS + 1, end_ms=t)
        seen_liq += len(liqs)
        for rec in liqs:
            for o in pending:
                if o.t_ms < rec.ts_ms <= o.t_ms + HORIZON_MS:
                    o.fired.append(Fired(rec.side, rec.liq_price, rec.qty * rec.mark))
        for o in [o for o in pending if t >= o.t_ms + HORIZON_MS]:
            scored.append(score_origin(o.t_ms, o.price, o.bucket_usd, o.grid_origin, o.maps, o.fired, o.low, o.high))
        pending = [o for o in pending if t < o.t_ms + HORIZON_MS]
        if t % 60_000 == 0:
            oi = sum(market.current_oi(symbol, v)[1] for v in venues)
            if minute_oi is not None:
                entries.add(t, minute_lo, minute_hi, oi - minute_oi)
            minute_lo, minute_hi, minute_oi = math.inf, -math.inf, oi
        if t >= next_origin and t + HORIZON_MS <= end and engine.grid is not None and static.grid is not None:
            grid = engine.grid
            maps = engine_maps(engine, HORIZON_MS, {"frozen": static, "frozen_hazard": static, "true_mix": true_mix})
            maps["oracle"] = _truth_profile(market, symbol, engine)
            maps["oracle_ladder"] = _ladder_profile(market, symbol, engine)
            maps["oracle_hazard"] = side_hazard(maps["oracle"], grid.prices(), price, engine.calibrator.vol_1m, HORIZON_MS)
            maps["recent_prints"] = recent.profile(t, grid.prices(), price)
            maps["entry_profile"] = entries.profile(t, grid.prices())
            pending.append(_Pending(t, price, grid.bucket_usd, grid.origin, maps, low=price, high=price))
            next_origin = t + ORIGIN_EVERY_MS
        if (t - start) % 3_600_000 == 0:
            row = {"hour": (t - start) / 3_600_000}
            for i, v in enumerate(venues):
                row[v] = round(tvd(engine.calibrator.per_venue[i].weights, truth[v]), 4)
            trajectory.append(row)
            if progress is not None:
                progress(row)
    summary = summarise(scored, n_boot)
    capture = _legacy_capture(scored)
    calibration: dict[str, Any] = {}
    for i, v in enumerate(venues):
        cal = engine.calibrator.per_venue[i]
        entry: dict[str, Any] = {
            "tiers": [int(x) for x in TIERS],
            "truth": [round(float(x), 4) for x in truth[v]],
            "learned": [round(float(x), 4) for x in cal.weights],
            "tvd_start": round(tvd_start[v], 4),
            "tvd_end": round(tvd(cal.weights, truth[v]), 4),
            "tvd_24h": (round(tvd_before_shift[v], 4) if shift_ms is not None and shift_ms - start == 86_400_000
                        else next((r[v] for r in trajectory if r["hour"] == 24), None)),
            "tvd_floor": round(_tvd_floor(cal, truth[v]), 4),
            "prints": cal.events,
            "sampling_estimate": round(cal.sampling, 3),
            **_tested(cal, truth[v]),
            "at_risk_learned": round(float(cal.at_risk), 5),
        }
        if hasattr(market, "truth_at_risk_share"):
            entry["truth_at_risk_share"] = round(float(market.truth_at_risk_share(symbol)[v]), 5)
        if shift_ms is not None:
            entry["tvd_before_shift"] = round(tvd_before_shift.get(v, float("nan")), 4)
            entry["tvd_floor_before_shift"] = round(floor_before_shift.get(v, float("nan")), 4)
            entry["tvd_at_shift"] = round(tvd_at_shift.get(v, float("nan")), 4)
            sh = (shift_ms - start) / 3_600_000
            after = [r[v] for r in trajectory if sh < r["hour"] <= sh + 12]
            entry["tvd_after_shift"] = after[-1] if after else None
            entry["hours_to_recover_below_0.08"] = next(
                (r["hour"] - sh for r in trajectory if r["hour"] > sh and r[v] < 0.08), None)
        calibration[v] = entry
    zs = engine.zones.stats()
    return {
        "schema": SCHEMA,
        "mode": "sim",
        "seed": seed,
        "hours": hours,
        "symbol": symbol,
        "truth_source": "all liquidations (published or not), where they fired (each position's liquidation price)",
        "horizon_min": HORIZON_MS // 60_000,
        "origins": len(scored),
        "liquidations": seen_liq,
        "capture_at_10pct": capture,
        "scores": summary,
        "calibration": calibration,
        "tvd_trajectory": trajectory,
        "zones": {
            "median_lifespan_min": zs["median_lifespan_min"],
            "swept_rate": zs["swept_rate"],
            "strong_gone_before_touch": zs["strong_gone_before_touch"],
            "counters": {k: zs[k] for k in ("created", "reinforced", "merged", "swept", "expired")},
        },
    }


def _set_mix(eng: SymbolEngine, truth: dict[str, np.ndarray]) -> None:
    """Freeze `eng`'s tier weights at the hidden at-risk mix (floored like learned weights)."""
    from tnet.engine.calibrator import WEIGHT_FLOOR

    for cal in eng.calibrator.per_venue:
        w = np.maximum(truth[cal.venue], WEIGHT_FLOOR)
        cal.weights = w / w.sum()


def _tvd_floor(cal: Any, truth: np.ndarray, reached_share: float = 0.05) -> float:
    """TVD of a learner that knows every reached tier's true weight and splits the rest like the prior.

    A tier counts as reached when its swept exposure is >= 5 % of the most-swept tier's; the split of
    the others is invisible to prints, so no print-based learner can do better than this.
    """
    from tnet.engine.ladder import prior_weights

    reached = cal.exposure >= reached_share * max(float(cal.exposure.max()), 1.0)
    best = np.where(reached, truth, 0.0)
    prior = np.where(reached, 0.0, prior_weights())
    if prior.sum() > 0:
        best = best + (1.0 - best.sum()) * prior / prior.sum()
    return tvd(best, truth)


def _tested(cal: Any, truth: np.ndarray, reached_share: float = 0.05) -> dict[str, Any]:
    """The at-risk mix against the learned one on the tiers price tested (exposure >= 5 % of the most
    tested tier's), both renormalised there: the only tiers prints can speak about."""
    from tnet.engine.ladder import prior_weights

    tested = cal.exposure >= reached_share * max(float(cal.exposure.max()), 1e-9)
    out: dict[str, Any] = {"truth_at_risk": [round(float(x), 4) for x in truth],
                           "tested_tiers": [int(t) for t in TIERS[tested]]}
    if tested.sum() < 2 or not truth[tested].sum() > 0:
        return out | {"tvd_tested": None, "tvd_tested_prior": None}
    def norm(w: np.ndarray) -> np.ndarray:
        return w[tested] / w[tested].sum()
    return out | {"tvd_tested": round(tvd(norm(cal.weights), norm(truth)), 4),
                  "tvd_tested_prior": round(tvd(norm(prior_weights()), norm(truth)), 4)}


def _truth_profile(market: Any, symbol: str, ref: SymbolEngine) -> np.ndarray:
    """The oracle: every position that can liquidate, at the price where it really would, per side on
    `ref`'s grid window, (2, B) USD (the ceiling no map built from public data can pass)."""
    liq, usd, is_long = market.truth_inventory(symbol)
    return _binned(ref, liq, usd, is_long)


def _ladder_profile(market: Any, symbol: str, ref: SymbolEngine) -> np.ndarray:
    """Diagnostic between the model and the oracle: the true isolated positions (entry, side, tier and
    USD all known) placed at entry x the model's ladder factor for their tier, (2, B) on `ref`'s grid.

    What it loses against the oracle is the ladder's one bracket per tier (the simulator sizes each
    trader, and a larger position's bracket liquidates closer to entry); what the model loses against
    it is not knowing which entries are still open, isolated, and at which tier.
    """
    from tnet.engine.ladder import liquidation_factors
    from tnet.sim.market import ALL_VENUES

    pos = market.truth_positions(symbol, at_risk_only=True)
    factors = np.stack([np.stack(liquidation_factors(v)) for v in ALL_VENUES])  # (V, 2, T)
    tier = np.clip(np.searchsorted(TIERS, pos["leverage"].astype(np.float64)), 0, len(TIERS) - 1)
    is_long = pos["is_long"].astype(bool)
    level = pos["entry"] * factors[pos["venue"].astype(np.int64), np.where(is_long, 0, 1), tier]
    return _binned(ref, level, pos["qty"] * market.current_price(symbol), is_long)


def _binned(ref: SymbolEngine, price: np.ndarray, usd: np.ndarray, is_long: np.ndarray) -> np.ndarray:
    """USD at `price` per side, (2, B) on `ref`'s grid window (positions outside it are left out)."""
    assert ref.grid is not None
    idx = np.floor(price / ref.grid.bucket_usd + 0.5).astype(np.int64) - ref.grid.origin
    ok = (idx >= 0) & (idx < ref.grid.size)
    out = np.zeros((2, ref.grid.size))
    for side, sel in ((0, ok & is_long), (1, ok & ~is_long)):
        out[side] = np.bincount(idx[sel], weights=usd[sel], minlength=ref.grid.size)
    return out


def _truth_mixes(market: Any, symbol: str) -> dict[str, np.ndarray]:
    """The hidden leverage mix per venue: of at-risk open interest where the simulator knows it."""
    mix = market.truth_at_risk_mix(symbol) if hasattr(market, "truth_at_risk_mix") else market.truth_leverage_mix()
    return {v: _truth_vec(w) for v, w in mix.items()}


LEGACY_RANKINGS = {"model": "model", "hazard": "hazard", "uniform": "uniform", "distance": "distance",
                   "static": "frozen", "true_mix": "true_mix", "oracle_ladder": "oracle_ladder", "oracle": "oracle",
                   "oracle_hazard": "oracle_hazard"}


def _legacy_capture(scored: list[OriginScore]) -> dict[str, float | None]:
    """capture@10 % inside the traded range, both sides pooled (the key `backtest --sim --json` always had)."""
    out: dict[str, float | None] = {}
    units = [o.windows["traded"][s] for o in scored for s in ("long", "short")]
    total = sum(u.usd for u in units)
    for key, name in LEGACY_RANKINGS.items():
        out[key] = round(sum(u.captured[name] for u in units) / total, 4) if total > 0 else None
    return out


