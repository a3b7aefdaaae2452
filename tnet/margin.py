"""Venue margin facts: leverage tiers, maintenance-margin brackets and liquidation prices (pure)."""

from __future__ import annotations

import numpy as np

# The leverage ladder every layer shares (engine calibration, simulator truth, backtest TVD).
LEVERAGE_TIERS: tuple[int, ...] = (2, 3, 5, 10, 20, 25, 50, 75, 100, 125)

# Maintenance-margin brackets: (notional floor USD, maintenance margin rate, maintenance amount).
# Binance BTCUSDT tiers from the 2021 announcement (exchange-protocols.md §1.7, table A); cum is
# derived so maintenance margin is continuous at each floor. Bybit and OKX publish similar
# tiered schedules (risk-limit / position-tiers endpoints); these are representative values.
BRACKETS: dict[str, tuple[tuple[float, float, float], ...]] = {
    "binance": (
        (0.0, 0.004, 0.0),
        (50_000.0, 0.005, 50.0),
        (250_000.0, 0.010, 1_300.0),
        (1_000_000.0, 0.025, 16_300.0),
        (10_000_000.0, 0.050, 266_300.0),
        (20_000_000.0, 0.100, 1_266_300.0),
        (50_000_000.0, 0.125, 2_516_300.0),
        (100_000_000.0, 0.150, 5_016_300.0),
        (200_000_000.0, 0.250, 25_016_300.0),
        (300_000_000.0, 0.500, 100_016_300.0),
    ),
    "bybit": (
        (0.0, 0.005, 0.0),
        (2_000_000.0, 0.010, 10_000.0),
        (4_000_000.0, 0.015, 30_000.0),
        (6_000_000.0, 0.020, 60_000.0),
        (8_000_000.0, 0.025, 100_000.0),
    ),
    "okx": (
        (0.0, 0.004, 0.0),
        (500_000.0, 0.006, 1_000.0),
        (2_000_000.0, 0.010, 9_000.0),
        (5_000_000.0, 0.015, 34_000.0),
        (10_000_000.0, 0.020, 84_000.0),
    ),
}


def bracket(venue: str, notional_usd: float) -> tuple[float, float]:
    """(maintenance margin rate, maintenance amount) of the bracket holding `notional_usd`."""
    rows = BRACKETS.get(venue, BRACKETS["binance"])
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


# Which price each venue reports on a liquidation print (exchange-protocols.md §6.3 and the 2026-12
# corrections): Binance `ap` is the average fill of the forced order, which executes at once against
# the book, so it is where the liquidation fired; Bybit `p` and OKX `bkPx` are bankruptcy prices, the
# price at which the position's margin is zero, beyond the trigger by the maintenance margin rate.
REPORTED_PRICE: dict[str, str] = {"binance": "fill", "bybit": "bankruptcy", "okx": "bankruptcy"}


def firing_price(venue: str, side: str, reported: float, notional_usd: float = 0.0) -> float:
    """Mark price at which a liquidation fired, from the price the venue reported.

    A bankruptcy price moves back by the bracket's maintenance margin rate: a long fires at
    BP / (1 − MMR) (above its bankruptcy price), a short at BP / (1 + MMR). We correct with the
    bracket rate rather than the mark at arrival so the same rule holds for REST history and
    recordings, where no mark of that instant is known. Fill prices are returned unchanged.
    """
    if REPORTED_PRICE.get(venue) != "bankruptcy" or not reported > 0:
        return reported
    mmr, _cum = bracket(venue, notional_usd)
    return reported / (1.0 - mmr) if side == "long" else reported / (1.0 + mmr)
