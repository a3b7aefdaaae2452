"""Inferred position inventory: tier-conditional liquidation mass per venue, side and price bucket.

`mass[v, s, t, b]` is the USD that would sit at bucket b *if every position of venue v, side s were
tier t*. The heatmap is the weighted sum over tiers, so a calibrator weight change shows at once
and each tier keeps its own sweep history (what the calibrator needs to judge exposure).
"""

from __future__ import annotations

import numpy as np

from tnet.engine.grid import PriceGrid, shift_fold
from tnet.engine.hazard import normal_cdf
from tnet.engine.ladder import N_TIERS, liquidation_factors

LONG, SHORT = 0, 1
# Kernel width in percent space: a floor for unknown entry spread and margin buffers, widened by
# the interval's own price range.
KERNEL_FLOOR_PCT: float = 0.0008
KERNEL_MAX_HALF_BUCKETS: int = 60
SWEEP_FRACTION: float = 0.70  # seed: a wick dims a level, it does not erase it
# Bars sweep with it too. 0.95 for bars (one sweep for the crossings inside a bar) raised the Coinglass
# 30-minute file's sweep Spearman (0.794/0.715 -> 0.819/0.744) but not the simulator's hourly stand-in's
# ranking (hazard capture +0.014 +- 0.010, rank +0.001), and scored lower on the real OKX events: not used.
MIN_BUCKET_USD: float = 1.0  # below this, swept remainders are dropped


