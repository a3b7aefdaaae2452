"""Hyperliquid in the simulator: its market (SimParams) and its public WebSocket protocol (HyperliquidWire).

Its liquidations happen (they move price and open interest) but are never published: Hyperliquid has
no public liquidation feed. Shapes follow docs/venues.md (section Hyperliquid): `activeAssetCtx`
(mark price, open interest in coin, no time), `trades` fills with the taker side and a replay of recent
fills on subscribe, `subscriptionResponse` acks, `pong`, `error` strings, a closed socket for an
unlisted coin and for 60 s without a client message. Its `l2Book` depth pushes come from the
server's books (tnet/sim/book.py), like every venue's.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import orjson

from tnet.events import Event, MarkPrice, OpenInterest, Trades
from tnet.sim.venues.base import SimVenue, WireLimits
from tnet.sim.venues.params import SimParams
from tnet.sim.wire import num_str, price_str
from tnet.venues.hyperliquid import RECORD, coin_name

SIM = SimParams(
    # ../shared/data/okx-hl-liq-0xknxwledge/open_interest_BTC.csv, 2026-03-07T10:00Z (hourly series,
    # median 2.0e9 over 2025-12 -> 2026-03).
    btc_oi_usd=1.71e9,
    # Cross margin by default, like Bybit; leverage capped at 40x on BTC (25x ETH, 20x SOL): no tier above 25x.
    risk_mix={"isolated": 0.028, "cross": 0.522, "hedged": 0.18, "low_leverage": 0.15, "top_up": 0.12},
    leverage_mix={2: 0.10, 3: 0.12, 5: 0.22, 10: 0.26, 20: 0.18, 25: 0.12, 50: 0.0, 75: 0.0, 100: 0.0, 125: 0.0},
    mark_ms=1000, oi_ms=1000,  # one activeAssetCtx carries both
    live_mark_ms=500, live_oi_ms=500,
)

Key = tuple[str, str]  # (subscription type, coin)
TYPES = ("activeAssetCtx", "trades", "l2Book")  # l2Book frames come from the server's books (tnet/sim/book.py)
REPLAY_FILLS = 30  # fills a (re)subscriber to `trades` first receives (one real capture)
_USER = "0x" + "0" * 39


def hl_coin(symbol: str) -> tuple[str, float]:
    """(coin, base units per coin unit) of a simulated symbol; unknown ones trade under their own name."""
    return coin_name(symbol) or (symbol, 1.0)


class HyperliquidWire(SimVenue):
    """Hyperliquid's protocol over the simulated market."""

    name = RECORD.name
    ws_paths = (RECORD.ws_path,)
    base_path = "/hyperliquid"  # its real path, /ws, is Binance's legacy path on the simulator's one port
    # 1000 subscriptions and 2000 client messages a minute per IP (docs/venues.md), per connection here.
    limits = WireLimits(max_topics=1000, msgs_per_s=2000 / 60, burst=200)
    idle_close_s = 60.0
    exempt = frozenset({'{"method":"ping"}'})

    def __init__(self, market: Any, rng: Any) -> None:
        super().__init__(market, rng)
        self.tid = 293_353_986_402_527
        self.ctx: dict[str, dict[str, Any]] = {}  # latest context per coin
        self.recent: dict[str, deque[dict[str, Any]]] = {}  # last fills per coin, for the subscribe replay

    # ------------------------------------------------------------------ frames

    def _ctx_frame(self, coin: str) -> dict[str, Any]:
        return {"channel": "activeAssetCtx", "data": {"coin": coin, "ctx": dict(self.ctx[coin])}}

    def snapshot(self, key: Key) -> list[Any]:
        """A new subscriber first gets the current context, or the recent fills."""
        kind, coin = key
        if kind == "activeAssetCtx":
            ctx = self.ctx.get(coin)
            return [] if ctx is None or "markPx" not in ctx else [self._ctx_frame(coin)]
        fills = self.recent.get(coin) if kind == "trades" else None
        return [{"channel": "trades", "data": list(fills)}] if fills else []

    def encode(self, events: list[Event], now_ms: int) -> list[tuple[Key, Any]]:
        out: list[tuple[Key, Any]] = []
        for ev in events:
            out += self._encode(ev)
        return out

    def _encode(self, ev: Event) -> list[tuple[Key, Any]]:
        coin, unit = hl_coin(ev.symbol)
        if isinstance(ev, (MarkPrice, OpenInterest)):
            ctx = self.ctx.setdefault(coin, {"funding": "0.0000125", "openInterest": "0.0"})
            if isinstance(ev, MarkPrice):
                px = price_str(ev.price * unit)
                ctx.update(markPx=px, oraclePx=price_str(ev.price * unit * 1.0001), midPx=px, premium="-0.0001",
                           impactPxs=[px, px])
            else:
                ctx["openInterest"] = num_str(ev.oi_base / unit, 5)
            if "markPx" not in ctx:
                return []
            return [(("activeAssetCtx", coin), self._ctx_frame(coin))]
        if isinstance(ev, Trades):
            fills = []
            for qty, side in ((ev.buy_qty, "B"), (ev.sell_qty, "A")):
                if qty <= 0:
                    continue
                self.tid += int(self.rng.integers(1, 1 << 20))
                fills.append({"coin": coin, "side": side, "px": price_str(ev.price * unit),
                              "sz": num_str(qty / unit, 5), "time": ev.ts_ms,
                              "hash": f"0x{self.tid:064x}", "tid": self.tid, "users": [_USER + "1", _USER + "2"]})
            if not fills:
                return []
            self.recent.setdefault(coin, deque(maxlen=REPLAY_FILLS)).extend(fills)
            return [(("trades", coin), {"channel": "trades", "data": fills})]
        return []  # no liquidation channel

    # ------------------------------------------------------------------ control

    def control(self, subs: set[Any], text: str, now_ms: int, conn_id: str) -> tuple[list[Any], bool]:
        bad = [{"channel": "error", "data": f"Error parsing JSON into valid websocket request: {text[:500]}"}]
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            return bad, False
        if not isinstance(msg, dict):
            return bad, False
        method = msg.get("method")
        if method == "ping":
            return [{"channel": "pong"}], False
        sub = msg.get("subscription")
        if method not in ("subscribe", "unsubscribe") or not isinstance(sub, dict):
            return bad, False
        kind, coin = sub.get("type"), sub.get("coin")
        if kind not in TYPES or not isinstance(coin, str):
            return bad, False
        if coin not in {hl_coin(s)[0] for s in self.market.symbols}:
            return [], True  # the venue drops the connection without a frame
        key = (kind, coin)
        echo = orjson.dumps({"type": kind, "coin": coin}).decode()
        if method == "subscribe":
            if key in subs:
                return [{"channel": "error", "data": f"Already subscribed: {echo}"}], False
            if len(subs) >= self.limits.max_topics:
                return [{"channel": "error", "data": "Cannot track more than 1000 total subscriptions"}], False  # text not captured
            subs.add(key)
        else:
            if key not in subs:
                return [{"channel": "error", "data": f"Already unsubscribed: {echo}"}], False
            subs.discard(key)
        return [{"channel": "subscriptionResponse", "data": {"method": method, "subscription": {"type": kind,
                                                                                                "coin": coin}}}], False

    def over_rate(self, now_ms: int, conn_id: str) -> tuple[list[Any], bool]:
        return [], True  # over the message rate the connection is dropped


WIRE = HyperliquidWire
