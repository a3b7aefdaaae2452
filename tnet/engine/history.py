"""Heatmap history: a bounded ring of 1-minute columns (long and short USD around price, float32)."""

from __future__ import annotations

import numpy as np

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
        shift = self.origin[slots] - target_origin  # (n,)
        idx = np.arange(self.rows)[None, :] - shift[:, None]
        valid = (idx >= 0) & (idx < self.rows)
        np.clip(idx, 0, self.rows - 1, out=idx)
        long = np.where(valid, np.take_along_axis(self.long[slots], idx, axis=1), 0.0).astype(np.float32)
        short = np.where(valid, np.take_along_axis(self.short[slots], idx, axis=1), 0.0).astype(np.float32)
        return int(self.col_start[slots[0]]), long, short, self.price[slots].copy()
