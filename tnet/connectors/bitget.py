"""Bitget USDT-M perpetuals (UTA v3 public): subscriptions and a pure frame parser.

Frames (docs/venues.md, section Bitget): `{"action", "arg": {"instType", "topic", "symbol"?}, "data": [...],
"ts"}`. `ticker` rows carry the mark price and open interest (base coin) with the time on the envelope;
`publicTrade` rows `{p, v, S (taker side), T}`, and each (re)subscribe first replays recent trades as an
"action":"snapshot" (skipped: they were counted before, or predate the session); `liquidation` rows
`{symbol, side, price, amount (USDT), ts}` for every symbol, `side` buy = a long was liquidated.
REST: the warm start's 5-minute candles (the record's `history`); Bitget serves no open-interest or
liquidation history.
"""

from __future__ import annotations

import math
import sys
from typing import Annotated, Any, Literal, Union
from urllib.parse import parse_qsl

import msgspec
import orjson
from msgspec import UNSET, UnsetType

from tnet.connectors.base import (
    ParserStats,
    RecordSpec,
    classify,
    non_negative,
    positive,
    remember_error,
    rows_to_events,
)
from tnet.events import Bar, Event, Liquidation, MarkPrice, OpenInterest, Trades
from tnet.symbols import SymbolInfo
from tnet.venues.bitget import RECORD

VENUE = RECORD.name
INST_TYPE = "usdt-futures"
_INF = math.inf
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1
# `side` is the liquidated position: "buy Long position liquidation, sell Short position liquidation"
# (Bitget UTA docs, Liquidation Channel, https://www.bitget.com/api-doc/uta/websocket/public/Liquidation-Channel).
_LIQ_SIDE = {"buy": "long", "sell": "short"}
CANDLES = RECORD.history[0].path.partition("?")[0]  # the warm start's only route (no OI history exists)
BAR_MS = 300_000
_PONG = frozenset({"pong"})
_CONTROL_EVENTS = frozenset({"subscribe", "unsubscribe", "login"})

# One typed path: the envelope is decoded with its rows kept raw, then the rows with the topic's own
# Struct (range checks inside msgspec: > 0 and >= 0 reject NaN, <= DBL_MAX rejects inf; sides are
# Literals). Times: the envelope's `ts` is an int, row times are strings of an int (as Bitget sends them).
# A frame it does not decode (acks, errors, pong, junk, odd values) goes to the shared classifier.
_Positive = Annotated[float, msgspec.Meta(gt=0.0, le=sys.float_info.max)]
_NonNegative = Annotated[float, msgspec.Meta(ge=0.0, le=sys.float_info.max)]


class _Arg(msgspec.Struct, gc=False):
    topic: str
    symbol: Union[str, UnsetType] = UNSET


class _Envelope(msgspec.Struct, gc=False):
    arg: _Arg
    data: list[msgspec.Raw]
    ts: Any = UNSET
    action: str = "update"


class _Ticker(msgspec.Struct, gc=False):
    markPrice: Union[_Positive, UnsetType] = UNSET
    openInterest: Union[_NonNegative, UnsetType] = UNSET


class _Trade(msgspec.Struct, gc=False):
    p: _Positive
    v: _Positive
    S: Literal["buy", "sell"]  # the taker's side
    T: str


class _Liquidation(msgspec.Struct, gc=False):
    symbol: str
    side: Literal["buy", "sell"]
    price: _Positive
    amount: _Positive  # read as quote coin (USDT): Bitget gives no unit (docs/venues.md, section Bitget)
    ts: str


_decode_envelope = msgspec.json.Decoder(_Envelope, strict=False).decode
_decode_ticker = msgspec.json.Decoder(_Ticker, strict=False).decode
_decode_trade = msgspec.json.Decoder(_Trade, strict=False).decode
_decode_liquidation = msgspec.json.Decoder(_Liquidation, strict=False).decode


def control_text(msg: dict) -> str | None:
    """Subscribe acks are silent; error replies (`event: error`, a code and msg) are remembered."""
    event = msg.get("event")
    if not isinstance(event, str) or "data" in msg:
        return None
    if event in _CONTROL_EVENTS and str(msg.get("code", "0")) in ("0", ""):
        return ""
    if event == "error" or "code" in msg:
        return f"{event} {msg.get('code', '')}: {msg.get('msg', '')}"
    return None


