"""Bybit v5 linear perpetuals: endpoints, subscriptions and a pure frame / REST parser."""

from __future__ import annotations

import math
import sys
from functools import lru_cache
from typing import Annotated, Any, Callable, Literal, Union
from urllib.parse import parse_qsl

import msgspec
import orjson
from msgspec import UNSET, UnsetType

from tnet.connectors.base import ParserStats, RecordSpec
from tnet.connectors.base import non_negative as _non_negative
from tnet.connectors.base import positive as _positive
from tnet.connectors.base import remember_error as _remember_error
from tnet.events import Bar, Event, Liquidation, MarkPrice, OpenInterest, Trades
from tnet.symbols import SymbolInfo
from tnet.venues.bybit import RECORD

VENUE = RECORD.name
BAR_MS = 300_000
MAX_REMEMBERED_CLOSES = 20_000  # kline closes kept per symbol to price OI history

_INF = math.inf
_NAN = math.nan
_loads = orjson.loads
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1  # integers orjson returns as int (beyond: float)

# Route kinds (small ints: compared on every frame).
_TRADE, _TICKER, _LIQ, _OLD_LIQ = 0, 1, 2, 3
_TOPIC_KINDS = {"publicTrade": _TRADE, "tickers": _TICKER, "allLiquidation": _LIQ,
                "liquidation": _OLD_LIQ}
# allLiquidation / liquidation `S` is the POSITION side: Buy = a long was liquidated.
_LIQ_SIDE = {"Buy": "long", "Sell": "short"}
# Ticker OI fields in order of preference: single-sided (added 2026-06) first.
_OI_KEYS = ("singleOpenInterest", "singleOpenInterestValue", "openInterest", "openInterestValue")
_CONTROL_OPS = frozenset({"ping", "pong", "subscribe", "unsubscribe", "auth"})


# Typed fast path: msgspec decodes only the declared fields of the usual frames, routed by their
# exact "topic" (one generated Struct class per watched topic, carrying its kind and short name),
# and skips the rest of the JSON. Anything it cannot decode (acks, pongs, errors, unwatched or
# old topics, junk, odd values) goes to the generic orjson path, which alone decides what the
# frame means: a fast-path result must equal what the generic path would return.
# Timestamps are `Any` and must be 64-bit ints: strict=False would turn "1e3" into an int, and
# msgspec keeps integers beyond 64 bits exact where orjson makes them floats.
# Range checks the generic path makes on every accepted value run inside msgspec (> 0 and >= 0
# reject NaN too, <= DBL_MAX rejects inf; sides are Literals); a value out of range fails the
# decode, and the generic path then counts the error.
# Known, accepted difference: msgspec skips an ignored field holding an out-of-range number
# (1e400) or, in bytes input, invalid UTF-8, where orjson would reject the whole frame.
_Positive = Annotated[float, msgspec.Meta(gt=0.0, le=sys.float_info.max)]
_NonNegative = Annotated[float, msgspec.Meta(ge=0.0, le=sys.float_info.max)]


class _Row(msgspec.Struct, gc=False):
    """One publicTrade (S = taker side) or allLiquidation (S = position side) row."""

    T: Any
    S: Literal["Buy", "Sell"]
    v: _Positive
    p: _Positive


class _TickerData(msgspec.Struct, gc=False):
    markPrice: Union[_Positive, UnsetType] = UNSET
    openInterest: Union[_NonNegative, UnsetType] = UNSET
    openInterestValue: Union[_NonNegative, UnsetType] = UNSET
    singleOpenInterest: Union[_NonNegative, UnsetType] = UNSET
    singleOpenInterestValue: Union[_NonNegative, UnsetType] = UNSET


class _Frame(msgspec.Struct, tag_field="topic", gc=False):
    kind = -1  # set on each generated subclass, with `short`
    short = ""


class _RowsFrame(_Frame):
    data: list[_Row]


class _TickerFrame(_Frame):
    type: str
    ts: Any
    data: _TickerData


