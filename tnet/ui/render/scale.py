"""Number formatting and the log colour scale shared by the heatmap, legend and profile."""

from __future__ import annotations

import math

import numpy as np

N_LEVELS = 16  # heatmap colours above "empty"; 16 still read as distinct steps after a 256-colour downgrade
DECADES = 2.5  # the ramp spans vmax / 10**DECADES .. vmax (model inventory spans orders of magnitude)


def quantize(values: np.ndarray, vmax: float, n_levels: int = N_LEVELS, decades: float = DECADES) -> np.ndarray:
    """Map USD values to levels 0..n_levels on a log scale (0 = at or below vmax / 10**decades, or no data).

    Level k (1..n) holds values in [vmax * 10**(decades*((k-1)/n - 1)), vmax * 10**(decades*(k/n - 1))),
    with everything at or above vmax in level n.
    """
    out = np.zeros(values.shape, dtype=np.uint8)
    if vmax <= 0:
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.log10(np.where(values > 0, values, np.nan) / vmax) / decades + 1.0
    ok = np.isfinite(x) & (x > 0)
    levels = np.clip(np.floor(x[ok] * n_levels).astype(np.int64) + 1, 1, n_levels)
    out[ok] = levels
    return out


def level_floor(level: int, vmax: float, n_levels: int = N_LEVELS, decades: float = DECADES) -> float:
    """Smallest USD value drawn with `level` (1..n_levels)."""
    return vmax * 10 ** (decades * ((level - 1) / n_levels - 1.0))


def nice_ceil(value: float) -> float:
    """Smallest of 1, 2, 2.5, 5 x 10**k that is >= value (stable legend maxima)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    exp = math.floor(math.log10(value))
    for mult in (1.0, 2.0, 2.5, 5.0, 10.0):
        candidate = mult * 10**exp
        if candidate >= value * (1 - 1e-12):
            return candidate
    return 10.0 ** (exp + 1)


HALF_CENT = 0.005  # smaller USD amounts round to 0.00: shown as nothing (the snapshot JSON rounds to the cent)


def format_usd(usd: float, signed: bool = False) -> str:
    """Compact USD: 950, 12.3k, 1.25M, 3.4B (no '$'); `signed` adds '+' for positives.

    An amount under 1 that rounds to a cent or more is '<1': a level that holds something never reads as
    zero. Below HALF_CENT it is 0, as in the JSON (a far level's hazard is 1e-59 USD, not '<1').
    """
    sign = "-" if usd < 0 else ("+" if signed else "")
    v = abs(usd)
    if HALF_CENT <= v < 1:
        return f"{sign}<1"
    for unit, div in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if v >= div * 0.9995:
            scaled = v / div
            digits = 2 if scaled < 10 else (1 if scaled < 100 else 0)
            return f"{sign}{scaled:.{digits}f}{unit}"
    return f"{sign}{v:.0f}"


def price_decimals(step: float) -> int:
    """Decimals needed to tell prices `step` apart (0 for BTC-sized steps, more for cheap coins)."""
    if step <= 0 or not math.isfinite(step):
        return 2
    return max(0, min(8, -math.floor(math.log10(step) + 1e-9)))


def format_price(price: float, decimals: int) -> str:
    """Price with thousands separators and fixed decimals."""
    if not math.isfinite(price):
        return "-"
    return f"{price:,.{decimals}f}"


def format_age(seconds: float) -> str:
    """Age as 3s, 12m, 2h, 3d."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


WALL_PERCENTILE = 95.0  # a book wall is among the largest 5 % of the non-empty book cells ...
WALL_OVER_MEDIAN = 4.0  # ... and at least this many times their median (a flat book has no walls)


def wall_threshold(values: np.ndarray) -> float:
    """Resting book USD from which a cell is drawn as a wall (0 when there is no book to judge)."""
    nonzero = values[np.isfinite(values) & (values > 0)]
    if not nonzero.size:
        return 0.0
    top, median = np.percentile(nonzero, [WALL_PERCENTILE, 50.0])
    return float(max(top, WALL_OVER_MEDIAN * median))
