"""Binance USDⓈ-M futures: endpoints, subscriptions and a pure frame / REST parser."""

from __future__ import annotations

import math
import sys
from typing import Annotated, Any, Optional, Union
from urllib.parse import parse_qsl

import msgspec
import orjson
from msgspec import UNSET, UnsetType

from tnet.connectors.base import ParserStats, RecordSpec, classify, rows_to_events
from tnet.connectors.base import non_negative as _non_negative
from tnet.connectors.base import positive as _positive
from tnet.connectors.base import remember_error as _remember_error
from tnet.events import Bar, Event, Liquidation, MarkPrice, OpenInterest, Trades
from tnet.symbols import SymbolInfo
from tnet.venues.binance import RECORD

VENUE = RECORD.name
BAR_MS = 300_000  # history is always 5-minute bars

_INF = math.inf
_NAN = math.nan
_loads = orjson.loads
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1  # integers orjson returns as int (beyond: float)
# The forced order's side closes the position: a SELL closes (liquidates) a long.
_LIQ_SIDE = {"SELL": "long", "BUY": "short"}


# One typed path: msgspec decodes only the declared fields of the frames tnet reads, skipping the rest
# of the JSON without building dicts; range checks run inside msgspec (_Positive: > 0 rejects NaN too,
# <= DBL_MAX rejects inf). A frame it does not decode (acks, errors, junk, odd values) goes to the shared
# classifier, which counts what is not a control frame. Timestamps and the maker flag are `Any` and
# checked here: strict=False would turn "1e3" into an int and "true" into a bool, and msgspec keeps
# integers beyond 64 bits exact (the _INT_MIN/_INT_MAX range test keeps them to what a ms time can be).
_Positive = Annotated[float, msgspec.Meta(gt=0.0, le=sys.float_info.max)]


class _AggTrade(msgspec.Struct, tag_field="e", tag="aggTrade", gc=False):
    s: str
    p: _Positive
    q: _Positive
    T: Any
    m: Any


class _MarkPriceUpdate(msgspec.Struct, tag_field="e", tag="markPriceUpdate", gc=False):
    s: str
    p: _Positive
    E: Any


class _Order(msgspec.Struct, gc=False):
    """forceOrder `o`; fields read only for watched symbols or unfilled orders are lazy."""

    s: Any
    T: Any
    S: Any = UNSET  # read only for watched symbols
    st: Any = None
    z: Optional[float] = None  # accumulated filled qty; missing, null and "0" mean unfilled
    ap: Optional[float] = None  # average fill price; likewise
    q: Union[float, UnsetType] = UNSET  # read only when unfilled
    p: Union[float, UnsetType] = UNSET


class _ForceOrder(msgspec.Struct, tag_field="e", tag="forceOrder", gc=False):
    o: _Order


class _Combined(msgspec.Struct, gc=False):
    data: Union[_AggTrade, _MarkPriceUpdate, _ForceOrder]


_decode_combined = msgspec.json.Decoder(_Combined, strict=False).decode
# Raw mode (/ws, no {"stream","data"} wrapper): tried only when the combined shape does not decode.
_decode_raw = msgspec.json.Decoder(Union[_AggTrade, _MarkPriceUpdate, _ForceOrder], strict=False).decode


def _control(msg: dict) -> str | None:
    """Acks ({"result":null,"id":1}) are silent; error replies ({"error":{"code","msg"}} or flat) are remembered."""
    if "result" in msg and "id" in msg:
        return ""
    error = msg.get("error")
    if isinstance(error, dict):
        msg = error
    if "code" in msg and "msg" in msg:
        return f"{msg['code']}: {msg['msg']}"
    return None








