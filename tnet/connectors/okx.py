"""OKX v5 SWAP: endpoints, subscriptions and a pure frame / REST parser (sizes in contracts)."""

from __future__ import annotations

import math
from collections import Counter
import sys
from typing import Annotated, Any, Literal, Union
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
_PONG = frozenset({"pong"})  # the reply to the text keep-alive `ping` (not JSON)


# One typed path: msgspec decodes only the declared fields of {"arg", "data"} frames and skips the rest
# of the JSON. Rows of every channel share one Struct whose fields default to UNSET; a field the channel
# needs but the row lacks is UNSET, which makes the arithmetic raise. Range checks run inside msgspec
# (> 0 and >= 0 reject NaN too, <= DBL_MAX rejects inf; trade sides are Literals); products (size x
# ctVal) are checked here. Timestamps are OKX's strings of an int, decoded to ints by msgspec (lax mode;
# an implausible time is the guard's to reject). Fields are in the order OKX sends them (msgspec looks
# for the next declared field first). A frame it does not decode (acks, errors, notices, pong, junk,
# odd values) goes to the shared classifier.
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
    ts: Union[int, UnsetType] = UNSET


class _Row(msgspec.Struct, gc=False):
    instId: Union[str, UnsetType] = UNSET
    px: Union[_Positive, UnsetType] = UNSET  # trades
    sz: Union[_Positive, UnsetType] = UNSET
    side: Union[Literal["buy", "sell"], UnsetType] = UNSET
    ts: Union[int, UnsetType] = UNSET
    markPx: Union[_Positive, UnsetType] = UNSET  # mark-price
    oiCcy: Union[_NonNegative, UnsetType] = UNSET  # open-interest
    oiUsd: Union[_NonNegative, UnsetType] = UNSET
    details: Union[list[_Detail], UnsetType] = UNSET  # liquidation-orders
    uly: Union[str, UnsetType] = UNSET  # REST liquidation rows queried by underlying may omit instId


class _Frame(msgspec.Struct, gc=False):
    arg: _Arg
    data: list[_Row]


class _RestRows(msgspec.Struct, gc=False):
    code: Any
    data: list[_Row]


_decode_frame = msgspec.json.Decoder(_Frame, strict=False).decode
_decode_rest_rows = msgspec.json.Decoder(_RestRows, strict=False).decode


def _control(msg: dict) -> str | None:
    """Acks are silent; error and notice (64008: upgrade, reconnect) are remembered."""
    event = msg.get("event")
    if not isinstance(event, str) or "data" in msg:
        return None
    if event in _CONTROL_EVENTS:
        return ""
    # "error", "notice" (64008 before an upgrade) and variants like "channel-conn-count-error".
    if event == "notice" or event.endswith("error"):
        return f"{event} {msg.get('code', '')}: {msg.get('msg', '')}"
    return None


