"""Hyperliquid's public WebSocket in the simulator: frames from sim events, and the control protocol.

Shapes follow docs/venues.md (section Hyperliquid): `activeAssetCtx` (mark price, open interest in
coin, no time), `trades` fills with the taker side and a replay of recent fills on subscribe,
`subscriptionResponse` acks, `pong`, `error` strings, and a closed socket for an unlisted coin.
No liquidation channel exists.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
import orjson

from tnet.connectors.hyperliquid import coin_name
from tnet.events import Event, MarkPrice, OpenInterest, Trades
from tnet.sim.wire import num_str, price_str

Key = tuple[str, str]  # (subscription type, coin)
TYPES = ("activeAssetCtx", "trades")
REPLAY_FILLS = 30  # fills a (re)subscriber to `trades` first receives (one real capture)
_USER = "0x" + "0" * 39


def hl_coin(symbol: str) -> tuple[str, float]:
    """(coin, base units per coin unit) of a simulated symbol; unknown ones trade under their own name."""
    return coin_name(symbol) or (symbol, 1.0)


class HyperliquidEncoder:
    """Sim events to activeAssetCtx and trades frames, keyed by (type, coin)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.tid = 293_353_986_402_527
        self.ctx: dict[str, dict[str, str]] = {}  # latest context per coin
        self.recent: dict[str, deque[dict[str, Any]]] = {}  # last fills per coin, for the subscribe replay

    def snapshot(self, kind: str, coin: str) -> dict[str, Any] | None:
        """What a new subscriber receives first: the current context, or the recent fills."""
        if kind == "activeAssetCtx":
            ctx = self.ctx.get(coin)
            return None if ctx is None or "markPx" not in ctx else self._ctx_frame(coin)
        fills = self.recent.get(coin)
        return {"channel": "trades", "data": list(fills)} if fills else None

    def _ctx_frame(self, coin: str) -> dict[str, Any]:
        return {"channel": "activeAssetCtx", "data": {"coin": coin, "ctx": dict(self.ctx[coin])}}

    def encode(self, ev: Event) -> list[tuple[Key, dict[str, Any]]]:
        coin, unit = hl_coin(ev.symbol)
        if isinstance(ev, (MarkPrice, OpenInterest)):
            ctx = self.ctx.setdefault(coin, {"funding": "0.0000125", "openInterest": "0.0"})
            if isinstance(ev, MarkPrice):
                px = price_str(ev.price * unit)
                ctx.update(markPx=px, oraclePx=price_str(ev.price * unit * 1.0001), midPx=px,
                           premium="-0.0001", impactPxs=[px, px])  # type: ignore[dict-item]
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
        return []


class HyperliquidControl:
    """The client-to-server half of Hyperliquid's protocol: subscribe / unsubscribe / ping.

    Pure: takes a connection's subscription set and one text message; returns the replies and
    whether the venue closes the socket (a subscription to a coin it does not list).
    """

    def __init__(self, coins: set[str]) -> None:
        self.coins = coins

    def handle(self, subs: set[Key], text: str) -> tuple[list[dict[str, Any]], bool]:
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
        if coin not in self.coins:
            return [], True  # the venue drops the connection without a frame
        key = (kind, coin)
        echo = orjson.dumps({"type": kind, "coin": coin}).decode()
        if method == "subscribe":
            if key in subs:
                return [{"channel": "error", "data": f"Already subscribed: {echo}"}], False
            subs.add(key)
        else:
            if key not in subs:
                return [{"channel": "error", "data": f"Already unsubscribed: {echo}"}], False
            subs.discard(key)
        return [{"channel": "subscriptionResponse", "data": {"method": method, "subscription": {"type": kind,
                                                                                                "coin": coin}}}], False
