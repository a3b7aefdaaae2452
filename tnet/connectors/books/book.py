"""One venue's local order book for one symbol: absolute level sizes, bounded, sampled into BookDepth."""

from __future__ import annotations

from collections.abc import Iterable

MAX_LEVELS = 2_000  # per side: Binance's snapshot holds 1000, diffs add outer levels as price moves
SAMPLE_LEVELS = 1_000  # per side in one BookDepth sample
SAMPLE_BAND = 0.10  # a sample keeps levels within ±10 % of mid (the map's level profile spans less)


class LocalBook:
    """Price -> size per side (absolute sizes; size 0 deletes), never more than `max_levels` per side.

    When a side outgrows its cap, the levels farthest from the best are dropped: the far book is what
    a heatmap needs least, and an update that later deletes a dropped level is a no-op.
    """

    __slots__ = ("bids", "asks", "max_levels")

    def __init__(self, max_levels: int = MAX_LEVELS) -> None:
        self.bids: dict[float, float] = {}
        self.asks: dict[float, float] = {}
        self.max_levels = max_levels

    def clear(self) -> None:
        self.bids.clear()
        self.asks.clear()

    def replace(self, bids: Iterable[tuple[float, float]], asks: Iterable[tuple[float, float]]) -> None:
        """Load a full snapshot (zero sizes skipped)."""
        self.bids = {p: q for p, q in bids if q}
        self.asks = {p: q for p, q in asks if q}
        self.trim()

    def update(self, bids: Iterable[tuple[float, float]], asks: Iterable[tuple[float, float]]) -> None:
        """Apply one diff: each level's new absolute size, 0 removes it."""
        for side, rows in ((self.bids, bids), (self.asks, asks)):
            pop = side.pop
            for price, size in rows:
                if size:
                    side[price] = size
                else:
                    pop(price, None)
        self.trim()

    def trim(self) -> None:
        """Drop the farthest levels of a side over the cap (with 25 % slack so sorting is rare)."""
        cap = self.max_levels
        if len(self.bids) > cap + cap // 4:
            self.bids = dict(sorted(self.bids.items(), reverse=True)[:cap])
        if len(self.asks) > cap + cap // 4:
            self.asks = dict(sorted(self.asks.items())[:cap])

    def best(self) -> tuple[float | None, float | None]:
        """(best bid, best ask); None for an empty side."""
        return (max(self.bids) if self.bids else None, min(self.asks) if self.asks else None)

    def crossed(self) -> bool:
        """Best bid at or above best ask: a book that cannot be true (a missed update)."""
        bid, ask = self.best()
        return bid is not None and ask is not None and bid >= ask

    def levels(self, band: float = SAMPLE_BAND, limit: int = SAMPLE_LEVELS,
               scale: float = 1.0) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        """(bids descending, asks ascending) within ±band of mid, at most `limit` per side, sizes x scale."""
        bid, ask = self.best()
        if bid is None or ask is None:
            mid = bid if ask is None else ask
        else:
            mid = (bid + ask) / 2
        if mid is None:
            return [], []
        lo, hi = mid * (1 - band), mid * (1 + band)
        bids = sorted((p for p in self.bids if p >= lo), reverse=True)[:limit]
        asks = sorted(p for p in self.asks if p <= hi)[:limit]
        b, a = self.bids, self.asks
        return [(p, b[p] * scale) for p in bids], [(p, a[p] * scale) for p in asks]

    def __len__(self) -> int:
        return len(self.bids) + len(self.asks)
