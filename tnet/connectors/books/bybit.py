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

from tnet.connectors.books.sync import BookFeed, BookSpec, Level, SymbolBook
from tnet.events import Event
from tnet.venues.bybit import RECORD


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


class BybitBooks(BookFeed):
    """The sync state machine of every watched symbol on one Bybit depth connection."""

    record = RECORD

    @staticmethod
    def subscription(op: str, topics: list[str]) -> str:
        return orjson.dumps({"op": op, "req_id": f"books-{op}", "args": topics}).decode()

    @staticmethod
    def subscribed_as(sb: SymbolBook) -> str:
        return sb.topic  # orderbook.200.<SYM>

    def parse(self, frame: str | bytes, recv_ms: int) -> list[Event]:
        msg = self.decoded(frame, _decode)
        if msg is None:
            return []
        data = msg.data
        sb = self.by_venue_symbol.get(data.s)
        if sb is None or not msg.topic.startswith("orderbook."):
            return []
        kind = msg.type
        if kind == "snapshot" or data.u == 1:
            self.snapshot(sb, data.b, data.a, recv_ms)
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


class BybitBookSpec(BookSpec):
    """The depth connection (the public linear endpoint, its own socket)."""

    feed = BybitBooks
