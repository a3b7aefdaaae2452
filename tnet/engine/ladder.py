"""Leverage ladder: tiers, prior weights per venue and each tier's liquidation-price factor."""

from __future__ import annotations

import numpy as np

from tnet.margin import LEVERAGE_TIERS, liquidation_price

TIERS: np.ndarray = np.asarray(LEVERAGE_TIERS, dtype=np.float64)
N_TIERS: int = len(LEVERAGE_TIERS)

# The prior: a realistic retail mix (most open interest at moderate leverage, a thin high-leverage
# tail; heatmap-models.md §4), not the 25x-heavy ladders of the open-source maps.
PRIOR_WEIGHTS: dict[int, float] = {
    2: 0.08, 3: 0.10, 5: 0.16, 10: 0.20, 20: 0.16, 25: 0.10, 50: 0.09, 75: 0.05, 100: 0.04, 125: 0.02,
}

# Bracket lookup needs a position notional; liquidations come mostly from retail-sized positions,
# so a representative $20k position picks the first (or second) bracket on every venue.
REPRESENTATIVE_NOTIONAL_USD: float = 20_000.0


def prior_weights() -> np.ndarray:
    """The prior tier weights as an array aligned with TIERS (sums to 1)."""
    w = np.asarray([PRIOR_WEIGHTS[int(t)] for t in TIERS], dtype=np.float64)
    return w / w.sum()


def liquidation_factors(venue: str) -> tuple[np.ndarray, np.ndarray]:
    """(long_factor, short_factor) per tier with LP = entry x factor, using the venue's brackets."""
    entry = 100_000.0
    qty = REPRESENTATIVE_NOTIONAL_USD / entry
    long_f = np.array([liquidation_price(entry, t, "long", qty, venue) / entry for t in TIERS])
    short_f = np.array([liquidation_price(entry, t, "short", qty, venue) / entry for t in TIERS])
    return long_f, short_f
