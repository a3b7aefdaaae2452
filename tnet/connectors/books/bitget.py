"""Bitget USDT-M depth: UTA v3 `books` (the whole book, up to 1,000 levels a side), a snapshot then
updates chained on pseq -> seq.

Rules (Bitget UTA docs, "Depth Channel"; a 2026-09 probe of both sockets, docs/venues.md section
Bitget): the first push after a subscribe is `action: snapshot`; each `update`'s `pseq` equals the
`seq` before it (zero gaps in 100,000+ probed updates); an update with `pseq` 0 means the venue reset
its numbering. Sizes are absolute, in base coin, and 0 deletes a level. No checksum is sent in 2026.
A break resubscribes the symbol, whose fresh snapshot restarts the chain.
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson

from tnet.connectors.bitget import INST_TYPE, control_text
from tnet.connectors.books.sync import BookFeed, BookSpec, Level, SymbolBook
from tnet.events import Event
from tnet.symbols import SymbolInfo
from tnet.venues.bitget import RECORD

assert RECORD.depth is not None
TOPIC = RECORD.depth.channel
ARGS_PER_FRAME = 10  # a v3 subscribe of 25+ args closed the socket in a 2026-09 probe; 10 always worked


class _Arg(msgspec.Struct, gc=False):
    topic: str
    symbol: str


class _Data(msgspec.Struct, gc=False):
    a: list[Level]
    b: list[Level]
    seq: int
    pseq: int = 0
    ts: str = ""


class _Message(msgspec.Struct, gc=False):
    action: str
    arg: _Arg
    data: list[_Data]
    ts: int = 0


_decode = msgspec.json.Decoder(_Message, strict=False).decode


class BitgetBooks(BookFeed):
    """The sync state machine of every watched symbol on one Bitget depth connection."""

    record = RECORD

    @staticmethod
    def subscription(op: str, topics: list[str]) -> str:
        # the topic is the same for every symbol: the symbol goes beside it
        args = [{"instType": INST_TYPE, "topic": TOPIC, "symbol": inst} for inst in topics]
        return orjson.dumps({"op": op, "args": args}).decode()

    def parse(self, frame: str | bytes, recv_ms: int) -> list[Event]:
        msg = self.decoded(frame, _decode)
        if msg is None:
            return []
        sb = self.by_venue_symbol.get(msg.arg.symbol)
        if sb is None or msg.arg.topic != TOPIC:
            return []
        out: list[Event] = []
        for data in msg.data:
            if self._apply(sb, msg.action, data, recv_ms):
                sb.seq = data.seq
                sb.ts_ms = int(data.ts) if data.ts.isdigit() else msg.ts
                out.extend(self.sample(sb, recv_ms))
        return out

    def _apply(self, sb: SymbolBook, action: str, data: _Data, recv_ms: int) -> bool:
        """Apply one push under the chain rules; False when it was dropped or broke the book."""
        if action == "snapshot":
            self.snapshot(sb, data.b, data.a, recv_ms)
            return True
        if action != "update":
            self.stats.parse_errors += 1
            return False
        if sb.state != "synced":
            return False  # updates of a subscription being replaced: the snapshot is on its way
        if data.pseq == 0:
            self.desync(sb, f"sequence reset: update seq={data.seq} with pseq=0")
        elif data.seq <= sb.seq:
            sb.duplicates += 1
        elif data.pseq != sb.seq:
            self.desync(sb, f"gap: pseq={data.pseq} but the last seq={sb.seq}")
        else:
            sb.book.update(data.b, data.a)
            sb.updates += 1
            return True
        return False

    def error_text(self, msg: dict[str, Any]) -> str | None:
        return control_text(msg)


class BitgetBookSpec(BookSpec):
    """The depth connection (the v3 public endpoint, its own socket), at most 10 symbols a subscribe."""

    feed = BitgetBooks

    def subscribe_frames(self, symbols: list[SymbolInfo]) -> list[str]:
        insts = [info.venue_symbol(self.name) for info in symbols]
        return [BitgetBooks.subscription("subscribe", insts[i:i + ARGS_PER_FRAME])
                for i in range(0, len(insts), ARGS_PER_FRAME)]
