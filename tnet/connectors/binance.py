"""Binance USDⓈ-M futures: endpoints, subscriptions and a pure frame / REST parser."""

from __future__ import annotations

import math
import sys
from typing import Annotated, Any, Optional, Union
from urllib.parse import parse_qsl

import msgspec
import orjson
from msgspec import UNSET, UnsetType

from tnet.connectors.base import ParserStats, RecordSpec, rows_to_events
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


# Typed fast path: msgspec decodes only the declared fields of the common frame shapes, skipping
# the rest of the JSON without building dicts. Anything it cannot decode (acks, errors, raw mode,
# junk, odd values) goes to the generic orjson path, which alone decides what the frame means; so
# every fast-path result must equal what the generic path would return for the same frame.
# Timestamps and the maker flag are `Any`: strict=False would also turn "1e3" into an int and
# "true" into a bool, which the generic path rejects; and msgspec keeps integers beyond 64 bits
# exact where orjson makes them floats, hence the _INT_MIN/_INT_MAX range test on timestamps.
# Range checks the generic path makes on every accepted value run inside msgspec (_Positive:
# > 0 rejects NaN too, <= DBL_MAX rejects inf); a value out of range fails the decode, and the
# generic path then counts the error.
# Known, accepted difference: msgspec skips an ignored field holding an out-of-range number
# (1e400) or, in bytes input, invalid UTF-8, where orjson would reject the whole frame.
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
    """forceOrder `o`, with the generic path's `.get` defaults and lazily-read fields as Any."""

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
            data = _decode_combined(frame).data
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
                qty = order.z or 0.0
                if qty == 0.0:
                    qty = order.q
                price = order.ap or 0.0
                if price == 0.0:
                    price = order.p
                usd = qty * price  # type: ignore[operator]
                ts = order.T
                if (0.0 < qty < _INF and 0.0 < price < _INF and usd < _INF  # type: ignore
                        and ts.__class__ is int and _INT_MIN <= ts <= _INT_MAX):
                    return [Liquidation(VENUE, short, ts, recv_ms, side, price, qty, usd)]  # type: ignore
        except Exception:
            pass
        # Anything unusual: the generic path decides (and counts an error at most once).
        return self._parse_generic(frame, recv_ms)

    def _parse_generic(self, frame: str | bytes | msgspec.Raw, recv_ms: int) -> list[Event]:
        """Decode the whole frame into dicts; handles every shape, including control and junk."""
        try:
            # msgspec.Raw (a frame embedded as raw JSON in a larger document) goes to orjson
            # as a buffer; the typed fast path decodes it directly.
            msg = _loads(memoryview(frame) if frame.__class__ is msgspec.Raw else frame)
            # Subscripts with a narrow except are measurably faster than .get on this hot path.
            try:
                data = msg["data"]  # combined mode wraps {"stream","data"}
            except KeyError:
                data = msg  # raw mode, acks and error replies
            try:
                kind = data["e"]
            except KeyError:
                return self._control(msg)
            if kind == "aggTrade":
                short = self._short.get(data["s"])
                if short is None:
                    return []
                price = float(data["p"])
                qty = float(data["q"])
                if not (0.0 < price < _INF and 0.0 < qty < _INF):
                    raise ValueError("bad aggTrade price/qty")
                ts = data["T"]
                if ts.__class__ is not int:
                    ts = int(ts)
                maker = data["m"]
                # m = buyer is the maker, so the taker sold.
                if maker is True:
                    return [Trades(VENUE, short, ts, recv_ms, price, 0.0, qty)]
                if maker is False:
                    return [Trades(VENUE, short, ts, recv_ms, price, qty, 0.0)]
                raise ValueError("aggTrade m is not a boolean")
            if kind == "markPriceUpdate":
                short = self._short.get(data["s"])
                if short is None:
                    return []
                price = float(data["p"])
                if not 0.0 < price < _INF:
                    raise ValueError("bad mark price")
                ts = data["E"]
                if ts.__class__ is not int:
                    ts = int(ts)
                self._mark[short] = price
                event = MarkPrice(VENUE, short, ts, recv_ms, price)
                if self._pending_oi and short in self._pending_oi:
                    held = self._pending_oi.pop(short)
                    held.oi_usd = held.oi_base * price
                    return [event, held]
                return [event]
            if kind == "forceOrder":
                return self._force_order(data["o"], recv_ms)
            raise ValueError(f"unexpected event type {kind!r}")
        except Exception:
            self.stats.parse_errors += 1
            return []

    def _force_order(self, order: dict, recv_ms: int) -> list[Event]:
        # !forceOrder@arr also carries COIN-M orders (st == 2) sized in contracts: skip them.
        if order.get("st") == 2:
            return []
        short = self._short.get(order["s"])
        if short is None:
            return []
        side = _LIQ_SIDE[order["S"]]
        qty = float(order.get("z") or 0.0)  # accumulated filled qty; 0 while nothing filled
        if qty == 0.0:
            qty = float(order["q"])
        price = float(order.get("ap") or 0.0)  # average fill price; 0 when unfilled
        if price == 0.0:
            price = float(order["p"])
        usd = qty * price
        if not (0.0 < qty < _INF and 0.0 < price < _INF and usd < _INF):
            raise ValueError("bad forceOrder qty/price")
        ts = order["T"]
        if ts.__class__ is not int:
            ts = int(ts)
        return [Liquidation(VENUE, short, ts, recv_ms, side, price, qty, usd)]

    def _control(self, msg: dict) -> list[Event]:
        """Acks ({"result":null,"id":1}) are silent; error replies are recorded; the rest is junk."""
        if "result" in msg and "id" in msg:
            return []
        error = msg.get("error")
        if isinstance(error, dict):
            msg = error
        if "code" in msg and "msg" in msg:
            _remember_error(self.stats, f"{msg['code']}: {msg['msg']}")
            return []
        raise ValueError("not a Binance frame")

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
