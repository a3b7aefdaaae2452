"""What every venue's book sync shares: per-symbol state and counters, resync actions, sampling, health."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import msgspec
import orjson

from tnet.connectors.base import Endpoints, ParserStats
from tnet.connectors.base import remember_error as _remember_error
from tnet.connectors.books.book import LocalBook
from tnet.events import BOOK_SAMPLE_MS, BookDepth, Event
from tnet.symbols import SymbolInfo
from tnet.venues.record import VenueRecord

# A level's price and size as the venues send them (decimal strings): msgspec turns them into floats
# in C (strict=False) and rejects NaN, inf, negative sizes and non-positive prices in the same pass.
Price = Annotated[float, msgspec.Meta(gt=0.0, le=sys.float_info.max)]
Size = Annotated[float, msgspec.Meta(ge=0.0, le=sys.float_info.max)]
Level = tuple[Price, Size]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Send:
    """Send this frame on the book connection (a resubscribe)."""

    frame: str


@dataclass(frozen=True, slots=True)
class Fetch:
    """GET this REST path and hand the body to `parse_rest` (a snapshot)."""

    symbol: str  # short name
    path: str


Action = Send | Fetch


class SymbolBook:
    """One symbol's synced book on one venue, its sync state and its counters."""

    __slots__ = ("short", "venue_symbol", "topic", "scale", "book", "state", "seq", "ts_ms", "next_sample_ms", "updates",
                 "desyncs", "resyncs", "duplicates", "stale_snapshots", "checksum_errors", "resets", "last_desync",
                 "synced_ms", "covering", "extra")

    def __init__(self, info: SymbolInfo, record: VenueRecord, scale: float = 1.0) -> None:
        assert record.depth is not None
        self.short = info.short
        self.venue_symbol = info.venue_symbol(record.name)
        self.topic = record.depth.channel_of(self.venue_symbol, info.short)  # the depth channel, subscribed
        self.scale = scale  # venue size unit -> base coin (OKX contracts x ctVal)
        self.book = LocalBook()
        self.state = "waiting"  # waiting | fetching (Binance snapshot in flight) | synced
        self.seq = 0  # last applied update id (Binance u, Bybit u, OKX seqId)
        self.ts_ms = 0  # exchange time of the last update applied
        self.next_sample_ms = 0
        self.updates = 0  # diffs applied
        self.desyncs = 0  # sequence breaks, crossed books, checksum mismatches seen while synced
        self.resyncs = 0  # times the book came back in sync after a desync
        self.duplicates = 0  # updates older than the book, dropped
        self.stale_snapshots = 0  # Binance: snapshot older than the first diff it must cover
        self.checksum_errors = 0
        self.resets = 0  # fresh snapshots the venue sent on its own (Bybit restart, reconnect)
        self.last_desync = ""
        self.synced_ms = 0
        self.covering = False  # Binance: snapshot loaded, the diff covering its lastUpdateId not seen yet
        self.extra: Any = None  # venue-specific state (Binance's buffer, OKX's level text)

    def report(self, now_ms: int) -> dict[str, Any]:
        bids, asks = len(self.book.bids), len(self.book.asks)
        return {
            "state": self.state if self.state != "fetching" else "syncing",
            "levels": [bids, asks],
            "updates": self.updates,
            "desyncs": self.desyncs,
            "resyncs": self.resyncs,
            "duplicates": self.duplicates,
            "stale_snapshots": self.stale_snapshots,
            "checksum_errors": self.checksum_errors,
            "last_desync": self.last_desync,
            "last_update_age_s": round((now_ms - self.ts_ms) / 1000.0, 3) if self.ts_ms else None,
        }


