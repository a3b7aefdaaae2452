"""Simulated order books per (venue, symbol) around the market's price, and their wire frames.

Each book has a spread of about a tick, a dense top, a depth profile that grows away from mid, walls
(large resting orders) that appear and vanish, and churn every 100 ms. Frames follow each venue's
depth protocol (Binance diff + REST snapshot, Bybit orderbook.200 snapshot + delta, OKX books with
a real checksum, Hyperliquid l2Book whole-book pushes, Bitget books snapshot + updates on pseq, Gate
`futures.order_book_update` full book + deltas on U..u); the `book_*` faults break their sequence
numbers on purpose (a lost or repeated Hyperliquid push is only a late or a stale one).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tnet.connectors.books.okx import checksum as okx_checksum
from tnet.sim.faults import Faults
from tnet.sim.venues.gate import multiplier as gate_multiplier
from tnet.sim.wire import okx_ct_val
from tnet.venues import RECORDS
from tnet.venues.hyperliquid import coin_name

BOOK_STEP_MS = 100  # the venues' depth push interval
TOP_LEVELS = 12  # consecutive ticks on each side of the spread
LEVEL_USD = 40_000.0  # typical resting USD of a level at the top, growing away from mid
WALL_EVERY_S = 20.0  # mean time between new walls, per side
WALL_LIFE_S = (10.0, 90.0)
STALE_SNAPSHOT_MS = 2_000  # a stale REST snapshot is this old (older than any diff a client buffered)
CHURN = 10  # levels per side re-sized per step


@dataclass(frozen=True, slots=True)
class DepthShape:
    """How deep one venue's served book is."""

    levels: int  # per side
    band: float  # the levels span about this fraction of price


# Binance's diff stream covers the whole book (the sim serves 500 levels a side); Bybit and OKX keep
# the depth their channel names; Hyperliquid's 20 aggregated levels span a few tenths of a percent.
SHAPES = {"binance": DepthShape(500, 0.02),
          **{v: DepthShape(RECORDS[v].depth.levels, 0.01) for v in ("bybit", "okx")},  # type: ignore[union-attr]
          "hyperliquid": DepthShape(RECORDS["hyperliquid"].depth.levels, 0.003),  # type: ignore[union-attr]
          "bitget": DepthShape(300, 0.01),  # its books hold up to 1,000 a side; 300 keeps the sim light
          "gate": DepthShape(RECORDS["gate"].depth.levels, 0.01)}  # type: ignore[union-attr]


def coin_unit(venue: str, symbol: str) -> tuple[str, float]:
    """(instrument, base units per quoted unit): Hyperliquid quotes tiny tokens per 1,000 (kPEPE)."""
    if venue == "hyperliquid":
        return coin_name(symbol) or (symbol, 1.0)
    return RECORDS[venue].instrument_of(symbol), 1.0


def tick_of(price: float) -> float:
    """Price tick of a simulated instrument (BTC 0.1, ETH 0.01, SOL 0.001)."""
    return 10.0 ** (math.floor(math.log10(price)) - 5)