class OkxParser:
    """Parses /ws/v5/public frames and the REST bodies OkxSpec asks for."""

    def __init__(self, symbols: list[SymbolInfo]) -> None:
        self.stats = ParserStats()
        self._short: dict[str, str] = {info.venue_symbol(VENUE): info.short for info in symbols}
        # Base coin per contract; the instruments endpoint overrides the offline table.
        self.ct_val: dict[str, float] = {info.venue_symbol(VENUE): info.contract_size(VENUE) for info in symbols}
        self._watched: dict[str, tuple[str, float]] = {}  # instId -> (short name, ctVal): one lookup per trade
        self._rewatch()
        # per underlying: the oldest millisecond of the last backfill page and its rows (the next page repeats them)
        self._edges: dict[str, tuple[object, Counter]] = {}

    def parse(self, frame: str | bytes | msgspec.Raw, recv_ms: int) -> list[Event]:
        """Normalize one WebSocket frame (text, bytes or msgspec.Raw JSON); never raises."""
        self.stats.frames += 1
        try:
            msg = _decode_frame(frame)
            channel = msg.arg.channel
            data = msg.data
            if channel == "trades":
                watched = self._watched.get(msg.arg.instId)  # type: ignore[arg-type]
                if watched is None:
                    if msg.arg.instId is UNSET:
                        raise KeyError("instId")
                    return []
                short, ct = watched
                if len(data) == 1:  # the usual case: one taker order per message
                    row = data[0]
                    size = row.sz * ct  # type: ignore[operator]
                    ts = row.ts
                    px = row.px
                    # UNSET px, ts or side fail below (comparison, no matching branch).
                    if size < _INF and px is not UNSET and ts is not UNSET:
                        taker = row.side  # taker direction
                        if taker == "sell":
                            return [Trades(VENUE, short, ts, recv_ms, px, 0.0, size)]  # type: ignore[arg-type]
                        if taker == "buy":
                            return [Trades(VENUE, short, ts, recv_ms, px, size, 0.0)]  # type: ignore[arg-type]
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
                    if ts is not UNSET:
                        return [Trades(VENUE, short, ts, recv_ms, row.px, buy * ct,  # type: ignore
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
                    if ts is UNSET or row.markPx is UNSET:
                        raise ValueError("bad mark price")
                    out.append(MarkPrice(VENUE, short, ts, recv_ms, row.markPx))  # type: ignore
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
                    if ts is UNSET or row.oiCcy is UNSET or row.oiUsd is UNSET:
                        raise ValueError("bad open interest")
                    out.append(OpenInterest(VENUE, short, ts, recv_ms, row.oiCcy,  # type: ignore
                                            row.oiUsd))
                return out
            elif channel == "liquidation-orders":
                return self._liquidations(data, recv_ms)
        except Exception:
            pass
        return classify(frame, self.stats, _control, _PONG)

    def _liquidations(self, data: list[_Row], recv_ms: int) -> list[Event]:
        """Liquidation rows (WebSocket or REST backfill) of the watched instruments; raises on anything odd.

        One subscription covers every SWAP: rows are filtered by instId here (instId on subscribe is refused).
        """
        out: list[Event] = []
        for item in data:
            inst = item.instId
            if inst is UNSET:
                if item.uly is UNSET:
                    raise KeyError("instId")
                inst = f"{item.uly}-SWAP"  # REST rows queried by underlying may omit instId
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
                if not (0.0 < qty < _INF and usd < _INF and ts is not UNSET):
                    raise ValueError("bad liquidation size/price")
                out.append(Liquidation(VENUE, short, ts, recv_ms, side, price, qty, usd))  # type: ignore
        return out

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
                typed = _decode_rest_rows(body).data  # the WebSocket's rows, typed the same way
                return self._backfill(params, typed, recv_ms)
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

    def _backfill(self, params: dict[str, str], items: list[_Row], recv_ms: int) -> list[Event]:
        """One page of REST liquidation history, oldest first. Pages overlap by the millisecond of the
        previous page's oldest row (OkxSpec.next_page): rows seen there already are dropped here."""
        uly = params.get("uly", "")
        edge_ts, edge = self._edges.get(uly, (None, Counter())) if "after" in params else (None, Counter())
        fresh: list[_Row] = []
        for item in items:
            details = []
            for d in item.details:  # type: ignore[union-attr]
                key = (d.posSide, d.side, d.sz, d.bkPx)
                if d.ts == edge_ts and edge[key] > 0:
                    edge[key] -= 1  # a repeat of the overlap
                    continue
                details.append(d)
            fresh.append(msgspec.structs.replace(item, details=details))
        rows = [d for item in items for d in item.details]  # type: ignore[union-attr]
        if rows:
            oldest = min(rows, key=lambda d: int(d.ts)).ts
            self._edges[uly] = (oldest, Counter((d.posSide, d.side, d.sz, d.bkPx) for d in rows if d.ts == oldest))
        return sorted(self._liquidations(fresh, recv_ms), key=lambda ev: ev.ts_ms)

    def _rewatch(self) -> None:
        self._watched = {inst: (short, self.ct_val[inst]) for inst, short in self._short.items()}

    def _instruments(self, rows: list) -> None:
        for row in rows:
            inst = row.get("instId")
            # Inverse swaps (ctVal in USD) never match a watched -USDT-SWAP id, but be explicit.
            if inst in self.ct_val and row.get("ctType") == "linear":
                try:
                    self.ct_val[inst] = _positive(row["ctVal"])
                except Exception:
                    self.stats.parse_errors += 1
        self._rewatch()

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

    def next_page(self, path: str, body: str | bytes) -> str | None:
        """The backfill's next page while pages come back full; OKX serves the last 24 h, so paging
        ends by itself. `after` returns rows strictly earlier than it: the next page starts 1 ms after
        the oldest row, so prints sharing that millisecond are not lost (the parser drops the repeats)."""
        backfill = RECORD.backfill
        assert backfill is not None
        if path.partition("?")[0] != backfill.path.partition("?")[0]:
            return None
        try:
            times = [int(d.ts) for item in _decode_rest_rows(body).data for d in item.details]  # type: ignore[union-attr]
        except Exception:
            return None
        if len(times) < backfill.page:
            return None
        oldest = min(times)
        # a full page of one millisecond cannot be paged within it: move on past it
        after = oldest if oldest == max(times) else oldest + 1
        return path.partition("&after=")[0] + f"&after={after}"

    def metadata_requests(self, symbols: list[SymbolInfo]) -> list[str]:
        # Instruments first (ctVal), then the recent liquidations OKX serves over REST, so the tape is
        # not empty on the first frame (no other venue offers public liquidation history).
        backfill = RECORD.backfill
        assert backfill is not None
        return ["/api/v5/public/instruments?instType=SWAP"] + [
            backfill.path.format(short=s.short, page=backfill.page) for s in symbols
        ]
