"""Resting liquidity: the venues' sampled books summed per price bucket in USD, and its heatmap history."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tnet.engine.grid import bucket_index
from tnet.engine.history import HISTORY_COLS, HISTORY_HALF_ROWS, HeatmapHistory
from tnet.engine.views import BookLevel, BookView, Level

# A venue whose newest sample was received longer ago than this drops out of the sum: a book that stopped
# updating (a dropped depth stream, a resync that never finished) must not pose as resting liquidity.
# Judged on receive times, which every source has on one clock (a scaled-time simulator's exchange
# times run ahead of it, and connectors sample by receive time).
BOOK_STALE_MS: int = 15_000


class _Sample:
    """One venue's newest book: USD per bucket from absolute bucket `lo`, per side."""

    __slots__ = ("ts_ms", "recv_ms", "bid_lo", "bids", "ask_lo", "asks")

    def __init__(self, ts_ms: int, recv_ms: int, bid_lo: int, bids: np.ndarray, ask_lo: int, asks: np.ndarray) -> None:
        self.ts_ms, self.recv_ms = ts_ms, recv_ms
        self.bid_lo, self.bids = bid_lo, bids
        self.ask_lo, self.asks = ask_lo, asks


def bucket_depth(levels: Sequence[tuple[float, float]], bucket_usd: float, centre: int, half_rows: int
                 ) -> tuple[int, np.ndarray]:
    """(first absolute bucket, USD per bucket) of (price, base size) levels within `half_rows` of `centre`.

    Levels that are not finite and positive are dropped, and so is anything outside the window: a
    stray price must not stretch the arrays (memory stays bounded whatever a venue sends).
    """
    if not levels:
        return centre, np.zeros(0)
    arr = np.asarray(levels, dtype=np.float64).reshape(-1, 2)
    price, size = arr[:, 0], arr[:, 1]
    with np.errstate(invalid="ignore", over="ignore"):
        idx = np.floor(price / bucket_usd + 0.5)
        ok = np.isfinite(price) & np.isfinite(size) & (price > 0) & (size > 0) & (np.abs(idx - centre) <= half_rows)
    if not ok.any():
        return centre, np.zeros(0)
    i = idx[ok].astype(np.int64)
    lo = int(i.min())
    return lo, np.bincount(i - lo, weights=price[ok] * size[ok])


def _add_into(out: np.ndarray, origin: int, lo: int, values: np.ndarray) -> None:
    """out[k] += values[k + origin - lo] where both exist (absolute buckets `origin + k`)."""
    a, b = max(lo, origin), min(lo + values.shape[0], origin + out.shape[0])
    if b > a:
        out[a - origin : b - origin] += values[a - lo : b - lo]


