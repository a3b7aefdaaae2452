"""Deterministic simulated perp market: price, leveraged positions, liquidations, venue publishing.

Pure: no I/O, no clock reads; time only moves through `step(now_ms)`. Everything random comes from
seeded numpy Generators, so the same seed and the same step times give the same events.

Model in one paragraph: each symbol's log price follows a pre-generated 100 ms random walk with
Markov-switching calm/volatile regimes and rare jumps, plus a permanent "impact" offset that every
liquidation pushes further in its own direction (cascades). Aggregate traders open positions by
Poisson arrivals (lognormal USD size, side from a slowly varying imbalance, leverage from the hidden
per-venue mix), hold them for an exponential time. Each simulated position stands for many identical
traders (`scale`), so open interest reaches the real venues' tens of billions with a few thousand
positions. Only part of the open interest is at risk at its ladder price (the hidden *risk mix*):
isolated positions carry the exact liquidation price of `tnet.margin.liquidation_price`; cross-margined
ones have an account buffer that puts their effective liquidation far beyond it; hedged ones are never
liquidated; low-leverage (1-2x) ones sit 50 %+ away; top-up traders add margin whenever price comes
halfway to their liquidation price. When the (shared) mark crosses a position's effective liquidation
price it is liquidated; the venues then publish it with their own semantics and limits (Binance: the
average fill, latest per symbol per second; Bybit: 500 ms batches at the bankruptcy price; OKX: the
bankruptcy price, a random ~40 % subset).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from tnet.events import Bar, Event, Liquidation, MarkPrice, OpenInterest, Trades
from tnet.margin import LEVERAGE_TIERS
from tnet.sim.venues import SIM
from tnet.venues import RECORDS, quality

TICK_MS = 100  # resolution of the price path and of liquidation checks
BAR_MS = 300_000  # history bars are 5-minute bars
DAY_MS = 86_400_000
HOUSEKEEPING_MS = 10_000  # how often expired positions are closed (their exit is that coarse)
PREHISTORY_STEP_MS = 300_000  # coarse steps for the simulated day before start (divides BAR_MS)
IMPACT = 0.15  # log-price push per unit of (liquidated USD / symbol OI USD)
IMPACT_DECAY_S = 7_200.0  # liquidation impact relaxes with this time constant (wicks partly revert)
MAX_IMPACT_PER_LIQ = 0.004  # one liquidation never moves price more than 0.4 %
CHURN_PER_DAY = 1.5  # taker volume that does not change OI, as a multiple of OI per day
ALL_VENUES: tuple[str, ...] = tuple(SIM)  # every venue with a record and a simulator module
VENUE_INDEX = {v: i for i, v in enumerate(ALL_VENUES)}
NV = len(ALL_VENUES)

# Open interest per venue, USD (tnet/sim/venues/<venue>.py). Other symbols scale this by SymbolParams.oi_vs_btc.
BTC_OI_USD: dict[str, float] = {v: p.btc_oi_usd for v, p in SIM.items()}

# How open interest is held (the hidden *risk mix*). Only "isolated" liquidates at its ladder price.
RISK_KINDS: tuple[str, ...] = ("isolated", "cross", "hedged", "low_leverage", "top_up")
ISOLATED, CROSS, HEDGED, LOW_LEVERAGE, TOP_UP = range(5)
# Default OI shares per venue (each seed draws its own around these, RISK_JITTER). The isolated shares
# are tuned so the published hourly liquidation USD per OI straddles the Coinglass 30-minute regime
# file's median and p90 (README "Simulator realism", measured by tnet.evaluation.realism): with every
# position at risk the simulator liquidated ~40x the real rate, as the model's ladder levels do on real
# data (issue 7). Binance and Bybit default to cross margin, so they hold less isolated OI than OKX.
# The split of the rest is not in the shared data (cross vs hedged vs low leverage leave no trace in
# liquidation totals); these are plausible proportions.
DEFAULT_RISK_MIX: dict[str, dict[str, float]] = {v: dict(p.risk_mix) for v, p in SIM.items()}
RISK_JITTER = 500.0  # Dirichlet concentration of the seeded per-venue draw around the defaults
ISOLATED_COUNT_SHARE = 0.6  # share of simulated positions that are isolated (prints) at activity 1, whatever their OI share
CROSS_BUFFER = (3.0, 12.0)  # cross account equity / position margin, log-uniform: effective leverage = tier / buffer
TOP_UP_AT = 0.5  # a top-up trader restores the original distance when price has covered this share of it

# Realistic mixes (heatmap-models.md §4: most OI at 2-10x, a thin high-leverage tail), per venue.
DEFAULT_MIX: dict[str, dict[int, float]] = {v: dict(p.leverage_mix) for v, p in SIM.items()}

# Default publish intervals (ms) of mark prices. Coarser than the real Bybit 100 ms / OKX 200 ms so
# a 36 h backtest stays fast; the servers pass the real-time values.
DEFAULT_MARK_MS: dict[str, int] = {v: p.mark_ms for v, p in SIM.items()}
DEFAULT_OI_MS: dict[str, int | None] = {v: p.oi_ms for v, p in SIM.items()}


@dataclass(frozen=True, slots=True)
class SymbolParams:
    """Scale of one simulated symbol."""

    price: float  # starting price (24 h before start_ms)
    positions_per_venue: int  # target number of aggregate positions per venue
    median_usd: float  # median notional of one trader's position (sets its bracket and leverage cap)
    vol_mult: float  # volatility relative to BTC
    oi_vs_btc: float  # open interest relative to BTC's (BTC_OI_USD)


# ETH and SOL open interest relative to BTC: the shared data hold no per-venue snapshot for them; these
# are the usual 2025-26 proportions of the three venues' USDT perps (ETH about 45 %, SOL about 12 %).
SYMBOL_PARAMS: dict[str, SymbolParams] = {
    "BTC": SymbolParams(85_000.0, 3000, 60_000.0, 1.0, 1.0),
    "ETH": SymbolParams(3_200.0, 2500, 35_000.0, 1.3, 0.45),
    "SOL": SymbolParams(180.0, 2000, 15_000.0, 1.7, 0.12),
}
_OTHER_PRICES = {"XRP": 2.2, "DOGE": 0.18, "BNB": 650.0, "LTC": 90.0, "AVAX": 25.0, "LINK": 15.0}


def symbol_params(symbol: str) -> SymbolParams:
    """Parameters of a simulated symbol (generic small-cap values for names without a row)."""
    if symbol in SYMBOL_PARAMS:
        return SYMBOL_PARAMS[symbol]
    return SymbolParams(_OTHER_PRICES.get(symbol, 10.0), 1200, 8_000.0, 1.8, 0.02)


# Regime dynamics (BTC units; other symbols scale by vol_mult). Hourly log vol calm / volatile.
# Tuned on the Coinglass 30-minute regime file's price (Binance BTCUSDT, 2026-05-21 -> 06-08): its
# hourly range (high - low) / open has median 0.57 % and p90 1.36 %; the simulator's is in the README.
HOURLY_VOL = (0.0032, 0.012)
REGIME_MEAN_H = (6.0, 1.0)  # mean duration of each regime, hours
JUMPS_PER_DAY = (0.3, 2.0)
JUMP_SIZE = 0.005  # std of a jump's log size
MEAN_HOLD_H = 6.0  # mean holding time of a position
TRADER_USD_SIGMA = 1.1  # log-std of one trader's position notional (lognormal around median_usd)
PATH_CHUNK_TICKS = 36_000  # generate the price path one simulated hour at a time


@dataclass(slots=True)
class LiqRecord:
    """One liquidation that happened (published or not): ground truth for evaluation."""

    venue: str
    symbol: str
    ts_ms: int
    side: str  # position liquidated: "long" | "short"
    qty: float  # base coin
    liq_price: float  # the position's liquidation price
    mark: float  # mark price at the tick that crossed it
    fill_price: float  # average fill (Binance ap)
    bankruptcy_price: float  # where the position's margin is gone (Bybit p, OKX bkPx)
    leverage: int  # nominal tier (1 for the low-leverage kind, which has no tier)
    entry: float
    open_ms: int = 0  # when the position was opened
    published: bool = False
    kind: str = "isolated"  # one of RISK_KINDS; only "isolated" liquidated at its ladder price
    unit_qty: float = 0.0  # one trader's qty (the bracket's), qty = unit_qty x the position's scale


def normalize_mix(mix: dict[str, dict[int, float]], base: dict[str, dict[int, float]] | None = None
                  ) -> dict[str, dict[int, float]]:
    """Validate a per-venue mix and normalise it over LEVERAGE_TIERS (missing tiers weigh 0).

    Venues absent from `mix` keep their entry from `base` (DEFAULT_MIX if None). Raises ValueError
    with a one-line message on an unknown venue or tier, a negative/non-finite weight or all zeros.
    """
    out = {v: dict(w) for v, w in (base or DEFAULT_MIX).items()}
    for venue, weights in mix.items():
        if venue not in VENUE_INDEX:
            raise ValueError(f"unknown venue {venue!r} in leverage mix (expected {', '.join(ALL_VENUES)})")
        if not isinstance(weights, dict) or not weights:
            raise ValueError(f"leverage mix for {venue} must be a non-empty mapping tier -> weight")
        clean: dict[int, float] = {}
        for tier, weight in weights.items():
            try:
                t = int(tier)
                w = float(weight)
            except (TypeError, ValueError):
                raise ValueError(f"leverage mix for {venue}: tier {tier!r} / weight {weight!r} is not numeric") from None
            if t not in LEVERAGE_TIERS:
                raise ValueError(f"leverage mix for {venue}: tier {t} is not one of {list(LEVERAGE_TIERS)}")
            if not math.isfinite(w) or w < 0:
                raise ValueError(f"leverage mix for {venue}: weight {weight!r} of tier {t} must be >= 0")
            clean[t] = clean.get(t, 0.0) + w
        total = sum(clean.values())
        if total <= 0:
            raise ValueError(f"leverage mix for {venue}: weights sum to zero")
        out[venue] = clean
    return {v: {t: out[v].get(t, 0.0) / sum(out[v].values()) for t in LEVERAGE_TIERS} for v in out}


def normalize_risk_mix(mix: dict[str, dict[str, float]], base: dict[str, dict[str, float]] | None = None
                       ) -> dict[str, dict[str, float]]:
    """Validate a per-venue risk mix {venue: {kind: OI share}} and normalise it over RISK_KINDS.

    Venues absent from `mix` keep their entry from `base` (DEFAULT_RISK_MIX if None). Raises
    ValueError with a one-line message on an unknown venue or kind, a bad weight or all zeros.
    """
    out = {v: dict(w) for v, w in (base or DEFAULT_RISK_MIX).items()}
    for venue, weights in mix.items():
        if venue not in VENUE_INDEX:
            raise ValueError(f"unknown venue {venue!r} in risk mix (expected {', '.join(ALL_VENUES)})")
        if not isinstance(weights, dict) or not weights:
            raise ValueError(f"risk mix for {venue} must be a non-empty mapping kind -> share")
        clean: dict[str, float] = {}
        for kind, weight in weights.items():
            if kind not in RISK_KINDS:
                raise ValueError(f"risk mix for {venue}: kind {kind!r} is not one of {', '.join(RISK_KINDS)}")
            try:
                w = float(weight)
            except (TypeError, ValueError):
                raise ValueError(f"risk mix for {venue}: share {weight!r} of {kind} is not numeric") from None
            if not math.isfinite(w) or w < 0:
                raise ValueError(f"risk mix for {venue}: share {weight!r} of {kind} must be >= 0")
            clean[kind] = w
        if sum(clean.values()) <= 0:
            raise ValueError(f"risk mix for {venue}: shares sum to zero")
        out[venue] = clean
    return {v: {k: out[v].get(k, 0.0) / sum(out[v].values()) for k in RISK_KINDS} for v in out}


def _jittered_risk_mix(seed: int) -> dict[str, dict[str, float]]:
    """The default risk mix moved by a seeded Dirichlet draw, so no model can hard-code it."""
    rng = np.random.default_rng([seed, 7_777])
    out = {}
    for venue in ALL_VENUES:
        w = np.array([DEFAULT_RISK_MIX[venue][k] for k in RISK_KINDS])
        draw = rng.dirichlet(w * RISK_JITTER + 1e-3)
        out[venue] = {k: float(x) for k, x in zip(RISK_KINDS, draw)}
    return out


def _count_shares(risk: dict[str, float], activity: float = 1.0) -> np.ndarray:
    """Relative number of simulated positions per kind (sums to 0.6 x activity + 0.4).

    Isolated positions make the prints, so they get ISOLATED_COUNT_SHARE x activity whatever their
    OI share; the other kinds split the rest by OI share. Each kind's scale then restores its OI share.
    """
    r = np.array([risk[k] for k in RISK_KINDS])
    rest = r[1:].sum()
    iso = ISOLATED_COUNT_SHARE * activity if r[0] > 0 else 0.0
    others = (1.0 - ISOLATED_COUNT_SHARE) * r[1:] / rest if rest > 0 else np.zeros(len(r) - 1)
    return np.concatenate([[iso], others])


def bankruptcy_prices(liq: np.ndarray, is_long: np.ndarray, unit_qty: np.ndarray, entry: np.ndarray,
                      venue: str) -> np.ndarray:
    """Where margin is exhausted, from a liquidation price: the maintenance margin beyond it.

    From the margin formula: long BP = LP(1 - MMR) + cum/Q, short BP = LP(1 + MMR) - cum/Q, with the
    bracket of the trader's notional at entry (for an isolated position BP = entry x (1 -/+ 1/L)).
    """
    floors, mmrs, cums = _bracket_arrays(venue)
    idx = np.searchsorted(floors, unit_qty * entry, side="right") - 1
    mmr, cum = mmrs[idx], cums[idx]
    return np.where(is_long, liq * (1.0 - mmr) + cum / unit_qty, liq * (1.0 + mmr) - cum / unit_qty)


def _notional_caps(venue: str) -> np.ndarray:
    """Largest position notional allowed per leverage tier: keep initial margin >= 1.5 x MMR.

    Real venues cap leverage by bracket; without this a big 125x position would be liquidated
    the moment it opened.
    """
    rows = RECORDS[venue].brackets
    caps = []
    for lev in LEVERAGE_TIERS:
        cap = 0.0
        for i, (_floor, mmr, _cum) in enumerate(rows):
            if 1.0 / lev >= 1.5 * mmr:
                cap = rows[i + 1][0] if i + 1 < len(rows) else math.inf
            else:
                break
        caps.append(max(cap, 1_000.0))
    return np.array(caps)


_BRACKET_ARRAYS: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _bracket_arrays(venue: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(floors, maintenance rates, maintenance amounts) of a venue's brackets, cached."""
    if venue not in _BRACKET_ARRAYS:
        rows = RECORDS[venue].brackets
        _BRACKET_ARRAYS[venue] = (np.array([r[0] for r in rows]), np.array([r[1] for r in rows]),
                                  np.array([r[2] for r in rows]))
    return _BRACKET_ARRAYS[venue]


