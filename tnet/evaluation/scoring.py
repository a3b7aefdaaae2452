"""Event-level scoring shared by `backtest --events` (real prints) and `backtest --sim` (the simulator's truth).

At each origin every ranking gives each price bucket a score per side; the horizon's liquidations
are placed where they fired and scored in two windows: a fixed ±3 % around the origin's price and
the range the market actually traded. Figures: per-event mean rank percentile (1 = top bucket,
0.5 = random) and capture@10 % (share of the side's realised USD in the 10 % of window buckets ranked
highest), pooled over origins with an origin-level bootstrap interval; and where the map's mass
sits by distance band beside the events.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tnet.engine.engine import SymbolEngine
from tnet.evaluation.metrics import bootstrap_ci, capture_top, rank_percentiles

WINDOW_PCT = 0.03  # the fixed window: ±3 % around the origin's price
TOP_SHARE = 0.10
RECENT_PRINTS_MS = 3 * 3_600_000  # the recent-prints baseline remembers 3 h
RECENT_PRINTS_SMOOTH_PCT = 0.001  # ... smoothed with a 0.1 % Gaussian
ENTRY_PROFILE_MS = 24 * 3_600_000  # the entry-profile baseline: OI increases of the last 24 h
BANDS_PCT = (0.0, 0.25, 0.5, 1.0, 2.0, 3.0)
SIDES = ("long", "short")
WINDOWS = ("fixed", "traded")
BASELINES = ("uniform", "distance", "distance_side", "recent_prints", "entry_profile")


@dataclass(slots=True)
class Fired:
    """One liquidation to score: the position's side, where it fired, its USD."""

    side: str
    price: float
    usd: float


class RecentPrints:
    """Baseline: the prints of the last 3 h, per side, smoothed where they fired."""

    def __init__(self) -> None:
        self._prints: deque[tuple[int, int, float, float]] = deque()  # (ts, side, price, usd)

    def add(self, ts_ms: int, side: str, price: float, usd: float) -> None:
        self._prints.append((ts_ms, SIDES.index(side), price, usd))

    def profile(self, now_ms: int, prices: np.ndarray, ref_price: float) -> np.ndarray:
        """(2, B) smoothed print USD of the last 3 h before `now_ms` at `prices`."""
        while self._prints and self._prints[0][0] < now_ms - RECENT_PRINTS_MS:
            self._prints.popleft()
        out = np.zeros((2, len(prices)))
        sig = ref_price * RECENT_PRINTS_SMOOTH_PCT
        for ts, side, price, usd in self._prints:
            if ts < now_ms:
                out[side] += usd * np.exp(-0.5 * ((prices - price) / sig) ** 2)
        return out


class EntryProfile:
    """Baseline: open-interest increases spread evenly over each interval's traded range (no ladder)."""

    def __init__(self) -> None:
        self._rows: deque[tuple[int, float, float, float]] = deque()  # (ts, low, high, usd)

    def add(self, ts_ms: int, low: float, high: float, oi_increase_usd: float) -> None:
        if oi_increase_usd > 0 and high >= low > 0:
            self._rows.append((ts_ms, low, high, oi_increase_usd))

    def profile(self, now_ms: int, prices: np.ndarray) -> np.ndarray:
        """(2, B) the same entry USD for both sides (where positions were opened)."""
        while self._rows and self._rows[0][0] < now_ms - ENTRY_PROFILE_MS:
            self._rows.popleft()
        out = np.zeros(len(prices))
        step = prices[1] - prices[0] if len(prices) > 1 else 1.0
        for _ts, lo, hi, usd in self._rows:
            a = int(np.searchsorted(prices, lo - step / 2))
            b = int(np.searchsorted(prices, hi + step / 2))
            if b > a:
                out[a:b] += usd / (b - a)
        return np.stack([out, out])


