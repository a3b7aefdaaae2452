"""OKX v5 SWAP: endpoints, subscriptions and a pure frame / REST parser (sizes in contracts)."""

from __future__ import annotations

import math
import sys
from typing import Annotated, Any, Literal, Union
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
from tnet.venues.okx import RECORD

VENUE = RECORD.name
BAR_MS = 300_000

_INF = math.inf
_NAN = math.nan
_loads = orjson.loads
# In one-way mode (posSide "net") the order side closes the position: sell closes a long.
_NET_SIDE = {"sell": "long", "buy": "short"}
_HEDGE_SIDES = {"long": "long", "short": "short"}
_CONTROL_EVENTS = frozenset({"subscribe", "unsubscribe", "channel-conn-count", "login"})


# Typed fast path: msgspec decodes only the declared fields of {"arg", "data"} frames and skips
# the rest of the JSON. Rows of every channel share one Struct whose fields default to UNSET; a
# field the channel needs but the row lacks is UNSET, which makes the arithmetic raise (dict
# lookups are guarded explicitly). Anything unusual (acks, errors, notices, pong, junk, odd
# values) goes to the generic orjson path, which alone decides what the frame means: a fast-path
# result must equal what the generic path would return. Timestamps must be strings, as OKX sends
# them (strict=False would turn "1e3" into an int; orjson makes >64-bit integers floats).
# Range checks the generic path makes on every accepted value run inside msgspec (> 0 and >= 0
# reject NaN too, <= DBL_MAX rejects inf; trade sides are Literals); a value out of range fails
# the decode, and the generic path then counts the error. Products (size x ctVal) are checked here.
# Known, accepted difference: msgspec skips an ignored field holding an out-of-range number
# (1e400) or, in bytes input, invalid UTF-8, where orjson would reject the whole frame.
class _Arg(msgspec.Struct, gc=False):
    channel: str
    instId: Union[str, UnsetType] = UNSET


_Positive = Annotated[float, msgspec.Meta(gt=0.0, le=sys.float_info.max)]
_NonNegative = Annotated[float, msgspec.Meta(ge=0.0, le=sys.float_info.max)]


class _Detail(msgspec.Struct, gc=False):
    posSide: Any = None  # like dict.get: missing and null are both None
    side: Any = UNSET
    sz: Union[_Positive, UnsetType] = UNSET
    bkPx: Union[_Positive, UnsetType] = UNSET
    ts: Any = UNSET


class _Row(msgspec.Struct, gc=False):
    instId: Union[str, UnsetType] = UNSET
    px: Union[_Positive, UnsetType] = UNSET  # trades
    sz: Union[_Positive, UnsetType] = UNSET
    side: Union[Literal["buy", "sell"], UnsetType] = UNSET
    ts: Any = UNSET
    markPx: Union[_Positive, UnsetType] = UNSET  # mark-price
    oiCcy: Union[_NonNegative, UnsetType] = UNSET  # open-interest
    oiUsd: Union[_NonNegative, UnsetType] = UNSET
    details: Union[list[_Detail], UnsetType] = UNSET  # liquidation-orders


class _Frame(msgspec.Struct, gc=False):
    arg: _Arg
    data: list[_Row]


_decode_frame = msgspec.json.Decoder(_Frame, strict=False).decode








def _is_pong(frame: object) -> bool:
    """OKX answers the text `ping` with the text `pong` (not JSON)."""
    if isinstance(frame, str):
        return frame.strip() == "pong"
    if isinstance(frame, (bytes, bytearray)):
        return frame.strip() == b"pong"
    return False