class SimBook:
    """One venue's book for one symbol; integer tick indices, sizes in base coin."""

    def __init__(self, venue: str, symbol: str, price: float, rng: np.random.Generator) -> None:
        self.venue = venue
        self.symbol = symbol
        self.inst, self.unit = coin_unit(venue, symbol)
        self.rng = rng
        self.tick = tick_of(price)
        self.decimals = max(0, -math.floor(math.log10(self.tick) + 1e-9))
        shape = SHAPES[venue]
        self.spacing = max(1, round(shape.band * price / self.tick / shape.levels))
        # ticks from mid to the farthest level: the dense top, then `levels - TOP_LEVELS` spaced ones
        self.reach = TOP_LEVELS + (shape.levels - TOP_LEVELS) * self.spacing
        self.bids: dict[int, float] = {}
        self.asks: dict[int, float] = {}
        self.walls: list[tuple[bool, int, int]] = []  # (bid?, tick index, expiry ms)
        self.mid = round(price / self.tick)
        self.seq = int(rng.integers(10**9, 10**10))  # Binance u / Bybit u / OKX seqId
        self.seq2 = int(rng.integers(10**10, 10**11))  # Bybit cross sequence
        self.last_ms = 0
        self.history: list[tuple[int, int, dict[int, float], dict[int, float]]] = []  # (ms, seq, bids, asks)
        self._fill(self.mid, {}, {})

    # ------------------------------------------------------------------ dynamics
    def _size(self, distance_ticks: int) -> float:
        """Base-coin size of a fresh level this far from mid: rising away from it, noisy."""
        pct = distance_ticks / self.mid * 100
        usd = LEVEL_USD * (1.0 + 4.0 * pct) * float(self.rng.lognormal(0.0, 0.6))
        return max(usd / (self.mid * self.tick), 10 ** -3)

    def _keep(self, idx: int, mid: int, bid: bool) -> bool:
        """Does a level belong at `idx`: the dense top, then every `step` ticks out to `reach`."""
        dist = mid - 1 - idx if bid else idx - mid
        return 0 <= dist < self.reach and (dist < TOP_LEVELS or idx % self.spacing == 0)

    def _fill(self, mid: int, db: dict[int, float], da: dict[int, float]) -> None:
        """Every level a fresh book at `mid` holds."""
        for bid, book, diff in ((True, self.bids, db), (False, self.asks, da)):
            sign = -1 if bid else 1
            first = mid - 1 if bid else mid
            top = [first + sign * d for d in range(TOP_LEVELS)]
            edge = first + sign * TOP_LEVELS
            start = edge - edge % self.spacing if bid else edge + (-edge) % self.spacing
            grid = range(start, first + sign * self.reach, sign * self.spacing)
            for idx in (*top, *grid):
                if idx not in book:
                    book[idx] = diff[idx] = self._size(abs(idx - mid))

    def _reconcile(self, lo: int, hi: int, mid: int, db: dict[int, float], da: dict[int, float],
                   grid: bool = False) -> None:
        """Make ticks [lo, hi) agree with `_keep` at `mid`: missing levels added, unwanted removed (walls stay).

        `grid` looks at grid ticks only (the far edges hold nothing else but walls, which stay)."""
        stride = self.spacing if grid else 1
        start = lo + (-lo) % stride
        for bid, book, diff in ((True, self.bids, db), (False, self.asks, da)):
            for idx in range(start, hi, stride):
                want = self._keep(idx, mid, bid)
                if want and idx not in book:
                    book[idx] = diff[idx] = self._size(abs(idx - mid))
                elif not want and idx in book and not self._is_wall(bid, idx, mid):
                    del book[idx]
                    diff[idx] = 0.0

    def step(self, price: float, now_ms: int) -> tuple[dict[int, float], dict[int, float]]:
        """Move the book to `price` and churn it; the changed levels per side (size 0 = removed)."""
        db: dict[int, float] = {}
        da: dict[int, float] = {}
        mid, old = round(price / self.tick), self.mid
        if abs(mid - old) >= self.reach // 2:  # a jump across much of the book: rebuild it
            db.update(dict.fromkeys(self.bids, 0.0))
            da.update(dict.fromkeys(self.asks, 0.0))
            self.bids.clear()
            self.asks.clear()
            self.walls.clear()
            self.mid = mid
            self._fill(mid, db, da)
        elif mid != old:
            self.mid = mid
            lo, hi = min(mid, old), max(mid, old)
            pad = TOP_LEVELS + 2
            self._reconcile(lo - pad, hi + pad, mid, db, da)  # the spread moved
            far = self.spacing + 2
            self._reconcile(lo - 1 - self.reach - far, hi - 1 - self.reach + far, mid, db, da, grid=True)  # far bids
            self._reconcile(lo + self.reach - far, hi + self.reach + far, mid, db, da, grid=True)  # far asks
        rng = self.rng
        for book, diff in ((self.bids, db), (self.asks, da)):
            keys = list(book)
            for k in (rng.integers(len(keys), size=CHURN).tolist() if keys else ()):
                idx = keys[k]
                # pulled back toward the profile: a bare random walk would let sizes drift without bound
                book[idx] = diff[idx] = 0.7 * book[idx] + 0.3 * self._size(abs(idx - self.mid))
        self._walls(now_ms, db, da)
        self.last_ms = now_ms
        return db, da

    def _is_wall(self, bid: bool, idx: int, mid: int) -> bool:
        inside = idx <= mid - 1 if bid else idx >= mid
        return inside and any(b == bid and i == idx for b, i, _ in self.walls)

    def _walls(self, now_ms: int, db: dict[int, float], da: dict[int, float]) -> None:
        """Walls: 20-60x a level, 0.3-3 % from mid, for 10-90 s; then they vanish (spoofing) or get eaten."""
        rng = self.rng
        keep = []
        for bid, idx, until in self.walls:
            book, diff = (self.bids, db) if bid else (self.asks, da)
            if idx not in book:
                continue  # price ran through it
            if now_ms < until:
                keep.append((bid, idx, until))
            elif self._keep(idx, self.mid, bid):
                book[idx] = diff[idx] = self._size(abs(idx - self.mid))
            else:
                del book[idx]
                diff[idx] = 0.0
        self.walls = keep
        far = min(0.03, (self.reach - 1) / self.mid)
        for bid, book, diff in ((True, self.bids, db), (False, self.asks, da)):
            if far > 0.003 and rng.random() < BOOK_STEP_MS / 1000.0 / WALL_EVERY_S:
                dist = int(self.mid * float(rng.uniform(0.003, far)))
                idx = self.mid - 1 - dist if bid else self.mid + dist
                book[idx] = diff[idx] = self._size(dist) * float(rng.uniform(20.0, 60.0))
                self.walls.append((bid, idx, now_ms + int(float(rng.uniform(*WALL_LIFE_S)) * 1000)))

    def remember(self, now_ms: int) -> None:
        """Keep a copy now and then, so a stale snapshot can be served."""
        if not self.history or now_ms - self.history[-1][0] >= 1000:
            self.history.append((now_ms, self.seq, dict(self.bids), dict(self.asks)))
            del self.history[:-4]

    # ------------------------------------------------------------------ text
    def px(self, idx: int) -> str:
        return f"{idx * self.tick * self.unit:.{self.decimals}f}"

    def qty(self, size: float) -> str:
        if self.venue == "okx":
            return f"{max(size / okx_ct_val(self.symbol), 0.01):.2f}"
        if self.venue == "gate":  # whole contracts (Gate sends integers unless asked for decimals)
            return str(max(round(size / gate_multiplier(self.symbol)), 1))
        return f"{size / self.unit:.3f}"

    def rows(self, diff: dict[int, float], descending: bool) -> list[list[str]]:
        out = []
        for idx in sorted(diff, reverse=descending):
            size = diff[idx]
            out.append([self.px(idx), self.qty(size) if size else "0"])
        return out

    def side_rows(self, limit: int, bids: dict[int, float] | None = None,
                  asks: dict[int, float] | None = None) -> tuple[list[list[str]], list[list[str]]]:
        bids = self.bids if bids is None else bids
        asks = self.asks if asks is None else asks
        b = heapq.nlargest(limit, bids)
        a = heapq.nsmallest(limit, asks)
        return ([[self.px(i), self.qty(bids[i])] for i in b], [[self.px(i), self.qty(asks[i])] for i in a])


