"""Gate USDT perpetuals (futures WebSocket v4): endpoints, subscriptions and a pure frame / REST parser.

Facts and sources: docs/venues.md, section Gate. Sizes are signed contract counts; one contract
is `quanto_multiplier` coins (BTC_USDT 0.0001 BTC), read from /futures/usdt/contracts at start.
"""

from __future__ import annotations

import math
import sys
from typing import Annotated, Literal, Union
from urllib.parse import parse_qsl

import msgspec
import orjson
from msgspec import UNSET, UnsetType

from tnet.connectors.base import ParserStats, RecordSpec, classify, rows_to_events
from tnet.connectors.base import positive as _positive
from tnet.connectors.base import remember_error as _remember_error
from tnet.events import Bar, Event, Liquidation, MarkPrice, OpenInterest, Trades
from tnet.symbols import SymbolInfo
from tnet.venues.gate import RECORD

VENUE = RECORD.name
BAR_MS = 300_000

_INF = math.inf
_SECONDS_BEFORE = 100_000_000_000  # a timestamp below this is in seconds (Gate changed units in 2026)
_Positive = Annotated[float, msgspec.Meta(gt=0.0, le=sys.float_info.max)]
_NonNegative = Annotated[float, msgspec.Meta(ge=0.0, le=sys.float_info.max)]
_Signed = Annotated[float, msgspec.Meta(ge=-sys.float_info.max, le=sys.float_info.max)]


# One typed path: msgspec decodes the three data channels, tagged by `channel`, and skips every
# other field. Range checks run inside msgspec (> 0 rejects NaN and zero, <= DBL_MAX rejects inf),
# so a frame that decodes is valid; anything else (acks, pongs, errors, notices, junk) is left to
# `control_text`, which counts what is neither a known control frame nor an error reply.
class _LiqRow(msgspec.Struct, gc=False):
    contract: str
    price: _Positive  # the liquidation order's price
    size: _Signed  # the forced order's signed size, contracts
    time: Union[int, UnsetType] = UNSET  # ms since 2026-08-20, seconds before
    time_ms: Union[int, UnsetType] = UNSET  # in older copies of the docs


class _TickerRow(msgspec.Struct, gc=False):
    contract: str
    mark_price: _Positive
    total_size: Union[_NonNegative, UnsetType] = UNSET  # open interest, contracts
    t: Union[int, UnsetType] = UNSET  # ms


class _TradeRow(msgspec.Struct, gc=False):
    contract: str
    price: _Positive
    size: _Signed  # positive: the taker bought
    create_time_ms: int


class _Liquidates(msgspec.Struct, tag_field="channel", tag="futures.public_liquidates", gc=False):
    event: Literal["update"]
    result: list[_LiqRow]
    time_ms: Union[int, UnsetType] = UNSET


class _Tickers(msgspec.Struct, tag_field="channel", tag="futures.tickers", gc=False):
    event: Literal["update"]
    result: list[_TickerRow]
    time_ms: Union[int, UnsetType] = UNSET


class _Trades(msgspec.Struct, tag_field="channel", tag="futures.trades", gc=False):
    event: Literal["update"]
    result: list[_TradeRow]


_decode = msgspec.json.Decoder(Union[_Liquidates, _Tickers, _Trades], strict=False).decode
_loads = orjson.loads


def control_text(msg: dict) -> str | None:
    """Gate's control frames: "" for acks and pongs, the text of an error reply or notice, None otherwise."""
    channel = msg.get("channel")
    error = msg.get("error")
    if isinstance(error, dict):  # {"code": 2, "message": "unknown currency pair: NOPE_USDT"}
        return f"{channel} {error.get('code')}: {error.get('message')}"
    result = msg.get("result")
    if channel == "futures.pong" or (msg.get("event") in ("subscribe", "unsubscribe") and isinstance(result, dict)
                                     and result.get("status") == "success"):
        return ""
    if channel == "futures.system":  # result.type "upgrade": the server restarts soon
        return f"notice: {orjson.dumps(msg.get('result')).decode()}"
    return None


def _ms(value: int) -> int:
    return value * 1000 if value < _SECONDS_BEFORE else value


