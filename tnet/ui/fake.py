"""A deterministic synthetic runtime (plain data, no network) for UI tests, screenshots and bench_tui."""

from __future__ import annotations

from typing import Any

import numpy as np

from tnet.engine.book import book_levels
from tnet.engine.views import (
    BookView,
    CalibrationView,
    HeatmapView,
    Level,
    SymbolView,
    TapeView,
    Zone,
)
from tnet.events import VENUES
from tnet.margin import LEVERAGE_TIERS

COL_MS = 60_000
N_COLS = 1440  # 24 h of 1-minute columns, like the engine's ring
N_ROWS = 300
BASE_PRICES = {"BTC": 67_000.0, "ETH": 3_500.0, "SOL": 150.0}
LEVERAGES = (10, 20, 25, 50, 100)
T_START_MS = 1_790_000_000_000  # a fixed clock: screenshots are reproducible
BOOK_COLS = 360  # the synthetic book covers the last 6 h (older columns: no book sample)
BOOK_DEPTH_BUCKETS = 40.0  # resting size falls off over this many buckets from the price

# Synthetic per-venue figures, given to the registry's venues in order (any venue set works).
FAKE_VENUES: tuple[dict[str, Any], ...] = (
    {"weights": (0.04, 0.06, 0.12, 0.22, 0.2, 0.14, 0.1, 0.05, 0.04, 0.03), "events": 1234, "oi": 8e9,
     "down": "DNS: name resolution failed",
     "live": {"msgs_per_s": 42.0, "latency_ms_p50": 35.0, "latency_ms_p99": 90.0, "reconnects": 0, "note": "",
              "last_msg_age_s": 0.1}},
    {"weights": (0.05, 0.08, 0.15, 0.25, 0.18, 0.1, 0.09, 0.04, 0.04, 0.02), "events": 321, "oi": 5e9,
     "down": "connect refused",
     "live": {"msgs_per_s": 31.0, "latency_ms_p50": 48.0, "latency_ms_p99": 120.0, "reconnects": 1, "note": "",
              "last_msg_age_s": 0.2}},
    {"weights": (0.1,) * 10, "events": 0, "oi": 3e9, "down": "no route to host",
     "live": {"msgs_per_s": 18.0, "latency_ms_p50": 61.0, "latency_ms_p99": 150.0, "reconnects": 0,
              "note": "partial feed", "last_msg_age_s": 0.3}},
    {"weights": (0.06, 0.08, 0.14, 0.2, 0.18, 0.12, 0.1, 0.06, 0.04, 0.02), "events": 88, "oi": 2e9,
     "down": "TLS handshake failed",
     "live": {"msgs_per_s": 12.0, "latency_ms_p50": 70.0, "latency_ms_p99": 160.0, "reconnects": 0, "note": "",
              "last_msg_age_s": 0.4}},
    {"weights": (0.08, 0.1, 0.16, 0.2, 0.16, 0.1, 0.08, 0.06, 0.04, 0.02), "events": 45, "oi": 1e9,
     "down": "connect timeout",
     "live": {"msgs_per_s": 9.0, "latency_ms_p50": 80.0, "latency_ms_p99": 190.0, "reconnects": 2, "note": "",
              "last_msg_age_s": 0.5}},
    {"weights": (0.1,) * 10, "events": 0, "oi": 1.5e9, "down": "silent (no data)",
     "live": {"msgs_per_s": 6.0, "latency_ms_p50": 90.0, "latency_ms_p99": 210.0, "reconnects": 0,
              "note": "no liquidation feed", "last_msg_age_s": 0.6}},
)