def liquidation_prices(entry: np.ndarray, lev: np.ndarray, is_long: np.ndarray, qty: np.ndarray,
                       venue: str) -> np.ndarray:
    """Vectorised `tnet.margin.liquidation_price` (same formula, same bracket lookup)."""
    floors, mmrs, cums = _bracket_arrays(venue)
    notional = qty * entry
    idx = np.searchsorted(floors, notional, side="right") - 1
    mmr, cum = mmrs[idx], cums[idx]
    margin = qty * entry / lev
    long_lp = np.maximum((qty * entry - margin - cum) / (qty * (1.0 - mmr)), 0.0)
    short_lp = (qty * entry + margin + cum) / (qty * (1.0 + mmr))
    return np.where(is_long, long_lp, short_lp)


class _Book:
    """Open positions of one symbol (all venues) in preallocated arrays with a free list."""

    # per-slot columns: name -> dtype. liq is where the position really liquidates (its ladder price
    # only for the isolated kind; 0 / inf for a hedged long / short, which never liquidates).
    COLUMNS: dict[str, type] = {
        "venue": np.int8, "is_long": bool, "entry": np.float64, "qty": np.float64, "lev": np.int16,
        "liq": np.float64, "open_ms": np.int64, "close_ms": np.int64, "kind": np.int8,
        "ladder": np.float64, "bk": np.float64, "unit": np.float64, "gap": np.float64,
    }

    def __init__(self, capacity: int) -> None:
        self.active = np.zeros(capacity, dtype=bool)
        for name, dtype in self.COLUMNS.items():
            setattr(self, name, np.zeros(capacity, dtype=dtype))
        self.free: list[int] = list(range(capacity - 1, -1, -1))
        self.max_long_liq = -math.inf  # highest long liquidation price (prefilter)
        self.min_short_liq = math.inf  # lowest short liquidation price (prefilter)
        self.bounds_dirty = False
        self.count = np.zeros(NV, dtype=np.int64)  # open positions per venue (incremental)
        self.oi = np.zeros(NV)  # open base qty per venue (incremental, re-summed exactly on demand)

    def grow(self, extra: int) -> None:
        """Enlarge capacity (only if the population overshoots its target a lot)."""
        n = len(self.active)
        for name in ("active", *self.COLUMNS):
            arr = getattr(self, name)
            setattr(self, name, np.concatenate([arr, np.zeros(extra, dtype=arr.dtype)]))
        self.free = list(range(n + extra - 1, n - 1, -1)) + self.free

    def add(self, **cols: np.ndarray) -> None:
        """Insert positions (one array per COLUMNS name) into free slots and widen the prefilter bounds."""
        k = len(cols["entry"])
        if k == 0:
            return
        if len(self.free) < k:
            self.grow(max(k, len(self.active) // 2))
        slots = np.array([self.free.pop() for _ in range(k)], dtype=np.int64)
        self.active[slots] = True
        for name in self.COLUMNS:
            getattr(self, name)[slots] = cols[name]
        venue, qty, is_long, liq = cols["venue"], cols["qty"], cols["is_long"], cols["liq"]
        self.count += np.bincount(venue, minlength=NV)[:NV]
        self.oi += np.bincount(venue, weights=qty, minlength=NV)[:NV]
        if is_long.any():
            self.max_long_liq = max(self.max_long_liq, float(liq[is_long].max()))
        if (~is_long).any():
            self.min_short_liq = min(self.min_short_liq, float(liq[~is_long].min()))

    def remove(self, slots: np.ndarray) -> None:
        """Free slots; bounds become conservative (stale) until recomputed."""
        self.active[slots] = False
        self.count -= np.bincount(self.venue[slots], minlength=NV)[:NV]
        self.oi -= np.bincount(self.venue[slots], weights=self.qty[slots], minlength=NV)[:NV]
        self.free.extend(slots.tolist())
        self.bounds_dirty = True

    def recompute_bounds(self) -> None:
        """Exact prefilter bounds over the open positions."""
        longs = self.active & self.is_long
        shorts = self.active & ~self.is_long
        self.max_long_liq = float(self.liq[longs].max()) if longs.any() else -math.inf
        self.min_short_liq = float(self.liq[shorts].min()) if shorts.any() else math.inf
        self.bounds_dirty = False


@dataclass(slots=True)
class _BarAcc:
    """The 5-minute bar being built for one symbol (price shared, volume per venue)."""

    start_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: np.ndarray = field(default_factory=lambda: np.zeros(NV))
    buy: np.ndarray = field(default_factory=lambda: np.zeros(NV))


class _SymbolState:
    """Everything the market tracks for one symbol."""

    def __init__(self, symbol: str, index: int, seed: int, t0_ms: int, n_venues: int, activity: float = 1.0,
                 volatility: float = 1.0) -> None:
        self.symbol = symbol
        base = symbol_params(symbol)
        # activity: more isolated positions, each standing for fewer traders (same open interest and the
        # same traders' brackets) -> proportionally more prints; the other kinds keep their count
        n = base.positions_per_venue * (ISOLATED_COUNT_SHARE * activity + 1.0 - ISOLATED_COUNT_SHARE)
        self.params = replace(base, positions_per_venue=max(int(n), 10), vol_mult=base.vol_mult * volatility)
        # traders per simulated position, per venue: OI targets / (positions x mean trader notional)
        mean_trader_usd = base.median_usd * math.exp(0.5 * TRADER_USD_SIGMA**2)
        self.scale = np.array([BTC_OI_USD[v] * base.oi_vs_btc / (self.params.positions_per_venue * mean_trader_usd)
                               for v in ALL_VENUES])
        self.path_rng = np.random.default_rng([seed, index, 1])
        self.rng = np.random.default_rng([seed, index, 2])
        self.pub_rng = np.random.default_rng([seed, index, 3])  # publishing choices only (partial feeds)
        self.t0_ms = t0_ms  # time of tick 0
        self.path = np.zeros(0)  # log price per tick (without impact), ticks path_base.. onwards
        self.path_base = 0  # tick index of path[0]; older ticks are dropped to bound memory
        self.regime = 0
        self.log0 = math.log(self.params.price)
        self.impact = 0.0
        self.price = self.params.price
        self.imbalance = 0.0  # OU state driving the long share of new positions
        self.book = _Book(int(self.params.positions_per_venue * n_venues * 1.6))
        self.next_housekeeping = t0_ms
        self.bar = _BarAcc(t0_ms, self.price, self.price, self.price, self.price)
        self.bars: list[deque[Bar]] = [deque(maxlen=3000) for _ in range(NV)]
        # one-print-per-second venues: the print each (venue, side kept apart or "") holds for the current second
        self.second_pending: dict[tuple[int, str], LiqRecord] = {}
        self.batch_pending: list[list[LiqRecord]] = [[] for _ in range(NV)]  # batching venues: the open batch
        self.last_oi_pub: list[float] = [-1.0] * NV

    def ensure_path(self, first: int, last: int) -> None:
        """Make ticks first..last available; ticks before `first` are dropped (time only moves on)."""
        end = self.path_base + len(self.path)  # one past the last generated tick
        if last < end:
            return
        drop = min(max(first - self.path_base, 0), len(self.path))
        chunks = [self.path[drop:]]
        while end <= last:
            chunk = self._chunk()
            chunks.append(chunk)
            end += len(chunk)
        self.path = np.concatenate(chunks)
        self.path_base += drop

    def log_prices(self, first: int, last: int) -> np.ndarray:
        """Log prices (without impact) of ticks first..last inclusive."""
        self.ensure_path(first, last)
        return self.path[first - self.path_base:last - self.path_base + 1]

    def _chunk(self) -> np.ndarray:
        """One hour of 100 ms log-price increments with regime switching and jumps."""
        n = PATH_CHUNK_TICKS
        rng = self.path_rng
        regimes = np.empty(n, dtype=np.int8)
        i = 0
        while i < n:
            ticks = int(rng.exponential(REGIME_MEAN_H[self.regime] * 36_000)) + 1
            regimes[i:i + ticks] = self.regime
            i += ticks
            if i < n:
                self.regime = 1 - self.regime
            # else: the regime carries into the next chunk with a fresh (memoryless) duration
        vol = np.array(HOURLY_VOL)[regimes] * self.params.vol_mult / math.sqrt(36_000)
        steps = rng.standard_normal(n) * vol
        jump_p = np.array(JUMPS_PER_DAY)[regimes] / 864_000.0
        jumps = rng.random(n) < jump_p
        if jumps.any():
            steps[jumps] += rng.standard_normal(int(jumps.sum())) * JUMP_SIZE * self.params.vol_mult
        out = self.log0 + np.cumsum(steps)
        self.log0 = float(out[-1])
        return out


class Market:
    """A seeded, pure simulated market for several symbols on every venue with a simulator module."""

    def __init__(self, symbols: list[str] = ["BTC"], seed: int = 0, start_ms: int = 1_790_000_000_000,  # noqa: B006
                 leverage_mix: dict[str, dict[int, float]] | None = None, burst: float = 1.0,
                 venues: tuple[str, ...] = ALL_VENUES,
                 mark_ms: dict[str, int] | None = None,
                 oi_ms: dict[str, int | None] | None = None,
                 prehistory_ms: int = DAY_MS, activity: float = 1.0,
                 risk_mix: dict[str, dict[str, float]] | None = None, volatility: float = 1.0) -> None:
        # volatility multiplies the tuned price volatility (a busier market for tests that need tiers reached)
        if not (volatility > 0 and math.isfinite(volatility)):
            raise ValueError("volatility must be a positive number")
        if not (activity > 0 and math.isfinite(activity)):
            raise ValueError("activity must be a positive number")
        if not symbols:
            raise ValueError("Market needs at least one symbol")
        for v in venues:
            if v not in VENUE_INDEX:
                raise ValueError(f"unknown venue {v!r} (expected {', '.join(ALL_VENUES)})")
        if not (burst > 0 and math.isfinite(burst)):
            raise ValueError("burst must be a positive number")
        self.symbols = list(dict.fromkeys(s.upper() for s in symbols))
        self.seed = seed
        self.venues = tuple(venues)
        self.burst = float(burst)
        # burst: every liquidation is filled in this many pieces (same tick, 1 ms apart), so the
        # number of liquidation prints scales while the market itself (and its cost) stays the same
        self._fragments = max(int(round(self.burst)), 1)
        self.mark_ms = {**DEFAULT_MARK_MS, **(mark_ms or {})}
        self.oi_ms = {**DEFAULT_OI_MS, **(oi_ms or {})}
        self._mix = normalize_mix(leverage_mix or {})
        self._mix_cdf: dict[str, np.ndarray] = {}
        self._rebuild_cdf()
        self._activity = float(activity)
        # the hidden risk mix: the seeded draw around the defaults, venues given in `risk_mix` exactly
        self._risk = normalize_risk_mix(risk_mix or {}, _jittered_risk_mix(seed))
        self._kind_cdf: dict[str, np.ndarray] = {}
        self._kind_mult: dict[str, np.ndarray] = {}
        self._rebuild_kinds()
        self._caps = {v: _notional_caps(v) for v in ALL_VENUES}
        self._tiers = np.array(LEVERAGE_TIERS, dtype=np.int16)
        self._venue_mask = np.array([v in self.venues for v in ALL_VENUES])
        self._liqs: deque[LiqRecord] = deque(maxlen=2_000_000)
        self._max_step_ms = 0  # longest step so far: bounds how far back a window query must scan
        self.start_ms = int(start_ms)
        # pre-history starts on a bar boundary so the day before start is made of whole bars
        t0 = ((self.start_ms - prehistory_ms) // BAR_MS) * BAR_MS
        self._states = {s: _SymbolState(s, i, seed, t0, 3, activity, volatility) for i, s in enumerate(self.symbols)}
        self.now_ms = t0
        for st in self._states.values():
            self._populate(st, t0)
        t = t0
        while t < self.start_ms:
            t = min(t + PREHISTORY_STEP_MS, self.start_ms)
            self._step(t, emit=False)
        self.now_ms = self.start_ms

    # ------------------------------------------------------------------ public API

    def step(self, now_ms: int) -> list[Event]:
        """Advance to `now_ms`; return what the venues publish in (previous now, now_ms], in time order."""
        return self._step(int(now_ms), emit=True)

    def set_leverage_mix(self, mix: dict[str, dict[int, float]]) -> None:
        """Shift the hidden mix (venues not named keep theirs); only NEW positions use it."""
        self._mix = normalize_mix(mix, self._mix)
        self._rebuild_cdf()

    def set_risk_mix(self, mix: dict[str, dict[str, float]]) -> None:
        """Shift the hidden risk mix (venues not named keep theirs); only NEW positions use it."""
        self._risk = normalize_risk_mix(mix, self._risk)
        self._rebuild_kinds()

    def truth_leverage_mix(self) -> dict[str, dict[int, float]]:
        """The hidden mix new positions are drawn from, normalised over LEVERAGE_TIERS."""
        return {v: dict(w) for v, w in self._mix.items()}

    def truth_risk_mix(self) -> dict[str, dict[str, float]]:
        """The hidden OI shares per venue of each RISK_KINDS kind that new positions are drawn with."""
        return {v: dict(w) for v, w in self._risk.items()}

    def truth_at_risk_share(self, symbol: str | None = None) -> dict[str, float]:
        """Per venue: the share of open interest now held by isolated positions (at risk at their
        ladder price), over `symbol` or every simulated symbol (by USD) when None."""
        at_risk, total = self._oi_by_tier(symbol)
        return {v: float(at_risk[v].sum() / total[v]) if total[v] > 0 else 0.0 for v in self.venues}

    def truth_at_risk_mix(self, symbol: str | None = None) -> dict[str, dict[int, float]]:
        """Per venue: the open interest at risk now by leverage tier, renormalised to sum to 1 (all 0
        when a venue holds no isolated OI), over `symbol` or every simulated symbol when None.

        This is what a ladder model's tier weights should learn.
        """
        at_risk, _total = self._oi_by_tier(symbol)
        out = {}
        for v in self.venues:
            s = at_risk[v].sum()
            out[v] = {int(t): (float(u / s) if s > 0 else 0.0) for t, u in zip(LEVERAGE_TIERS, at_risk[v])}
        return out

    def _oi_by_tier(self, symbol: str | None) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """Per venue: isolated OI USD per LEVERAGE_TIERS tier, and all OI USD."""
        states = [self._state(symbol)] if symbol is not None else list(self._states.values())
        at_risk = {v: np.zeros(len(LEVERAGE_TIERS)) for v in self.venues}
        total = dict.fromkeys(self.venues, 0.0)
        for st in states:
            b = st.book
            for v in self.venues:
                m = b.active & (b.venue == VENUE_INDEX[v])
                total[v] += float(b.qty[m].sum()) * st.price
                iso = m & (b.kind == ISOLATED)
                tier = np.searchsorted(LEVERAGE_TIERS, b.lev[iso])
                at_risk[v] += np.bincount(tier, weights=b.qty[iso] * st.price, minlength=len(LEVERAGE_TIERS))
        return at_risk, total

    def truth_inventory(self, symbol: str, venue: str | None = None, at_risk_only: bool = False
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(liq_price, usd, is_long) of every open position that can be liquidated, at the price where it
        really would be (usd = qty x current price). Hedged positions never liquidate and are left out.

        `at_risk_only`: only the isolated positions, whose liquidation price is their ladder price.
        """
        st = self._state(symbol)
        b = st.book
        mask = self._mask(b, venue, at_risk_only) & (b.kind != HEDGED)
        return b.liq[mask].copy(), b.qty[mask] * st.price, b.is_long[mask].copy()

    def truth_positions(self, symbol: str, venue: str | None = None, at_risk_only: bool = False
                        ) -> dict[str, np.ndarray]:
        """All fields of the open positions: entry, qty, leverage (nominal tier, 1 = low leverage),
        liq (effective; 0 / inf when hedged), ladder_liq (the isolated ladder price of its tier),
        bankruptcy, unit_qty (one trader's qty, the bracket's), kind (index into RISK_KINDS),
        at_risk, is_long, venue, open/close ms."""
        st = self._state(symbol)
        b = st.book
        mask = self._mask(b, venue, at_risk_only)
        return {"entry": b.entry[mask], "qty": b.qty[mask], "leverage": b.lev[mask], "liq": b.liq[mask],
                "ladder_liq": b.ladder[mask], "bankruptcy": b.bk[mask], "unit_qty": b.unit[mask],
                "kind": b.kind[mask], "at_risk": b.kind[mask] == ISOLATED,
                "is_long": b.is_long[mask], "venue": b.venue[mask], "open_ms": b.open_ms[mask],
                "close_ms": b.close_ms[mask]}

    def current_price(self, symbol: str) -> float:
        """Mark price now (shared by the venues)."""
        return self._state(symbol).price

    def current_oi(self, symbol: str, venue: str) -> tuple[float, float]:
        """One-sided open interest of `venue` now: (base coin, USD at the current price)."""
        st = self._state(symbol)
        base = float(self._oi_base(st)[VENUE_INDEX[venue]])
        return base, base * st.price

    def history_bars(self, symbol: str, venue: str, end_ms: int, n: int = 288,
                     interval_ms: int = BAR_MS) -> list[Bar]:
        """Up to `n` completed bars closing at or before `end_ms`, oldest first, with oi_usd at close.

        `interval_ms` must be a multiple of 5 minutes (bars are aggregated from 5-minute ones).
        """
        if interval_ms <= 0 or interval_ms % BAR_MS:
            raise ValueError("interval_ms must be a positive multiple of 300000")
        st = self._state(symbol)
        bars = [b for b in st.bars[VENUE_INDEX[venue]] if b.ts_ms + BAR_MS <= end_ms]
        if interval_ms != BAR_MS:
            bars = _aggregate(bars, interval_ms)
            bars = [b for b in bars if b.ts_ms + interval_ms <= end_ms]
        return bars[-n:] if n > 0 else []

    def current_bar(self, symbol: str, venue: str) -> Bar:
        """The 5-minute bar in progress (what kline endpoints return as their last row)."""
        st = self._state(symbol)
        bar = st.bar
        vi = VENUE_INDEX[venue]
        oi = float(st.book.oi[vi]) * st.price
        return Bar(venue, st.symbol, bar.start_ms, self.now_ms, BAR_MS, bar.open, bar.high, bar.low, bar.close,
                   float(bar.volume[vi]), float(bar.buy[vi]), oi)

    def liquidations_all(self, symbol: str | None = None, venue: str | None = None,
                         start_ms: int | None = None, end_ms: int | None = None) -> list[LiqRecord]:
        """Every liquidation that happened (published or not), oldest first, filtered.

        With `start_ms`, the scan runs newest-first and stops early: records are appended step by
        step, each inside its step's interval, so once a record is older than `start_ms` by more than
        the longest step (plus fill fragments' milliseconds) nothing before it can qualify. A
        backtest asks for each second's window; a full scan made that quadratic.
        """
        def keep(r: LiqRecord) -> bool:
            return ((symbol is None or r.symbol == symbol) and (venue is None or r.venue == venue)
                    and (start_ms is None or r.ts_ms >= start_ms) and (end_ms is None or r.ts_ms <= end_ms))

        if start_ms is None:
            return [r for r in self._liqs if keep(r)]
        stop = start_ms - self._max_step_ms - 1_000
        out = []
        for r in reversed(self._liqs):
            if r.ts_ms < stop:
                break
            if keep(r):
                out.append(r)
        out.reverse()
        return out

    # ------------------------------------------------------------------ internals

    def _state(self, symbol: str) -> _SymbolState:
        try:
            return self._states[symbol.upper()]
        except KeyError:
            raise KeyError(f"symbol {symbol!r} is not simulated (have {', '.join(self.symbols)})") from None

    @staticmethod
    def _mask(b: _Book, venue: str | None, at_risk_only: bool) -> np.ndarray:
        mask = b.active.copy()
        if venue is not None:
            mask &= b.venue == VENUE_INDEX[venue]
        if at_risk_only:
            mask &= b.kind == ISOLATED
        return mask

    def _rebuild_kinds(self) -> None:
        for v, w in self._risk.items():
            counts = _count_shares(w, self._activity)
            counts = counts / counts.sum()
            self._kind_cdf[v] = np.cumsum(counts)
            share = np.array([w[k] for k in RISK_KINDS])
            self._kind_mult[v] = np.divide(share, counts, out=np.zeros_like(share), where=counts > 0)

    def _rebuild_cdf(self) -> None:
        for v, w in self._mix.items():
            cdf = np.cumsum([w[t] for t in LEVERAGE_TIERS])
            self._mix_cdf[v] = cdf / cdf[-1]

    def _oi_base(self, st: _SymbolState) -> np.ndarray:
        """Open base qty per venue (incremental; float drift stays ~1e-12 relative)."""
        return st.book.oi

    def _draw_positions(self, st: _SymbolState, venue: str, n: int, times: np.ndarray, prices: np.ndarray,
                        hold_from: int | None = None) -> tuple[float, float]:
        """Open `n` positions on `venue` at `times` (entries at `prices`); holds count from `hold_from`
        when given (exponential holds are memoryless, so a steady book's remaining holds look the same)."""
        rng = st.rng
        p = st.params
        vi = VENUE_INDEX[venue]
        long_share = 0.5 + 0.2 * math.tanh(st.imbalance)
        is_long = rng.random(n) < long_share
        tier_idx = np.searchsorted(self._mix_cdf[venue], rng.random(n), side="right")
        tier_idx = np.minimum(tier_idx, len(LEVERAGE_TIERS) - 1)
        lev = self._tiers[tier_idx]
        kind = np.minimum(np.searchsorted(self._kind_cdf[venue], rng.random(n), side="right"), len(RISK_KINDS) - 1)
        usd = p.median_usd * np.exp(rng.standard_normal(n) * TRADER_USD_SIGMA)
        usd = np.minimum(usd, self._caps[venue][tier_idx])
        unit = usd / prices  # one trader's qty: its bracket sets the liquidation price
        ladder = liquidation_prices(prices, lev.astype(np.float64), is_long, unit, venue)
        # effective leverage: a cross account's buffer divides it; the low-leverage kind has 1-2x
        buffer = np.exp(rng.uniform(math.log(CROSS_BUFFER[0]), math.log(CROSS_BUFFER[1]), n))
        low_lev = 1.0 + rng.random(n)
        eff = np.where(kind == CROSS, lev / buffer, np.where(kind == LOW_LEVERAGE, low_lev, lev.astype(np.float64)))
        liq = np.where((kind == CROSS) | (kind == LOW_LEVERAGE),
                       liquidation_prices(prices, eff, is_long, unit, venue), ladder)
        liq = np.where(kind == HEDGED, np.where(is_long, 0.0, math.inf), liq)
        lev = np.where(kind == LOW_LEVERAGE, 1, lev).astype(np.int16)
        qty = unit * st.scale[vi] * self._kind_mult[venue][kind]
        hold = rng.exponential(MEAN_HOLD_H * 3_600_000, n).astype(np.int64) + 60_000
        st.book.add(venue=np.full(n, vi, dtype=np.int8), is_long=is_long, entry=prices, qty=qty, lev=lev, liq=liq,
                    open_ms=times, close_ms=(times if hold_from is None else hold_from) + hold, kind=kind.astype(np.int8), ladder=ladder,
                    bk=bankruptcy_prices(liq, is_long, unit, prices, venue), unit=unit,
                    gap=np.abs(prices - ladder) / prices)
        long_qty = float(qty[is_long].sum())
        return long_qty, float(qty.sum()) - long_qty

    def _target(self, st: _SymbolState) -> int:
        return st.params.positions_per_venue

    def _populate(self, st: _SymbolState, t0: int) -> None:
        """Steady-state book at the start of pre-history: entries spread around the price."""
        for venue in self.venues:
            n = self._target(st)
            entries = st.price * np.exp(st.rng.standard_normal(n) * 0.012)
            times = t0 - st.rng.integers(0, int(MEAN_HOLD_H * 3_600_000), n)
            self._draw_positions(st, venue, n, times.astype(np.int64), entries, hold_from=t0)
        b = st.book
        # positions that would already be under water at the start price never existed
        crossed = b.active & ((b.is_long & (b.liq >= st.price)) | (~b.is_long & (b.liq <= st.price)))
        b.remove(np.flatnonzero(crossed))
        b.recompute_bounds()

    def _step(self, now_ms: int, emit: bool) -> list[Event]:
        if now_ms < self.now_ms:
            raise ValueError(f"time went backwards: {now_ms} < {self.now_ms}")
        events: list[Event] = []
        if now_ms - self.now_ms > self._max_step_ms:
            self._max_step_ms = now_ms - self.now_ms
        for st in self._states.values():
            t = self.now_ms
            while t < now_ms:
                # split at bar boundaries so every bar gets exactly its own ticks
                t_end = min(now_ms, st.bar.start_ms + BAR_MS)
                self._advance(st, t, t_end, events, emit)
                t = t_end
        self.now_ms = now_ms
        if emit and len(events) > 1:
            events.sort(key=lambda e: e.ts_ms)
        return events if emit else []

    def _advance(self, st: _SymbolState, t_prev: int, t_end: int, events: list[Event], emit: bool) -> None:
        """Simulate one symbol over (t_prev, t_end] (never across a bar boundary)."""
        j0 = (t_prev - st.t0_ms) // TICK_MS + 1
        j1 = (t_end - st.t0_ms) // TICK_MS
        dt_s = (t_end - t_prev) / 1000.0
        prev_price = st.price
        flow = [0.0] * (2 * NV)  # taker buy qty per venue, then taker sell qty per venue
        liq_records: list[LiqRecord] = []
        if j1 >= j0:
            st.impact *= math.exp(-dt_s / IMPACT_DECAY_S)
            seg = np.exp(st.log_prices(j0, j1) + st.impact)
            tick0 = st.t0_ms + j0 * TICK_MS  # time of seg[0]
            # arrivals first (with their open times) so a fresh position can be hit later in the step
            self._arrivals(st, dt_s, seg, tick0, flow)
            self._liquidate(st, seg, tick0, liq_records, flow)
            st.price = float(seg[-1])
            bar = st.bar
            hi = float(seg.max())
            lo = float(seg.min())
            if hi > bar.high:
                bar.high = hi
            if lo < bar.low:
                bar.low = lo
            bar.close = st.price
        else:
            seg = None
            tick0 = t_end
        if t_end >= st.next_housekeeping:
            self._housekeeping(st, t_end, flow)
            st.next_housekeeping = (t_end // HOUSEKEEPING_MS + 1) * HOUSEKEEPING_MS
        # the imbalance drifts slowly (OU, 4 h time constant)
        st.imbalance += -st.imbalance * dt_s / 14_400 + float(st.rng.standard_normal()) * math.sqrt(dt_s / 14_400) * 0.8
        self._churn(st, prev_price, dt_s, flow)
        bar = st.bar
        for vi in range(NV):
            bar.volume[vi] += flow[vi] + flow[NV + vi]
            bar.buy[vi] += flow[vi]
        self._publish(st, t_prev, t_end, seg, tick0, liq_records, flow, events if emit else None)
        if t_end >= st.bar.start_ms + BAR_MS:
            self._close_bar(st, t_end)

    def _arrivals(self, st: _SymbolState, dt_s: float, seg: np.ndarray, tick0: int, flow: list[float]) -> None:
        target = self._target(st)
        base_rate = target / (MEAN_HOLD_H * 3600.0) * dt_s
        count = st.book.count.tolist()
        # population regulates itself around the target so memory stays bounded
        lams = [base_rate * min(max(target / max(count[VENUE_INDEX[v]], 1), 0.5), 2.0) for v in self.venues]
        total = sum(lams)
        # independent Poisson arrivals per venue = one Poisson total split multinomially (cheaper)
        n_total = int(st.rng.poisson(total))
        if n_total == 0:
            return
        counts = st.rng.multinomial(n_total, [lam / total for lam in lams]).tolist()
        for venue, n in zip(self.venues, counts):
            vi = VENUE_INDEX[venue]
            if n == 0:
                continue
            idx = np.sort(st.rng.integers(0, len(seg), n))
            long_qty, short_qty = self._draw_positions(st, venue, n, tick0 + idx * TICK_MS, seg[idx])
            # opening trades are taker flow in the position's direction
            flow[vi] += long_qty
            flow[NV + vi] += short_qty

    def _liquidate(self, st: _SymbolState, seg: np.ndarray, tick0: int, records: list[LiqRecord],
                   flow: list[float]) -> None:
        """Liquidate every position whose price the path crosses, at the first tick that crosses it.

        Cheap in the common case: one min/max of the step's ticks against the book's extreme
        liquidation prices. When that prefilter hits, candidates are gathered in one pass and each
        one's first crossing tick is found with running minima/maxima. The forced orders' price
        impact applies from the next step on (the cascade unfolds step by step, like a matching
        engine working through its queue), so the marks of this step stay the ones that triggered.
        """
        b = st.book
        lo = float(seg.min())
        hi = float(seg.max())
        if lo > b.max_long_liq and hi < b.min_short_liq:
            return
        if b.bounds_dirty:
            b.recompute_bounds()
            if lo > b.max_long_liq and hi < b.min_short_liq:
                return
        n = len(seg)
        cand = np.flatnonzero(b.active & ((b.is_long & (b.liq >= lo)) | (~b.is_long & (b.liq <= hi))))
        if len(cand) == 0:
            return
        open_idx = -((tick0 - b.open_ms[cand]) // TICK_MS)  # first tick at which each one exists
        first = self._first_crossings(seg, b.liq[cand], b.is_long[cand], open_idx)
        hit = first < n
        if not hit.any():
            return
        order = np.argsort(first[hit], kind="stable")
        slots = cand[hit][order]
        ticks = first[hit][order]
        push = 0.0
        oi_usd = max(float(b.oi.sum()) * float(seg[-1]), 1.0)
        for s, k in zip(slots.tolist(), ticks.tolist()):
            p = float(seg[k])
            rec = self._liq_record(st, s, tick0 + k * TICK_MS, p)
            qty = rec.qty
            records.append(rec)
            if self._fragments > 1:
                records.extend(self._split(rec))
            vi = VENUE_INDEX[rec.venue]
            if rec.side == "long":
                push -= min(IMPACT * qty * p / oi_usd, MAX_IMPACT_PER_LIQ)
                flow[NV + vi] += qty  # a forced sell
            else:
                push += min(IMPACT * qty * p / oi_usd, MAX_IMPACT_PER_LIQ)
                flow[vi] += qty
        b.remove(slots)
        st.impact += push

    @staticmethod
    def _first_crossings(seg: np.ndarray, liq: np.ndarray, is_long: np.ndarray, open_idx: np.ndarray) -> np.ndarray:
        """First tick index at which each position (open by then) is crossed; len(seg) if none."""
        n = len(seg)
        # longs are crossed when the running minimum falls to their price, shorts by the running max
        run_min = np.minimum.accumulate(seg)
        run_max = np.maximum.accumulate(seg)
        out = np.where(is_long, np.searchsorted(-run_min, -liq, side="left"),
                       np.searchsorted(run_max, liq, side="left"))
        late = open_idx > 0
        if late.any():
            for i in np.flatnonzero(late).tolist():  # opened during this step: few
                o = int(open_idx[i])
                out[i] = n
                if o >= n:
                    continue
                sub = seg[o:]
                hit = sub <= liq[i] if is_long[i] else sub >= liq[i]
                j = int(np.argmax(hit))
                if hit[j]:
                    out[i] = o + j
        return out

    def _liq_record(self, st: _SymbolState, s: int, t: int, mark: float) -> LiqRecord:
        b = st.book
        is_long = bool(b.is_long[s])
        entry = float(b.entry[s])
        lev = int(b.lev[s])
        slip = float(st.rng.random()) * 0.0008
        fill = mark * (1.0 - slip) if is_long else mark * (1.0 + slip)
        rec = LiqRecord(venue=ALL_VENUES[int(b.venue[s])], symbol=st.symbol, ts_ms=t,
                        side="long" if is_long else "short", qty=float(b.qty[s]), liq_price=float(b.liq[s]),
                        mark=mark, fill_price=fill, bankruptcy_price=float(b.bk[s]), leverage=lev, entry=entry,
                        open_ms=int(b.open_ms[s]), kind=RISK_KINDS[int(b.kind[s])], unit_qty=float(b.unit[s]))
        self._liqs.append(rec)
        return rec

    def _split(self, rec: LiqRecord) -> list[LiqRecord]:
        """Cut `rec` (already logged) into `_fragments` fills; returns the extra pieces, logged too."""
        f = min(self._fragments, TICK_MS)
        rec.qty /= f
        extra = []
        for i in range(1, f):
            piece = replace(rec, ts_ms=rec.ts_ms + i)
            self._liqs.append(piece)
            extra.append(piece)
        return extra

    def _housekeeping(self, st: _SymbolState, t_end: int, flow: list[float]) -> None:
        """Top up margin where due; close positions whose holding time is over (closing is taker flow too)."""
        b = st.book
        self._top_up(st)
        done = b.active & (b.close_ms <= t_end)
        if not done.any():
            return
        longs = done & b.is_long
        shorts = done & ~b.is_long
        sold = np.bincount(b.venue[longs], weights=b.qty[longs], minlength=NV).tolist()
        bought = np.bincount(b.venue[shorts], weights=b.qty[shorts], minlength=NV).tolist()
        for vi in range(NV):
            flow[vi] += bought[vi]
            flow[NV + vi] += sold[vi]
        b.remove(np.flatnonzero(done))

    def _top_up(self, st: _SymbolState) -> None:
        """Top-up traders add margin once price has covered TOP_UP_AT of the way to their liquidation
        price: it moves back out to the original distance from the current price (never closer)."""
        b = st.book
        idx = np.flatnonzero(b.active & (b.kind == TOP_UP))
        if len(idx) == 0:
            return
        p = st.price
        is_long = b.is_long[idx]
        liq, gap = b.liq[idx], b.gap[idx]
        dist = np.where(is_long, p - liq, liq - p) / p
        due = dist < (1.0 - TOP_UP_AT) * gap
        if not due.any():
            return
        idx, is_long, gap = idx[due], is_long[due], gap[due]
        new = np.where(is_long, np.minimum(p * (1.0 - gap), b.liq[idx]), np.maximum(p * (1.0 + gap), b.liq[idx]))
        b.liq[idx] = new
        for vi, venue in enumerate(ALL_VENUES):
            m = b.venue[idx] == vi
            if m.any():
                i = idx[m]
                b.bk[i] = bankruptcy_prices(new[m], is_long[m], b.unit[i], b.entry[i], venue)
        b.bounds_dirty = True  # liquidation prices moved away from price: the old bounds stay safe

    def _churn(self, st: _SymbolState, prev_price: float, dt_s: float, flow: list[float]) -> None:
        """Taker volume that does not change OI: proportional to OI, more when price moves."""
        ret = math.log(st.price / prev_price) if prev_price > 0 else 0.0
        sigma = HOURLY_VOL[0] * st.params.vol_mult * math.sqrt(max(dt_s, 0.1) / 3600.0)
        intensity = 1.0 + 2.0 * min(abs(ret) / sigma, 5.0)
        scale = CHURN_PER_DAY * dt_s / 86_400.0 * intensity
        tilt = 0.3 * math.tanh(ret / sigma)
        oi = st.book.oi.tolist()
        for venue in self.venues:
            vi = VENUE_INDEX[venue]
            vol = oi[vi] * scale
            flow[vi] += vol * (0.5 + tilt)
            flow[NV + vi] += vol * (0.5 - tilt)

    def _publish(self, st: _SymbolState, t_prev: int, t_end: int, seg: np.ndarray | None, tick0: int,
                 records: list[LiqRecord], flow: list[float], out: list[Event] | None) -> None:
        """Apply each venue's publishing rules; append the normalized events (out None: rules only)."""
        sym = st.symbol

        def emit_liq(rec: LiqRecord, price: float) -> None:
            rec.published = True
            if out is not None:
                out.append(Liquidation(rec.venue, sym, rec.ts_ms, rec.ts_ms, rec.side, price, rec.qty,
                                       rec.qty * price))

        def reported(rec: LiqRecord) -> float:
            return rec.fill_price if quality(rec.venue).reported_price == "fill" else rec.bankruptcy_price

        def flush_second(upto: int) -> None:
            """Publish the held prints whose second ended by `upto`."""
            due = [key for key, pend in st.second_pending.items() if (pend.ts_ms // 1000 + 1) * 1000 <= upto]
            for key in sorted(due):
                pend = st.second_pending.pop(key)
                emit_liq(pend, reported(pend))

        # each venue's record says how it publishes: the latest per second, in batches, or a share
        for rec in records:
            vi = VENUE_INDEX[rec.venue]
            traits = quality(rec.venue)
            if not traits.liquidations:
                continue
            if traits.one_per_second:
                # one print per symbol per second (per side on some venues), pushed after the window:
                # the latest, or the largest of each side
                flush_second(rec.ts_ms)
                if traits.second_pick == "largest_per_side":
                    key = (vi, rec.side)
                    held = st.second_pending.get(key)
                    if held is None or rec.qty > held.qty:
                        st.second_pending[key] = rec
                else:
                    st.second_pending[(vi, "")] = rec  # supersedes a pending one of the same second (never published)
            elif traits.batch_ms:
                st.batch_pending[vi].append(rec)
            else:
                share = SIM[rec.venue].published_share
                if share >= 1.0 or st.pub_rng.random() < share:
                    emit_liq(rec, reported(rec))
        flush_second(t_end)
        for vi, venue in enumerate(ALL_VENUES):
            pending = st.batch_pending[vi]
            if pending:
                batch = quality(venue).batch_ms
                keep = []
                for rec in pending:
                    if (rec.ts_ms // batch + 1) * batch <= t_end:
                        emit_liq(rec, reported(rec))
                    else:
                        keep.append(rec)
                st.batch_pending[vi] = keep
        if out is None:
            return
        oi = st.book.oi.tolist()
        price = st.price
        seg_list = seg.tolist() if seg is not None else None
        for venue in self.venues:
            vi = VENUE_INDEX[venue]
            step_ms = self.mark_ms[venue]
            for tm in range((t_prev // step_ms + 1) * step_ms, t_end + 1, step_ms):
                if seg_list is None:
                    px = price
                else:
                    # the mark at tm is the price of the latest tick at or before tm
                    px = seg_list[min(max((tm - tick0) // TICK_MS, 0), len(seg_list) - 1)]
                out.append(MarkPrice(venue, sym, tm, tm, px))
            oi_step = self.oi_ms.get(venue)
            if oi_step and (t_end // oi_step) > (t_prev // oi_step):
                base = oi[vi]
                if base != st.last_oi_pub[vi] or SIM[venue].oi_every_interval:
                    st.last_oi_pub[vi] = base
                    tm = (t_end // oi_step) * oi_step
                    out.append(OpenInterest(venue, sym, tm, tm, base, base * price))
            if flow[vi] > 0 or flow[NV + vi] > 0:
                out.append(Trades(venue, sym, t_end, t_end, price, flow[vi], flow[NV + vi]))

    def _close_bar(self, st: _SymbolState, t_end: int) -> None:
        bar = st.bar
        oi = self._oi_base(st)
        for venue in ALL_VENUES:
            vi = VENUE_INDEX[venue]
            st.bars[vi].append(Bar(venue, st.symbol, bar.start_ms, bar.start_ms + BAR_MS, BAR_MS, bar.open,
                                   bar.high, bar.low, bar.close, float(bar.volume[vi]), float(bar.buy[vi]),
                                   float(oi[vi]) * bar.close))
        st.bar = _BarAcc(bar.start_ms + BAR_MS, st.price, st.price, st.price, st.price)


def _aggregate(bars: list[Bar], interval_ms: int) -> list[Bar]:
    """Merge consecutive 5-minute bars into `interval_ms` bars aligned on multiples of it."""
    out: list[Bar] = []
    for b in bars:
        start = (b.ts_ms // interval_ms) * interval_ms
        if out and out[-1].ts_ms == start:
            o = out[-1]
            o.high = max(o.high, b.high)
            o.low = min(o.low, b.low)
            o.close = b.close
            o.volume += b.volume
            o.buy_volume += b.buy_volume
            o.oi_usd = b.oi_usd
            o.recv_ms = b.recv_ms
        else:
            out.append(Bar(b.venue, b.symbol, start, b.recv_ms, interval_ms, b.open, b.high, b.low, b.close,
                           b.volume, b.buy_volume, b.oi_usd))
    # drop a partial first group (it would start before its first 5-minute bar)
    if out and bars and out[0].ts_ms != bars[0].ts_ms:
        out = out[1:]
    return out
