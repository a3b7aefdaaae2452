"""Integer price grid: bucket width per symbol and a window that re-centres without losing mass."""

from __future__ import annotations

import math

import numpy as np

# Bucket width as a fraction of price: $25 at a $100k BTC, scaled by price for other symbols.
BUCKET_FRACTION: float = 0.00025
# The window spans ±60 % so even 2x longs (liquidated ~50 % below entry) stay on the grid.
WINDOW_HALF_FRACTION: float = 0.60
# Re-centre once price drifts this share of the half-window away from the centre.
RECENTRE_SHARE: float = 0.15


def nice_bucket_usd(price: float) -> float:
    """A round bucket width (1, 2, 2.5 or 5 x 10^k) close to BUCKET_FRACTION x price."""
    if not price > 0:
        raise ValueError("price must be positive")
    raw = price * BUCKET_FRACTION
    exp = math.floor(math.log10(raw))
    base = raw / 10**exp
    step = min((1.0, 2.0, 2.5, 5.0, 10.0), key=lambda s: abs(math.log(base / s)))
    return step * 10**exp


class PriceGrid:
    """Bucket i of the window covers integer index `origin + i`; price = index x bucket_usd.

    Indices are integers so repeated re-centring never drifts (a float grid drifted in the seed).
    """

    def __init__(self, price: float, bucket_usd: float | None = None) -> None:
        self.bucket_usd: float = float(bucket_usd) if bucket_usd else nice_bucket_usd(price)
        half = int(math.ceil(price * WINDOW_HALF_FRACTION / self.bucket_usd))
        self.size: int = 2 * half + 1
        self.half: int = half
        self.origin: int = self.index_of(price) - half

    def index_of(self, price: float) -> int:
        """Absolute integer bucket index of a price."""
        return bucket_index(price, self.bucket_usd)

    def local(self, price: float) -> int:
        """Window-relative bucket of a price, clipped to the window."""
        i = self.index_of(price) - self.origin
        return 0 if i < 0 else (self.size - 1 if i >= self.size else i)

    def local_float(self, price: float | np.ndarray) -> float | np.ndarray:
        """Window-relative fractional bucket coordinate (for kernels)."""
        return np.asarray(price) / self.bucket_usd - self.origin

    def price_at(self, local_index: int | np.ndarray) -> float | np.ndarray:
        """Centre price of window-relative bucket(s)."""
        return (np.asarray(local_index) + self.origin) * self.bucket_usd

    def prices(self) -> np.ndarray:
        """Centre price of every bucket in the window."""
        return (np.arange(self.size) + self.origin) * self.bucket_usd

    def needs_recentre(self, price: float) -> bool:
        """True when price has drifted far enough from the window centre."""
        centre = self.origin + self.half
        return abs(self.index_of(price) - centre) > RECENTRE_SHARE * self.half

    def recentre(self, price: float, arrays: list[np.ndarray]) -> int:
        """Move the window to centre on `price`; shift every array's last axis in place.

        Mass that would fall off an end is folded into the edge bucket, so totals never change.
        Returns the shift (new origin - old origin).
        """
        shift = self.index_of(price) - self.half - self.origin
        if shift == 0:
            return 0
        for arr in arrays:
            shift_fold(arr, shift)
        self.origin += shift
        return shift


def shift_fold(arr: np.ndarray, shift: int) -> None:
    """In place: new[..., i] = old[..., i + shift]; the cut-off part is summed into the edge."""
    n = arr.shape[-1]
    if shift > 0:
        s = min(shift, n)
        lost = arr[..., :s].sum(axis=-1)
        if s < n:
            arr[..., : n - s] = arr[..., s:].copy()
        arr[..., n - s :] = 0.0
        arr[..., 0] += lost
    elif shift < 0:
        s = min(-shift, n)
        lost = arr[..., n - s :].sum(axis=-1)
        if s < n:
            arr[..., s:] = arr[..., : n - s].copy()
        arr[..., :s] = 0.0
        arr[..., n - 1] += lost


def bucket_index(price: float, bucket_usd: float) -> int:
    """Absolute integer bucket index of a price on a grid of `bucket_usd` buckets."""
    return int(math.floor(price / bucket_usd + 0.5))
