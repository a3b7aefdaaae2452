"""Hyperliquid perpetuals: endpoints, subscriptions and a pure frame parser (no liquidation feed).

Facts and sources: docs/venues.md, section Hyperliquid. Hyperliquid publishes no market-wide
liquidations; its open interest (activeAssetCtx, in coin) and taker flow (trades) still feed the
map, and health says the feed carries no prints.
"""

from __future__ import annotations

import math
import sys
from typing import Annotated, Literal, Union

import msgspec
import orjson

from tnet.connectors.base import ParserStats, RecordSpec, classify
from tnet.events import Event, MarkPrice, OpenInterest, Trades
from tnet.symbols import SymbolInfo
from tnet.venues.hyperliquid import RECORD, coin_name

VENUE = RECORD.name
_INF = math.inf
_Positive = Annotated[float, msgspec.Meta(gt=0.0, le=sys.float_info.max)]
_NonNegative = Annotated[float, msgspec.Meta(ge=0.0, le=sys.float_info.max)]


# One typed path: msgspec decodes the two data channels, tagged by `channel`, and skips the rest
# (hashes, user addresses, funding...). Range checks run inside msgspec; anything else (pong,
# subscriptionResponse, error, junk) goes to `control_text`.
class _Fill(msgspec.Struct, gc=False):
    coin: str
    side: Literal["B", "A"]  # the taker's side: B bought, A sold
    px: _Positive
    sz: _Positive
    time: int
    tid: int


class _Ctx(msgspec.Struct, gc=False):
    openInterest: _NonNegative  # coin, one side
    markPx: _Positive


class _CtxData(msgspec.Struct, gc=False):
    coin: str
    ctx: _Ctx


class _TradesFrame(msgspec.Struct, tag_field="channel", tag="trades", gc=False):
    data: list[_Fill]


class _CtxFrame(msgspec.Struct, tag_field="channel", tag="activeAssetCtx", gc=False):
    data: _CtxData


_decode = msgspec.json.Decoder(Union[_TradesFrame, _CtxFrame], strict=False).decode
_SILENT = frozenset({"pong", "subscriptionResponse"})


def control_text(msg: dict) -> str | None:
    """Hyperliquid's control frames: "" for pong and acks, the text of an error reply, None otherwise."""
    channel = msg.get("channel")
    if channel in _SILENT:
        return ""
    if channel == "error":  # {"channel":"error","data":"Invalid subscription ..."}
        return f"error: {msg.get('data')}"
    return None


class HyperliquidParser:
    """Parses api.hyperliquid.xyz/ws frames (trades, activeAssetCtx) for the watched coins."""

    def __init__(self, symbols: list[SymbolInfo]) -> None:
        self.stats = ParserStats()
        self._coins: dict[str, tuple[str, float]] = {}  # coin -> (short, base units per coin unit)
        for info in symbols:
            listed = coin_name(info.short)
            if listed is not None:
                self._coins[listed[0]] = (info.short, listed[1])
        # Per coin: the newest fill time seen and the fill ids at that millisecond. A subscription
        # (every reconnect) replays recent fills; those already counted are skipped.
        self._last: dict[str, tuple[int, set[int]]] = {}

    def parse(self, frame: str | bytes | msgspec.Raw, recv_ms: int) -> list[Event]:
        """Normalize one WebSocket frame (text, bytes or msgspec.Raw JSON); never raises."""
        self.stats.frames += 1
        try:
            msg = _decode(frame)
        except (msgspec.DecodeError, UnicodeDecodeError):
            return classify(frame, self.stats, control_text)
        try:
            if msg.__class__ is _CtxFrame:
                return self._ctx(msg.data, recv_ms)  # type: ignore[union-attr]
            return self._trades(msg.data, recv_ms)  # type: ignore[arg-type]
        except (ValueError, TypeError, ArithmeticError):
            self.stats.parse_errors += 1
            return []

    def _ctx(self, data: _CtxData, recv_ms: int) -> list[Event]:
        """Mark price and open interest; the context carries no time, so receive time stands in."""
        known = self._coins.get(data.coin)
        if known is None:
            return []
        short, unit = known
        ctx = data.ctx
        mark = ctx.markPx / unit  # kPEPE quotes 1,000 PEPE
        base = ctx.openInterest * unit
        usd = ctx.openInterest * ctx.markPx
        if not (base < _INF and usd < _INF):
            raise ValueError("open interest out of range")
        return [MarkPrice(VENUE, short, recv_ms, recv_ms, mark),
                OpenInterest(VENUE, short, recv_ms, recv_ms, base, usd)]

    def _trades(self, fills: list[_Fill], recv_ms: int) -> list[Event]:
        """One Trades per coin of the frame, taker buys and sells in base coin, new fills only."""
        sums: dict[str, list] = {}  # coin -> [buy, sell, newest fill's px, its time, fill ids then]
        last = self._last
        for fill in fills:
            known = self._coins.get(fill.coin)
            if known is None:
                continue
            ts, tid = fill.time, fill.tid
            seen = last.get(fill.coin)  # as of the previous frame: a frame's fills need not be sorted
            if seen is not None and (ts < seen[0] or (ts == seen[0] and tid in seen[1])):
                continue  # replayed on (re)subscribe
            acc = sums.get(fill.coin)
            if acc is None:
                acc = sums[fill.coin] = [0.0, 0.0, fill.px, ts, {tid}]
            elif ts > acc[3]:
                acc[2], acc[3], acc[4] = fill.px, ts, {tid}
            elif ts == acc[3]:
                acc[2] = fill.px
                acc[4].add(tid)
            if fill.side == "B":
                acc[0] += fill.sz
            else:
                acc[1] += fill.sz
        out: list[Event] = []
        for coin, (buy, sell, px, newest, ids) in sums.items():
            seen = last.get(coin)
            if seen is not None and seen[0] == newest:
                seen[1].update(ids)
            else:
                last[coin] = (newest, ids)
            short, unit = self._coins[coin]
            buy, sell = buy * unit, sell * unit
            if not (buy < _INF and sell < _INF):
                raise ValueError("trade size out of range")
            out.append(Trades(VENUE, short, newest, recv_ms, px / unit, buy, sell))
        return out

    def parse_rest(self, path: str, body: str | bytes, recv_ms: int) -> list[Event]:
        """Hyperliquid's REST is POST /info; tnet asks it nothing (see HyperliquidSpec)."""
        self.stats.parse_errors += 1
        return []


class HyperliquidSpec(RecordSpec):
    """Hyperliquid public WebSocket: the record's facts, one subscription per frame, the parser."""

    record = RECORD

    def subscribe_args(self, symbols: list[SymbolInfo]) -> list[str]:
        """{"type", "coin"} of every (channel, listed coin): an unlisted coin would close the socket."""
        args = []
        for info in symbols:
            listed = coin_name(info.short)
            if listed is not None:
                args += [orjson.dumps({"type": kind, "coin": listed[0]}).decode() for kind in RECORD.symbol_channels]
        return args

    def subscribe_frame(self, number: int, args: list[str]) -> str:
        return f'{{"method":"subscribe","subscription":{args[0]}}}'

    def make_parser(self, symbols: list[SymbolInfo]) -> HyperliquidParser:
        return HyperliquidParser(symbols)
