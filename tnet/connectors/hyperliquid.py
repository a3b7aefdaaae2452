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

from tnet.connectors.base import Endpoints, ParserStats, RestPoll
from tnet.connectors.base import remember_error as _remember_error
from tnet.events import Event, MarkPrice, OpenInterest, Trades
from tnet.symbols import SymbolInfo

VENUE = "hyperliquid"
# Perps listed on Hyperliquid among the symbols tnet knows (offline; docs/venues.md). The venue
# closes the whole socket on a subscription to a coin it does not list, so others are skipped.
# Coins quoted per 1,000 units carry a "k" prefix (kPEPE = 1,000 PEPE).
HL_COINS: dict[str, tuple[str, float]] = {
    **{s: (s, 1.0) for s in (
        "BTC", "ETH", "SOL", "XRP", "DOGE", "ADA", "BNB", "LTC", "AVAX", "LINK", "DOT", "TRX",
        "BCH", "TON", "SUI", "APT", "ARB", "OP", "NEAR", "FIL", "ATOM", "ETC", "UNI", "AAVE",
        "WIF", "HYPE", "ENA", "INJ", "TIA", "SEI", "WLD", "CRV", "LDO", "ORDI", "JUP", "XLM")},
    "PEPE": ("kPEPE", 1000.0), "SHIB": ("kSHIB", 1000.0),
}

_INF = math.inf
_Positive = Annotated[float, msgspec.Meta(gt=0.0, le=sys.float_info.max)]
_NonNegative = Annotated[float, msgspec.Meta(ge=0.0, le=sys.float_info.max)]


def coin_name(short: str) -> tuple[str, float] | None:
    """(Hyperliquid coin, base units per coin unit) of a short name, None if not listed."""
    return HL_COINS.get(short)


# One typed path: msgspec decodes the two data channels, tagged by `channel`, and skips the rest
# (hashes, user addresses, funding...). Range checks run inside msgspec; anything else (pong,
# subscriptionResponse, error, junk) goes to `_control`.
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
_loads = orjson.loads
_SILENT = frozenset({"pong", "subscriptionResponse"})


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

    def parse(self, frame: str | bytes, recv_ms: int) -> list[Event]:
        """Normalize one WebSocket frame; never raises."""
        self.stats.frames += 1
        try:
            msg = _decode(frame)
        except (msgspec.DecodeError, UnicodeDecodeError):
            return self._control(frame)
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

    def _control(self, frame: str | bytes) -> list[Event]:
        """pong and subscriptionResponse are silent, error replies remembered, anything else counted."""
        try:
            msg = _loads(frame)
            channel = msg["channel"]
            if channel in _SILENT:
                return []
            if channel == "error":  # {"channel":"error","data":"Invalid subscription ..."}
                _remember_error(self.stats, f"error: {msg.get('data')}")
                return []
        except Exception:
            pass
        self.stats.parse_errors += 1
        return []

    def parse_rest(self, path: str, body: str | bytes, recv_ms: int) -> list[Event]:
        """Hyperliquid's REST is POST /info; tnet asks it nothing (see HyperliquidSpec)."""
        self.stats.parse_errors += 1
        return []


class HyperliquidSpec:
    """Hyperliquid public WebSocket protocol facts."""

    name = VENUE
    default_endpoints = Endpoints(ws="wss://api.hyperliquid.xyz", rest="https://api.hyperliquid.xyz")
    heartbeat_s: float | None = 30.0  # {"method":"ping"}; the server closes 60 s without a client message
    max_connection_s: float | None = None
    stale_after_s = 15.0  # activeAssetCtx pushes several times a second on BTC
    limits_note = ("no public liquidation feed: open interest and trades only, the map is "
                   "inferred and no prints come from Hyperliquid")

    def ws_url(self, endpoints: Endpoints, symbols: list[SymbolInfo]) -> str:
        return endpoints.ws + "/ws"

    def subscribe_frames(self, symbols: list[SymbolInfo]) -> list[str]:
        """One subscription per (type, coin): Hyperliquid has no batch subscribe."""
        frames = []
        for info in symbols:
            listed = coin_name(info.short)
            if listed is None:
                continue
            for kind in ("activeAssetCtx", "trades"):
                frames.append(orjson.dumps({"method": "subscribe",
                                            "subscription": {"type": kind, "coin": listed[0]}}).decode())
        return frames

    def heartbeat_frame(self) -> str | None:
        return '{"method":"ping"}'

    def make_parser(self, symbols: list[SymbolInfo]) -> HyperliquidParser:
        return HyperliquidParser(symbols)

    def rest_polls(self, symbols: list[SymbolInfo]) -> list[RestPoll]:
        return []  # open interest arrives on activeAssetCtx

    def metadata_requests(self, symbols: list[SymbolInfo]) -> list[str]:
        return []  # no liquidation history exists; meta is a POST (docs/venues.md)

    def history_requests(self, symbol: SymbolInfo, end_ms: int, bars: int) -> list[str]:
        return []  # candleSnapshot is a POST and there is no open-interest history: no warm start
