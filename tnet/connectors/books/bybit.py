"""Bybit v5 linear depth: `orderbook.200.<SYM>`, a snapshot then deltas chained on the update id `u`.

Rules (bybit-exchange/docs `docs/v5/websocket/public/orderbook.mdx`): the first message is a
snapshot; a later snapshot, or a message with u=1 (a service restart), replaces the book; sizes are
absolute and 0 deletes. `u` is a sequence: a delta that does not follow the previous one is a gap,
and the book resubscribes to get a fresh snapshot.
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson

from tnet.connectors.base import Endpoints
from tnet.connectors.books.sync import Action, BookFeed, Level, Send, SymbolBook
from tnet.events import Event
from tnet.symbols import SymbolInfo

VENUE = "bybit"
DEPTH = 200  # levels per side; 100 ms pushes for linear


class _Data(msgspec.Struct, gc=False):
    s: str
    b: list[Level]
    a: list[Level]
    u: int
    seq: int = 0


class _Message(msgspec.Struct, gc=False):
    topic: str
    type: str
    ts: int
    data: _Data


_decode = msgspec.json.Decoder(_Message, strict=False).decode


def topic(venue_symbol: str) -> str:
    return f"orderbook.{DEPTH}.{venue_symbol}"


class BybitBooks(BookFeed):
    """The sync state machine of every watched symbol on one Bybit depth connection."""

    venue = VENUE

    def make_book(self, info: SymbolInfo) -> SymbolBook:
        return SymbolBook(info, info.venue_symbol(VENUE))

    def resync_actions(self, sb: SymbolBook) -> list[Action]:
        name = topic(sb.venue_symbol)
        return [Send(orjson.dumps({"op": op, "req_id": f"resync-{name}", "args": [name]}).decode())
                for op in ("unsubscribe", "subscribe")]

    def parse(self, frame: str | bytes, recv_ms: int) -> list[Event]:
        self.stats.frames += 1
        try:
            msg = _decode(frame)
        except (msgspec.DecodeError, msgspec.ValidationError):
            self.control(frame)
            return []
        data = msg.data
        sb = self.by_venue_symbol.get(data.s)
        if sb is None or not msg.topic.startswith("orderbook."):
            return []
        kind = msg.type
        if kind == "snapshot" or data.u == 1:
            if sb.state == "synced":
                sb.resets += 1
            sb.book.replace(data.b, data.a)
            self.synced(sb, recv_ms)
        elif kind != "delta":
            self.stats.parse_errors += 1
            return []
        elif sb.state != "synced":
            return []  # deltas of a subscription being replaced: the snapshot is on its way
        elif data.u <= sb.seq:
            sb.duplicates += 1
            return []
        elif data.u != sb.seq + 1:
            self.desync(sb, f"gap: u={data.u} after u={sb.seq}")
            return []
        else:
            sb.book.update(data.b, data.a)
            sb.updates += 1
        sb.seq = data.u
        sb.ts_ms = msg.ts
        return self.sample(sb, recv_ms)

    def error_text(self, msg: dict[str, Any]) -> str | None:
        if "success" not in msg:
            return None
        if msg["success"] or msg.get("op") == "pong" or msg.get("ret_msg") == "pong":
            return ""
        return f"{msg.get('op', '')}: {msg.get('ret_msg', '')}"


class BybitBookSpec:
    """The depth connection (same public linear endpoint as the liquidation feed, its own socket)."""

    name = VENUE
    heartbeat_s: float | None = 20.0
    max_connection_s: float | None = None
    stale_after_s = 5.0

    def ws_url(self, endpoints: Endpoints, symbols: list[SymbolInfo]) -> str:
        return endpoints.ws + "/v5/public/linear"

    def subscribe_frames(self, symbols: list[SymbolInfo]) -> list[str]:
        # Bybit caps one request's args at 21000 characters: a handful of topics is far below it.
        return [orjson.dumps({"op": "subscribe", "req_id": "books", "args": [topic(i.venue_symbol(VENUE)) for i in symbols]}).decode()]

    def heartbeat_frame(self) -> str | None:
        return '{"op":"ping"}'

    def make_parser(self, symbols: list[SymbolInfo]) -> BybitBooks:
        return BybitBooks(symbols)
