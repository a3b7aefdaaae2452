"""SymbolEngine: the per-symbol liquidation-prediction engine (hot path, ticks, views)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from tnet.engine.book import BookLayer
from tnet.engine.calibrator import MAX_PRINT_DISTANCE, Calibrator
from tnet.engine.grid import PriceGrid
from tnet.engine.hazard import DEFAULT_HORIZON_MS, heatmap_hazard, side_hazard
from tnet.engine.history import HeatmapHistory
from tnet.engine.inventory import LONG, SHORT, Inventory
from tnet.engine.ladder import N_TIERS
from tnet.engine.tape import Tape, tape_clusters, tape_rates
from tnet.engine.views import CalibrationView, HeatmapView, Level, SymbolView, TapeView
from tnet.engine.zones import ZoneManager
from tnet.events import VENUES, Bar, BookDepth, Event, Liquidation, MarkPrice, OpenInterest, Trades
from tnet.venues import quality

SWEEP_TICK_MS: int = 1_000
MINUTE_MS: int = 60_000
OI_CLOSE_CAP_PER_MIN: float = 0.25  # seed: never close more than 25 % of inventory per minute
# Positions turn over: each minute this share of inventory closes and reopens at the current price
# (a mean holding time of ~6 h), which is also the slow decay of old levels.
TURNOVER_PER_MIN: float = 1.0 / 360.0
BUY_SHARE_CLAMP: tuple[float, float] = (0.2, 0.8)  # both sides always get mass
COLD_START_SPREAD_PCT: float = 0.02  # first OI without history: entries spread ±2 % around price
DONOR_HISTORY_MIN: float = 60.0  # ... unless a venue has an hour of flows: then its entries are copied
TAPE_WINDOW_S: int = 3600  # the tape, its clusters and rates cover the last hour (the UI's default window)
LEVEL_SPAN_PCT: float = 0.05  # the level profile covers ±5 % of price
RECENT_SWEEP_SECONDS: int = 8  # how late a print may arrive and still meet the sweep that caused it
VOLUME_BOXES: int = 4  # a minute's volume at price is placed as at most this many equal-volume boxes
CLOCK_AHEAD_MS: int = 120_000  # self_check realigns a clock further ahead of real time than this
MAX_CATCHUP_MINUTES: int = 24 * 60  # after a longer silence, skip ahead instead of replaying every minute


class SymbolEngine:
    """Per-symbol state: grid, inventory, tape, calibrator, zones and history. Pure: time comes from events."""

    def __init__(self, symbol: str, venues: tuple[str, ...] = VENUES,
                 calibration: dict | None = None, bucket_usd: float | None = None) -> None:
        self.symbol = symbol
        self.venues = tuple(venues)
        self._vidx = {v: i for i, v in enumerate(self.venues)}
        self._bucket_usd = bucket_usd
        self.calibrator = Calibrator(self.venues, calibration)
        self.events_seen = 0
        self.warm = False
        self.grid: PriceGrid | None = None
        self.inventory: Inventory | None = None
        self.tape: Tape | None = None
        self.history = HeatmapHistory()
        self.zones = ZoneManager()
        n = len(self.venues)
        self.book = BookLayer(n)
        self.price = 0.0
        self._tick_lo = math.inf
        self._tick_hi = -math.inf
        self._tick_ref = 0.0  # last price of the previous sweep tick
        self._min_lo = math.inf
        self._min_hi = -math.inf
        self._min_open = 0.0
        self._buy = [0.0] * n
        self._sell = [0.0] * n
        self._pq = [0.0] * n  # price x qty of trades
        self._volume_at: list[dict[int, float]] = [{} for _ in range(n)]  # bucket -> traded qty this minute
        self._inv_bucket = 0.0  # 1 / bucket width, set with the grid
        self._oi_base = [math.nan] * n
        self._oi_usd = [math.nan] * n
        self._oi_base_prev = [math.nan] * n
        self._history_min = [0.0] * n  # minutes of open-interest flows each venue's inventory has seen
        self._prints_min = [0.0] * n
        self._prints_since_oi = [0.0] * n
        self._print_window = [False] * n  # a print (any venue) since this venue's last OI update
        self._one_per_second = [quality(v).one_per_second for v in self.venues]  # one print per second only
        # ... of each side, the largest (else the latest of either side)
        self._largest_per_side = [quality(v).second_pick == "largest_per_side" for v in self.venues]
        self._live = True  # False inside the bar path: no prints there, so no calibration exposure
        self._bar_evidence = False  # True while a bar that comes with prints or realised totals is swept
        self._bar_swept = np.zeros(0)  # tier USD that bar swept per venue, (V, T): the at-risk denominator
        self._swept_min = np.zeros(n)  # model's weighted swept USD this minute per venue
        self._tick_swept = np.zeros((2, n))  # ... and this sweep tick, per side
        self._tick_second = -1  # start ms of the second the last sweep covered
        self._tick_swept_side: np.ndarray | None = None
        self._recent_sweeps: dict[int, np.ndarray] = {}
        self._second_counts: dict[int, np.ndarray] = {}  # second -> prints per (side, venue) (recent seconds only)
        self._complete_venue = next((i for i, v in enumerate(self.venues) if quality(v).complete), None)  # second start ms -> swept (side, venue, tier)
        self._pending: list[tuple[int, int, float, float, int]] = []  # (venue, side, usd, firing price, ts)
        self._next_tick_ms: int | None = None
        self._next_minute_ms: int | None = None
        self._now_ms = 0
        self._profile_cache: tuple[int, np.ndarray] | None = None
        self._version = 0  # bumps whenever inventory or weights change

    # ------------------------------------------------------------------ hot path
    def on_event(self, ev: Event) -> None:
        """Fold one event in: O(1) bookkeeping; due ticks run first, driven by the event's timestamp."""
        ts = ev.ts_ms
        if self._next_tick_ms is not None and ts >= self._next_tick_ms:
            self._run_ticks(ts)
        elif ts > self._now_ms:
            self._now_ms = ts  # the clock is the newest event, not only the last tick: a print is never ahead of it
        self.events_seen += 1
        cls = ev.__class__
        if cls is MarkPrice or cls is Trades:
            p = ev.price
            if not p > 0:
                return
            if self._next_tick_ms is None:
                self._start(p, ts)
            self.price = p
            if p < self._tick_lo:
                self._tick_lo = p
            if p > self._tick_hi:
                self._tick_hi = p
            if cls is Trades:
                vi = self._vidx.get(ev.venue)
                if vi is not None:
                    b = ev.buy_qty
                    s = ev.sell_qty
                    self._buy[vi] += b
                    self._sell[vi] += s
                    self._pq[vi] += p * (b + s)
                    at = self._volume_at[vi]  # volume at price: where this minute's new positions opened
                    k = int(p * self._inv_bucket + 0.5)
                    at[k] = at.get(k, 0.0) + b + s
            return
        if cls is OpenInterest:
            vi = self._vidx.get(ev.venue)
            if vi is not None and ev.oi_base >= 0 and ev.oi_usd >= 0:
                prev = self._oi_base[vi]
                if self._print_window[vi] and prev == prev and self.price > 0:
                    # liquidations close positions: the OI drop over a short window with prints
                    # measures what really liquidated, whatever the venue chose to print
                    self.calibrator.note_sampling(vi, self._prints_since_oi[vi], (prev - ev.oi_base) * self.price)
                self._print_window[vi] = False
                self._prints_since_oi[vi] = 0.0
                self._oi_base[vi] = ev.oi_base
                self._oi_usd[vi] = ev.oi_usd
            return
        if cls is Liquidation:
            vi = self._vidx.get(ev.venue)
            if vi is None or not ev.usd > 0 or not ev.price > 0 or self.tape is None:
                return
            self.tape.add(ev)
            self._prints_min[vi] += ev.usd
            self._prints_since_oi[vi] += ev.usd
            sec = ts // SWEEP_TICK_MS
            side = LONG if ev.side == "long" else SHORT
            counts = self._second_counts.get(sec)
            if counts is None:
                counts = self._second_counts[sec] = np.zeros((2, len(self.venues)))
                if len(self._second_counts) > RECENT_SWEEP_SECONDS:
                    del self._second_counts[min(self._second_counts)]
            counts[side, vi] += 1
            for j in range(len(self._print_window)):
                self._print_window[j] = True
            self._pending.append((vi, side, ev.usd, ev.fire, ts))
            return
        if cls is BookDepth:
            vi = self._vidx.get(ev.venue)
            if vi is not None and self.grid is not None and self.price > 0:  # the grid comes with the first price
                self.book.add(vi, ts, ev.recv_ms, ev.bids, ev.asks, self.grid.bucket_usd, self.price)

    def advance(self, now_ms: int) -> None:
        """Run ticks that are due at `now_ms` when no events arrive."""
        if self._next_tick_ms is not None and now_ms >= self._next_tick_ms:
            self._run_ticks(now_ms)

    @property
    def clock_ms(self) -> int:
        """The engine's time: the latest tick or event it has folded in (0 before the first price)."""
        return self._now_ms

    def self_check(self, now_ms: int, max_ahead_ms: int | None = CLOCK_AHEAD_MS) -> list[str]:
        """Check the engine's invariants at time `now_ms` and repair what broke; returns what was repaired.

        Invariants: every mass is finite and non-negative; the price is finite; the clock is not ahead
        of `now_ms` by more than `max_ahead_ms` (a clock pushed far ahead would freeze every periodic
        update until real time caught up, and buffer prints meanwhile; None skips this check).
        """
        repaired: list[str] = []
        layers = [] if self.inventory is None else [("inventory", self.inventory.mass), ("fresh", self.inventory.fresh)]
        if self.tape is not None:
            layers.append(("tape", self.tape.layer))
        for name, arr in layers:
            bad = ~np.isfinite(arr) | (arr < 0)
            if bad.any():
                arr[bad] = 0.0
                repaired.append(f"{name}: {int(bad.sum())} non-finite or negative cells zeroed")
                self._version += 1
        if self.price and not math.isfinite(self.price):
            self.price = self._tick_ref if math.isfinite(self._tick_ref) else 0.0
            repaired.append("price was not finite")
        if max_ahead_ms is not None and self._next_tick_ms is not None and self._now_ms > now_ms + max_ahead_ms:
            repaired.append(f"clock {(self._now_ms - now_ms) / 1000:.0f} s ahead: realigned")
            self._now_ms = now_ms
            self._next_tick_ms = (now_ms // SWEEP_TICK_MS + 1) * SWEEP_TICK_MS
            self._next_minute_ms = (now_ms // MINUTE_MS + 1) * MINUTE_MS
            self._pending = [p for p in self._pending if p[4] <= now_ms]
        return repaired

    # ------------------------------------------------------------------ set-up
    def _start(self, price: float, ts_ms: int) -> None:
        """Create the grid and layers around the first price; ticks align to whole seconds/minutes."""
        self.grid = PriceGrid(price, self._bucket_usd)
        self._inv_bucket = 1.0 / self.grid.bucket_usd
        self.inventory = Inventory(self.grid, self.venues)
        self.tape = Tape(self.grid, self.venues)
        self._tick_ref = price
        self._min_open = price
        self._next_tick_ms = (ts_ms // SWEEP_TICK_MS + 1) * SWEEP_TICK_MS
        self._next_minute_ms = (ts_ms // MINUTE_MS + 1) * MINUTE_MS
        self._now_ms = ts_ms

    # ------------------------------------------------------------------ ticks
    def _run_ticks(self, ts: int) -> None:
        assert self._next_tick_ms is not None and self._next_minute_ms is not None
        if ts - self._next_minute_ms > MAX_CATCHUP_MINUTES * MINUTE_MS:
            # a long silence: jump, keeping one tick of each kind for the state it left behind
            self._sweep_tick(self._next_tick_ms)
            self._minute_tick(self._next_minute_ms)
            self._next_tick_ms = (ts // SWEEP_TICK_MS) * SWEEP_TICK_MS
            self._next_minute_ms = (ts // MINUTE_MS) * MINUTE_MS
        while ts >= self._next_tick_ms:
            t = self._next_tick_ms
            self._sweep_tick(t)
            self._next_tick_ms = t + SWEEP_TICK_MS
            if t >= self._next_minute_ms:
                self._minute_tick(self._next_minute_ms)
                self._next_minute_ms += MINUTE_MS
        self._now_ms = max(self._now_ms, ts)

    def _sweep_tick(self, t: int) -> None:
        """Each second: attribute buffered prints, then sweep the levels price crossed."""
        if self.tape is not None and self.tape._pending:
            self.tape.tick(t)
        # densities before the sweep (the inventory the print came from), credited after it
        # (the sweep gives this second's expected liquidation count, the sampling correction)
        densities = self._print_densities() if self._pending else None
        lo, hi = self._tick_lo, self._tick_hi
        if lo <= hi:
            self._tick_lo, self._tick_hi = math.inf, -math.inf
            if lo < self._min_lo:
                self._min_lo = lo
            if hi > self._min_hi:
                self._min_hi = hi
            ref = self._tick_ref
            self._tick_ref = self.price
            self._tick_swept_side = None
            self.sweep_range(lo, hi, ref)
            self._tick_second = t - SWEEP_TICK_MS
            if self._tick_swept_side is not None:
                # what each tier lost in this second: the exact E-step for prints of this second
                self._recent_sweeps[self._tick_second] = self._tick_swept_side
                if len(self._recent_sweeps) > RECENT_SWEEP_SECONDS:
                    del self._recent_sweeps[min(self._recent_sweeps)]
        if densities:
            self._credit_prints(densities)

    def sweep_range(self, low: float, high: float, ref: float) -> tuple[float, float]:
        """Sweep longs with levels in [low, ref) and shorts in (ref, high]; returns weighted swept USD per side."""
        grid, inv = self.grid, self.inventory
        assert grid is not None and inv is not None
        w = grid.bucket_usd
        long_sum = short_sum = 0.0
        weights = self.calibrator.scaled_weights()  # cached: no allocation per tick
        if low < ref:
            a = math.ceil(low / w - 1e-9) - grid.origin
            b = math.ceil(ref / w - 1e-9) - 1 - grid.origin
            if b >= a:
                swept = inv.sweep_long(a, b)
                self._book_sweep(inv.last_fresh, weights, LONG)
                self._side_accumulator()[LONG] += inv.last_fresh
                long_sum = float((swept * weights).sum())
        if high > ref:
            a = math.floor(ref / w + 1e-9) + 1 - grid.origin
            b = math.floor(high / w + 1e-9) - grid.origin
            if b >= a:
                swept = inv.sweep_short(a, b)
                self._book_sweep(inv.last_fresh, weights, SHORT)
                self._side_accumulator()[SHORT] += inv.last_fresh
                short_sum = float((swept * weights).sum())
        if self.zones.zones:
            self.zones.touch(self._now_ms, grid.index_of(low), grid.index_of(high))
        return long_sum, short_sum

    def _side_accumulator(self) -> np.ndarray:
        """This tick's swept (side, venue, tier), allocated only when something is swept."""
        if self._tick_swept_side is None:
            assert self.inventory is not None
            self._tick_swept_side = np.zeros((2, len(self.venues), self.inventory.mass.shape[2]))
            self._tick_swept[:] = 0.0
        return self._tick_swept_side

    def _book_sweep(self, swept: np.ndarray, weights: np.ndarray, side: int) -> None:
        if not swept.any():
            return
        if self._live:
            self.calibrator.add_exposure(swept)
        elif self._bar_evidence:
            self._bar_swept += swept
        per_venue = (swept * weights).sum(axis=1)
        self._swept_min += per_venue
        self._tick_swept[side] += per_venue
        self._version += 1

    def _print_densities(self) -> list[tuple[int, int, float, int, np.ndarray | None]]:
        """Each buffered print with its tier densities: (venue, side, usd, ts, density or None).

        The density is what each tier lost when price crossed in the print's second (the exact E-step),
        else the tier inventory near its price (percent-space kernel). None means the print belongs to
        the second this tick is about to sweep: it is resolved after the sweep.
        """
        pending, self._pending = self._pending, []
        sweeping = (self._next_tick_ms or 0) - SWEEP_TICK_MS
        out: list[tuple[int, int, float, int, np.ndarray | None]] = []
        for vi, side, usd, mark, ts in pending:
            if self.price > 0 and abs(mark / self.price - 1.0) > MAX_PRINT_DISTANCE:
                continue
            second = ts // SWEEP_TICK_MS * SWEEP_TICK_MS
            swept = self._recent_sweeps.get(second)
            if swept is None and second == sweeping:
                out.append((vi, side, usd, ts, None))
            elif swept is not None and swept[side, vi].any():
                out.append((vi, side, usd, ts, swept[side, vi].copy()))
            else:
                out.append((vi, side, usd, ts, self._kernel_density(vi, side, mark)))
        return out

    def _credit_prints(self, densities: list[tuple[int, int, float, int, np.ndarray | None]]) -> None:
        """Soft-attribute prints to tiers; a <=1/s venue's print stands for its second's expected count."""
        for vi, side, usd, ts, density in densities:
            if density is None:
                swept = self._recent_sweeps.get(ts // SWEEP_TICK_MS * SWEEP_TICK_MS)
                if swept is not None and swept[side, vi].any():
                    density = swept[side, vi]
                else:
                    density = self._kernel_density(vi, side, self.price)
            credited = usd
            if (self._one_per_second[vi] and self._tick_swept_side is not None
                    and ts // SWEEP_TICK_MS * SWEEP_TICK_MS == self._tick_second):
                sides = [side] if self._largest_per_side[vi] else [LONG, SHORT]
                expected = float(self._tick_swept[sides, vi].sum())  # fresh mass: exact-crossing semantics
                factor = self.calibrator.per_second_factor(vi, expected, self._complete_venue_count(ts, vi, sides))
                if self._largest_per_side[vi]:
                    # the print is the largest of its side's second: the others were smaller, so they
                    # count as typical prints, not as copies of it (that over-counted up to ~10x in cascades)
                    credited += (factor - 1.0) * min(usd, self.calibrator.per_venue[vi].mean_print_usd)
                else:
                    credited *= factor
            self.calibrator.attribute(vi, credited, density, usd)

    def _complete_venue_count(self, ts: int, vi: int, sides: list[int]) -> float:
        """Liquidations the complete feed printed in the same second on `sides`, scaled to this venue's OI.

        The same price path crosses every venue's book, so the complete venue's count is a guide to
        how many this venue had; it keeps a too-low weight from confirming itself through a too-low
        expected count (the trap of correcting a 1/s sample with the model's own rate).
        """
        cv = self._complete_venue
        if cv is None or cv == vi:
            return 0.0
        counts = self._second_counts.get(ts // SWEEP_TICK_MS)
        oi_v, oi_c = self._oi_usd[vi], self._oi_usd[cv]
        if counts is None or not oi_c > 0 or not oi_v > 0:
            return 0.0
        return float(counts[sides, cv].sum()) * oi_v / oi_c

    def _kernel_density(self, vi: int, side: int, price: float) -> np.ndarray:
        """Tier inventory near `price`: a percent-space Gaussian whose width follows recent volatility."""
        grid, inv = self.grid, self.inventory
        assert grid is not None and inv is not None
        width = self.calibrator.attribution_width_pct()
        centre = grid.local_float(price)
        sig_b = max(price * width / grid.bucket_usd, 0.5)
        half = int(math.ceil(3 * sig_b))
        c = int(math.floor(centre + 0.5))
        a, b = max(c - half, 0), min(c + half + 1, grid.size)
        if b <= a:
            return np.zeros(inv.mass.shape[2])
        d = (np.arange(a, b) - centre) / sig_b
        kern = np.exp(-0.5 * d * d)
        return inv.fresh[vi, side, :, a:b] @ kern

    def _minute_tick(self, t: int) -> None:
        """Each minute: open/close inventory from OI changes, turnover, calibrate, zones, history."""
        grid, inv = self.grid, self.inventory
        assert grid is not None and inv is not None
        price = self.price
        lo, hi = self._min_lo, self._min_hi
        if lo > hi:
            lo = hi = price
        if self._min_open > 0 and price > 0:
            self.calibrator.note_volatility(math.log(price / self._min_open))
        for vi in range(len(self.venues)):
            qty = self._buy[vi] + self._sell[vi]
            vwap = self._pq[vi] / qty if qty > 0 else price
            buy_share = self._buy[vi] / qty if qty > 0 else 0.5
            base_now, base_prev = self._oi_base[vi], self._oi_base_prev[vi]
            if math.isnan(base_now):
                continue
            if math.isnan(base_prev):
                # first open interest of this venue: nothing inferred yet unless warm start ran
                if inv.mass[vi].sum() <= 0:
                    self._cold_seed(vi, base_now * price, price)
                self._oi_base_prev[vi] = base_now
                continue
            d_oi = (base_now - base_prev) * vwap
            oi_usd = base_now * price
            expected_liq = float(self._swept_min[vi])
            self._apply_flow(vi, d_oi + expected_liq, oi_usd, buy_share, 1.0,
                             self._volume_entries(vi, lo, hi))
            self._oi_base_prev[vi] = base_now
        inv.drop_dust()
        oi_now = np.array([0.0 if math.isnan(b) else b * price for b in self._oi_base])
        if self.calibrator.minute(oi_now, inv.fresh.sum(axis=(1, 3))):
            self._version += 1
        if self.tape is not None:
            self.tape.tick(t)
        self._end_minute(t)

    def _apply_flow(self, vi: int, net_usd: float, oi_usd: float, buy_share: float, minutes: float,
                    entries: list[tuple[float, float, float]]) -> None:
        """Net position flow of one venue over `minutes`: proportional closes (capped), turnover, opens.

        `entries` says where the interval's new positions opened: (low, high, share) price ranges.
        """
        inv = self.inventory
        assert inv is not None
        self._history_min[vi] += minutes
        close = min(max(-net_usd, 0.0) / oi_usd, OI_CLOSE_CAP_PER_MIN * minutes) if oi_usd > 0 else 0.0
        close = min(close, 1.0)
        keep_turn = (1.0 - TURNOVER_PER_MIN) ** minutes
        inv.scale_venue(vi, (1.0 - close) * keep_turn)
        opens = max(net_usd, 0.0) + (1.0 - keep_turn) * oi_usd
        if opens > 0:
            lo_s, hi_s = BUY_SHARE_CLAMP
            share = min(max(buy_share, lo_s), hi_s)
            for low, high, part in entries:
                inv.place_range(vi, LONG, opens * share * part, low, high)
                inv.place_range(vi, SHORT, opens * (1.0 - share) * part, low, high)
        self._version += 1

    def _volume_entries(self, vi: int, lo: float, hi: float) -> list[tuple[float, float, float]]:
        """Where this minute's positions opened: its traded volume by price bucket, else its range."""
        at = self._volume_at[vi]
        total = sum(at.values())
        if not total > 0:
            return [(lo, hi, 1.0)] if hi >= lo > 0 else []
        w = self.grid.bucket_usd if self.grid is not None else 1.0
        if len(at) <= VOLUME_BOXES:
            return [((k - 0.5) * w, (k + 0.5) * w, q / total) for k, q in at.items() if q > 0]
        # many price levels traded: equal-volume boxes between the volume quantiles keep the shape at a
        # fixed cost per minute (one box per level made the minute tick 3x dearer on a busy tape)
        keys = sorted(at)
        cum = np.cumsum([at[k] for k in keys]) / total
        edges = [(keys[0] - 0.5) * w]
        for q in np.arange(1, VOLUME_BOXES) / VOLUME_BOXES:
            edges.append((keys[int(np.searchsorted(cum, q))] + 0.5) * w)
        edges.append((keys[-1] + 0.5) * w)
        return [(a, max(b, a), 1.0 / VOLUME_BOXES) for a, b in zip(edges, edges[1:])]

    def _cold_seed(self, vi: int, oi_usd: float, price: float) -> None:
        """No history for this venue: its OI sits like the venues that have an hour of history (the same
        market's traders, the same entries); when none has, spread around the price (an honest wide prior)."""
        inv = self.inventory
        assert inv is not None
        donors = [d for d, m in enumerate(self._history_min) if d != vi and m >= DONOR_HISTORY_MIN]
        if not (donors and inv.seed_like(vi, donors, oi_usd, price)):
            inv.place(vi, LONG, oi_usd / 2.0, price, COLD_START_SPREAD_PCT)
            inv.place(vi, SHORT, oi_usd / 2.0, price, COLD_START_SPREAD_PCT)
        self._version += 1

    def _end_minute(self, t: int) -> None:
        """Zones, history column, re-centre; reset the minute accumulators."""
        grid = self.grid
        assert grid is not None
        price = self.price
        profile = self.profile()
        pidx = grid.index_of(price)
        total_near = float(profile[:, max(pidx - grid.origin - 400, 0): pidx - grid.origin + 400].sum())
        self.zones.update(t, profile, grid.origin, pidx, strong_usd=0.02 * total_near)
        self.history.push(t - MINUTE_MS, pidx, profile[0], profile[1], grid.origin, price)
        self.book.end_column(t - MINUTE_MS)
        if grid.needs_recentre(price):
            assert self.inventory is not None and self.tape is not None
            grid.recentre(price, [self.inventory.mass, self.inventory.fresh, self.tape.layer])
            self._version += 1
        n = len(self.venues)
        self._min_lo, self._min_hi = math.inf, -math.inf
        self._min_open = price
        self._buy, self._sell, self._pq = [0.0] * n, [0.0] * n, [0.0] * n
        for at in self._volume_at:
            at.clear()
        self._prints_min = [0.0] * n
        self._swept_min = np.zeros(n)

    # ------------------------------------------------------------------ bar path
    def ingest_bar_group(self, bars: list[Bar], realised: tuple[float, float] | None = None,
                         prints: list[Liquidation] | tuple = ()) -> tuple[float, float]:
        """One time slot of history bars (one per venue, same ts): sweep, then flows. Returns swept USD per side.

        This is THE bar path: warm start, `backtest --bars` and `backtest --events` all come through here.
        `realised`: the slot's liquidation USD (long, short) where the bars carry it; it teaches each
        venue's at-risk share. `prints`: liquidations that happened inside the slot; they join the tape and,
        without totals, teach the at-risk share (hour-scale prints cannot tell tiers apart, see below).
        """
        if not bars:
            return 0.0, 0.0
        first = bars[0]
        if self._next_tick_ms is None:
            self._start(first.open, first.ts_ms)
        self._now_ms = first.ts_ms + first.interval_ms
        low = min(b.low for b in bars)
        high = max(b.high for b in bars)
        ref = self.price if self.price > 0 else first.open
        dens = self._bar_prints(prints)
        self._live = False
        self._bar_evidence = realised is not None or bool(dens)
        self._bar_swept = np.zeros((len(self.venues), N_TIERS))
        try:
            swept = self.sweep_range(low, high, ref)
        finally:
            self._live = True
            self._bar_evidence = False
        for vi, usd in dens:
            # Hour-scale prints cannot tell tiers 0.3 % apart: on the simulator's hourly stand-in for the real
            # events (evaluation.simevents, seeds 0-3) reshaping tiers from them lowered hazard capture@10 % by
            # 0.04 on average, so here they only count towards the at-risk level (live prints, judged
            # against each second's sweep, still reshape the tiers).
            if realised is None:
                self.calibrator.note_printed(vi, usd)
        if realised is not None:
            self._note_realised(sum(realised))
        elif dens:
            self._note_swept()
        minutes = first.interval_ms / MINUTE_MS
        close = bars[-1].close
        for bar in bars:
            vi = self._vidx.get(bar.venue)
            if vi is None or not bar.close > 0:
                continue
            entry = (bar.high + bar.low + bar.close) / 3.0
            vol = bar.volume
            buy_share = bar.buy_volume / vol if vol > 0 and not math.isnan(bar.buy_volume) else (
                0.5 + 0.5 * math.tanh((bar.close - bar.open) / max(bar.high - bar.low, 1e-12)))
            if math.isnan(bar.oi_usd):
                continue
            base_now = bar.oi_usd / bar.close
            base_prev = self._oi_base_prev[vi]
            self._oi_base[vi] = base_now
            self._oi_usd[vi] = bar.oi_usd
            self._oi_base_prev[vi] = base_now
            if math.isnan(base_prev):
                if self.inventory is not None and self.inventory.mass[vi].sum() <= 0:
                    self._cold_seed(vi, bar.oi_usd, entry)
                continue
            expected_liq = float(self._swept_min[vi])
            d_oi = (base_now - base_prev) * entry
            self._apply_flow(vi, d_oi + expected_liq, bar.oi_usd, buy_share, minutes, [(bar.low, bar.high, 1.0)])
        self.price = close
        self._tick_ref = close
        if dens or realised is not None:
            # evidence arrived with this slot: the calibrator's clock runs through it (forgetting, updates)
            assert self.inventory is not None
            oi_now = np.array([0.0 if math.isnan(u) else u for u in self._oi_usd])
            for _ in range(int(max(minutes, 1))):
                if self.calibrator.minute(oi_now, self.inventory.fresh.sum(axis=(1, 3))):
                    self._version += 1
        if self._min_open > 0:
            self.calibrator.note_volatility(math.log(close / self._min_open) / math.sqrt(max(minutes, 1.0)))
        # one history column per minute of the bar keeps the time axis true
        grid = self.grid
        assert grid is not None
        profile = self.profile()
        pidx = grid.index_of(close)
        for k in range(int(max(minutes, 1))):
            self.history.push(first.ts_ms + k * MINUTE_MS, pidx, profile[0], profile[1], grid.origin, close)
        end = first.ts_ms + first.interval_ms
        total_near = float(profile[:, max(pidx - grid.origin - 400, 0): pidx - grid.origin + 400].sum())
        self.zones.update(end, profile, grid.origin, pidx, strong_usd=0.02 * total_near)
        if grid.needs_recentre(close):
            assert self.inventory is not None and self.tape is not None
            grid.recentre(close, [self.inventory.mass, self.inventory.fresh, self.tape.layer])
        self._swept_min = np.zeros(len(self.venues))
        self._min_open = close
        self._next_tick_ms = (end // SWEEP_TICK_MS) * SWEEP_TICK_MS
        self._next_minute_ms = (end // MINUTE_MS) * MINUTE_MS + MINUTE_MS
        return swept

    def _bar_prints(self, prints: list[Liquidation] | tuple) -> list[tuple[int, float]]:
        """(venue, usd) of a bar's prints the engine follows; the tape gets them too."""
        out: list[tuple[int, float]] = []
        if self.tape is None:
            return out
        for ev in prints:
            vi = self._vidx.get(ev.venue)
            if vi is None or not ev.usd > 0 or not ev.fire > 0:
                continue
            self.tape.add(ev)
            out.append((vi, ev.usd))
        if out:
            self.tape.tick(self._now_ms)
        return out

    def _note_swept(self) -> None:
        """The at-risk denominator of a bar whose prints (not totals) are the evidence."""
        for vi in range(len(self.venues)):
            self.calibrator.note_realised(vi, 0.0, self._bar_swept[vi])

    def _note_realised(self, realised_usd: float) -> None:
        """Split a slot's realised USD over the venues by what each swept, and teach their at-risk shares."""
        swept = self._bar_swept
        w = self.calibrator.weights()
        per = (swept * w).sum(axis=1)
        total = float(per.sum())
        for vi in range(len(self.venues)):
            share = per[vi] / total if total > 0 else 1.0 / len(self.venues)
            self.calibrator.note_realised(vi, realised_usd * share, swept[vi])

    def warm_start(self, bars: list[Bar], oi: list[OpenInterest]) -> None:
        """Run history bars (klines + OI history merged by time) through the bar path."""
        from tnet.engine.bars import group_bars, merge_bars_and_oi

        merged = merge_bars_and_oi([b for b in bars if b.symbol in (self.symbol, "")] or bars, oi)
        for group in group_bars(merged):
            self.ingest_bar_group(group)
        self.warm = True

    # ------------------------------------------------------------------ read side
    def profile(self) -> np.ndarray:
        """(2, B) predicted liquidation USD per bucket (long, short) with current weights (cached)."""
        if self.inventory is None:
            return np.zeros((2, 0))
        if self._profile_cache is None or self._profile_cache[0] != self._version:
            self._profile_cache = (self._version, self.inventory.weighted(self.calibrator.scaled_weights()))
        return self._profile_cache[1]

    def hazard_profile(self, horizon_ms: int = DEFAULT_HORIZON_MS) -> np.ndarray:
        """(2, B) liquidation USD times the chance price reaches each bucket within `horizon_ms`."""
        prof = self.profile()
        if self.grid is None or not self.price > 0:
            return prof
        return side_hazard(prof, self.grid.prices(), self.price, self.calibrator.vol_1m, horizon_ms)

    def calibration_state(self) -> dict:
        """JSON-able calibrator state for saving."""
        state = self.calibrator.state()
        state["symbol"] = self.symbol
        return state

    def prints_since(self, seen: int) -> tuple[int, list[tuple[int, float, str, float]]]:
        """(prints ever taken, the heatmap prints (ts_ms, price, side, usd) after the first `seen`), oldest first."""
        if self.tape is None:
            return 0, []
        total = sum(self.tape.counts.values())
        recent = self.tape.recent
        k = min(total - seen, len(recent))
        return total, [(e.ts_ms, e.fire, e.side, e.usd) for e in list(recent)[len(recent) - k:]] if k > 0 else []

    def view(self, now_ms: int, heatmap: bool = False, levels: int = 80, measure: str = "usd",
             recv_ms: int | None = None, tape_min_usd: float = 0.0) -> SymbolView:
        """Everything the UI shows at market time `now_ms`, computed from current state (no mutation).

        `measure` ("usd" or "hazard") is what the heatmap matrices hold; levels and zones carry both.
        `recv_ms` is the receive clock's now, which judges the book's freshness (default `now_ms`; a
        scaled-time simulator's market time runs ahead of it). `tape_min_usd` is the tape's size filter:
        the tape's events are the newest prints of at least that size (its totals stay the window's).
        """
        price = self.price
        cal = {
            c.venue: CalibrationView(tiers=[int(t) for t in (2, 3, 5, 10, 20, 25, 50, 75, 100, 125)],
                                     weights=[float(x) for x in c.weights], events=c.events)
            for c in self.calibrator.per_venue
        }
        oi = {v: float(self._oi_usd[i]) for i, v in enumerate(self.venues)}  # nan: not heard yet
        known = [x for x in oi.values() if not math.isnan(x)]
        oi["total_usd"] = float(sum(known)) if known else math.nan
        grid = self.grid
        if grid is None or self.tape is None:
            empty_tape = TapeView(events=[], clusters=[], long_usd=0.0, short_usd=0.0, window_s=TAPE_WINDOW_S)
            return SymbolView(self.symbol, now_ms, 0.0, 0.0, [], [], empty_tape, cal, oi, None, self.warm)
        profile = self.profile()
        hazard = self.hazard_profile()
        level_list = self._levels(profile, hazard, levels)
        window = self.tape.window(now_ms, TAPE_WINDOW_S)
        rates, gaps = tape_rates(window, now_ms, TAPE_WINDOW_S)
        tape = TapeView(
            events=self.tape.events_view(now_ms, TAPE_WINDOW_S, min_usd=tape_min_usd),
            clusters=tape_clusters(window, price),
            long_usd=float(sum(e.usd for e in window if e.side == "long")),
            short_usd=float(sum(e.usd for e in window if e.side == "short")),
            window_s=TAPE_WINDOW_S, rates=rates, gaps=gaps, count=len(window),
        )
        hm = self._heatmap_view(now_ms, measure) if heatmap else None
        return SymbolView(self.symbol, now_ms, price, grid.bucket_usd, level_list,
                          self.zones.views(grid.bucket_usd, price, hazard, grid.origin), tape, cal, oi, hm, self.warm,
                          zone_stats=self.zones.stats(), measure=measure, vol_1m=float(self.calibrator.vol_1m),
                          at_risk={c.venue: float(c.at_risk) for c in self.calibrator.per_venue},
                          book=self.book.view(now_ms if recv_ms is None else recv_ms, grid.bucket_usd, price, level_list,
                                             self.venues))

    def _levels(self, profile: np.ndarray, hazard: np.ndarray, levels: int) -> list[Level]:
        """`levels` rows spanning ±LEVEL_SPAN_PCT of price, each summing whole buckets (ascending price)."""
        grid = self.grid
        assert grid is not None
        if levels <= 0 or not self.price > 0:
            return []
        span = int(math.ceil(self.price * LEVEL_SPAN_PCT / grid.bucket_usd))
        per = max(1, int(math.ceil(2 * span / levels)))
        c = grid.index_of(self.price) - grid.origin
        start = c - (levels // 2) * per
        out = []
        for k in range(levels):
            a, b = start + k * per, start + (k + 1) * per
            a2, b2 = max(a, 0), min(b, grid.size)
            lu, su = (float(x) for x in profile[:, a2:b2].sum(axis=1)) if b2 > a2 else (0.0, 0.0)
            lh, sh = (float(x) for x in hazard[:, a2:b2].sum(axis=1)) if b2 > a2 else (0.0, 0.0)
            centre = (grid.origin + 0.5 * (a + b - 1)) * grid.bucket_usd
            out.append(Level(price=centre, long_usd=lu, short_usd=su, long_hazard_usd=lh, short_hazard_usd=sh))
        return out

    def _heatmap_view(self, now_ms: int, measure: str = "usd") -> HeatmapView:
        grid = self.grid
        assert grid is not None and self.tape is not None
        # the same realignment a Redis reader does on the history it received (HeatmapHistory.view)
        hm = self.history.view(self.price, grid.bucket_usd, [(e.ts_ms, e.fire, e.side, e.usd) for e in self.tape.recent])
        book = self.book.columns_for(hm.t0_ms, hm.col_ms, hm.long_usd.shape[0], round(hm.price_lo / grid.bucket_usd))
        if book is not None:
            hm = dataclasses.replace(hm, bid_usd=book[0], ask_usd=book[1])
        return heatmap_hazard(hm, self.price, self.calibrator.vol_1m) if measure == "hazard" else hm