def engine_maps(eng: SymbolEngine, horizon_ms: int, others: dict[str, SymbolEngine] | None = None) -> dict[str, np.ndarray]:
    """The map-based rankings on `eng`'s grid: `model` (inventory), `hazard`, and other engines' maps re-indexed."""
    out = {"model": eng.profile().copy(), "hazard": eng.hazard_profile(horizon_ms)}
    grid = eng.grid
    assert grid is not None
    for name, other in (others or {}).items():
        out[name] = on_grid(other.profile() if name != "frozen_hazard" else other.hazard_profile(horizon_ms),
                            other, grid.origin, grid.size)
    return out


def on_grid(profile: np.ndarray, eng: SymbolEngine, origin: int, n: int) -> np.ndarray:
    """`profile` (on `eng`'s grid) re-indexed onto a window starting at absolute bucket `origin`."""
    out = np.zeros((2, n))
    g = eng.grid
    if g is None:
        return out
    shift = g.origin - origin
    a, b = max(shift, 0), min(shift + profile.shape[1], n)
    if b > a:
        out[:, a:b] = profile[:, a - shift : b - shift]
    return out


@dataclass
class SideScore:
    """One origin, one side, one window: per-event rank percentiles and captured USD per ranking."""

    ranks: dict[str, list[float]] = field(default_factory=dict)
    captured: dict[str, float] = field(default_factory=dict)
    usd: float = 0.0
    events: int = 0


@dataclass
class OriginScore:
    t_ms: int
    price: float
    windows: dict[str, dict[str, SideScore]]  # window -> side -> score
    map_bands: dict[str, np.ndarray]  # side -> model USD per distance band (fixed window)
    event_bands: dict[str, np.ndarray]  # side -> event USD per distance band


def score_origin(t_ms: int, price: float, bucket_usd: float, grid_origin: int, maps: dict[str, np.ndarray],
                 fired: Sequence[Fired], traded_low: float, traded_high: float) -> OriginScore:
    """Rank every window bucket by each ranking (maps on the grid starting at `grid_origin`, plus the
    geometric baselines) and score the horizon's liquidations on it."""
    def idx_of(p: float) -> int:
        return int(math.floor(p / bucket_usd + 0.5))

    p_idx = idx_of(price)
    half = int(math.ceil(price * WINDOW_PCT / bucket_usd))
    fixed = np.arange(p_idx - half, p_idx + half + 1)
    traded = np.arange(min(idx_of(traded_low), p_idx), max(idx_of(traded_high), p_idx) + 1)
    rankings = [*maps, "uniform", "distance", "distance_side"]
    windows: dict[str, dict[str, SideScore]] = {}
    for wname, idx in (("fixed", fixed), ("traded", traded)):
        windows[wname] = {}
        for si, side in enumerate(SIDES):
            evs = [e for e in fired if e.side == side]
            sc = SideScore()
            pos = np.array([idx_of(e.price) for e in evs], dtype=np.int64) - idx[0]
            inside = (pos >= 0) & (pos < len(idx))
            usd = np.array([e.usd for e in evs], dtype=np.float64)[inside]
            pos = pos[inside]
            sc.events = int(inside.sum())
            sc.usd = float(usd.sum())
            realised = np.bincount(pos, weights=usd, minlength=len(idx)) if len(pos) else np.zeros(len(idx))
            for name in rankings:
                score = window_score(maps, name, si, idx, p_idx, grid_origin)
                sc.ranks[name] = rank_percentiles(score, pos).tolist() if len(pos) else []
                sc.captured[name] = capture_top(score, realised, TOP_SHARE) if len(pos) else 0.0
            windows[wname][side] = sc
    map_bands: dict[str, np.ndarray] = {}
    event_bands: dict[str, np.ndarray] = {}
    dist = np.abs(fixed - p_idx) * bucket_usd / price * 100
    for si, side in enumerate(SIDES):
        map_bands[side] = banded(dist, window_score(maps, "model", si, fixed, p_idx, grid_origin))
        evs = [e for e in fired if e.side == side]
        event_bands[side] = banded(np.array([abs(e.price / price - 1) * 100 for e in evs]), np.array([e.usd for e in evs]))
    return OriginScore(t_ms, price, windows, map_bands, event_bands)


def window_score(maps: dict[str, np.ndarray], name: str, side: int, idx: np.ndarray, p_idx: int, origin: int) -> np.ndarray:
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


