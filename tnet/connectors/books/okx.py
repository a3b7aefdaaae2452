"""OKX v5 depth: `books` (400 levels, 100 ms), a snapshot then updates chained on prevSeqId -> seqId.

Rules (OKX v5 docs, "Order book channel" and "Checksum"): the snapshot has prevSeqId -1; each
update's prevSeqId equals the seqId before it (a keep-alive repeats it with empty sides; after a
sequence reset seqId may be lower than prevSeqId, still chained). The checksum is the CRC32, as a
signed 32-bit integer, of the top 25 bids and asks interleaved "bid:size:ask:size:..." (the longer
side's extra levels follow), price and size exactly as received. A recorder found it 0 on every
frame in 2026, so it is checked only when the venue sends a non-zero one, and only before a
sample is taken (see _apply).
Sizes are contracts; samples convert them to base coin with ctVal.
"""

from __future__ import annotations

import zlib
from typing import Any

import msgspec
import orjson

from tnet.connectors.books.sync import BookFeed, BookSpec, Price, Size, SymbolBook, finite_levels
from tnet.events import Event
from tnet.symbols import SymbolInfo
from tnet.venues.okx import RECORD

assert RECORD.depth is not None
CHANNEL = RECORD.depth.channel
CHECKSUM_LEVELS = 25


class _Arg(msgspec.Struct, gc=False):
    channel: str
    instId: str


class _Data(msgspec.Struct, gc=False):
    asks: list[list[str]]
    bids: list[list[str]]
    ts: str
    seqId: int
    prevSeqId: int = -1
    checksum: int = 0


class _Message(msgspec.Struct, gc=False):
    arg: _Arg
    action: str
    data: list[_Data]


class _FastData(msgspec.Struct, gc=False):
    """An update's rows decoded straight to numbers, for a book kept without checksum texts."""

    asks: list[tuple[Price, Size, str, str]]
    bids: list[tuple[Price, Size, str, str]]
    ts: str
    seqId: int
    prevSeqId: int = -1
    checksum: int = 0


class _FastMessage(msgspec.Struct, gc=False):
    arg: _Arg
    action: str
    data: list[_FastData]


_decode = msgspec.json.Decoder(_Message).decode
_decode_fast = msgspec.json.Decoder(_FastMessage, strict=False).decode


def checksum(bids: list[str], asks: list[str]) -> int:
    """OKX's book checksum of "price:size" texts, best first on each side."""
    parts: list[str] = []
    for i in range(CHECKSUM_LEVELS):
        if i < len(bids):
            parts.append(bids[i])
        if i < len(asks):
            parts.append(asks[i])
    value = zlib.crc32(":".join(parts).encode())
    return value - (1 << 32) if value >= 1 << 31 else value


class _Text:
    """The level texts a checksum needs ("price:size" as received), per side."""

    __slots__ = ("bids", "asks")

    def __init__(self) -> None:
        self.bids: dict[float, str] = {}
        self.asks: dict[float, str] = {}