class OkxParser:
    """Parses /ws/v5/public frames and the REST bodies OkxSpec asks for."""

    def __init__(self, symbols: list[SymbolInfo]) -> None:
        self.stats = ParserStats()
        self._short: dict[str, str] = {info.venue_symbol(VENUE): info.short for info in symbols}
        # Base coin per contract; the instruments endpoint overrides the offline table.
        self.ct_val: dict[str, float] = {info.venue_symbol(VENUE): info.contract_size(VENUE) for info in symbols}

    def parse(self, frame: str | bytes | msgspec.Raw, recv_ms: int) -> list[Event]:
        """Normalize one WebSocket frame (text, bytes or msgspec.Raw JSON); never raises."""
        self.stats.frames += 1
        try:
            msg = _decode_frame(frame)
            channel = msg.arg.channel
            data = msg.data
            if channel == "trades":
                inst = msg.arg.instId
                if inst is UNSET:
                    raise KeyError("instId")
                short = self._short.get(inst)  # type: ignore[arg-type]
                if short is None:
                    return []
                ct = self.ct_val[inst]  # type: ignore[index]
                if len(data) == 1:  # the usual case: one taker order per message
                    row = data[0]
                    size = row.sz * ct  # type: ignore[operator]
                    ts = row.ts
                    # UNSET px or side fail below (comparison, no matching branch).
                    if 0.0 < size < _INF and ts.__class__ is str and row.px is not UNSET:
                        taker = row.side  # taker direction
                        if taker == "sell":
                            return [Trades(VENUE, short, int(ts), recv_ms, row.px, 0.0, size)]  # type: ignore[arg-type]
                        if taker == "buy":
                            return [Trades(VENUE, short, int(ts), recv_ms, row.px, size, 0.0)]  # type: ignore[arg-type]
                else:
                    buy = sell = 0.0
                    row = None
                    for row in data:
                        taker = row.side
                        if taker == "buy":
                            buy += row.sz  # type: ignore[operator]
                        elif taker == "sell":
                            sell += row.sz  # type: ignore[operator]
                        else:
                            raise ValueError("bad taker side")
                        if row.px is UNSET:
                            raise KeyError("px")
                    ts = row.ts  # type: ignore[union-attr]  (an empty list raised just here)
                    if ts.__class__ is str:
                        return [Trades(VENUE, short, int(ts), recv_ms, row.px, buy * ct,  # type: ignore
                                       sell * ct)]
            elif channel == "mark-price":
                out: list[Event] = []
                for row in data:
                    inst = row.instId
                    if inst is UNSET:
                        raise KeyError("instId")
                    short = self._short.get(inst)  # type: ignore[arg-type]
                    if short is None:
                        continue
                    ts = row.ts
                    if ts.__class__ is not str or row.markPx is UNSET:
                        raise ValueError("bad mark price")
                    out.append(MarkPrice(VENUE, short, int(ts), recv_ms, row.markPx))  # type: ignore
                return out
            elif channel == "open-interest":
                out = []
                for row in data:
                    inst = row.instId
                    if inst is UNSET:
                        raise KeyError("instId")
                    short = self._short.get(inst)  # type: ignore[arg-type]
                    if short is None:
                        continue
                    ts = row.ts
                    if ts.__class__ is not str or row.oiCcy is UNSET or row.oiUsd is UNSET:
                        raise ValueError("bad open interest")
                    out.append(OpenInterest(VENUE, short, int(ts), recv_ms, row.oiCcy,  # type: ignore
                                            row.oiUsd))
                return out
            elif channel == "liquidation-orders":
                return self._liquidations_fast(data, recv_ms)
        except Exception:
            pass
        # Anything unusual: the generic path decides (and counts an error at most once).
        return self._parse_generic(frame, recv_ms)

    def _liquidations_fast(self, data: list[_Row], recv_ms: int) -> list[Event]:
        """`_liquidations` on typed rows; raises (for the generic path) on anything odd."""
        out: list[Event] = []
        for item in data:
            inst = item.instId
            if inst is UNSET:
                raise KeyError("instId")
            short = self._short.get(inst)  # type: ignore[arg-type]
            if short is None:
                continue
            ct = self.ct_val[inst]  # type: ignore[index]
            for detail in item.details:  # type: ignore[union-attr]
                pos = detail.posSide
                side = _HEDGE_SIDES.get(pos) if pos else None
                if side is None:
                    if pos not in (None, "", "net"):
                        raise ValueError(f"bad posSide {pos!r}")
                    side = _NET_SIDE[detail.side]
                qty = detail.sz * ct  # type: ignore[operator]
                price = detail.bkPx
                usd = qty * price  # type: ignore[operator]
                ts = detail.ts
                if not (0.0 < qty < _INF and usd < _INF and ts.__class__ is str):
                    raise ValueError("bad liquidation size/price")
                out.append(Liquidation(VENUE, short, int(ts), recv_ms, side, price, qty, usd))  # type: ignore
        return out

    def _parse_generic(self, frame: str | bytes | msgspec.Raw, recv_ms: int) -> list[Event]:
        """Decode the whole frame into dicts; handles every shape, including control and junk."""
        try:
            # msgspec.Raw (a frame embedded as raw JSON in a larger document) goes to orjson
            # as a buffer; the typed fast path decodes it directly.
            msg = _loads(memoryview(frame) if frame.__class__ is msgspec.Raw else frame)
            # Subscripts with a narrow except are measurably faster than .get on this hot path.
            try:
                data = msg["data"]
            except KeyError:
                return self._event(msg)
            arg = msg["arg"]
            channel = arg["channel"]
            if channel == "trades":
                inst = arg["instId"]
                short = self._short.get(inst)
                if short is None:
                    return []
                ct = self.ct_val[inst]
                if len(data) == 1:  # the usual case: one taker order per message
                    row = data[0]
                    size = float(row["sz"]) * ct
                    price = float(row["px"])
                    if not (0.0 < size < _INF and 0.0 < price < _INF):
                        raise ValueError("bad trade size/price")
                    taker = row["side"]  # taker direction
                    if taker == "sell":
                        return [Trades(VENUE, short, int(row["ts"]), recv_ms, price, 0.0, size)]
                    if taker == "buy":
                        return [Trades(VENUE, short, int(row["ts"]), recv_ms, price, size, 0.0)]
                    raise ValueError("bad taker side")
                buy = sell = 0.0
                price = 0.0
                row = None
                for row in data:
                    size = float(row["sz"])
                    price = float(row["px"])
                    if not (0.0 < size < _INF and 0.0 < price < _INF):
                        raise ValueError("bad trade size/price")
                    taker = row["side"]  # taker direction
                    if taker == "buy":
                        buy += size
                    elif taker == "sell":
                        sell += size
                    else:
                        raise ValueError("bad taker side")
                if row is None:
                    raise ValueError("empty trade list")
                return [Trades(VENUE, short, int(row["ts"]), recv_ms, price, buy * ct, sell * ct)]
            if channel == "mark-price":
                out: list[Event] = []
                for row in data:
                    short = self._short.get(row["instId"])
                    if short is None:
                        continue
                    price = float(row["markPx"])
                    if not 0.0 < price < _INF:
                        raise ValueError("bad mark price")
                    out.append(MarkPrice(VENUE, short, int(row["ts"]), recv_ms, price))
                return out
            if channel == "liquidation-orders":
                return self._liquidations(data, recv_ms)
            if channel == "open-interest":
                out = []
                for row in data:
                    short = self._short.get(row["instId"])
                    if short is None:
                        continue
                    out.append(OpenInterest(VENUE, short, int(row["ts"]), recv_ms,
                                            _non_negative(row["oiCcy"]),
                                            _non_negative(row["oiUsd"])))
                return out
            raise ValueError(f"unexpected channel {channel!r}")
        except Exception:
            if _is_pong(frame):
                return []
            self.stats.parse_errors += 1
            return []

    def _liquidations(self, data: list, recv_ms: int) -> list[Event]:
        # One subscription covers every SWAP: filter by instId here (instId on subscribe is refused).
        out: list[Event] = []
        for item in data:
            inst = item["instId"]
            short = self._short.get(inst)
            if short is None:
                continue
            ct = self.ct_val[inst]
            for detail in item["details"]:
                pos = detail.get("posSide")
                side = _HEDGE_SIDES.get(pos) if pos else None
                if side is None:
                    if pos not in (None, "", "net"):
                        raise ValueError(f"bad posSide {pos!r}")
                    side = _NET_SIDE[detail["side"]]
                qty = float(detail["sz"]) * ct  # SWAP sizes are contracts
                price = float(detail["bkPx"])
                usd = qty * price
                if not (0.0 < qty < _INF and 0.0 < price < _INF and usd < _INF):
                    raise ValueError("bad liquidation size/price")
                out.append(Liquidation(VENUE, short, int(detail["ts"]), recv_ms, side, price,
                                       qty, usd))
        return out

    def _event(self, msg: dict) -> list[Event]:
        """Acks are silent; error and notice (64008: upgrade, reconnect) are recorded."""
        event = msg["event"]
        if event in _CONTROL_EVENTS:
            return []
        # "error", "notice" (64008 before an upgrade) and variants like "channel-conn-count-error".
        if event == "notice" or event.endswith("error"):
            _remember_error(self.stats, f"{event} {msg.get('code', '')}: {msg.get('msg', '')}")
            return []
        raise ValueError(f"unexpected event {event!r}")

    def parse_rest(self, path: str, body: str | bytes, recv_ms: int) -> list[Event]:
        """Normalize a REST body from metadata_requests / history_requests; never raises."""
        try:
            route, _, query = path.partition("?")
            params = dict(parse_qsl(query))
            payload = _loads(body)
            if str(payload["code"]) != "0":
                _remember_error(self.stats, f"{route} {payload['code']}: {payload.get('msg')}")
                return []
            rows = payload["data"]
            if route == "/api/v5/public/instruments":
                self._instruments(rows)
                return []
            if route == "/api/v5/public/liquidation-orders":
                # REST rows may omit instId when queried by underlying: rebuild it from uly.
                items = [{**item, "instId": item.get("instId") or f"{item['uly']}-SWAP"} for item in rows]
                return sorted(self._liquidations(items, recv_ms), key=lambda ev: ev.ts_ms)
            short = self._short.get(params.get("instId", ""))
            if short is None:
                return []
            if route == "/api/v5/market/history-candles":
                return self._candles(short, rows, recv_ms)
            if route == "/api/v5/rubik/stat/contracts/open-interest-history":
                return self._oi_history(short, rows, recv_ms)
            raise ValueError(f"unknown REST path {route}")
        except Exception:
            self.stats.parse_errors += 1
            return []

    def _instruments(self, rows: list) -> None:
        for row in rows:
            inst = row.get("instId")
            # Inverse swaps (ctVal in USD) never match a watched -USDT-SWAP id, but be explicit.
            if inst in self.ct_val and row.get("ctType") == "linear":
                try:
                    self.ct_val[inst] = _positive(row["ctVal"])
                except Exception:
                    self.stats.parse_errors += 1

    def _candles(self, short: str, rows: list, recv_ms: int) -> list[Event]:
        # [ts, o, h, l, c, vol(contracts), volCcy(base), volCcyQuote, confirm], newest first.
        # The newest row may be unconfirmed (bar in progress); it is kept like Binance's.
        return rows_to_events(rows, lambda row: Bar(
            VENUE, short, int(row[0]), recv_ms, BAR_MS, _positive(row[1]), _positive(row[2]), _positive(row[3]),
            _positive(row[4]), _non_negative(row[6]), _NAN, _NAN), self.stats)

    def _oi_history(self, short: str, rows: list, recv_ms: int) -> list[Event]:
        # Rows are [ts, oi(contracts), oiCcy(base), oiUsd] strings (OKX docs "Get contract open
        # interest history", checked against a mirror of okx.com/docs-v5 of 2025).
        return rows_to_events(rows, lambda row: OpenInterest(
            VENUE, short, int(row[0]), recv_ms, _non_negative(row[2]), _non_negative(row[3])), self.stats)