class BookLayer:
    """Per symbol: each venue's newest sample, the fresh ones summed, and per-minute columns of the sum.

    A column keeps the largest USD each bucket held at any sample of its minute, so a wall that was
    shown for seconds and pulled (spoofing) stays visible in the history. Time is a parameter.
    """

    def __init__(self, n_venues: int, cols: int = HISTORY_COLS, half_rows: int = HISTORY_HALF_ROWS,
                 stale_ms: int = BOOK_STALE_MS) -> None:
        self.history = HeatmapHistory(cols, half_rows)  # long_usd = bids, short_usd = asks
        self.half_rows = half_rows
        self.stale_ms = stale_ms
        self._samples: list[_Sample | None] = [None] * n_venues
        self._col_origin = 0
        self._col_bids = np.zeros(self.history.rows)
        self._col_asks = np.zeros(self.history.rows)
        self._col_samples = 0  # samples folded into the current column
        self._col_price = math.nan
        self.samples = 0  # samples taken in total

    def add(self, venue: int, ts_ms: int, recv_ms: int, bids: Sequence[tuple[float, float]],
            asks: Sequence[tuple[float, float]], bucket_usd: float, price: float) -> None:
        """Take venue `venue`'s sample (exchange time `ts_ms`, received at `recv_ms`) on the grid of
        `bucket_usd` around `price`."""
        centre = bucket_index(price, bucket_usd)
        bid_lo, bid_usd = bucket_depth(bids, bucket_usd, centre, self.half_rows)
        ask_lo, ask_usd = bucket_depth(asks, bucket_usd, centre, self.half_rows)
        prev = self._samples[venue]
        if prev is not None and ts_ms < prev.ts_ms:
            return  # an older sample than the one held (a reordered replay): the newer book stands
        self._samples[venue] = _Sample(ts_ms, recv_ms, bid_lo, bid_usd, ask_lo, ask_usd)
        self.samples += 1
        if self._col_samples == 0:
            self._col_origin = centre - self.half_rows
        b, a, _ = self.aggregate(recv_ms, self._col_origin, self.history.rows)
        np.maximum(self._col_bids, b, out=self._col_bids)
        np.maximum(self._col_asks, a, out=self._col_asks)
        self._col_samples += 1
        self._col_price = price

    def fresh(self, now_ms: int) -> list[int]:
        """Venues whose newest sample was received at most `stale_ms` before `now_ms` (a receive-clock time)."""
        return [v for v, s in enumerate(self._samples) if s is not None and now_ms - s.recv_ms <= self.stale_ms]

    def aggregate(self, now_ms: int, origin: int, rows: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """(bid USD, ask USD) per bucket `origin .. origin + rows - 1`, summed over the fresh venues, and those venues."""
        bids, asks = np.zeros(rows), np.zeros(rows)
        venues = self.fresh(now_ms)
        for v in venues:
            s = self._samples[v]
            assert s is not None
            _add_into(bids, origin, s.bid_lo, s.bids)
            _add_into(asks, origin, s.ask_lo, s.asks)
        return bids, asks, venues

    def end_column(self, start_ms: int) -> None:
        """Close the column that started at `start_ms` (the map's minute); a minute with no sample stays unknown."""
        if self._col_samples == 0:
            return
        centre = self._col_origin + self.half_rows
        self.history.push(start_ms, centre, self._col_bids, self._col_asks, self._col_origin, self._col_price)
        self._col_bids[:] = 0.0
        self._col_asks[:] = 0.0
        self._col_samples = 0

    def columns_for(self, t0_ms: int, col_ms: int, n_cols: int, target_origin: int
                    ) -> tuple[np.ndarray, np.ndarray] | None:
        """(bids, asks) of shape (n_cols, rows) for a map whose column j starts at t0_ms + j*col_ms, rows
        from `target_origin`; NaN in columns the book has no sample for. None when there is no history."""
        return self.history.matrices_at(t0_ms, col_ms, n_cols, target_origin)

    def view(self, now_ms: int, bucket_usd: float, price: float, levels: list[Level], venues: Sequence[str]
             ) -> BookView | None:
        """The current book around `price` at receive-clock time `now_ms` (None when no venue has a fresh
        sample: no data, never zeros)."""
        centre = bucket_index(price, bucket_usd)
        origin = centre - self.half_rows
        bids, asks, fresh = self.aggregate(now_ms, origin, self.history.rows)
        if not fresh:
            return None
        ts = max(s.ts_ms for v in fresh if (s := self._samples[v]) is not None)
        return BookView(
            ts_ms=int(ts), venues=[venues[v] for v in fresh], bid_usd=float(bids.sum()), ask_usd=float(asks.sum()),
            levels=book_levels(levels, bucket_usd, origin, bids, asks),
            price_lo=origin * bucket_usd, bucket_usd=bucket_usd, bids=bids, asks=asks,
        )


def book_levels(levels: list[Level], bucket_usd: float, origin: int, bids: np.ndarray, asks: np.ndarray) -> list[BookLevel]:
    """The book summed over the same rows as the level profile (equal-width rows of whole buckets)."""
    if not levels:
        return []
    per = max(1, round((levels[1].price - levels[0].price) / bucket_usd)) if len(levels) > 1 else 1
    cb = np.concatenate(([0.0], np.cumsum(bids)))
    ca = np.concatenate(([0.0], np.cumsum(asks)))
    n = bids.shape[0]
    out = []
    for lv in levels:
        # a row of `per` buckets centred on lv.price: first bucket = centre - (per - 1) / 2
        a = int(round(lv.price / bucket_usd - (per - 1) / 2)) - origin
        a0, b0 = min(max(a, 0), n), min(max(a + per, 0), n)
        out.append(BookLevel(price=lv.price, bid_usd=float(cb[b0] - cb[a0]), ask_usd=float(ca[b0] - ca[a0])))
    return out