class BitgetParser:
    """Parses /v3/ws/public frames (ticker, publicTrade, liquidation) for the watched symbols."""

    def __init__(self, symbols: list[SymbolInfo]) -> None:
        self.stats = ParserStats()
        self._short: dict[str, str] = {info.venue_symbol(VENUE): info.short for info in symbols}
        self._mark: dict[str, float] = {}  # latest mark per short name (open interest is in base coin)

    def parse(self, frame: str | bytes | msgspec.Raw, recv_ms: int) -> list[Event]:
        """Normalize one WebSocket frame (text, bytes or msgspec.Raw JSON); never raises."""
        self.stats.frames += 1
        try:
            msg = _decode_envelope(frame)
            topic = msg.arg.topic
            if topic == "publicTrade":
                short = self._watched(msg.arg)
                if short is None or msg.action != "update":
                    return []  # another symbol's, or the replay of recent trades on subscribe
                buy = sell = 0.0
                row = None
                for raw in msg.data:
                    row = _decode_trade(raw)
                    if row.S == "buy":
                        buy += row.v
                    else:
                        sell += row.v
                ts = int(row.T)  # type: ignore[union-attr]  (an empty list raised just here)
                if buy + sell < _INF and _INT_MIN <= ts <= _INT_MAX:
                    return [Trades(VENUE, short, ts, recv_ms, row.p, buy, sell)]  # type: ignore[union-attr]
            elif topic == "ticker":
                short = self._watched(msg.arg)
                if short is None:
                    return []
                ts = msg.ts
                if ts.__class__ is int and _INT_MIN <= ts <= _INT_MAX:
                    out: list[Event] = []
                    for raw in msg.data:
                        row = _decode_ticker(raw)
                        mark = row.markPrice
                        if mark is not UNSET:
                            self._mark[short] = mark  # type: ignore[assignment]
                            out.append(MarkPrice(VENUE, short, ts, recv_ms, mark))  # type: ignore[arg-type]
                        base = row.openInterest
                        price = self._mark.get(short)
                        if base is not UNSET and price is not None:
                            usd = base * price  # type: ignore[operator]
                            if usd < _INF:
                                out.append(OpenInterest(VENUE, short, ts, recv_ms, base, usd))  # type: ignore[arg-type]
                    return out
            elif topic == "liquidation":
                out = []
                for raw in msg.data:
                    row = _decode_liquidation(raw)
                    short = self._short.get(row.symbol)
                    if short is None:
                        continue  # the topic carries every symbol
                    ts = int(row.ts)
                    if not _INT_MIN <= ts <= _INT_MAX:
                        raise ValueError("bad liquidation time")
                    qty = row.amount / row.price
                    out.append(Liquidation(VENUE, short, ts, recv_ms, _LIQ_SIDE[row.side], row.price, qty,
                                           row.amount))
                return out
        except Exception:
            pass
        return classify(frame, self.stats, control_text, _PONG)

    def _watched(self, arg: _Arg) -> str | None:
        """The short name of a per-symbol topic's symbol, None for one not watched; KeyError without one."""
        if arg.symbol is UNSET:
            raise KeyError("symbol")
        return self._short.get(arg.symbol)  # type: ignore[arg-type]

    def parse_rest(self, path: str, body: str | bytes, recv_ms: int) -> list[Event]:
        """Normalize a warm-start REST body (5-minute candles); never raises.

        Bitget answers `{"code": "00000", "msg": "success", "requestTime", "data": [...]}`; any other
        code is an error reply, remembered. Rows are `[open time ms, open, high, low, close, base volume,
        quote volume]` as strings (v2 mix "Get Candlestick Data").
        """
        try:
            route, _, query = path.partition("?")
            payload = orjson.loads(body)
            if payload.get("code") != "00000":
                remember_error(self.stats, f"{route} {payload.get('code')}: {payload.get('msg')}")
                return []
            if route != CANDLES:
                raise ValueError(f"unknown REST path {route}")
            short = self._short.get(dict(parse_qsl(query)).get("symbol", ""))
            if short is None:
                return []
            return rows_to_events(payload["data"], lambda row: _bar(short, row, recv_ms), self.stats)
        except Exception:
            self.stats.parse_errors += 1
            return []


def _bar(short: str, row: list, recv_ms: int) -> Bar:
    """One candle row; taker volume is not split and open interest unknown (NaN)."""
    ts = int(row[0])
    high, low = positive(row[2]), positive(row[3])
    if high < low or not _INT_MIN <= ts <= _INT_MAX:
        raise ValueError("bad candle")
    return Bar(VENUE, short, ts, recv_ms, BAR_MS, positive(row[1]), high, low, positive(row[4]),
               non_negative(row[5]), math.nan, math.nan)


class BitgetSpec(RecordSpec):
    """Bitget UTA v3 public protocol: the record's facts, subscribe frames and the parser."""

    record = RECORD

    def subscribe_args(self, symbols: list[SymbolInfo]) -> list[str]:
        args = [orjson.dumps({"instType": INST_TYPE, "topic": topic}).decode() for topic in RECORD.global_channels]
        for info in symbols:
            inst = info.venue_symbol(VENUE)
            args += [orjson.dumps({"instType": INST_TYPE, "topic": topic, "symbol": inst}).decode()
                     for topic in RECORD.channels_of(info.short)]
        return args

    def subscribe_frame(self, number: int, args: list[str]) -> str:
        return f'{{"op":"subscribe","args":[{",".join(args)}]}}'

    def make_parser(self, symbols: list[SymbolInfo]) -> BitgetParser:
        return BitgetParser(symbols)
