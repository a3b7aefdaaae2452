"""Hyperliquid depth: `l2Book`, every push the whole aggregated book (20 levels a side), no diffs.

Rules (Hyperliquid docs, "Subscriptions": `{"type": "l2Book", "coin"}` -> `WsBook {coin, levels:
[bids, asks], time}`, levels `{px, sz, n}` best first, sizes in coin): each push replaces the book, so
nothing chains and a lost push costs nothing. What can still be wrong is kept out: a push older than
(or as old as) the book is a stale update and dropped, a crossed one desyncs and resubscribes.
Coins quoted per 1,000 units (kPEPE) are converted to base units here; unlisted coins are never
subscribed (the venue closes the socket on one).
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson

from tnet.connectors.books.sync import BookFeed, BookSpec, Price, Size, SymbolBook
from tnet.connectors.hyperliquid import control_text
from tnet.events import Event
from tnet.symbols import SymbolInfo
from tnet.venues.hyperliquid import RECORD, coin_name

assert RECORD.depth is not None
CHANNEL = RECORD.depth.channel


class _Level(msgspec.Struct, gc=False):
    px: Price
    sz: Size
    n: int = 0


class _Book(msgspec.Struct, gc=False):
    coin: str
    time: int
    levels: tuple[list[_Level], list[_Level]]


class _Frame(msgspec.Struct, tag_field="channel", tag=CHANNEL, gc=False):
    data: _Book


_decode = msgspec.json.Decoder(_Frame, strict=False).decode


def listed(symbols: list[SymbolInfo]) -> list[SymbolInfo]:
    """The symbols Hyperliquid lists (a subscription to any other coin closes the socket)."""
    return [info for info in symbols if coin_name(info.short) is not None]


class HyperliquidBooks(BookFeed):
    """The books of every watched listed coin on one Hyperliquid depth connection."""

    record = RECORD

    def make_book(self, info: SymbolInfo) -> SymbolBook:
        coin, unit = coin_name(info.short) or (info.short, 1.0)
        sb = SymbolBook(info, RECORD, scale=unit)  # samples turn coin units (kPEPE: 1,000) into base coin
        sb.venue_symbol = coin  # frames name the coin (kPEPE), not the short name
        return sb

    @staticmethod
    def subscription(op: str, topics: list[str]) -> str:
        # one subscription per message: topics holds one coin
        return orjson.dumps({"method": op, "subscription": {"type": CHANNEL, "coin": topics[0]}}).decode()

    def parse(self, frame: str | bytes, recv_ms: int) -> list[Event]:
        msg = self.decoded(frame, _decode)
        if msg is None:
            return []
        book = msg.data
        sb = self.by_venue_symbol.get(book.coin)
        if sb is None:
            return []
        if book.time <= sb.seq:
            sb.duplicates += 1  # not newer than the book held: a repeat or a late push
            return []
        unit = sb.scale  # prices per coin unit -> per base coin (sizes are scaled when sampled)
        bids, asks = book.levels
        sb.book.replace([(lv.px / unit, lv.sz) for lv in bids], [(lv.px / unit, lv.sz) for lv in asks])
        if sb.state == "synced":
            sb.updates += 1
        else:
            self.synced(sb, recv_ms)
        sb.seq = sb.ts_ms = book.time
        return self.sample(sb, recv_ms)

    def error_text(self, msg: dict[str, Any]) -> str | None:
        return control_text(msg)


class HyperliquidBookSpec(BookSpec):
    """The depth connection: its own socket on /ws, one subscribe message per listed coin."""

    feed = HyperliquidBooks
    stale_after_s = 15.0  # a push per block while the book changes; a quiet coin's book can rest for seconds

    def subscribe_frames(self, symbols: list[SymbolInfo]) -> list[str]:
        return [HyperliquidBooks.subscription("subscribe", [coin_name(info.short)[0]])  # type: ignore[index]
                for info in listed(symbols)]

    def make_parser(self, symbols: list[SymbolInfo]) -> BookFeed:
        return self.feed(listed(symbols))
