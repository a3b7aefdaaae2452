"""Heatmap history: a bounded ring of 1-minute columns (long and short USD around price, float32)."""

from __future__ import annotations

import numpy as np

from tnet.engine.grid import bucket_index
from tnet.engine.views import HeatmapView

HISTORY_COLS: int = 24 * 60  # 24 h at 1-minute columns
HISTORY_HALF_ROWS: int = 240  # ±240 buckets (±6 % at 0.025 % buckets) around the price of capture
COLUMN_MS: int = 60_000


class HeatmapHistory:
    """Each column stores rows [origin, origin + rows) of the absolute integer bucket index."""

    def __init__(self, cols: int = HISTORY_COLS, half_rows: int = HISTORY_HALF_ROWS) -> None:
        self.cols = cols
        self.rows = 2 * half_rows + 1
        self.half_rows = half_rows
        self.long = np.zeros((cols, self.rows), dtype=np.float32)
        self.short = np.zeros((cols, self.rows), dtype=np.float32)
        self.origin = np.zeros(cols, dtype=np.int64)
        self.price = np.full(cols, np.nan)
        self.col_start = np.full(cols, -1, dtype=np.int64)  # minute start ms of each slot, -1 = empty
        self.count = 0  # columns ever written

    def push(self, start_ms: int, centre_index: int, long_abs: np.ndarray, short_abs: np.ndarray,
             grid_origin: int, price: float) -> None:
        """Store one column cut from the grid profiles (arrays indexed by window-relative bucket)."""
        slot = self.count % self.cols
        lo = centre_index - self.half_rows
        a = lo - grid_origin
        n = long_abs.shape[0]
        self.long[slot] = 0.0
        self.short[slot] = 0.0
        src_lo, src_hi = max(a, 0), min(a + self.rows, n)
        if src_hi > src_lo:
            self.long[slot, src_lo - a : src_hi - a] = long_abs[src_lo:src_hi]
            self.short[slot, src_lo - a : src_hi - a] = short_abs[src_lo:src_hi]
        self.origin[slot] = lo
        self.price[slot] = price
        self.col_start[slot] = start_ms
        self.count += 1

    def window(self, target_origin: int, n_cols: int | None = None
               ) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        """(t0_ms, long, short, price_path), oldest first, realigned to rows starting at `target_origin`."""
        n = min(self.count, self.cols if n_cols is None else min(n_cols, self.cols))
        if n == 0:
            empty = np.zeros((0, self.rows), dtype=np.float32)
            return 0, empty, empty.copy(), np.zeros(0)
        slots = (np.arange(self.count - n, self.count) % self.cols)
        long, short = self._realigned(slots, target_origin)
        return int(self.col_start[slots[0]]), long, short, self.price[slots].copy()

    def _realigned(self, slots: np.ndarray, target_origin: int) -> tuple[np.ndarray, np.ndarray]:
        """(long, short) of the columns in `slots`, rows shifted to start at `target_origin` (0 outside)."""
        shift = self.origin[slots] - target_origin  # (n,)
        idx = np.arange(self.rows)[None, :] - shift[:, None]
        valid = (idx >= 0) & (idx < self.rows)
        np.clip(idx, 0, self.rows - 1, out=idx)
        long = np.where(valid, np.take_along_axis(self.long[slots], idx, axis=1), 0.0).astype(np.float32)
        short = np.where(valid, np.take_along_axis(self.short[slots], idx, axis=1), 0.0).astype(np.float32)
        return long, short

    def matrices_at(self, t0_ms: int, col_ms: int, n_cols: int, target_origin: int
                    ) -> tuple[np.ndarray, np.ndarray] | None:
        """(long, short) placed on another map's columns (column j starts at t0_ms + j*col_ms) by start time.

        A column this history has no entry for is NaN (unknown, not empty). None when it holds nothing.
        """
        if self.count == 0:
            return None
        slots = np.arange(max(self.count - self.cols, 0), self.count) % self.cols
        j = (self.col_start[slots] - t0_ms) // col_ms
        keep = (j >= 0) & (j < n_cols) & ((self.col_start[slots] - t0_ms) % col_ms == 0)
        long = np.full((n_cols, self.rows), np.nan, dtype=np.float32)
        short = np.full((n_cols, self.rows), np.nan, dtype=np.float32)
        if keep.any():
            long[j[keep]], short[j[keep]] = self._realigned(slots[keep], target_origin)
        return long, short

    def columns_since(self, seen: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Columns written after the first `seen` (those still in the ring), oldest first.

        Returns (first sequence number, col_start, origin, price, long, short): what a reader needs
        to rebuild this history with `put`.
        """
        first = max(seen, self.count - self.cols, 0)
        slots = np.arange(first, self.count) % self.cols
        return (first, self.col_start[slots].copy(), self.origin[slots].copy(), self.price[slots].copy(),
                self.long[slots].copy(), self.short[slots].copy())

    def put(self, first: int, col_start: np.ndarray, origin: np.ndarray, price: np.ndarray,
            long: np.ndarray, short: np.ndarray) -> None:
        """Store columns numbered `first`, `first + 1`, ... as another history's `columns_since` gave them."""
        n = len(col_start)
        if n == 0:
            return
        slots = np.arange(first, first + n) % self.cols
        self.long[slots] = long
        self.short[slots] = short
        self.origin[slots] = origin
        self.price[slots] = price
        self.col_start[slots] = col_start
        self.count = max(self.count, first + n)

    def view(self, price: float, bucket_usd: float, prints: list[tuple[int, float, str, float]]) -> HeatmapView:
        """The history realigned around `price` (rows centred on its bucket), with the prints inside it."""
        target = bucket_index(price, bucket_usd) - self.half_rows
        t0, long, short, path = self.window(target)
        return HeatmapView(t0_ms=t0, col_ms=COLUMN_MS, price_lo=target * bucket_usd, bucket_usd=bucket_usd,
                           long_usd=long, short_usd=short, price_path=path,
                           prints=[p for p in prints if p[0] >= t0])