class FakeRuntime:
    """Implements tnet.ui.protocol.RuntimeLike from a seeded synthetic market; `step()` moves it on."""

    def __init__(self, symbols: list[str] | None = None, seed: int = 7, venues_down: bool = False) -> None:
        self.symbols = list(symbols or ["BTC", "ETH", "SOL"])
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.now_ms = T_START_MS
        self.venues_down = venues_down
        self.lost_at_ms: int | None = None  # set by lose_source(): every venue drops mid-session
        self.finished = False  # a replay that reached its end
        self.started = False
        self.stopped = False
        self.view_calls = 0
        self.heatmap_calls = 0
        self._state = {s: self._make_symbol(s, i) for i, s in enumerate(self.symbols)}

    # ----- RuntimeLike ------------------------------------------------------------------
    async def start(self) -> None:
        """Nothing to connect to."""
        self.started = True

    async def stop(self) -> None:
        """Nothing to stop."""
        self.stopped = True

    def view(self, symbol: str, heatmap: bool = True, measure: str = "usd", tape_min_usd: float = 0.0) -> SymbolView:
        """Current synthetic view of `symbol` (KeyError for an unknown one, like a real runtime)."""
        self.view_calls += 1
        self.heatmap_calls += int(heatmap)
        st = self._state[symbol]
        price = float(st["path"][-1])
        bucket = st["bucket"]
        hm = None
        if heatmap:
            hm = HeatmapView(
                t0_ms=st["t0"], col_ms=COL_MS, price_lo=st["price_lo"], bucket_usd=bucket,
                long_usd=st["long"], short_usd=st["short"], price_path=st["path"],
                prints=[(e["ts_ms"], e["price"], e["side"], e["usd"]) for e in st["prints"]],
                measure=measure,  # synthetic matrices: labelled as asked, not recomputed
                bid_usd=st["bids"], ask_usd=st["asks"],
            )
        last_long, last_short = st["long"][-1], st["short"][-1]
        prices = st["price_lo"] + np.arange(N_ROWS) * bucket
        levels = [Level(float(p), float(lv), float(sv)) for p, lv, sv in zip(prices, last_long, last_short)]
        bids, asks = _depth(prices, price, bucket, st["walls"], self.now_ms // COL_MS)
        origin = round(st["price_lo"] / bucket)
        book = BookView(ts_ms=self.now_ms, venues=list(VENUES), bid_usd=float(bids.sum()),
                        ask_usd=float(asks.sum()), levels=book_levels(levels, bucket, origin, bids, asks),
                        price_lo=origin * bucket, bucket_usd=bucket, bids=bids, asks=asks)
        newest = list(reversed(st["prints"]))
        events = [e for e in newest if e["usd"] >= tape_min_usd][:200]
        return SymbolView(
            symbol=symbol, ts_ms=self.now_ms, price=price, bucket_usd=bucket, levels=levels,
            zones=self._zones(symbol, price, last_long, last_short, prices),
            tape=TapeView(events=events, clusters=[], long_usd=sum(e["usd"] for e in newest if e["side"] == "long"),
                          short_usd=sum(e["usd"] for e in newest if e["side"] == "short"), window_s=300,
                          count=len(newest)),
            calibration={v: CalibrationView(tiers=list(LEVERAGE_TIERS), weights=list(row["weights"]), events=row["events"])
                         for v, row in zip(VENUES, FAKE_VENUES)},
            oi={**{v: row["oi"] for v, row in zip(VENUES, FAKE_VENUES)},
                "total_usd": sum(row["oi"] for row in FAKE_VENUES[:len(VENUES)])},
            heatmap=hm, warm=True, book=book,
        )

    def health(self) -> dict[str, Any]:
        """Three live venues, or three down venues with reasons (`venues_down=True`, or after lose_source())."""
        if self.venues_down or self.lost_at_ms is not None:
            age = (self.now_ms - self.lost_at_ms) / 1000 if self.lost_at_ms is not None else None
            return {"venues": {v: {"state": "down", "reason": row["down"], "msgs_per_s": 0.0, "latency_ms_p50": None,
                                   "latency_ms_p99": None, "reconnects": 3, "parse_errors": 0, "note": "",
                                   "last_msg_age_s": age}
                               for v, row in zip(VENUES, FAKE_VENUES)}}
        return {"venues": {v: {"state": "live", **row["live"], "parse_errors": 0, "reason": ""}
                           for v, row in zip(VENUES, FAKE_VENUES)}}

    def lose_source(self) -> None:
        """Every venue drops now (the clock keeps running with step())."""
        self.lost_at_ms = self.now_ms

    def stats(self) -> dict[str, Any]:
        """Counters."""
        return {"events": sum(len(s["prints"]) for s in self._state.values()), "dropped": 0}

    # ----- driving the fake -------------------------------------------------------------
    def add_print(self, symbol: str, side: str, usd: float, venue: str = VENUES[0], price: float | None = None,
                  fire: float | None = None) -> None:
        """Append one real liquidation print at the current time (`fire`: where it fired, if not at `price`)."""
        st = self._state[symbol]
        p = float(st["path"][-1]) if price is None else price
        st["prints"].append({"type": "liquidation", "venue": venue, "symbol": symbol, "ts_ms": self.now_ms,
                             "recv_ms": self.now_ms + 40, "side": side, "price": p, "qty": usd / p, "usd": usd,
                             "fire": p if fire is None else fire})
        del st["prints"][:-500]

    def step(self, ms: int = 250, prints: int = 1) -> None:
        """Advance the clock by `ms`, move each price a little, add `prints` prints per symbol."""
        self.now_ms += ms
        for sym, st in self._state.items():
            col = (self.now_ms - st["t0"]) // COL_MS
            if col >= N_COLS:  # a new minute: shift the ring by one column
                for key in ("long", "short", "bids", "asks"):
                    st[key][:-1] = st[key][1:]
                st["path"][:-1] = st["path"][1:]
                st["t0"] += COL_MS
            st["path"][-1] *= float(np.exp(self.rng.normal(0, 0.0003)))
            if prints <= 0:
                continue
            # vectorised draws: a burst of thousands of prints must cost the generator little
            longs = self.rng.random(prints) < 0.5
            usds = np.exp(self.rng.normal(9.0, 1.6, prints))
            venues = self.rng.integers(0, min(3, len(VENUES)), prints)
            price = float(st["path"][-1])
            names = VENUES
            st["prints"].extend(
                {"type": "liquidation", "venue": names[v], "symbol": sym, "ts_ms": self.now_ms,
                 "recv_ms": self.now_ms + 40, "side": "long" if lg else "short", "price": price,
                 "qty": u / price, "usd": u}
                for lg, u, v in zip(longs.tolist(), usds.tolist(), venues.tolist())
            )
            del st["prints"][:-500]

    # ----- synthetic history ------------------------------------------------------------
    def _make_symbol(self, symbol: str, index: int) -> dict[str, Any]:
        base = BASE_PRICES.get(symbol, 100.0 * (index + 1))
        bucket = base * 0.001
        price_lo = base * (1 - 0.15)
        steps = self.rng.normal(0, 0.0012, N_COLS)
        path = base * np.exp(np.cumsum(steps) - np.cumsum(steps)[-1])
        prices = price_lo + np.arange(N_ROWS) * bucket
        long_inv = np.zeros((N_COLS, N_ROWS), dtype=np.float64)
        short_inv = np.zeros((N_COLS, N_ROWS), dtype=np.float64)
        cur_l = np.zeros(N_ROWS)
        cur_s = np.zeros(N_ROWS)
        scale = base * 30.0  # USD per minute of new positions, scaled so values span decades
        for j in range(N_COLS):
            p = path[j]
            cur_l *= 0.998
            cur_s *= 0.998
            for lev in LEVERAGES:
                weight = scale * (50 / lev) * float(self.rng.uniform(0.2, 1.8))
                li = int((p * (1 - 1 / lev) - price_lo) / bucket)
                si = int((p * (1 + 1 / lev) - price_lo) / bucket)
                if 0 <= li < N_ROWS:
                    cur_l[li] += weight
                if 0 <= si < N_ROWS:
                    cur_s[si] += weight
            cur_l[prices >= p] *= 0.3  # swept: price is at or below these long liquidation levels
            cur_s[prices <= p] *= 0.3
            long_inv[j] = cur_l
            short_inv[j] = cur_s
        t0 = (self.now_ms // COL_MS + 1) * COL_MS - N_COLS * COL_MS
        # resting book: a few walls at round prices, each living for hours, and spoofs shown for one minute
        first_minute = t0 // COL_MS
        rng = np.random.default_rng(self.seed * 1000 + index)  # its own draws: the liquidation data stay as they were
        walls = [(float(p), 12.0 * float(rng.uniform(0.5, 2.0)), first_minute + int(a), first_minute + int(a) + int(n))
                 for p, a, n in zip(np.round(base * rng.uniform(0.96, 1.04, 8) / (base * 0.005)) * base * 0.005,
                                    rng.integers(N_COLS - BOOK_COLS, N_COLS, 8), rng.integers(60, 600, 8))]
        walls += [(float(p), 25.0, first_minute + int(a), first_minute + int(a) + 1)
                  for p, a in zip(base * rng.uniform(0.97, 1.03, 12), rng.integers(N_COLS - BOOK_COLS, N_COLS, 12))]
        bids = np.full((N_COLS, N_ROWS), np.nan, dtype=np.float32)
        asks = np.full((N_COLS, N_ROWS), np.nan, dtype=np.float32)
        for j in range(N_COLS - BOOK_COLS, N_COLS):  # the book feed joined BOOK_COLS minutes ago: older columns unknown
            bids[j], asks[j] = _depth(prices, float(path[j]), bucket, walls, first_minute + j)
        st: dict[str, Any] = {"bucket": bucket, "price_lo": price_lo, "path": path, "long": long_inv,
                              "short": short_inv, "t0": t0, "prints": [], "bids": bids, "asks": asks, "walls": walls}
        for k in range(40):  # prints over the last 40 minutes, deterministic
            ts = self.now_ms - (40 - k) * 55_000
            j = (ts - t0) // COL_MS
            side = "long" if k % 3 else "short"
            usd = [2_500.0, 18_000.0, 140_000.0, 1_600_000.0][k % 4]
            price = float(path[j]) * (0.999 if side == "long" else 1.001)
            st["prints"].append({"type": "liquidation", "venue": VENUES[k % min(3, len(VENUES))], "symbol": symbol,
                                 "ts_ms": int(ts), "recv_ms": int(ts) + 40, "side": side, "price": price,
                                 "qty": usd / price, "usd": usd})
        return st

    def _zones(self, symbol: str, price: float, long_usd: np.ndarray, short_usd: np.ndarray, prices: np.ndarray) -> list[Zone]:
        zones: list[Zone] = []
        for side, inv in (("long", long_usd), ("short", short_usd)):
            order = np.argsort(inv)[::-1][:3]
            for k, i in enumerate(sorted(order)):
                if inv[i] <= 0:
                    continue
                lo, hi = float(prices[i]) - self._state_bucket(symbol), float(prices[i]) + self._state_bucket(symbol)
                zones.append(Zone(id=len(zones) + 1, side=side, price_low=lo, price_high=hi, usd=float(inv[i]),
                                  state="active" if k else "reinforced", created_ms=self.now_ms - (k + 1) * 600_000,
                                  touches=k, distance_pct=((lo + hi) / 2 - price) / price * 100))
        return zones

    def _state_bucket(self, symbol: str) -> float:
        return float(self._state[symbol]["bucket"]) if hasattr(self, "_state") else 0.0


def _depth(prices: np.ndarray, price: float, bucket: float, walls: list[tuple[float, float, int, int]], minute: int
           ) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic resting USD per bucket (bids below `price`, asks above): depth thinning away from the price,
    plus the walls (price, size in multiples of the touch depth, first minute, end minute) alive at `minute`."""
    d = (prices - price) / bucket
    touch = price * 40.0  # USD resting in the bucket at the price
    noise = np.random.default_rng(minute).lognormal(0.0, 0.4, prices.shape[0])  # the same book for the same minute
    depth = touch * np.exp(-np.abs(d) / BOOK_DEPTH_BUCKETS) * noise
    for wall_price, size, start, end in walls:
        if start <= minute < end:
            depth[int(np.argmin(np.abs(prices - wall_price)))] += size * touch
    bids = np.where(d < 0, depth, 0.0)
    asks = np.where(d > 0, depth, 0.0)
    return bids, asks