class GateParser:
    """Parses fx-ws /v4/ws/usdt frames and the REST bodies GateSpec asks for."""

    def __init__(self, symbols: list[SymbolInfo]) -> None:
        self.stats = ParserStats()
        self._short: dict[str, str] = {s.venue_symbol(VENUE): s.short for s in symbols}
        # Coins per contract of each watched contract: the record's offline table, which
        # /futures/usdt/contracts overrides; a contract in neither delivers nothing until it answers.
        self.multiplier: dict[str, float] = {
            s.venue_symbol(VENUE): RECORD.contract_sizes[s.short] for s in symbols if s.short in RECORD.contract_sizes}

    def parse(self, frame: str | bytes | msgspec.Raw, recv_ms: int) -> list[Event]:
        """Normalize one WebSocket frame (text, bytes or msgspec.Raw JSON); never raises."""
        self.stats.frames += 1
        try:
            msg = _decode(frame)
        except (msgspec.DecodeError, UnicodeDecodeError):
            return classify(frame, self.stats, control_text)
        try:
            if msg.__class__ is _Tickers:
                return self._tickers(msg, recv_ms)
            if msg.__class__ is _Trades:
                return self._trades(msg.result, recv_ms)
            return self._liquidations(msg.result, msg.time_ms, recv_ms)
        except (ValueError, TypeError, KeyError, ArithmeticError):
            self.stats.parse_errors += 1
            return []

    def _tickers(self, msg: _Tickers, recv_ms: int) -> list[Event]:
        out: list[Event] = []
        for row in msg.result:
            short = self._short.get(row.contract)
            if short is None:
                continue
            mark = row.mark_price
            ts = row.t if row.t is not UNSET else msg.time_ms
            if ts is UNSET:
                raise ValueError("ticker without a time")
            out.append(MarkPrice(VENUE, short, ts, recv_ms, mark))  # type: ignore[arg-type]
            size = row.total_size
            mult = self.multiplier.get(row.contract)
            if size is not UNSET and mult is not None:
                base = size * mult  # type: ignore[operator]
                usd = base * mark
                if not usd < _INF:
                    raise ValueError("open interest out of range")
                out.append(OpenInterest(VENUE, short, ts, recv_ms, base, usd))  # type: ignore[arg-type]
        return out

    def _trades(self, rows: list[_TradeRow], recv_ms: int) -> list[Event]:
        """One Trades per contract of the frame: positive size is a taker buy, negative a sell."""
        if not rows:
            return []
        contract = rows[0].contract  # one subscription per contract: every row is that contract
        buy = sell = 0.0
        for row in rows:
            if row.contract != contract:
                return self._mixed_trades(rows, recv_ms)
            size = row.size
            if size > 0.0:
                buy += size
            elif size < 0.0:
                sell -= size
            else:
                raise ValueError("zero trade size")
        short = self._short.get(contract)
        mult = self.multiplier.get(contract)
        if short is None or mult is None:  # unwatched, or its size unknown until /contracts answers
            return []
        buy, sell = buy * mult, sell * mult
        if not (buy < _INF and sell < _INF):
            raise ValueError("trade size out of range")
        last = rows[-1]
        return [Trades(VENUE, short, last.create_time_ms, recv_ms, last.price, buy, sell)]

    def _mixed_trades(self, rows: list[_TradeRow], recv_ms: int) -> list[Event]:
        """Rows of several contracts in one message: one Trades per contract."""
        out: list[Event] = []
        for contract in dict.fromkeys(row.contract for row in rows):
            out.extend(self._trades([row for row in rows if row.contract == contract], recv_ms))
        return out

    def _liquidations(self, rows: list[_LiqRow], frame_ms: int | UnsetType, recv_ms: int) -> list[Event]:
        """`size` is the forced order's signed size: negative sells, closing a long."""
        out: list[Event] = []
        for row in rows:
            short = self._short.get(row.contract)
            mult = self.multiplier.get(row.contract)
            if short is None or mult is None:
                continue  # `!all` carries every contract; a size unknown until /contracts answers
            size, price = row.size, row.price
            ts = row.time_ms if row.time_ms is not UNSET else row.time
            ts = _ms(ts) if ts is not UNSET else frame_ms  # type: ignore[arg-type]
            if ts is UNSET or size == 0.0:
                raise ValueError("liquidation without a time or a size")
            qty = abs(size) * mult
            usd = qty * price
            if not (0.0 < qty and usd < _INF):
                raise ValueError("liquidation size out of range")
            side = "long" if size < 0 else "short"
            out.append(Liquidation(VENUE, short, ts, recv_ms, side, price, qty, usd))  # type: ignore[arg-type]
        return out

    def parse_rest(self, path: str, body: str | bytes, recv_ms: int) -> list[Event]:
        """Normalize a REST body from metadata_requests / history_requests; never raises."""
        try:
            route, _, query = path.partition("?")
            params = dict(parse_qsl(query))
            rows = _loads(body)
            if isinstance(rows, dict):  # {"label": "INVALID_PARAM_VALUE", "message": "..."}
                _remember_error(self.stats, f"{route} {rows.get('label')}: {rows.get('message')}")
                return []
            if route.endswith("/contracts"):
                self._contracts(rows)
                return []
            short = self._short.get(params.get("contract", ""))
            if short is None:
                return []
            if route.endswith("/liq_orders"):
                return self._liq_history(short, params["contract"], rows, recv_ms)
            if route.endswith("/candlesticks"):
                return rows_to_events(rows, lambda r: self._bar(short, params["contract"], r, recv_ms),
                                      self.stats)
            if route.endswith("/contract_stats"):
                return rows_to_events(rows, lambda r: self._oi_row(short, params["contract"], r, recv_ms), self.stats)
            raise ValueError(f"unknown REST path {route}")
        except Exception:
            self.stats.parse_errors += 1
            return []

    def _contracts(self, rows: list) -> None:
        for row in rows:
            name = row.get("name")
            if name in self._short:
                try:
                    self.multiplier[name] = _positive(row["quanto_multiplier"])
                except Exception:
                    self.stats.parse_errors += 1

    def _liq_history(self, short: str, contract: str, rows: list, recv_ms: int) -> list[Event]:
        """REST rows: `size` is the POSITION (positive = long), `order_size` the forced order (docs)."""
        mult = self.multiplier[contract]

        def make(row: dict) -> Event:
            size = float(row["size"])
            # order_price, like the WebSocket's `price`: one reported-price rule for both paths
            price = _positive(row["order_price"])
            qty = abs(size) * mult
            usd = qty * price
            if not (size != 0.0 and qty < _INF and usd < _INF):
                raise ValueError("bad liquidation size")
            return Liquidation(VENUE, short, _ms(int(row["time"])), recv_ms,
                               "long" if size > 0 else "short", price, qty, usd)

        return rows_to_events(rows, make, self.stats)

    def _bar(self, short: str, contract: str, row: dict, recv_ms: int) -> Bar:
        # {"t": open (s), "v": volume (contracts), "c", "h", "l", "o", "sum": quote volume}
        volume = float(row.get("v") or 0) * self.multiplier[contract]
        if not 0.0 <= volume < _INF:
            raise ValueError("bad volume")
        return Bar(VENUE, short, _ms(int(row["t"])), recv_ms, BAR_MS, _positive(row["o"]),
                   _positive(row["h"]), _positive(row["l"]), _positive(row["c"]), volume,
                   math.nan, math.nan)

    def _oi_row(self, short: str, contract: str, row: dict, recv_ms: int) -> OpenInterest:
        # {"time": s, "open_interest": contracts, "open_interest_usd": USD, "lsr_taker", ...}
        base = float(row["open_interest"]) * self.multiplier[contract]
        usd = float(row["open_interest_usd"])
        if not (0.0 <= base < _INF and 0.0 <= usd < _INF):
            raise ValueError("bad open interest")
        return OpenInterest(VENUE, short, _ms(int(row["time"])), recv_ms, base, usd)