class Inventory:
    """Tier-conditional inventory on a shared price grid."""

    def __init__(self, grid: PriceGrid, venues: tuple[str, ...]) -> None:
        self.grid = grid
        self.venues = venues
        self.mass = np.zeros((len(venues), 2, N_TIERS, grid.size), dtype=np.float64)
        # The same inventory under exact semantics: a crossing liquidates all of it. Never shown; it is
        # what the calibrator compares prints with (a 70 % display sweep would bias far tiers by 1/0.7).
        self.fresh = np.zeros_like(self.mass)
        self.last_fresh = np.zeros((len(venues), N_TIERS))  # fresh mass the last sweep crossed
        factors = [liquidation_factors(v) for v in venues]
        self.long_factor = np.stack([f[0] for f in factors])  # (V, T)
        self.short_factor = np.stack([f[1] for f in factors])

    def place(self, venue_idx: int, side: int, usd: float, entry: float, spread_pct: float = 0.0) -> None:
        """Add `usd` of new positions opened around `entry` to every tier's liquidation level."""
        if not usd > 0 or not entry > 0:
            return
        factor = self.long_factor[venue_idx] if side == LONG else self.short_factor[venue_idx]
        levels = entry * factor  # (T,)
        sigma_pct = float(np.hypot(KERNEL_FLOOR_PCT, spread_pct))
        self._add_kernel(venue_idx, side, levels, sigma_pct, usd)

    def place_range(self, venue_idx: int, side: int, usd: float, low: float, high: float) -> None:
        """Add `usd` of positions opened evenly over the prices [low, high] traded (a bar's range).

        Each tier's levels then cover [low, high] x factor: a box convolved with the floor kernel
        (difference of normal CDFs), so entries sit where the market traded, not at one typical price.
        """
        if not usd > 0 or not high >= low > 0:
            return
        grid = self.grid
        factor = self.long_factor[venue_idx] if side == LONG else self.short_factor[venue_idx]
        lo_b = grid.local_float(low * factor) - 0.5  # (T,) box edges in bucket coordinates
        hi_b = grid.local_float(high * factor) + 0.5
        sigma_b = np.maximum(0.5 * (low + high) * factor * KERNEL_FLOOR_PCT / grid.bucket_usd, 0.5)
        a = np.floor(lo_b - 3 * sigma_b).astype(np.int64)
        width = int(min(np.max(np.ceil(hi_b + 3 * sigma_b).astype(np.int64) - a), 2 * KERNEL_MAX_HALF_BUCKETS * 4)) + 1
        idx = a[:, None] + np.arange(width)[None, :]  # (T, K)
        # density of box x Gaussian at the K + 1 bucket edges, each bucket the mean of its two edges
        edges = np.concatenate([idx - 0.5, idx[:, -1:] + 0.5], axis=1)
        dens = normal_cdf((edges - lo_b[:, None]) / sigma_b[:, None]) - normal_cdf((edges - hi_b[:, None]) / sigma_b[:, None])
        kern = np.maximum(0.5 * (dens[:, :-1] + dens[:, 1:]), 0.0)
        total = kern.sum(axis=1, keepdims=True)
        kern *= usd / np.maximum(total, 1e-300)
        self._deposit(venue_idx, side, idx, kern)

    def _add_kernel(self, venue_idx: int, side: int, levels: np.ndarray, sigma_pct: float, usd: float) -> None:
        """Gaussian (percent space) of total `usd` around each tier's level, one tier per row."""
        grid = self.grid
        centre = grid.local_float(levels)  # (T,)
        sigma_b = np.maximum(levels * sigma_pct / grid.bucket_usd, 0.5)
        half = int(min(KERNEL_MAX_HALF_BUCKETS, np.ceil(3.0 * sigma_b.max())))
        offs = np.arange(-half, half + 1)
        base = np.floor(centre + 0.5).astype(np.int64)
        idx = base[:, None] + offs[None, :]  # (T, K)
        dist = (idx - centre[:, None]) / sigma_b[:, None]
        kern = np.exp(-0.5 * dist * dist)
        kern *= usd / kern.sum(axis=1, keepdims=True)
        self._deposit(venue_idx, side, idx, kern)

    def _deposit(self, venue_idx: int, side: int, idx: np.ndarray, kern: np.ndarray) -> None:
        """Add (T, K) USD at window buckets idx (T, K), one tier per row."""
        idx = np.clip(idx, 0, self.grid.size - 1)  # off-window mass lands on the edge, never lost
        tier = np.broadcast_to(np.arange(idx.shape[0])[:, None], idx.shape)
        np.add.at(self.mass[venue_idx, side], (tier, idx), kern)
        np.add.at(self.fresh[venue_idx, side], (tier, idx), kern)

    def seed_like(self, venue_idx: int, donors: list[int], usd: float, price: float) -> bool:
        """Give a venue without history `usd` of inventory shaped like the `donors`' (same entries per tier).

        A donor's tier level sits at entry x its own ladder factor; the copy moves each tier row by the
        difference of the two venues' factors at `price` (their brackets differ by tenths of a percent).
        Returns False (nothing placed) when the donors hold no inventory on some tier.
        """
        acc = np.zeros((2,) + self.mass.shape[2:])
        acc_fresh = np.zeros_like(acc)
        factors = (self.long_factor, self.short_factor)
        at = price / self.grid.bucket_usd
        for d in donors:
            for side in (LONG, SHORT):
                # entries near `price`: tier t's levels sit near price x factor, so they move by the difference
                shift = np.rint(at * (factors[side][venue_idx] - factors[side][d])).astype(np.int64)
                for t, k in enumerate(shift.tolist()):
                    for src, dst in ((self.mass, acc), (self.fresh, acc_fresh)):
                        row = src[d, side, t].copy()
                        shift_fold(row, -k)  # moved k buckets up; what leaves the window lands on its edge
                        dst[side, t] += row
        per_tier = acc.sum(axis=(0, 2))  # (T,)
        if not np.all(per_tier > 0):
            return False
        scale = (usd / per_tier)[None, :, None]
        self.mass[venue_idx] = acc * scale
        self.fresh[venue_idx] = acc_fresh * scale
        return True

    def scale_venue(self, venue_idx: int, factor: float) -> None:
        """Proportional change of one venue's inventory (OI closes, decay)."""
        self.mass[venue_idx] *= factor
        self.fresh[venue_idx] *= factor

    def sweep_long(self, low_local: int, high_local: int) -> np.ndarray:
        """Longs liquidate when price falls to their level: sweep buckets [low, high]; returns swept (V, T)."""
        return self._sweep(LONG, low_local, high_local)

    def sweep_short(self, low_local: int, high_local: int) -> np.ndarray:
        """Shorts liquidate when price rises to their level: sweep buckets [low, high]; returns swept (V, T)."""
        return self._sweep(SHORT, low_local, high_local)

    def _sweep(self, side: int, lo: int, hi: int) -> np.ndarray:
        lo = max(lo, 0)
        hi = min(hi, self.grid.size - 1)
        if hi < lo:
            self.last_fresh = np.zeros(self.mass.shape[:1] + self.mass.shape[2:3])
            return self.last_fresh.copy()
        fresh = self.fresh[:, side, :, lo : hi + 1]
        self.last_fresh = fresh.sum(axis=-1)
        fresh[...] = 0.0
        seg = self.mass[:, side, :, lo : hi + 1]
        swept = seg.sum(axis=-1)
        swept *= SWEEP_FRACTION
        seg *= 1.0 - SWEEP_FRACTION  # dust below MIN_BUCKET_USD is cleared once a minute (drop_dust)
        return swept

    def drop_dust(self) -> None:
        """Zero buckets below MIN_BUCKET_USD (seed: a swept bucket is deleted only when tiny)."""
        self.mass[self.mass < MIN_BUCKET_USD] = 0.0
        self.fresh[self.fresh < MIN_BUCKET_USD] = 0.0

    def weighted(self, weights: np.ndarray) -> np.ndarray:
        """Heatmap profile (2, B): sum over venues and tiers of weight x tier mass. weights is (V, T)."""
        return np.einsum("vt,vstb->sb", weights, self.mass)

    def venue_total(self, venue_idx: int, weights: np.ndarray) -> float:
        """Weighted USD of one venue (what its open interest should be)."""
        return float(np.einsum("t,stb->", weights, self.mass[venue_idx]))