class BinanceParser:
    """Parses combined-stream (or raw) frames and the REST bodies BinanceSpec asks for."""

    def __init__(self, symbols: list[SymbolInfo]) -> None:
        self.stats = ParserStats()
        self._short: dict[str, str] = {info.venue_symbol(VENUE): info.short for info in symbols}
        self._mark: dict[str, float] = {}  # latest mark per short name (OI poll is in base coin)
        self._pending_oi: dict[str, OpenInterest] = {}  # OI polled before the first mark

    def parse(self, frame: str | bytes | msgspec.Raw, recv_ms: int) -> list[Event]:
        """Normalize one WebSocket frame (text, bytes or msgspec.Raw JSON); never raises."""
        self.stats.frames += 1
        try:
            try:
                data = _decode_combined(frame).data
            except msgspec.DecodeError:
                data = _decode_raw(frame)
            kind = data.__class__
            if kind is _AggTrade:
                short = self._short.get(data.s)
                if short is None:
                    return []
                ts = data.T
                if ts.__class__ is int and _INT_MIN <= ts <= _INT_MAX:
                    # m = buyer is the maker, so the taker sold.
                    maker = data.m
                    if maker is True:
                        return [Trades(VENUE, short, ts, recv_ms, data.p, 0.0, data.q)]
                    if maker is False:
                        return [Trades(VENUE, short, ts, recv_ms, data.p, data.q, 0.0)]
            elif kind is _MarkPriceUpdate:
                short = self._short.get(data.s)
                if short is None:
                    return []
                ts = data.E
                if ts.__class__ is int and _INT_MIN <= ts <= _INT_MAX:
                    price = data.p
                    self._mark[short] = price
                    event = MarkPrice(VENUE, short, ts, recv_ms, price)
                    if self._pending_oi and short in self._pending_oi:
                        held = self._pending_oi.pop(short)
                        held.oi_usd = held.oi_base * price
                        return [event, held]
                    return [event]
            else:
                order = data.o
                # !forceOrder@arr also carries COIN-M orders (st == 2) in contracts: skip them.
                if order.st == 2:
                    return []
                short = self._short.get(order.s)
                if short is None:
                    return []
                side = _LIQ_SIDE[order.S]
                qty = order.z or 0.0  # accumulated filled qty; 0 while nothing filled
                if qty == 0.0:
                    qty = order.q
                price = order.ap or 0.0  # average fill price; 0 when unfilled
                if price == 0.0:
                    price = order.p
                usd = qty * price  # type: ignore[operator]
                ts = order.T
                if (0.0 < qty < _INF and 0.0 < price < _INF and usd < _INF  # type: ignore
                        and ts.__class__ is int and _INT_MIN <= ts <= _INT_MAX):
                    return [Liquidation(VENUE, short, ts, recv_ms, side, price, qty, usd)]  # type: ignore
        except Exception:
            pass
        return classify(frame, self.stats, _control)

    def parse_rest(self, path: str, body: str | bytes, recv_ms: int) -> list[Event]:
        """Normalize a REST body from rest_polls / history_requests; never raises."""
        try:
            route, _, query = path.partition("?")
            params = dict(parse_qsl(query))
            payload = _loads(body)
            if isinstance(payload, dict) and "code" in payload and "msg" in payload:
                _remember_error(self.stats, f"{route} {payload['code']}: {payload['msg']}")
                return []
            if route == "/fapi/v1/openInterest":
                return self._open_interest(payload, params, recv_ms)
            if route == "/fapi/v1/klines":
                return self._klines(payload, params, recv_ms)
            if route == "/futures/data/openInterestHist":
                return self._oi_history(payload, params, recv_ms)
            raise ValueError(f"unknown REST path {route}")
        except Exception:
            self.stats.parse_errors += 1
            return []

    def _open_interest(self, payload: dict, params: dict[str, str], recv_ms: int) -> list[Event]:
        short = self._short.get(payload.get("symbol") or params.get("symbol", ""))
        if short is None:
            return []
        base = _non_negative(payload["openInterest"])
        event = OpenInterest(VENUE, short, int(payload["time"]), recv_ms, base, _NAN)
        mark = self._mark.get(short)
        if mark is None:
            # Base coin only: hold it until a mark price can turn it into USD.
            self._pending_oi[short] = event
            return []
        event.oi_usd = base * mark
        return [event]

    def _klines(self, rows: list, params: dict[str, str], recv_ms: int) -> list[Event]:
        short = self._short.get(params.get("symbol", ""))
        if short is None:
            return []
        # [openTime, o, h, l, c, volume(base), closeTime, quoteVol, trades, takerBuyBase, ...]
        return rows_to_events(rows, lambda row: Bar(
            VENUE, short, int(row[0]), recv_ms, BAR_MS, _positive(row[1]), _positive(row[2]), _positive(row[3]),
            _positive(row[4]), _non_negative(row[5]), _non_negative(row[9]), _NAN), self.stats)

    def _oi_history(self, rows: list, params: dict[str, str], recv_ms: int) -> list[Event]:
        short = self._short.get(params.get("symbol", ""))
        if short is None:
            return []
        return rows_to_events(rows, lambda row: OpenInterest(
            VENUE, short, int(row["timestamp"]), recv_ms, _non_negative(row["sumOpenInterest"]),
            _non_negative(row["sumOpenInterestValue"])), self.stats)


class BinanceSpec(RecordSpec):
    """Binance USDⓈ-M protocol: the record's facts, SUBSCRIBE frames and the parser."""

    record = RECORD

    def subscribe_frame(self, number: int, args: list[str]) -> str:
        return f'{{"method":"SUBSCRIBE","params":[{",".join(args)}],"id":{number}}}'

    def make_parser(self, symbols: list[SymbolInfo]) -> BinanceParser:
        return BinanceParser(symbols)