class OkxSpec(RecordSpec):
    """OKX v5 public protocol: the record's facts, subscribe frames, metadata requests and the parser."""

    record = RECORD

    def subscribe_args(self, symbols: list[SymbolInfo]) -> list[str]:
        # the whole-SWAP liquidation channel by instType, the others per instId
        args = [orjson.dumps({"channel": channel, "instType": "SWAP"}).decode() for channel in RECORD.global_channels]
        for info in symbols:
            inst = info.venue_symbol(VENUE)
            args += [orjson.dumps({"channel": channel, "instId": inst}).decode() for channel in RECORD.channels_of(info.short)]
        return args

    def subscribe_frame(self, number: int, args: list[str]) -> str:
        return f'{{"op":"subscribe","args":[{",".join(args)}]}}'

    def make_parser(self, symbols: list[SymbolInfo]) -> OkxParser:
        return OkxParser(symbols)

    def metadata_requests(self, symbols: list[SymbolInfo]) -> list[str]:
        # Instruments first (ctVal), then the recent liquidations OKX serves over REST, so the tape is
        # not empty on the first frame (no other venue offers public liquidation history).
        backfill = RECORD.backfill
        assert backfill is not None
        return ["/api/v5/public/instruments?instType=SWAP"] + [
            backfill.path.format(short=s.short, page=backfill.page) for s in symbols
        ]