class BookFeed:
    """Base of a venue's pure book parser: frames in, BookDepth samples and resync actions out.

    `parse` never raises. A frame that does not decode is counted and dropped; because books are
    chained, the next update then fails its sequence check and the book resyncs by itself.
    """

    record: VenueRecord

    def __init__(self, symbols: list[SymbolInfo], sample_ms: int = BOOK_SAMPLE_MS) -> None:
        self.venue = self.record.name
        self.stats = ParserStats()
        self.sample_ms = sample_ms
        self.actions: list[Action] = []
        self.by_venue_symbol: dict[str, SymbolBook] = {}
        for info in symbols:
            sb = self.make_book(info)
            self.by_venue_symbol[sb.venue_symbol] = sb

    def make_book(self, info: SymbolInfo) -> SymbolBook:
        return SymbolBook(info, self.record)

    @staticmethod
    def subscription(op: str, topics: list[str]) -> str:
        """The venue's (un)subscribe frame for these depth channels."""
        raise NotImplementedError

    def parse(self, frame: str | bytes, recv_ms: int) -> list[Event]:
        raise NotImplementedError

    def parse_rest(self, path: str, body: str | bytes, recv_ms: int) -> list[Event]:
        self.stats.parse_errors += 1  # only Binance fetches REST snapshots
        return []

    def resync_actions(self, sb: SymbolBook) -> list[Action]:
        """What brings one symbol's book back: unsubscribe and subscribe again (the venue sends the whole
        book first); a venue whose book starts from a REST snapshot fetches one instead."""
        return [Send(self.subscription(op, [self.subscribed_as(sb)])) for op in ("unsubscribe", "subscribe")]

    @staticmethod
    def subscribed_as(sb: SymbolBook) -> str:
        """What `subscription` takes for this symbol (its instrument, or the venue's whole channel name)."""
        return sb.venue_symbol

    # ------------------------------------------------------------------ shared steps
    def take_actions(self) -> list[Action]:
        """The actions queued since the last call (the connection runs them)."""
        out, self.actions = self.actions, []
        return out

    def reset(self) -> None:
        """A new connection: every book starts again from a fresh snapshot."""
        for sb in self.by_venue_symbol.values():
            sb.book.clear()
            sb.state = "waiting"
            sb.seq = 0
            sb.covering = False
            sb.extra = None

    def desync(self, sb: SymbolBook, reason: str) -> None:
        """The book can no longer be trusted: count it, drop it, ask for a fresh one."""
        sb.desyncs += 1
        sb.last_desync = reason[:200]
        sb.book.clear()
        sb.state = "waiting"
        sb.covering = False
        sb.extra = None
        self.actions.extend(self.resync_actions(sb))

    def snapshot(self, sb: SymbolBook, bids: Any, asks: Any, recv_ms: int) -> None:
        """A whole book pushed on the stream replaces the one held (a reset when that one was live)."""
        if sb.state == "synced":
            sb.resets += 1
        sb.book.replace(bids, asks)
        self.synced(sb, recv_ms)

    def synced(self, sb: SymbolBook, recv_ms: int) -> None:
        """A snapshot was applied: the book is live again (a resync if it had broken before)."""
        if sb.desyncs and sb.state != "synced":
            sb.resyncs += 1
        sb.state = "synced"
        sb.synced_ms = recv_ms
        sb.next_sample_ms = 0  # the first sample goes out at once

    def sample(self, sb: SymbolBook, recv_ms: int) -> list[Event]:
        """A BookDepth of `sb` if one is due (at most one per sample_ms); a crossed book resyncs instead."""
        if recv_ms < sb.next_sample_ms or sb.state != "synced":
            return []
        if sb.book.crossed():
            self.desync(sb, "crossed book (best bid >= best ask)")
            return []
        sb.next_sample_ms = recv_ms + self.sample_ms
        bids, asks = sb.book.levels(scale=sb.scale)
        if not bids and not asks:
            return []
        return [BookDepth(self.venue, sb.short, sb.ts_ms, recv_ms, bids, asks)]

    def decoded(self, frame: str | bytes, decode: Callable[[str | bytes], T]) -> T | None:
        """Count `frame` and decode it; one that does not decode is a control frame or junk (None)."""
        self.stats.frames += 1
        try:
            return decode(frame)
        except (msgspec.DecodeError, msgspec.ValidationError):
            self.control(frame)
            return None

    def control(self, frame: str | bytes) -> None:
        """A frame that is not book data: acks and pongs are silent, error replies kept, the rest counted."""
        try:
            msg = orjson.loads(frame)
        except orjson.JSONDecodeError:
            if frame not in ("pong", b"pong"):
                self.stats.parse_errors += 1
            return
        reason = self.error_text(msg) if isinstance(msg, dict) else None
        if reason is None:
            self.stats.parse_errors += 1
        elif reason:
            _remember_error(self.stats, reason)

    def error_text(self, msg: dict[str, Any]) -> str | None:
        """'' for an ack, the error text for an error reply, None for junk."""
        raise NotImplementedError

    def report(self, now_ms: int) -> dict[str, Any]:
        """Per-symbol book health and totals (the `book` part of a venue in `tnet health`)."""
        symbols = {sb.short: sb.report(now_ms) for sb in self.by_venue_symbol.values()}
        states = [s["state"] for s in symbols.values()]
        state = "synced" if states and all(s == "synced" for s in states) else (
            "syncing" if any(s != "waiting" for s in states) else "waiting")
        return {
            "state": state,
            "desyncs": sum(s["desyncs"] for s in symbols.values()),
            "resyncs": sum(s["resyncs"] for s in symbols.values()),
            "parse_errors": self.stats.parse_errors,
            "symbols": symbols,
        }


class BookSpec:
    """The depth connection of one venue, read from its record (a VenueSpec for VenueConnection)."""

    feed: type[BookFeed]
    stale_after_s = 5.0  # depth pushes every 100 ms: seconds of silence mean a dead socket

    def __init__(self) -> None:
        rec = self.feed.record
        assert rec.depth is not None
        self.name = rec.name
        self.depth = rec.depth
        self.heartbeat_s = rec.heartbeat_s
        self.max_connection_s = rec.max_connection_s
        self._heartbeat = rec.heartbeat_frame

    def ws_url(self, endpoints: Endpoints, symbols: list[SymbolInfo]) -> str:
        return endpoints.ws + self.depth.ws_path

    def subscribe_frames(self, symbols: list[SymbolInfo]) -> list[str]:
        # one frame: a handful of depth channels is far below every venue's per-request limit
        topics = [self.depth.channel_of(info.venue_symbol(self.name), info.short) for info in symbols]
        return [self.feed.subscription("subscribe", topics)]

    def heartbeat_frame(self) -> str | None:
        return self._heartbeat

    def make_parser(self, symbols: list[SymbolInfo]) -> BookFeed:
        return self.feed(symbols)


def finite_levels(rows: list[list[str]]) -> list[tuple[float, float, str, str]]:
    """(price, size, price text, size text) of OKX-style rows; ValueError on a bad row."""
    out = []
    for row in rows:
        ptxt, stxt = row[0], row[1]
        price, size = float(ptxt), float(stxt)
        if not (0.0 < price < math.inf and 0.0 <= size < math.inf):
            raise ValueError(f"bad level {row!r}")
        out.append((price, size, ptxt, stxt))
    return out
