"""Zones: clusters of strong buckets per side with a lifecycle and statistics (seed 001 acceptance)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tnet.engine.views import Zone

STRONG_SHARE: float = 0.6  # a bucket is strong at >= 60 % of the side's peak near price
STRONG_MIN_FRACTION_OF_MEAN: float = 1.5  # ...and >= 1.5x the side's mean over the range
SEARCH_RANGE_PCT: float = 0.025  # zones are looked for within ±2.5 % of price
MAX_WIDTH_BUCKETS: int = 24  # a zone grows with its cluster up to this width, never beyond
JOIN_GAP_BUCKETS: int = 3  # strong buckets this close belong to one zone
REINFORCE_GROWTH: float = 1.10  # USD grew >= 10 % since last mark -> reinforced
EXPIRE_AFTER_MIN: int = 240  # seed: no reinforcement for 4 h ...
EXPIRE_MIN_DISTANCE_PCT: float = 0.02  # ... and price at least 2 % away -> expired
FADE_SHARE: float = 0.10  # a zone whose USD fell below 25 % of its peak has faded (closed, not touched)
MAX_ZONES_PER_SIDE: int = 12
MAX_ENDED: int = 5000  # bounded memory of finished lifespans


@dataclass(slots=True)
class _Zone:
    id: int
    side: str
    lo: int  # absolute bucket index
    hi: int
    usd: float
    peak_usd: float
    created_ms: int
    last_seen_ms: int
    last_reinforce_usd: float
    state: str = "active"
    touches: int = 0
    strong: bool = False


class ZoneManager:
    """Tracks zones over time; all times are event times passed in."""

    def __init__(self) -> None:
        self.zones: list[_Zone] = []
        self.next_id = 1
        self.counters = {"created": 0, "reinforced": 0, "merged": 0, "swept": 0, "expired": 0}
        self.lifespans_min: list[float] = []  # of zones that ended (swept or expired)
        self.ended_swept: list[bool] = []
        self.strong_ended_untouched: list[bool] = []  # per strong zone that ended

    def update(self, now_ms: int, profile: np.ndarray, grid_origin: int, price_index: int,
               strong_usd: float) -> None:
        """Find candidate clusters in the (2, B) profile, match them to zones, run the lifecycle."""
        half = int(SEARCH_RANGE_PCT * price_index)
        for side_i, side in enumerate(("long", "short")):
            if side == "long":
                lo_abs, hi_abs = price_index - half, price_index - 1
            else:
                lo_abs, hi_abs = price_index + 1, price_index + half
            a, b = lo_abs - grid_origin, hi_abs - grid_origin + 1
            a, b = max(a, 0), min(b, profile.shape[1])
            seg = profile[side_i, a:b] if b > a else np.zeros(0)
            cands = _clusters(seg, a + grid_origin)
            self._match(now_ms, side, cands, strong_usd)
            self._refresh(now_ms, side, profile[side_i], grid_origin)
        self._expire(now_ms, price_index)

    def _match(self, now_ms: int, side: str, cands: list[tuple[int, int, float]], strong_usd: float) -> None:
        live = [z for z in self.zones if z.side == side]
        for lo, hi, usd in cands:
            hits = [z for z in live if z.lo <= hi + JOIN_GAP_BUCKETS and lo <= z.hi + JOIN_GAP_BUCKETS]
            if not hits:
                if len(live) >= MAX_ZONES_PER_SIDE:
                    continue
                z = _Zone(self.next_id, side, lo, hi, usd, usd, now_ms, now_ms, usd, strong=usd >= strong_usd)
                self.next_id += 1
                self.zones.append(z)
                live.append(z)
                self.counters["created"] += 1
                continue
            hits.sort(key=lambda z: z.created_ms)
            keep = hits[0]
            for other in hits[1:]:  # the candidate bridges zones: the younger ones merge into the oldest
                keep.lo, keep.hi = min(keep.lo, other.lo), max(keep.hi, other.hi)
                other.state = "merged"
                self.counters["merged"] += 1
                self.zones.remove(other)
                live.remove(other)
            # the zone keeps its ground and grows with its cluster (bounded), so a cluster that
            # flickers in width does not make the zone look faded
            new_lo, new_hi = min(keep.lo, lo), max(keep.hi, hi)
            if new_hi - new_lo + 1 <= MAX_WIDTH_BUCKETS:
                keep.lo, keep.hi = new_lo, new_hi
            keep.usd = usd
            keep.peak_usd = max(keep.peak_usd, usd)
            keep.strong = keep.strong or usd >= strong_usd
            if usd >= REINFORCE_GROWTH * keep.last_reinforce_usd:
                keep.last_seen_ms = now_ms
                keep.state = "reinforced"
                keep.last_reinforce_usd = usd
                self.counters["reinforced"] += 1

    def touch(self, now_ms: int, low_index: int, high_index: int) -> None:
        """Price traded over [low, high] (absolute indices): zones it reaches are swept and end."""
        for z in list(self.zones):
            if z.lo <= high_index and low_index <= z.hi:
                z.touches += 1
                self.counters["swept"] += 1
                self._end(z, now_ms, swept=True)

    def _refresh(self, now_ms: int, side: str, row: np.ndarray, grid_origin: int) -> None:
        """Zones keep their range; their USD follows the map, and a zone that faded ends untouched."""
        for z in [z for z in self.zones if z.side == side]:
            a, b = max(z.lo - grid_origin, 0), min(z.hi - grid_origin + 1, row.shape[0])
            z.usd = float(row[a:b].sum()) if b > a else 0.0
            if z.usd < FADE_SHARE * z.peak_usd:
                self.counters["expired"] += 1
                self._end(z, now_ms, swept=False)

    def _expire(self, now_ms: int, price_index: int) -> None:
        far = EXPIRE_MIN_DISTANCE_PCT * price_index
        for z in list(self.zones):
            distance = min(abs(z.lo - price_index), abs(z.hi - price_index))
            if now_ms - z.last_seen_ms >= EXPIRE_AFTER_MIN * 60_000 and distance >= far:
                self.counters["expired"] += 1
                self._end(z, now_ms, swept=False)

    def _end(self, z: _Zone, now_ms: int, swept: bool) -> None:
        z.state = "swept" if swept else "expired"
        self.zones.remove(z)
        if len(self.lifespans_min) >= MAX_ENDED:
            del self.lifespans_min[0], self.ended_swept[0]
        self.lifespans_min.append((now_ms - z.created_ms) / 60_000.0)
        self.ended_swept.append(swept)
        if z.strong:
            if len(self.strong_ended_untouched) >= MAX_ENDED:
                del self.strong_ended_untouched[0]
            self.strong_ended_untouched.append(not swept)

    def recentred(self) -> None:
        """Absolute indices survive a grid re-centre unchanged (nothing to do; kept for clarity)."""

    def stats(self) -> dict:
        """Lifecycle counters plus median lifespan, swept rate and strong-gone-before-touch share."""
        out: dict = dict(self.counters)
        out["active"] = len(self.zones)
        out["median_lifespan_min"] = float(np.median(self.lifespans_min)) if self.lifespans_min else None
        out["swept_rate"] = float(np.mean(self.ended_swept)) if self.ended_swept else None
        out["strong_gone_before_touch"] = (
            float(np.mean(self.strong_ended_untouched)) if self.strong_ended_untouched else None
        )
        return out

    def views(self, bucket_usd: float, price: float, hazard: np.ndarray | None = None, grid_origin: int = 0) -> list[Zone]:
        """Live zones as view records, strongest first; `hazard` (2, B) on the grid gives each its hazard USD."""
        out = []
        for z in sorted(self.zones, key=lambda z: z.usd, reverse=True):
            lo, hi = z.lo * bucket_usd, z.hi * bucket_usd
            mid = 0.5 * (lo + hi)
            hz = 0.0
            if hazard is not None:
                a, b = max(z.lo - grid_origin, 0), min(z.hi - grid_origin + 1, hazard.shape[1])
                hz = float(hazard[0 if z.side == "long" else 1, a:b].sum()) if b > a else 0.0
            out.append(Zone(id=z.id, side=z.side, price_low=lo - bucket_usd / 2, price_high=hi + bucket_usd / 2,
                            usd=z.usd, state=z.state, created_ms=z.created_ms, touches=z.touches,
                            distance_pct=(mid - price) / price * 100.0 if price > 0 else 0.0, hazard_usd=hz))
        return out


def _clusters(seg: np.ndarray, abs_start: int) -> list[tuple[int, int, float]]:
    """Runs of strong buckets in `seg` joined across small gaps: (lo_abs, hi_abs, usd)."""
    if seg.size == 0:
        return []
    peak = float(seg.max())
    if not peak > 0:
        return []
    thr = max(STRONG_SHARE * peak, STRONG_MIN_FRACTION_OF_MEAN * float(seg.mean()))
    idx = np.flatnonzero(seg >= thr)
    if idx.size == 0:
        return []
    out = []
    start = prev = int(idx[0])
    for i in idx[1:].tolist():
        if i - prev > JOIN_GAP_BUCKETS:
            out.append((start, prev))
            start = i
        prev = i
    out.append((start, prev))
    return [(abs_start + lo, abs_start + hi, float(seg[lo : hi + 1].sum())) for lo, hi in out]
