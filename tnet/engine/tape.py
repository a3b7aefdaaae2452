"""Real-print tape: recent liquidations, a decaying per-venue bucket layer, clusters and rates (seed 004)."""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from tnet.engine.grid import PriceGrid
from tnet.engine.views import TapeCluster
from tnet.events import Liquidation, event_to_dict

TAPE_HALF_LIFE_S: float = 1800.0
MAX_RECENT: int = 5000  # bounded memory even under a burst
CLUSTER_BIN_FRACTION: float = 0.001  # 0.1 % bins
CLUSTER_MIN_SHARE: float = 0.15
CLUSTER_MIN_EVENTS: int = 3
CLUSTER_TOP: int = 3


class Tape:
    """Per-venue liquidation prints as a decaying bucket layer plus a bounded recent-events ring."""

    def __init__(self, grid: PriceGrid, venues: tuple[str, ...]) -> None:
        self.grid = grid
        self.venues = venues
        self.layer = np.zeros((len(venues), 2, grid.size), dtype=np.float64)
        self.recent: deque[Liquidation] = deque(maxlen=MAX_RECENT)
        self._pending: list[Liquidation] = []
        self._venue_index = {v: i for i, v in enumerate(venues)}
        self._last_decay_ms: int | None = None
        self.counts = dict.fromkeys(venues, 0)

    def add(self, ev: Liquidation) -> None:
        """Hot path: remember the print; the bucket layer is updated at the next tick."""
        self.recent.append(ev)
        self._pending.append(ev)
        if ev.venue in self.counts:
            self.counts[ev.venue] += 1

    def tick(self, now_ms: int) -> list[Liquidation]:
        """Decay the layer to `now_ms`, add pending prints; returns the prints applied."""
        if self._last_decay_ms is not None and now_ms > self._last_decay_ms:
            dt = (now_ms - self._last_decay_ms) / 1000.0
            self.layer *= 0.5 ** (dt / TAPE_HALF_LIFE_S)
        self._last_decay_ms = now_ms
        pending, self._pending = self._pending, []
        for ev in pending:
            vi = self._venue_index.get(ev.venue)
            if vi is None or not ev.usd > 0:
                continue
            self.layer[vi, 0 if ev.side == "long" else 1, self.grid.local(ev.fire)] += ev.usd
        return pending

    def normalized(self) -> np.ndarray:
        """(2, B) tape layer summed over venues, each venue scaled by its own p99 so no venue dominates."""
        out = np.zeros(self.layer.shape[1:])
        for vi in range(len(self.venues)):
            nz = self.layer[vi][self.layer[vi] > 0]
            if nz.size:
                out += self.layer[vi] / max(float(np.percentile(nz, 99)), 1e-12)
        return out

    def window(self, now_ms: int, window_s: int) -> list[Liquidation]:
        """Prints with ts in (now - window, now], oldest first."""
        cut = now_ms - window_s * 1000
        out = [ev for ev in reversed(self.recent) if ev.ts_ms > cut]
        out.reverse()
        return out

    def events_view(self, now_ms: int, window_s: int, limit: int = 200, min_usd: float = 0.0) -> list[dict]:
        """Newest-first event dicts for the tape panel: the newest `limit` of at least `min_usd` (filtered
        before the bound, so a size filter finds large prints older than the newest `limit`)."""
        cut = now_ms - window_s * 1000
        out: list[dict] = []
        for ev in reversed(self.recent):
            if ev.ts_ms <= cut or len(out) >= limit:
                break
            if ev.usd >= min_usd:
                out.append(event_to_dict(ev))
        return out


def tape_clusters(events: list[Liquidation], ref_price: float) -> list[TapeCluster]:
    """0.1 % bins around `ref_price`; a bin holding >= 15 % of the window USD and >= 3 events is a cluster."""
    if not events or not ref_price > 0:
        return []
    total = sum(ev.usd for ev in events)
    if not total > 0:
        return []
    width = ref_price * CLUSTER_BIN_FRACTION
    bins: dict[int, list[float]] = {}
    for ev in events:
        k = int(math.floor((ev.fire - ref_price) / width + 0.5))
        acc = bins.setdefault(k, [0.0, 0.0, 0.0])  # usd, usd x price, count
        acc[0] += ev.usd
        acc[1] += ev.usd * ev.fire
        acc[2] += 1
    found = [
        TapeCluster(price=acc[1] / acc[0], usd=acc[0], count=int(acc[2]), share=acc[0] / total)
        for acc in bins.values()
        if acc[0] >= CLUSTER_MIN_SHARE * total and acc[2] >= CLUSTER_MIN_EVENTS
    ]
    found.sort(key=lambda c: c.usd, reverse=True)
    return found[:CLUSTER_TOP]


def rate_bucket_s(window_s: int) -> int:
    """Seed 004 adaptive rate bucket: 30 s up to 15 min windows, 1 min up to 4 h, else 5 min."""
    if window_s <= 900:
        return 30
    if window_s <= 4 * 3600:
        return 60
    return 300


def tape_rates(
    events: list[Liquidation], now_ms: int, window_s: int
) -> tuple[list[tuple[int, float, float]], list[tuple[int, int]]]:
    """Per-side USD per time bucket [(bucket_start_ms, long_usd, short_usd)] and gaps with no prints.

    A gap is a run of empty buckets covering >= 5 % of the window (seed 004), as (start_ms, end_ms).
    """
    step = rate_bucket_s(window_s) * 1000
    n = max(1, (window_s * 1000) // step)
    start = now_ms - n * step
    longs = [0.0] * n
    shorts = [0.0] * n
    for ev in events:
        j = (ev.ts_ms - start) // step
        if 0 <= j < n:
            if ev.side == "long":
                longs[j] += ev.usd
            else:
                shorts[j] += ev.usd
    rates = [(start + j * step, longs[j], shorts[j]) for j in range(n)]
    gaps: list[tuple[int, int]] = []
    min_gap = 0.05 * window_s * 1000
    run_start: int | None = None
    for j in range(n + 1):
        empty = j < n and longs[j] == 0.0 and shorts[j] == 0.0
        if empty and run_start is None:
            run_start = j
        elif not empty and run_start is not None:
            if (j - run_start) * step >= min_gap:
                gaps.append((start + run_start * step, start + j * step))
            run_start = None
    return rates, gaps