def _okx_rows(rows: list[list[str]]) -> list[list[str]]:
    return [[p, q, "0", "1" if q == "0" else "3"] for p, q in rows]


class SimBooks:
    """Every simulated book, stepped every 100 ms while somebody listens, and its frames per venue."""

    def __init__(self, symbols: list[str], rng: np.random.Generator, faults: Faults) -> None:
        self.symbols = symbols
        self.rng = rng
        self.faults = faults
        self.books: dict[tuple[str, str], SimBook] = {}
        self.next_ms = 0
        self.stats = {"updates": 0, "gaps": 0, "duplicates": 0, "stale_snapshots": 0}

    def book(self, venue: str, symbol: str, price: float) -> SimBook:
        key = (venue, symbol)
        b = self.books.get(key)
        if b is None:
            b = self.books[key] = SimBook(venue, symbol, price, np.random.default_rng([len(self.books), 7, *map(ord, venue + symbol)]))
        return b

    @staticmethod
    def topic(venue: str, symbol: str) -> Any:
        """The subscription key the server fans a book's frames out on (OKX's: (channel, instId))."""
        depth, inst = RECORDS[venue].depth, coin_unit(venue, symbol)[0]
        assert depth is not None
        return (depth.channel, inst) if venue in ("okx", "hyperliquid", "bitget", "gate") else depth.channel_of(inst, symbol)

    def symbol_of(self, venue: str, topic: Any) -> str | None:
        """The simulated symbol whose book `topic` subscribes to on `venue` (None: not a book topic)."""
        if venue not in SHAPES:
            return None
        return next((s for s in self.symbols if self.topic(venue, s) == topic), None)

    def frames(self, now_ms: int, prices: dict[str, float], wanted: set[tuple[str, Any]]) -> list[tuple[str, Any, dict]]:
        """(venue, topic, payload) of every book somebody subscribed to, once per BOOK_STEP_MS."""
        if now_ms < self.next_ms:
            return []
        self.next_ms = now_ms + BOOK_STEP_MS
        out: list[tuple[str, Any, dict]] = []
        for venue in SHAPES:
            for symbol in self.symbols:
                topic = self.topic(venue, symbol)
                if (venue, topic) not in wanted:
                    continue
                book = self.book(venue, symbol, prices[symbol])
                db, da = book.step(prices[symbol], now_ms)
                payload = self._encode(book, db, da, now_ms)
                book.remember(now_ms)
                self.stats["updates"] += 1
                faults = self.faults
                if faults.book_gap and self.rng.random() < faults.book_gap:
                    self.stats["gaps"] += 1  # applied at the venue, never sent: the client's chain breaks
                    continue
                out.append((venue, topic, payload))
                if faults.book_dup and self.rng.random() < faults.book_dup:
                    self.stats["duplicates"] += 1
                    out.append((venue, topic, payload))
        return out

    def _encode(self, book: SimBook, db: dict[int, float], da: dict[int, float], now_ms: int) -> dict:
        if book.venue == "hyperliquid":
            return self._l2book(book, now_ms)  # no diffs: every push is the whole book
        bids, asks = book.rows(db, True), book.rows(da, False)
        prev = book.seq
        if book.venue == "binance":
            book.seq += int(self.rng.integers(1, 40))
            return {"e": "depthUpdate", "E": now_ms, "T": now_ms - 2, "s": book.inst, "U": prev + 1,
                    "u": book.seq, "pu": prev, "b": bids, "a": asks}
        if book.venue == "bybit":
            book.seq += 1
            book.seq2 += int(self.rng.integers(1, 500))
            return {"topic": self.topic("bybit", book.symbol), "type": "delta", "ts": now_ms,
                    "data": {"s": book.inst, "b": bids, "a": asks, "u": book.seq, "seq": book.seq2},
                    "cts": now_ms - 2}
        if book.venue == "gate":
            book.seq += int(self.rng.integers(1, 30))
            return self._gate(False, book, bids, asks, prev + 1, now_ms)
        if book.venue == "bitget":
            book.seq += int(self.rng.integers(1, 40))
            return self._bitget("update", book, bids, asks, prev, now_ms)
        book.seq += int(self.rng.integers(1, 60))
        return self._okx("update", book, _okx_rows(bids), _okx_rows(asks), prev, now_ms)

    def _gate(self, full: bool, book: SimBook, bids: list, asks: list, first: int, now_ms: int) -> dict:
        """Gate's push: ids first..u (`full` on the book a subscriber gets first), sizes as integers."""
        channel, inst = self.topic("gate", book.symbol)
        rows = [[{"p": p, "s": int(q)} for p, q in side] for side in (bids, asks)]
        result = {"t": now_ms, **({"full": True} if full else {}), "s": inst, "U": first, "u": book.seq,
                  "b": rows[0], "a": rows[1], "l": str(SHAPES["gate"].levels)}
        return {"time": now_ms // 1000, "time_ms": now_ms + 1, "channel": channel, "event": "update", "result": result}

    def _bitget(self, action: str, book: SimBook, bids: list, asks: list, prev: int, now_ms: int) -> dict:
        channel, inst = self.topic("bitget", book.symbol)
        return {"action": action, "arg": {"instType": "usdt-futures", "topic": channel, "symbol": inst},
                "data": [{"a": asks, "b": bids, "seq": book.seq, "pseq": prev, "ts": str(now_ms), "maxdepth": "1000"}],
                "ts": now_ms + 1}

    @staticmethod
    def _l2book(book: SimBook, now_ms: int) -> dict:
        """Hyperliquid's push: the whole book's top levels, best first, `n` orders each; `time` orders them."""
        book.seq = now_ms
        bids, asks = book.side_rows(SHAPES["hyperliquid"].levels)
        levels = [[{"px": p, "sz": q, "n": 1 + int(p.replace(".", "")) % 9} for p, q in side] for side in (bids, asks)]
        return {"channel": "l2Book", "data": {"coin": book.inst, "time": now_ms, "levels": levels}}

    def _okx(self, action: str, book: SimBook, bids: list, asks: list, prev: int, now_ms: int) -> dict:
        top_b, top_a = book.side_rows(25)
        cs = okx_checksum([f"{p}:{q}" for p, q in top_b], [f"{p}:{q}" for p, q in top_a])
        channel, inst = self.topic("okx", book.symbol)
        return {"arg": {"channel": channel, "instId": inst}, "action": action, "data": [
            {"asks": asks, "bids": bids, "ts": str(now_ms), "checksum": cs, "prevSeqId": prev, "seqId": book.seq}]}

    def snapshot_frame(self, venue: str, symbol: str, price: float, now_ms: int) -> dict:
        """The first message a new depth subscriber gets (every venue but Binance): the whole book."""
        book = self.book(venue, symbol, price)
        if venue == "hyperliquid":
            return self._l2book(book, max(now_ms, book.seq))
        # the whole book: its depth is the venue's (a wall may add a level or two past it)
        if venue == "bybit":
            bids, asks = book.side_rows(len(book.bids) + len(book.asks))
            return {"topic": self.topic("bybit", symbol), "type": "snapshot", "ts": now_ms,
                    "data": {"s": book.inst, "b": bids, "a": asks, "u": book.seq, "seq": book.seq2},
                    "cts": now_ms - 2}
        bids, asks = book.side_rows(len(book.bids) + len(book.asks))
        if venue == "bitget":
            return self._bitget("snapshot", book, bids, asks, 0, now_ms)  # a snapshot's pseq is 0
        if venue == "gate":
            return self._gate(True, book, bids, asks, book.seq, now_ms)
        return self._okx("snapshot", book, _okx_rows(bids), _okx_rows(asks), -1, now_ms)

    def binance_snapshot(self, symbol: str, price: float, limit: int, now_ms: int) -> dict:
        """`/fapi/v1/depth`; with the book_stale fault, sometimes a copy from seconds ago."""
        book = self.book("binance", symbol, price)
        seq, bids, asks, at = book.seq, book.bids, book.asks, now_ms
        f = self.faults.book_stale
        if f and self.rng.random() < f:
            old = [h for h in book.history if now_ms - h[0] >= STALE_SNAPSHOT_MS]
            if old:
                at, seq, bids, asks = old[-1]
                self.stats["stale_snapshots"] += 1
        b, a = book.side_rows(limit, bids, asks)
        return {"lastUpdateId": seq, "E": at, "T": at - 2, "bids": b, "asks": a}
