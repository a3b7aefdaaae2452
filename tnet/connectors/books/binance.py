"""Binance USDⓈ-M depth: `<sym>@depth@100ms` diffs synced on a REST snapshot (`/fapi/v1/depth?limit=1000`).

The documented procedure (developers.binance.com, "How to manage a local order book correctly"):
buffer the diffs, fetch the snapshot, drop diffs with u < lastUpdateId, the first diff applied must
have U <= lastUpdateId <= u, and every later diff's `pu` must equal the previous diff's `u`;
otherwise start again. Sizes are absolute; 0 deletes a level.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import msgspec
import orjson

from tnet.connectors.books.sync import Action, BookFeed, BookSpec, Fetch, Level, SymbolBook
from tnet.events import Event
from tnet.venues.binance import RECORD

MAX_BUFFER = 300  # diffs held while a snapshot loads (30 s at 100 ms)


class _Diff(msgspec.Struct, tag_field="e", tag="depthUpdate", gc=False):
    E: int
    s: str
    U: int
    u: int
    pu: int
    b: list[Level]
    a: list[Level]
    T: int = 0


class _Combined(msgspec.Struct, gc=False):
    data: _Diff


class _Snapshot(msgspec.Struct, gc=False):
    lastUpdateId: int
    bids: list[Level]
    asks: list[Level]
    E: int = 0
    T: int = 0


_decode_combined = msgspec.json.Decoder(_Combined, strict=False).decode
_decode_raw = msgspec.json.Decoder(_Diff, strict=False).decode
_decode_snapshot = msgspec.json.Decoder(_Snapshot, strict=False).decode


def snapshot_path(venue_symbol: str) -> str:
    assert RECORD.depth is not None and RECORD.depth.snapshot is not None
    return RECORD.depth.snapshot.format(inst=venue_symbol)


class BinanceBooks(BookFeed):
    """The sync state machine of every watched symbol on one Binance depth connection."""

    record = RECORD

    @staticmethod
    def subscription(op: str, topics: list[str]) -> str:
        return orjson.dumps({"method": op.upper(), "params": topics, "id": 1}).decode()

    def resync_actions(self, sb: SymbolBook) -> list[Action]:
        # The stream keeps flowing: buffer it again and load a newer snapshot.
        sb.state = "fetching"
        sb.covering = False
        sb.extra = deque(maxlen=MAX_BUFFER)
        return [Fetch(sb.short, snapshot_path(sb.venue_symbol))]

    def parse(self, frame: str | bytes, recv_ms: int) -> list[Event]:
        self.stats.frames += 1
        try:
            diff = _decode_combined(frame).data
        except (msgspec.DecodeError, msgspec.ValidationError):
            try:
                diff = _decode_raw(frame)
            except (msgspec.DecodeError, msgspec.ValidationError):
                self.control(frame)
                return []
        sb = self.by_venue_symbol.get(diff.s)
        if sb is None:
            return []
        state = sb.state
        if state == "synced":
            self._live(sb, diff)
            return self.sample(sb, recv_ms)
        if state == "waiting":
            # The first diff proves the stream is open: only now is a snapshot sure to overlap it.
            self.actions.extend(self.resync_actions(sb))
        sb.extra.append(diff)
        return []

    def _live(self, sb: SymbolBook, diff: _Diff) -> None:
        if sb.covering:  # snapshot loaded (seq = its lastUpdateId), waiting for the diff that covers it
            if diff.u < sb.seq:
                return  # older than the snapshot
            if diff.U > sb.seq:
                sb.stale_snapshots += 1
                self.desync(sb, f"snapshot {sb.seq} older than the first diff (U={diff.U})")
                sb.extra.append(diff)
                return
            sb.covering = False
        elif diff.u <= sb.seq:
            sb.duplicates += 1
            return
        elif diff.pu != sb.seq:
            self.desync(sb, f"gap: pu={diff.pu} but the previous u={sb.seq}")
            sb.extra.append(diff)
            return
        sb.book.update(diff.b, diff.a)
        sb.seq = diff.u
        sb.ts_ms = diff.T or diff.E
        sb.updates += 1

    def parse_rest(self, path: str, body: str | bytes, recv_ms: int) -> list[Event]:
        """A depth snapshot: load it and replay the buffered diffs through the sync rules."""
        route, _, query = path.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        sb = self.by_venue_symbol.get(params.get("symbol", ""))
        if route != "/fapi/v1/depth" or sb is None:
            self.stats.parse_errors += 1
            return []
        try:
            snap = _decode_snapshot(body)
        except (msgspec.DecodeError, msgspec.ValidationError):
            self._rest_error(body)
            if sb.state == "fetching":
                self.actions.append(Fetch(sb.short, snapshot_path(sb.venue_symbol)))  # try again
            return []
        if sb.state != "fetching":
            return []  # a late answer to a request a reconnect made obsolete
        buffered = list(sb.extra)
        sb.book.replace(snap.bids, snap.asks)
        sb.seq = snap.lastUpdateId
        sb.covering = True
        sb.extra = None
        sb.ts_ms = snap.T or snap.E
        self.synced(sb, recv_ms)
        for i, diff in enumerate(buffered):
            if sb.state != "synced":
                sb.extra.extend(buffered[i:])  # broke again: the rest waits for the next snapshot
                break
            self._live(sb, diff)
        return self.sample(sb, recv_ms)

    def _rest_error(self, body: str | bytes) -> None:
        try:
            msg = orjson.loads(body)
        except orjson.JSONDecodeError:
            msg = None
        text = self.error_text(msg) if isinstance(msg, dict) else None
        if text:
            from tnet.connectors.base import remember_error

            remember_error(self.stats, text)
        else:
            self.stats.parse_errors += 1

    def error_text(self, msg: dict[str, Any]) -> str | None:
        if "result" in msg and "id" in msg:
            return ""
        error = msg.get("error", msg)
        if isinstance(error, dict) and "code" in error and "msg" in error:
            return f"{error['code']}: {error['msg']}"
        return None


class BinanceBookSpec(BookSpec):
    """The depth connection: its own socket on the `/public` route."""

    feed = BinanceBooks