class OkxBooks(BookFeed):
    """The sync state machine of every watched symbol on one OKX depth connection."""

    record = RECORD

    def make_book(self, info: SymbolInfo) -> SymbolBook:
        return SymbolBook(info, RECORD, scale=info.contract_size(RECORD.name))

    @staticmethod
    def subscription(op: str, topics: list[str]) -> str:
        # the channel is the same for every symbol: the instrument goes beside it
        return orjson.dumps({"op": op, "args": [{"channel": CHANNEL, "instId": inst} for inst in topics]}).decode()

    def parse(self, frame: str | bytes, recv_ms: int) -> list[Event]:
        self.stats.frames += 1
        try:
            # The common case, an update to a book kept without texts (the venue sends no checksum),
            # decodes its levels to floats in C; snapshots and checksummed books take the text path.
            fast = _decode_fast(frame)
            sb = self.by_venue_symbol.get(fast.arg.instId)
            if fast.action == "update" and sb is not None and sb.extra is None and fast.arg.channel == CHANNEL:
                out: list[Event] = []
                for data in fast.data:
                    self._apply(sb, "update", data, data.bids, data.asks, recv_ms)
                    out.extend(self.sample(sb, recv_ms))
                return out
        except (msgspec.DecodeError, msgspec.ValidationError):
            pass
        except ValueError:
            self.stats.parse_errors += 1
            return []
        try:
            msg = _decode(frame)
            sb = self.by_venue_symbol.get(msg.arg.instId)
            if sb is None or msg.arg.channel != CHANNEL:
                return []
            out: list[Event] = []
            for data in msg.data:
                bids, asks = finite_levels(data.bids), finite_levels(data.asks)
                self._apply(sb, msg.action, data, bids, asks, recv_ms)
                out.extend(self.sample(sb, recv_ms))
            return out
        except (msgspec.DecodeError, msgspec.ValidationError):
            self.control(frame)
        except (ValueError, IndexError):
            self.stats.parse_errors += 1
        return []

    def _apply(self, sb: SymbolBook, action: str, data: _Data | _FastData, bids: list, asks: list,
               recv_ms: int) -> None:
        if action == "snapshot":
            self.snapshot(sb, [(p, s) for p, s, _, _ in bids], [(p, s) for p, s, _, _ in asks], recv_ms)
            sb.extra = None
            if data.checksum:  # the venue checks its books: keep the level texts its checksum is made of
                text = sb.extra = _Text()
                text.bids = {p: f"{pt}:{st}" for p, s, pt, st in bids if s}
                text.asks = {p: f"{pt}:{st}" for p, s, pt, st in asks if s}
        elif action != "update":
            raise ValueError(f"unknown action {action!r}")
        elif sb.state != "synced":
            return  # updates of a subscription being replaced: the snapshot is on its way
        elif data.prevSeqId != sb.seq:
            if data.seqId <= sb.seq and data.prevSeqId < sb.seq:
                sb.duplicates += 1  # already applied
            else:
                self.desync(sb, f"gap: prevSeqId={data.prevSeqId} but the last seqId={sb.seq}")
            return
        else:
            sb.book.update([(p, s) for p, s, _, _ in bids], [(p, s) for p, s, _, _ in asks])
            text = sb.extra
            if text is not None:
                for side, rows in ((text.bids, bids), (text.asks, asks)):
                    for p, s, pt, st in rows:
                        if s:
                            side[p] = f"{pt}:{st}"
                        else:
                            side.pop(p, None)
                if len(text.bids) > len(sb.book.bids) or len(text.asks) > len(sb.book.asks):  # the book trimmed
                    text.bids = {p: text.bids[p] for p in sb.book.bids}
                    text.asks = {p: text.asks[p] for p in sb.book.asks}
            if bids or asks:
                sb.updates += 1
        sb.seq = data.seqId
        sb.ts_ms = int(data.ts)
        # Checked when the book is about to be sampled (at most once a second, and on every snapshot):
        # a book that went wrong stays wrong until then, and between samples nobody reads it.
        due = action == "snapshot" or recv_ms >= sb.next_sample_ms
        if data.checksum and due and sb.extra is not None and self._checksum(sb) != data.checksum:
            sb.checksum_errors += 1
            self.desync(sb, f"checksum mismatch at seqId {data.seqId}")

    @staticmethod
    def _checksum(sb: SymbolBook) -> int:
        text = sb.extra
        # sorted() in C beats heapq's Python loop 4x on a 400-level side
        bids = [text.bids[p] for p in sorted(text.bids, reverse=True)[:CHECKSUM_LEVELS]]
        asks = [text.asks[p] for p in sorted(text.asks)[:CHECKSUM_LEVELS]]
        return checksum(bids, asks)

    def error_text(self, msg: dict[str, Any]) -> str | None:
        event = msg.get("event")
        arg = msg.get("arg")
        if event in ("subscribe", "unsubscribe") or (isinstance(arg, dict) and arg.get("channel") != CHANNEL):
            return ""  # an ack, or another channel's data
        if event == "error":
            return f"{msg.get('code', '')}: {msg.get('msg', '')}"
        return None


class OkxBookSpec(BookSpec):
    """The depth connection (the public endpoint; OKX advises at most 30 depth channels per socket)."""

    feed = OkxBooks

    def subscribe_frames(self, symbols: list[SymbolInfo]) -> list[str]:
        return [OkxBooks.subscription("subscribe", [info.venue_symbol(self.name) for info in symbols])]
