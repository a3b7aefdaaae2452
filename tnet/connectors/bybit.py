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

from tnet.connectors.base import ParserStats, RecordSpec, classify
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
_CONTROL_OPS = frozenset({"ping", "pong", "subscribe", "unsubscribe", "auth"})


# One typed path: msgspec decodes only the declared fields of the watched topics' frames, routed by
# their exact "topic" (one generated Struct class per watched topic, carrying its kind and short name),
# and skips the rest of the JSON. Range checks run inside msgspec (> 0 and >= 0 reject NaN too,
# <= DBL_MAX rejects inf; sides are Literals). A frame it does not decode (acks, pongs, errors, unwatched
# topics, junk, odd values) goes to the shared classifier. Timestamps are `Any` and must be 64-bit ints:
# strict=False would turn "1e3" into an int, and msgspec keeps integers beyond 64 bits exact.
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


class _OldLiqData(msgspec.Struct, gc=False):
    """The old `liquidation.<SYM>` topic: one object, `side` is the position side like allLiquidation."""

    updatedTime: Any
    side: Literal["Buy", "Sell"]
    size: _Positive
    price: _Positive


class _Frame(msgspec.Struct, tag_field="topic", gc=False):
    kind = -1  # set on each generated subclass, with `short`
    short = ""


class _RowsFrame(_Frame):
    data: list[_Row]


class _OldLiqFrame(_Frame):
    data: _OldLiqData


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
                                   ("tickers", _TICKER, _TickerFrame),
                                   ("liquidation", _OLD_LIQ, _OldLiqFrame)):
            classes.append(msgspec.defstruct(
                f"_{prefix}_{len(classes)}", [], bases=(base,), tag=f"{prefix}.{venue_name}",
                namespace={"kind": kind, "short": short}))
    return msgspec.json.Decoder(Union[tuple(classes)], strict=False).decode  # type: ignore









def _append_oi(out: list[Event], state: dict, short: str, ts: int, recv_ms: int) -> None:
    """One-sided open interest from a merged ticker: the single-side fields (2026-06) when present, else
    half of openInterest / openInterestValue, which count both sides (2x single in captured 2026 frames).
    """
    single = state.get("singleOpenInterest")
    single_usd = state.get("singleOpenInterestValue")
    if single is not None and single_usd is not None:
        out.append(OpenInterest(VENUE, short, ts, recv_ms, single, single_usd))
        return
    both = state.get("openInterest")
    both_usd = state.get("openInterestValue")
    if both is not None and both_usd is not None:
        out.append(OpenInterest(VENUE, short, ts, recv_ms, both * 0.5, both_usd * 0.5))


class BybitParser:
    """Parses public linear frames (topic-routed) and the REST bodies BybitSpec asks for."""

    def __init__(self, symbols: list[SymbolInfo]) -> None:
        self.stats = ParserStats()
        self._short: dict[str, str] = {info.venue_symbol(VENUE): info.short for info in symbols}
        # The watched topics: a known topic outside them is another symbol's (silent, not junk).
        self._watched = frozenset(f"{prefix}.{info.venue_symbol(VENUE)}" for info in symbols for prefix in _TOPIC_KINDS)
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
            elif kind == _LIQ:
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
            else:
                data = msg.data
                usd = data.size * data.price
                ts = data.updatedTime
                if usd < _INF and ts.__class__ is int and _INT_MIN <= ts <= _INT_MAX:
                    return [Liquidation(VENUE, msg.short, ts, recv_ms, _LIQ_SIDE[data.side], data.price,
                                        data.size, usd)]
        except Exception:
            pass
        return classify(frame, self.stats, self._control)

    def _control(self, msg: dict) -> str | None:
        """Subscribe acks and pongs are silent, success:false is remembered, and so is nothing else: a
        known topic of a symbol this parser does not watch is silent; other frames are not Bybit's."""
        if msg.get("success") is False:
            return f"{msg.get('op', '')}: {msg.get('ret_msg', '')}"
        topic = msg.get("topic")
        if topic is not None:
            known = isinstance(topic, str) and topic.partition(".")[0] in _TOPIC_KINDS
            return "" if known and topic not in self._watched else None
        return "" if msg.get("op") in _CONTROL_OPS else None

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
                # openInterest counts both sides (2x single): one side is half of it
                base = _non_negative(single) if single is not None else _non_negative(row["openInterest"]) * 0.5
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
