"""Venue margin facts: leverage tiers, maintenance-margin brackets and liquidation prices (pure)."""

from __future__ import annotations

import numpy as np

from tnet.venues import RECORDS, quality

# The leverage ladder every layer shares (engine calibration, simulator truth, backtest TVD).
LEVERAGE_TIERS: tuple[int, ...] = (2, 3, 5, 10, 20, 25, 50, 75, 100, 125)

# Maintenance-margin brackets (notional floor USD, rate, amount) are venue facts: each venue's record.
_FALLBACK = next(iter(RECORDS.values())).brackets  # a venue without a record margins like the first one


def bracket(venue: str, notional_usd: float) -> tuple[float, float]:
    """(maintenance margin rate, maintenance amount) of the bracket holding `notional_usd`."""
    rec = RECORDS.get(venue)
    rows = rec.brackets if rec is not None else _FALLBACK
    mmr, cum = rows[0][1], rows[0][2]
    for floor, rate, amount in rows:
        if notional_usd >= floor:
            mmr, cum = rate, amount
        else:
            break
    return mmr, cum


def liquidation_price(entry: float, leverage: float, side: str, qty: float, venue: str = "binance") -> float:
    """Isolated-margin liquidation price of one position (Binance one-way formula, no fees).

    long:  LP = (Q·EP − M − cum) / (Q·(1 − MMR)),  short: LP = (Q·EP + M + cum) / (Q·(1 + MMR)),
    with M = Q·EP/L. The bracket is the one of the position's notional at entry.
    """
    qty = abs(qty)
    if qty <= 0 or entry <= 0 or leverage <= 0:
        raise ValueError("entry, leverage and qty must be positive")
    mmr, cum = bracket(venue, qty * entry)
    margin = qty * entry / leverage
    if side == "long":
        return max((qty * entry - margin - cum) / (qty * (1.0 - mmr)), 0.0)
    return (qty * entry + margin + cum) / (qty * (1.0 + mmr))


def liquidation_offsets(leverages: np.ndarray, mmr: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Relative distance from entry to liquidation for each leverage (small positions, cum = 0).

    Returns (long_factor, short_factor) with LP = entry × factor.
    """
    lev = np.asarray(leverages, dtype=np.float64)
    long_f = np.maximum((1.0 - 1.0 / lev) / (1.0 - mmr), 0.0)
    short_f = (1.0 + 1.0 / lev) / (1.0 + mmr)
    return long_f, short_f


def firing_price(venue: str, side: str, reported: float, notional_usd: float = 0.0) -> float:
    """Mark price at which a liquidation fired, from the price the venue reported (its record says which).

    A fill price (the forced order executes at once against the book) is where it fired. A bankruptcy
    price is where the position's margin is zero, beyond the trigger by the maintenance margin rate.

    A bankruptcy price moves back by the bracket's maintenance margin rate: a long fires at
    BP / (1 − MMR) (above its bankruptcy price), a short at BP / (1 + MMR). We correct with the
    bracket rate rather than the mark at arrival so the same rule holds for REST history and
    recordings, where no mark of that instant is known. Fill prices are returned unchanged.
    """
    if quality(venue).reported_price != "bankruptcy" or not reported > 0:
        return reported
    mmr, _cum = bracket(venue, notional_usd)
    return reported / (1.0 - mmr) if side == "long" else reported / (1.0 + mmr)
