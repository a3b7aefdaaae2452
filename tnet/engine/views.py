"""Read-only views the engine hands to the runtime, CLI and UI (plain data, no behaviour)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class Level:
    """Predicted liquidation USD at one price row (row centre price), and its hazard.

    Hazard is the USD times the chance price reaches the row within the next hour (recent volatility).
    """

    price: float
    long_usd: float
    short_usd: float
    long_hazard_usd: float = 0.0
    short_hazard_usd: float = 0.0


@dataclass(frozen=True, slots=True)
class Zone:
    """A cluster of strong buckets on one side with its lifecycle state."""

    id: int
    side: str  # "long" | "short"
    price_low: float
    price_high: float
    usd: float
    state: str  # "active" | "reinforced" | "swept" | "expired" | "merged"
    created_ms: int
    touches: int
    distance_pct: float  # signed, (zone mid - price) / price * 100
    hazard_usd: float = 0.0  # usd times the chance price reaches the zone within the next hour


@dataclass(frozen=True, slots=True)
class TapeCluster:
    """A 0.1 % price bin holding a large share of the tape window's USD (seed 004)."""

    price: float  # USD-weighted mean
    usd: float
    count: int
    share: float  # of the window's USD


@dataclass(frozen=True, slots=True)
class TapeView:
    """Recent real liquidation prints (newest first) and their aggregates over `window_s`."""

    events: list[dict[str, Any]]  # event_to_dict of each Liquidation, newest first (bounded; those >= the view's size filter)
    clusters: list[TapeCluster]
    long_usd: float
    short_usd: float
    window_s: int
    # per-side USD per time bucket [(bucket_start_ms, long_usd, short_usd)] and print-free gaps (seed 004)
    rates: list[tuple[int, float, float]] = field(default_factory=list)
    gaps: list[tuple[int, int]] = field(default_factory=list)
    count: int | None = None  # prints in the window, of any size (None: not known, e.g. an older collector's view)


@dataclass(frozen=True, slots=True)
class CalibrationView:
    """One venue's learned leverage weights over the ladder tiers."""

    tiers: list[int]
    weights: list[float]
    events: int  # prints learned from


@dataclass(frozen=True, slots=True)
class HeatmapView:
    """Time x price history: column j covers [t0_ms + j*col_ms, +col_ms), row i is bucket `price_lo + i*bucket_usd`.

    `long_usd` / `short_usd` have shape (cols, rows), oldest column first.
    `price_path` has one mark price per column (nan where unknown).
    `prints` are real liquidations within the window: (ts_ms, firing price, side, usd).
    `measure` says what the matrices hold: "usd" (predicted liquidation USD) or "hazard" (USD times the
    chance price reached the row within the next hour, judged from each column's price).
    """

    t0_ms: int
    col_ms: int
    price_lo: float
    bucket_usd: float
    long_usd: np.ndarray
    short_usd: np.ndarray
    price_path: np.ndarray
    prints: list[tuple[int, float, str, float]] = field(default_factory=list)
    measure: str = "usd"
    # resting book on the same columns and rows (bids, asks in USD, the largest each bucket held during the
    # column, so pulled walls stay visible); NaN in columns without a book sample; None when no book ever came
    bid_usd: np.ndarray | None = None
    ask_usd: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class BookLevel:
    """Resting book USD at one level-profile row (row centre price), summed over the fresh venues."""

    price: float
    bid_usd: float
    ask_usd: float


@dataclass(frozen=True, slots=True)
class BookView:
    """The venues' resting books summed per price bucket in USD; only venues with a fresh sample count.

    `bids` / `asks` hold USD per bucket from `price_lo` in steps of `bucket_usd` (the map's grid);
    `levels` sums them over the same rows as `SymbolView.levels`.
    """

    ts_ms: int  # newest sample folded in
    venues: list[str]  # venues whose book is in the sum
    bid_usd: float  # totals
    ask_usd: float
    levels: list[BookLevel]
    price_lo: float
    bucket_usd: float
    bids: np.ndarray
    asks: np.ndarray


@dataclass(frozen=True, slots=True)
class SymbolView:
    """Everything the UI or `tnet snapshot` shows for one symbol at one instant."""

    symbol: str
    ts_ms: int
    price: float  # 0.0 until the first mark price
    bucket_usd: float
    levels: list[Level]  # current profile, ascending price
    zones: list[Zone]
    tape: TapeView
    calibration: dict[str, CalibrationView]  # venue -> view
    oi: dict[str, float]  # venue -> USD, plus "total_usd"
    heatmap: HeatmapView | None = None
    warm: bool = False  # True once warm start (history bars) has run
    # zone lifecycle counters and statistics (median_lifespan_min, swept_rate, strong_gone_before_touch)
    zone_stats: dict[str, Any] = field(default_factory=dict)
    measure: str = "usd"  # what the UI colours the map and profile by: "usd" or "hazard"
    at_risk: dict[str, float] = field(default_factory=dict)  # venue -> learned share of crossed inventory that liquidates
    vol_1m: float = 0.0  # recent 1-minute log-return volatility the hazard is judged with (0 = unknown)
    book: BookView | None = None  # resting liquidity; None while no venue's book is fresh