def banded(dist_pct: np.ndarray, usd: np.ndarray) -> np.ndarray:
    """USD per distance band (BANDS_PCT edges, the last one inclusive; beyond it is dropped)."""
    dist_pct = np.asarray(dist_pct, dtype=np.float64)
    usd = np.asarray(usd, dtype=np.float64)
    out = np.zeros(len(BANDS_PCT) - 1)
    for i in range(len(out)):
        upper = dist_pct <= BANDS_PCT[i + 1] if i == len(out) - 1 else dist_pct < BANDS_PCT[i + 1]
        out[i] = float(usd[(dist_pct >= BANDS_PCT[i]) & upper].sum())
    return out


def _rank_stat(units: Sequence[SideScore], name: str) -> float | None:
    vals = [r for u in units for r in u.ranks[name]]
    return float(np.mean(vals)) if vals else None


def _cap_stat(units: Sequence[SideScore], name: str) -> float | None:
    tot = sum(u.usd for u in units)
    return sum(u.captured[name] for u in units) / tot if tot > 0 else None


STATS = {"rank_pct": _rank_stat, "capture_at_10pct": _cap_stat}


def summarise(origins: list[OriginScore], n_boot: int, headline: str = "hazard") -> dict[str, Any]:
    """Pooled figures per window and side, bootstrap intervals over origins, and `headline` over the best baseline."""
    out: dict[str, Any] = {"origins": len(origins), "windows": {}}
    if not origins:
        return out
    rankings = list(next(iter(origins[0].windows["fixed"].values())).ranks)
    for wname in WINDOWS:
        wout: dict[str, Any] = {}
        for side in SIDES:
            units = [o.windows[wname][side] for o in origins if o.windows[wname][side].events]
            sout: dict[str, Any] = {"events": sum(u.events for u in units), "usd": round(sum(u.usd for u in units)),
                                    "origins": len(units)}
            for metric, stat in STATS.items():
                sout[metric] = {name: _with_ci(stat(units, name), bootstrap_ci(units, lambda us, n=name, s=stat: s(us, n), n_boot))
                                for name in rankings}
            best = {m: _best(sout[m]) for m in STATS}
            sout["best_baseline"] = best
            sout["headline"] = headline
            sout["headline_over_best"] = {
                m: _with_ci(_ratio(units, STATS[m], headline, best[m]),
                            bootstrap_ci(units, lambda us, s=STATS[m], b=best[m]: _ratio(us, s, headline, b), n_boot))
                for m in STATS}
            wout[side] = sout
        out["windows"][wname] = wout
    bands: dict[str, Any] = {}
    for side in SIDES:
        shares = [o.map_bands[side] / o.map_bands[side].sum() for o in origins if o.map_bands[side].sum() > 0]
        ev = sum((o.event_bands[side] for o in origins), np.zeros(len(BANDS_PCT) - 1))
        bands[side] = {
            "bands_pct": [f"{a:g}-{b:g}" for a, b in zip(BANDS_PCT, BANDS_PCT[1:])],
            "map_share": [round(float(x), 4) for x in (np.mean(shares, axis=0) if shares else np.zeros(len(ev)))],
            "event_share": [round(float(x), 4) for x in (ev / ev.sum() if ev.sum() > 0 else ev)],
        }
    out["mass_by_distance"] = bands
    return out


def _ratio(units: Sequence[SideScore], stat: Any, a: str, b: str) -> float | None:
    x, y = stat(units, a), stat(units, b)
    return x / y if x is not None and y else None


def _best(values: dict[str, dict[str, Any]]) -> str:
    """The strongest baseline by its point value."""
    vals = {b: values[b]["value"] for b in BASELINES if b in values and values[b]["value"] is not None}
    return max(vals, key=lambda k: vals[k]) if vals else "uniform"


def _with_ci(value: float | None, ci: tuple[float, float] | None) -> dict[str, Any]:
    return {"value": None if value is None else round(value, 4),
            "ci95": None if ci is None else [round(ci[0], 4), round(ci[1], 4)]}