class GateSpec(RecordSpec):
    """Gate futures WebSocket v4 (USDT settled): the record's facts, subscribe frames, REST paths, the parser."""

    record = RECORD

    def subscribe_frame(self, number: int, args: list[str]) -> str:
        """One (channel, payload) per frame (chunking items=1): Gate refuses a whole payload for one
        unknown contract, so one frame per contract keeps the others."""
        channel, _, payload = orjson.loads(args[0]).partition(" ")
        return orjson.dumps({"time": 123456, "channel": channel, "event": "subscribe",
                             "payload": [payload]}).decode()

    def make_parser(self, symbols: list[SymbolInfo]) -> GateParser:
        return GateParser(symbols)

    def metadata_requests(self, symbols: list[SymbolInfo]) -> list[str]:
        """Contract sizes first, then the liquidations Gate serves over REST (the tape's backfill)."""
        backfill = RECORD.backfill
        assert backfill is not None
        return ["/api/v4/futures/usdt/contracts"] + [
            backfill.path.format(inst=s.venue_symbol(VENUE), page=backfill.page) for s in symbols]

    def history_requests(self, symbol: SymbolInfo, end_ms: int, bars: int) -> list[str]:
        """5-minute candles, then open-interest statistics, over the warm-start window: one page each
        (the record's routes take times in seconds, and `limit` conflicts with `from`/`to`)."""
        end_s = end_ms // 1000
        out = []
        for route in RECORD.history:
            rows = min(max(bars, 0), route.page)
            if rows:
                out.append(route.path.format(inst=symbol.venue_symbol(VENUE), start_s=end_s - rows * BAR_MS // 1000,
                                             end_s=end_s, limit=rows))
        return out