@lru_cache(maxsize=8)
def _fast_decoder(pairs: tuple[tuple[str, str], ...]) -> Callable[[str | bytes], _Frame]:
    """A decoder of the watched topics' frames; cached so reconnects reuse the generated classes."""
    classes = []
    for venue_name, short in pairs:
        for prefix, kind, base in (("publicTrade", _TRADE, _RowsFrame),
                                   ("allLiquidation", _LIQ, _RowsFrame),
                                   ("tickers", _TICKER, _TickerFrame)):
            classes.append(msgspec.defstruct(
                f"_{prefix}_{len(classes)}", [], bases=(base,), tag=f"{prefix}.{venue_name}",
                namespace={"kind": kind, "short": short}))
    return msgspec.json.Decoder(Union[tuple(classes)], strict=False).decode  # type: ignore









def _append_oi(out: list[Event], state: dict, short: str, ts: int, recv_ms: int) -> None:
    """Open interest from a merged ticker: the one-sided fields (2026-06) when present.

    [UNCERTAIN] otherwise the older openInterest / openInterestValue, passed through unchanged: the
    docs call openInterest "both sides" since 2023 yet show it equal to single for REST.
    """
    single = state.get("singleOpenInterest")
    single_usd = state.get("singleOpenInterestValue")
    if single is not None and single_usd is not None:
        out.append(OpenInterest(VENUE, short, ts, recv_ms, single, single_usd))
        return
    both = state.get("openInterest")
    both_usd = state.get("openInterestValue")
    if both is not None and both_usd is not None:
        out.append(OpenInterest(VENUE, short, ts, recv_ms, both, both_usd))

