"""Gate futures WebSocket v4 in the simulator: frames from sim events, and the control protocol.

Shapes follow docs/venues.md (section Gate): signed contract sizes, `quanto_multiplier`
contracts, liquidations batched per contract each second (at most 20 per message), tickers
carrying mark price and open interest, acks / errors / pongs as the venue sends them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from tnet.connectors.gate import GATE_MULTIPLIER, contract_name
from tnet.events import Event, Liquidation, MarkPrice, OpenInterest, Trades
from tnet.sim.wire import FUNDING_MS, FUNDING_RATE, price_str

Key = tuple[str, str]  # (channel, contract or "!all")
LIQ_CHANNEL = "futures.public_liquidates"
CHANNELS = (LIQ_CHANNEL, "futures.tickers", "futures.trades")
LIQ_BATCH = 20  # a contract's batch is flushed early at 20 liquidations (2026-08-20 change)
# Contracts the `!all` liquidation channel also carries (clients must filter them out).
OTHER_CONTRACTS: tuple[tuple[str, float], ...] = (("CELO_USDT", 0.09583), ("IOST_USDT", 0.007831))


def multiplier(symbol: str) -> float:
    """Coins per contract of a simulated symbol (1 when the offline table does not know it)."""
    return GATE_MULTIPLIER.get(symbol, 1.0)


def size_str(qty: float, symbol: str, sign: float = 1.0) -> str:
    """Signed size in contracts, at least one, as the X-Gate-Size-Decimal header sends it."""
    contracts = max(round(qty / multiplier(symbol)), 1)
    return str(int(sign) * contracts)


class GateEncoder:
    """Sim events to futures.public_liquidates / futures.tickers / futures.trades frames."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.trade_id = 842_000_000
        self.tickers: dict[str, dict[str, Any]] = {}  # latest ticker row per contract

    def _envelope(self, channel: str, ts_ms: int, result: Any) -> dict[str, Any]:
        return {"time": ts_ms // 1000, "time_ms": ts_ms, "channel": channel, "event": "update", "result": result}

    def encode_liquidations(self, evs: list[Liquidation]) -> list[tuple[Key, dict[str, Any]]]:
        """One message per contract and 1 s window, split at 20; sent to `!all` and per-contract subscribers."""
        groups: dict[tuple[str, int], list[Liquidation]] = {}
        for ev in evs:
            groups.setdefault((ev.symbol, ev.ts_ms // 1000), []).append(ev)
        out: list[tuple[Key, dict[str, Any]]] = []
        for (symbol, window), items in groups.items():
            name = contract_name(symbol)
            for start in range(0, len(items), LIQ_BATCH):
                rows = [{"price": price_str(e.price), "size": size_str(e.qty, symbol, -1 if e.side == "long" else 1),
                         "time": e.ts_ms, "contract": name} for e in items[start:start + LIQ_BATCH]]
                payload = self._envelope(LIQ_CHANNEL, max(e.ts_ms for e in items), rows)
                out.append(((LIQ_CHANNEL, "!all"), payload))
                out.append(((LIQ_CHANNEL, name), payload))
        return out

    def other_contract_liquidation(self, ts_ms: int) -> tuple[Key, dict[str, Any]]:
        """A liquidation of a contract nobody watches (`!all` carries every contract)."""
        name, price = OTHER_CONTRACTS[int(self.rng.integers(len(OTHER_CONTRACTS)))]
        size = int(self.rng.integers(1, 20_000)) * (1 if self.rng.random() < 0.5 else -1)
        row = {"price": price_str(price), "size": str(size), "time": ts_ms, "contract": name}
        return (LIQ_CHANNEL, "!all"), self._envelope(LIQ_CHANNEL, ts_ms, [row])

    def encode(self, ev: Event) -> list[tuple[Key, dict[str, Any]]]:
        name = contract_name(ev.symbol)
        if isinstance(ev, (MarkPrice, OpenInterest)):
            row = self.tickers.setdefault(name, {"contract": name})
            if isinstance(ev, MarkPrice):
                row.update(last=price_str(ev.price), mark_price=price_str(ev.price),
                           index_price=price_str(ev.price * 0.9999), funding_rate=FUNDING_RATE,
                           funding_interval=FUNDING_MS // 1000,
                           funding_next_apply=(ev.ts_ms // FUNDING_MS + 1) * FUNDING_MS // 1000)
            else:
                row["total_size"] = str(max(round(ev.oi_base / multiplier(ev.symbol)), 0))
            if "mark_price" not in row:
                return []  # a ticker always carries the mark price
            row["t"] = ev.ts_ms
            return [(("futures.tickers", name), self._envelope("futures.tickers", ev.ts_ms, [dict(row)]))]
        if isinstance(ev, Trades):
            rows = []
            for qty, sign in ((ev.buy_qty, 1), (ev.sell_qty, -1)):
                if qty <= 0:
                    continue
                self.trade_id += 1
                rows.append({"id": self.trade_id, "size": size_str(qty, ev.symbol, sign), "create_time": ev.ts_ms // 1000,
                             "create_time_ms": ev.ts_ms, "price": price_str(ev.price), "contract": name})
            return [(("futures.trades", name), self._envelope("futures.trades", ev.ts_ms + 1, rows))] if rows else []
        return []


class GateControl:
    """The client-to-server half of Gate's protocol: subscribe / unsubscribe / ping, with its replies.

    Pure: takes a connection's subscription set and one text message, returns the replies (dicts)
    and updates the set. `contracts` are the contracts the simulated exchange lists.
    """

    def __init__(self, contracts: set[str], conn_id: str) -> None:
        self.contracts = contracts
        self.conn_id = conn_id

    def _reply(self, now_ms: int, channel: str, event: str, **extra: Any) -> dict[str, Any]:
        return {"time": now_ms // 1000, "time_ms": now_ms, "conn_id": self.conn_id, "channel": channel,
                "event": event, **extra}

    def _error(self, now_ms: int, channel: str, event: str, payload: Any, code: int, message: str) -> dict[str, Any]:
        return self._reply(now_ms, channel, event, payload=payload, error={"code": code, "message": message},
                           result={"status": "fail"})

    def handle(self, subs: set[Key], text: str, now_ms: int) -> list[dict[str, Any]]:
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            msg = None
        if not isinstance(msg, dict) or not isinstance(msg.get("channel"), str):
            return [self._error(now_ms, "", "", None, 1, "request message need json scheme")]
        channel, event, payload = msg["channel"], msg.get("event"), msg.get("payload")
        if channel == "futures.ping":
            return [self._reply(now_ms, "futures.pong", "", result=None)]
        if channel not in CHANNELS:
            return [self._error(now_ms, channel, str(event or ""), payload, 2, f"Unknown channel {channel}")]
        if event not in ("subscribe", "unsubscribe"):
            return [self._error(now_ms, channel, str(event or ""), payload, 2, f"Unknown event {event}")]
        if not isinstance(payload, list) or not payload or not all(isinstance(p, str) for p in payload):
            return [self._error(now_ms, channel, event, payload, 1, "invalid argument struct")]
        for name in payload:  # one unknown contract fails the whole request (observed live)
            if name not in self.contracts and not (name == "!all" and channel == LIQ_CHANNEL):
                return [self._error(now_ms, channel, event, payload, 2, f"unknown currency pair: {name}")]
        keys = {(channel, name) for name in payload}
        if event == "subscribe":
            subs.update(keys)
        else:
            subs.difference_update(keys)
        return [self._reply(now_ms, channel, event, payload=payload, result={"status": "success"})]
