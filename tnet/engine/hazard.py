"""Hazard: the chance price reaches a level within a horizon, from recent volatility (reflection principle)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

DEFAULT_HORIZON_MS: int = 3_600_000  # the horizon the map's hazard looks ahead (the backtest's horizon)


def reach_probability(distance_frac: ArrayLike, sigma_1m: float, horizon_ms: int = DEFAULT_HORIZON_MS) -> np.ndarray:
    """P(a driftless log-price touches a level `distance_frac` away within the horizon) = erfc(d / (σ√(2H))).

    sigma_1m is the standard deviation of 1-minute log returns; a level at the price has probability 1.
    """
    d = np.abs(np.asarray(distance_frac, dtype=np.float64))
    s = max(float(sigma_1m), 1e-6) * math.sqrt(max(horizon_ms, 1) / 60_000.0)
    return _erfc(d / (s * math.sqrt(2.0)))


DIFFUSE_SPAN: float = 0.03  # the diffuse floor is judged on the map within ±3 % of price
# Positions whose liquidation price no ladder can place (cross margin with a buffer, margin top-ups)
# still liquidate somewhere near price: the hazard adds a floor of this share of the map's mean density
# within ±3 %. Tuned on the simulator's hourly stand-in for the real events (evaluation.simevents,
# seeds 0-3, both sides): 0 / 0.1 / 0.3 / 0.5 / 1 gave mean hazard capture@10 % 0.777 / 0.795 / 0.814 /
# 0.785 / 0.759 and rank percentile 0.913 / 0.915 / 0.918 / 0.918 / 0.918.
DIFFUSE_SHARE: float = 0.3


# A level on the side price already crossed (a long level above the price) can still fire within the
# horizon, but only after a round trip, from positions opened on the way: it keeps a trace of the floor's
# hazard, so such levels rank below every level still reachable and among themselves nearer first
# (closer to price, likelier). On the simulator's hourly stand-in (evaluation.simevents, seeds 0-11, both
# sides) this raised the hazard's mean rank percentile by 0.008 (range -0.001 to +0.10) with capture
# unchanged; a full round-trip weight (floor x reach²) gained 0.011 on average but lost up to 0.057.
CROSSED_TRACE: float = 1e-9


def reachable(dist: Any, side: int) -> Any:
    """Whether a side 0 (long) or 1 (short) level at signed distance `dist` from the price (array or
    number) is on the side price can still reach it from: longs at or below the price, shorts at or above."""
    return dist <= 0 if side == 0 else dist >= 0


def sided_reach(dist: np.ndarray, reach: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray]:
    """(weight of the level's USD, weight of the floor) for side 0 (longs) or 1 (shorts) at signed
    distances `dist` from the price: reach on the side the level can still be reached from, and on the
    crossed side no inventory and a trace of the floor."""
    own = reachable(dist, side)
    return np.where(own, reach, 0.0), np.where(own, reach, CROSSED_TRACE * reach)


def side_hazard(profile: np.ndarray, prices: np.ndarray, price: float, sigma_1m: float,
                horizon_ms: int = DEFAULT_HORIZON_MS) -> np.ndarray:
    """(2, B) hazard of a (long, short) profile at `prices`: USD times the chance price reaches it.

    A long level above the price (a short's below) was crossed already: what is left there is the
    dimmed remainder of a sweep, not inventory price can still reach from its side, so only a trace of
    the diffuse floor (DIFFUSE_SHARE) counts there (CROSSED_TRACE).
    """
    dist = np.asarray(prices, dtype=np.float64) / price - 1.0
    near = np.abs(dist) <= DIFFUSE_SPAN
    floor = DIFFUSE_SHARE * profile[:, near].mean(axis=1) if near.any() else np.zeros(2)
    reach = reach_probability(dist, sigma_1m, horizon_ms)
    out = []
    for side in (0, 1):
        w_usd, w_floor = sided_reach(dist, reach, side)
        out.append(profile[side] * w_usd + floor[side] * w_floor)
    return np.stack(out)


def hazard_columns(long: np.ndarray, short: np.ndarray, price_lo: float, bucket_usd: float, path: np.ndarray,
                   price: float, sigma_1m: float) -> tuple[np.ndarray, np.ndarray]:
    """Heatmap history (cols, rows) in USD -> the same in hazard, each column judged from its own price.

    The reach probability depends only on a row's bucket offset from its column's price, so it is
    computed once per offset and gathered (the UI pulls this every second).
    """
    if not long.size:
        return long, short
    n_rows = long.shape[1]
    ref = np.where(np.isfinite(path) & (path > 0), path, price)
    col = np.floor((ref - price_lo) / bucket_usd + 0.5).astype(np.int64)
    k = np.arange(n_rows)[None, :] - col[:, None]  # (cols, rows) bucket offset from the column's price
    k0 = int(k.min())
    offsets = np.arange(k0, int(k.max()) + 1)
    dist = offsets * bucket_usd / price
    reach = reach_probability(dist, sigma_1m)
    near = (np.abs(dist) <= DIFFUSE_SPAN)[k - k0]
    count = np.maximum(near.sum(axis=1, keepdims=True), 1)
    out = []
    for side, mat in enumerate((long, short)):
        floor = DIFFUSE_SHARE * np.where(near, mat, 0.0).sum(axis=1, keepdims=True) / count
        w_usd, w_floor = (w.astype(np.float32)[k - k0] for w in sided_reach(dist, reach, side))
        out.append((mat * w_usd + floor * w_floor).astype(np.float32))
    return out[0], out[1]


def normal_cdf(x: ArrayLike) -> np.ndarray:
    """Standard normal CDF (vectorised, |error| < 1e-7)."""
    x = np.asarray(x, dtype=np.float64)
    tail = 0.5 * _erfc(np.abs(x) / math.sqrt(2.0))
    return np.where(x >= 0, 1.0 - tail, tail)


def _erfc(x: np.ndarray) -> np.ndarray:
    """Complementary error function for x >= 0 (numpy has none; Abramowitz-Stegun 7.1.26, |error| < 1.5e-7)."""
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return poly * np.exp(-x * x)


def view_in_measure(view: Any, measure: str) -> Any:
    """A SymbolView whose heatmap is in `measure`: USD history turned into hazard with the view's own
    volatility (for views that travelled, e.g. from a collector). Unchanged when it cannot be converted."""
    hm = getattr(view, "heatmap", None)
    if hm is None or hm.measure == measure or measure != "hazard" or not getattr(view, "vol_1m", 0.0) > 0:
        return view
    return dataclasses.replace(view, heatmap=heatmap_hazard(hm, view.price, view.vol_1m), measure="hazard")


def heatmap_hazard(hm: Any, price: float, sigma_1m: float) -> Any:
    """A USD HeatmapView in hazard (the engine's own views and views that travelled go through here)."""
    long, short = hazard_columns(hm.long_usd, hm.short_usd, hm.price_lo, hm.bucket_usd, hm.price_path, price, sigma_1m)
    return dataclasses.replace(hm, long_usd=long, short_usd=short, measure="hazard")