class BybitParser:
    """Parses public linear frames (topic-routed) and the REST bodies BybitSpec asks for."""

    def __init__(self, symbols: list[SymbolInfo]) -> None:
        self.stats = ParserStats()
        self._short: dict[str, str] = {info.venue_symbol(VENUE): info.short for info in symbols}
        # One dict lookup per frame: full topic -> (kind, short name).
        self._routes: dict[str, tuple[int, str]] = {
            f"{prefix}.{info.venue_symbol(VENUE)}": (kind, info.short)
            for info in symbols
            for prefix, kind in _TOPIC_KINDS.items()
        }
        # Merged ticker OI fields per symbol (deltas carry only what changed), as floats.
        self._tickers: dict[str, dict[str, float]] = {}
        self._mark: dict[str, float] = {}
        self._closes: dict[str, dict[int, float]] = {}  # kline open time -> close, per symbol
        pairs = {info.venue_symbol(VENUE): info.short for info in symbols}
        self._decode_fast = _fast_decoder(tuple(sorted(pairs.items()))) if pairs else None

    def parse(self, frame: str | bytes | msgspec.Raw, recv_ms: int) -> list[Event]:
        """Normalize one WebSocket frame (text, bytes or msgspec.Raw JSON); never raises."""
        self.stats.frames += 1
        try:
            msg = self._decode_fast(frame)  # type: ignore[misc]
            kind = msg.kind
            if kind == _TRADE:
                buy = sell = 0.0
                row = None
                for row in msg.data:
                    if row.S == "Buy":  # publicTrade S is the TAKER side
                        buy += row.v
                    else:
                        sell += row.v
                ts = row.T  # type: ignore[union-attr]  (an empty list raised just here)
                if ts.__class__ is int and _INT_MIN <= ts <= _INT_MAX:
                    return [Trades(VENUE, msg.short, ts, recv_ms, row.p, buy, sell)]  # type: ignore[union-attr]
            elif kind == _TICKER:
                ts = msg.ts
                if ts.__class__ is int and _INT_MIN <= ts <= _INT_MAX:
                    # Every value is validated by now: the generic path's state changes follow.
                    short = msg.short
                    data = msg.data
                    if msg.type == "snapshot":
                        self._tickers[short] = {}
                    out: list[Event] = []
                    price = data.markPrice
                    if price is not UNSET:
                        self._mark[short] = price  # type: ignore[assignment]
                        out.append(MarkPrice(VENUE, short, ts, recv_ms, price))  # type: ignore[arg-type]
                    # Most deltas carry only book/last-price changes: four tests and out.
                    if (data.singleOpenInterest is UNSET and data.singleOpenInterestValue is UNSET
                            and data.openInterest is UNSET and data.openInterestValue is UNSET):
                        return out
                    return self._merge_open_interest(short, data, ts, recv_ms, out)
            else:
                short = msg.short
                out = []
                for row in msg.data:
                    qty = row.v
                    price = row.p  # bankruptcy price
                    usd = qty * price
                    ts = row.T
                    if not (usd < _INF and ts.__class__ is int and _INT_MIN <= ts <= _INT_MAX):
                        raise ValueError("bad liquidation row")
                    out.append(Liquidation(VENUE, short, ts, recv_ms, _LIQ_SIDE[row.S],
                                           price, qty, usd))
                return out
        except Exception:
            pass
        # Anything unusual: the generic path decides (and counts an error at most once).
        return self._parse_generic(frame, recv_ms)

    def _merge_open_interest(self, short: str, data: _TickerData, ts: int, recv_ms: int,
                             out: list[Event]) -> list[Event]:
        """The OI half of `_ticker` on validated typed fields: merge, then emit from the state."""
        state = self._tickers.get(short)
        if state is None:
            state = self._tickers[short] = {}
        for key, value in (("singleOpenInterest", data.singleOpenInterest),
                           ("singleOpenInterestValue", data.singleOpenInterestValue),
                           ("openInterest", data.openInterest),
                           ("openInterestValue", data.openInterestValue)):
            if value is not UNSET:
                state[key] = value  # type: ignore[assignment]
        _append_oi(out, state, short, ts, recv_ms)
        return out

    def _parse_generic(self, frame: str | bytes | msgspec.Raw, recv_ms: int) -> list[Event]:
        """Decode the whole frame into dicts; handles every shape, including control and junk."""
        try:
            # msgspec.Raw (a frame embedded as raw JSON in a larger document) goes to orjson
            # as a buffer; the typed fast path decodes it directly.
            msg = _loads(memoryview(frame) if frame.__class__ is msgspec.Raw else frame)
            # Subscripts with a narrow except are measurably faster than .get on this hot path.
            try:
                topic = msg["topic"]
            except KeyError:
                return self._control(msg)
            route = self._routes.get(topic)
            if route is None:
                if topic.partition(".")[0] in _TOPIC_KINDS:
                    return []  # a known topic for a symbol this parser does not watch
                raise ValueError(f"unexpected topic {topic!r}")
            kind, short = route
            data = msg["data"]
            if kind == _TRADE:
                buy = sell = 0.0
                price = 0.0
                row = None
                for row in data:
                    qty = float(row["v"])
                    price = float(row["p"])
                    if not (0.0 < qty < _INF and 0.0 < price < _INF):
                        raise ValueError("bad trade qty/price")
                    taker = row["S"]  # publicTrade S is the TAKER side
                    if taker == "Buy":
                        buy += qty
                    elif taker == "Sell":
                        sell += qty
                    else:
                        raise ValueError("bad taker side")
                if row is None:
                    raise ValueError("empty trade list")
                ts = row["T"]
                if ts.__class__ is not int:
                    ts = int(ts)
                return [Trades(VENUE, short, ts, recv_ms, price, buy, sell)]
            if kind == _TICKER:
                return self._ticker(short, msg, data, recv_ms)
            if kind == _LIQ:
                out: list[Event] = []
                for row in data:
                    qty = float(row["v"])
                    price = float(row["p"])  # bankruptcy price
                    usd = qty * price
                    if not (0.0 < qty < _INF and 0.0 < price < _INF and usd < _INF):
                        raise ValueError("bad liquidation qty/price")
                    ts = row["T"]
                    if ts.__class__ is not int:
                        ts = int(ts)
                    out.append(Liquidation(VENUE, short, ts, recv_ms, _LIQ_SIDE[row["S"]],
                                           price, qty, usd))
                return out
            # Old `liquidation.<SYM>` topic: one object, same position-side meaning.
            qty = float(data["size"])
            price = float(data["price"])
            usd = qty * price
            if not (0.0 < qty < _INF and 0.0 < price < _INF and usd < _INF):
                raise ValueError("bad liquidation qty/price")
            return [Liquidation(VENUE, short, int(data["updatedTime"]), recv_ms,
                                _LIQ_SIDE[data["side"]], price, qty, usd)]
        except Exception:
            self.stats.parse_errors += 1
            return []

    def _ticker(self, short: str, msg: dict, data: dict, recv_ms: int) -> list[Event]:
        """Snapshot then deltas: emit what this message carries, OI from the merged state."""
        ts = msg["ts"]
        if ts.__class__ is not int:
            ts = int(ts)
        if msg["type"] == "snapshot":
            self._tickers[short] = {}
        out: list[Event] = []
        if "markPrice" in data:
            price = float(data["markPrice"])
            if not 0.0 < price < _INF:
                raise ValueError("bad mark price")
            self._mark[short] = price
            out.append(MarkPrice(VENUE, short, ts, recv_ms, price))
        # Most deltas carry only book/last-price changes: four `in` tests and out.
        if not ("openInterest" in data or "openInterestValue" in data
                or "singleOpenInterest" in data or "singleOpenInterestValue" in data):
            return out
        # Validate before merging so one bad delta cannot poison the merged state.
        changed = {key: _non_negative(data[key]) for key in _OI_KEYS if key in data}
        state = self._tickers.get(short)
        if state is None:
            state = self._tickers[short] = {}
        state.update(changed)
        _append_oi(out, state, short, ts, recv_ms)
        return out

    def _control(self, msg: dict) -> list[Event]:
        """Subscribe acks and pongs are silent; success:false is recorded; the rest is junk."""
        success = msg.get("success")
        if success is False:
            _remember_error(self.stats, f"{msg.get('op', '')}: {msg.get('ret_msg', '')}")
            return []
        if msg.get("op") in _CONTROL_OPS:
            return []
        raise ValueError("not a Bybit frame")

    def parse_rest(self, path: str, body: str | bytes, recv_ms: int) -> list[Event]:
        """Normalize a REST body from history_requests; never raises."""
        try:
            route, _, query = path.partition("?")
            params = dict(parse_qsl(query))
            payload = _loads(body)
            if payload["retCode"] != 0:
                _remember_error(self.stats, f"{route} {payload['retCode']}: {payload.get('retMsg')}")
                return []
            rows = payload["result"]["list"]
            short = self._short.get(payload["result"].get("symbol") or params.get("symbol", ""))
            if short is None:
                return []
            if route == "/v5/market/kline":
                return self._klines(short, rows, recv_ms)
            if route == "/v5/market/open-interest":
                return self._oi_history(short, rows, recv_ms)
            raise ValueError(f"unknown REST path {route}")
        except Exception:
            self.stats.parse_errors += 1
            return []

    def _klines(self, short: str, rows: list, recv_ms: int) -> list[Event]:
        closes = self._closes.setdefault(short, {})
        bars: list[Event] = []
        for row in rows:  # [start, open, high, low, close, volume(base), turnover], newest first
            try:
                bar = Bar(VENUE, short, int(row[0]), recv_ms, BAR_MS, _positive(row[1]),
                          _positive(row[2]), _positive(row[3]), _positive(row[4]),
                          _non_negative(row[5]), _NAN, _NAN)  # no taker split in Bybit klines
            except Exception:
                self.stats.parse_errors += 1
                continue
            bars.append(bar)
            closes[bar.ts_ms] = bar.close
        if len(closes) > MAX_REMEMBERED_CLOSES:
            for ts in sorted(closes)[: len(closes) - MAX_REMEMBERED_CLOSES]:
                del closes[ts]
        bars.sort(key=lambda bar: bar.ts_ms)
        return bars

    def _oi_history(self, short: str, rows: list, recv_ms: int) -> list[Event]:
        """OI rows are base coin; USD uses the kline closes remembered from the kline response."""
        closes = self._closes.get(short, {})
        out: list[Event] = []
        for row in rows:
            try:
                ts = int(row["timestamp"])
                single = row.get("singleOpenInterest")
                base = _non_negative(single if single is not None else row["openInterest"])
            except Exception:
                self.stats.parse_errors += 1
                continue
            # OI is a snapshot at instant ts: the price then is the close of the bar that ENDED at
            # ts (opened ts - 5 min); fall back to the bar opening at ts, then the one after.
            close = closes.get(ts - BAR_MS) or closes.get(ts) or closes.get(ts + BAR_MS)
            if close is None:
                continue  # no price near that time: cannot express it in USD, skip quietly
            out.append(OpenInterest(VENUE, short, ts, recv_ms, base, base * close))
        out.sort(key=lambda event: event.ts_ms)
        return out


class BybitSpec(RecordSpec):
    """Bybit v5 public linear protocol: the record's facts, subscribe frames and the parser."""

    record = RECORD

    def subscribe_frame(self, number: int, args: list[str]) -> str:
        return f'{{"op":"subscribe","req_id":"{number}","args":[{",".join(args)}]}}'

    def make_parser(self, symbols: list[SymbolInfo]) -> BybitParser:
        return BybitParser(symbols)
