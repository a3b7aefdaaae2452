"""Gate in the simulator: its market (SimParams) and its Futures WebSocket v4 / REST protocol (GateWire).

Shapes follow docs/venues.md (section Gate): signed contract sizes of `quanto_multiplier` coins,
liquidations batched per contract each second (at most 20 per message) on `futures.public_liquidates`,
tickers carrying mark price and open interest, acks / errors / pongs as the venue sends them, and
the REST routes tnet reads (contracts, liq_orders, candlesticks, contract_stats).
"""

from __future__ import annotations

from typing import Any

import orjson

from tnet.events import Event, Liquidation, MarkPrice, OpenInterest, Trades
from tnet.sim.rest import BadParam, UnknownSymbol, _int, _one
from tnet.sim.venues.base import Query, Reply, SimVenue, WireLimits
from tnet.sim.venues.params import SimParams
from tnet.sim.wire import FUNDING_MS, FUNDING_RATE, num_str, price_str
from tnet.venues.gate import RECORD

SIM = SimParams(
    # 651,185,722 BTC_USDT contracts x 0.0001 x 62,914 USD in a ticker captured 2026-07-31 (docs/venues.md,
    # taken as one-sided). The shared data hold no Gate open interest.
    btc_oi_usd=4.1e9,
    # Not in the shared data: Bybit's proportions (Gate also defaults to cross margin).
    risk_mix={"isolated": 0.028, "cross": 0.522, "hedged": 0.18, "low_leverage": 0.15, "top_up": 0.12},
    leverage_mix={2: 0.08, 3: 0.10, 5: 0.18, 10: 0.22, 20: 0.15, 25: 0.10, 50: 0.08, 75: 0.04, 100: 0.04, 125: 0.01},
    mark_ms=1000, oi_ms=1000,  # one ticker carries both
    live_mark_ms=1000, live_oi_ms=1000,  # futures.tickers pushes every 1-2 s on BTC
)

Key = tuple[str, str]  # (channel, contract or "!all")
LIQ_CHANNEL = "futures.public_liquidates"
BOOK_CHANNEL = "futures.order_book_update"  # its frames come from the server's books (tnet/sim/book.py)
CHANNELS = (LIQ_CHANNEL, "futures.tickers", "futures.trades", BOOK_CHANNEL)
BOOK_PAYLOADS = {("100ms", "100"), ("100ms", "50"), ("100ms", "20"), ("20ms", "20")}  # (interval, level)
LIQ_BATCH = 20  # a contract's batch is flushed early at 20 liquidations (2026-08-20 change)
# Contracts the `!all` liquidation channel also carries (clients must filter them out): name, price, size.
OTHER_CONTRACTS: tuple[tuple[str, float, float], ...] = (("CELO_USDT", 0.09583, 1.0), ("IOST_USDT", 0.007831, 100.0))
REST = "/api/v4/futures/usdt"
MAX_BARS = 2000  # candlesticks: points per request


def multiplier(symbol: str) -> float:
    """Coins per contract of a simulated symbol (1 when the record's table does not know it)."""
    return RECORD.contract_sizes.get(symbol, 1.0)


def size_str(qty: float, symbol: str, sign: int = 1) -> str:
    """Signed size in whole contracts (at least one)."""
    return str(sign * max(round(qty / multiplier(symbol)), 1))


class GateWire(SimVenue):
    """Gate's protocol over the simulated market."""

    name = RECORD.name
    ws_paths = (RECORD.ws_path,)
    rest_prefix = REST
    # No published cap on topics; a silent socket is closed after ~30 s (measured, docs/venues.md).
    limits = WireLimits(max_topics=1024, msgs_per_s=10.0, burst=50)
    idle_close_s = 30.0
    exempt = frozenset()

    def __init__(self, market: Any, rng: Any) -> None:
        super().__init__(market, rng)
        self.trade_id = 842_000_000
        self.tickers: dict[str, dict[str, Any]] = {}  # latest ticker row per contract

    @staticmethod
    def _envelope(channel: str, ts_ms: int, result: Any) -> dict[str, Any]:
        return {"time": ts_ms // 1000, "time_ms": ts_ms, "channel": channel, "event": "update", "result": result}

    # ------------------------------------------------------------------ frames

    def encode(self, events: list[Event], now_ms: int) -> list[tuple[Key, Any]]:
        out = self._liquidations([e for e in events if isinstance(e, Liquidation)])
        for ev in events:
            if not isinstance(ev, Liquidation):
                out += self._encode(ev)
        return out

    def _liquidations(self, evs: list[Liquidation]) -> list[tuple[Key, Any]]:
        """One message per contract and 1 s window, split at 20; for `!all` and per-contract subscribers."""
        groups: dict[tuple[str, int], list[Liquidation]] = {}
        for ev in evs:
            groups.setdefault((ev.symbol, ev.ts_ms // 1000), []).append(ev)
        out: list[tuple[Key, Any]] = []
        for (symbol, _window), items in groups.items():
            name = RECORD.instrument_of(symbol)
            for start in range(0, len(items), LIQ_BATCH):
                batch = items[start:start + LIQ_BATCH]
                rows = [{"price": price_str(e.price), "size": size_str(e.qty, symbol, -1 if e.side == "long" else 1),
                         "time": e.ts_ms, "contract": name} for e in batch]
                payload = self._envelope(LIQ_CHANNEL, max(e.ts_ms for e in batch), rows)
                out += [((LIQ_CHANNEL, "!all"), payload), ((LIQ_CHANNEL, name), payload)]
        return out

    def _encode(self, ev: Event) -> list[tuple[Key, Any]]:
        name = RECORD.instrument_of(ev.symbol)
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

    def extra(self, now_ms: int, dt_s: float) -> list[tuple[Key, Any]]:
        """Now and then a liquidation of a contract nobody watches (`!all` carries every contract)."""
        if self.rng.random() >= dt_s / 30.0:
            return []
        name, price, _mult = OTHER_CONTRACTS[int(self.rng.integers(len(OTHER_CONTRACTS)))]
        size = int(self.rng.integers(1, 20_000)) * (1 if self.rng.random() < 0.5 else -1)
        row = {"price": price_str(price), "size": str(size), "time": now_ms, "contract": name}
        return [((LIQ_CHANNEL, "!all"), self._envelope(LIQ_CHANNEL, now_ms, [row]))]

    def snapshot(self, key: Key) -> list[Any]:
        channel, name = key
        row = self.tickers.get(name) if channel == "futures.tickers" else None
        if row is None or "mark_price" not in row:
            return []
        return [self._envelope(channel, int(row["t"]), [dict(row)])]

    # ------------------------------------------------------------------ control

    def _reply(self, now_ms: int, conn_id: str, channel: str, event: str, **extra: Any) -> dict[str, Any]:
        return {"time": now_ms // 1000, "time_ms": now_ms, "conn_id": conn_id, "channel": channel, "event": event,
                **extra}

    def _error(self, now_ms: int, conn_id: str, channel: str, event: str, payload: Any, code: int,
               message: str) -> dict[str, Any]:
        return self._reply(now_ms, conn_id, channel, event, payload=payload, error={"code": code, "message": message},
                           result={"status": "fail"})

    def control(self, subs: set[Any], text: str, now_ms: int, conn_id: str) -> tuple[list[Any], bool]:
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            msg = None
        if not isinstance(msg, dict) or not isinstance(msg.get("channel"), str):
            return [self._error(now_ms, conn_id, "", "", None, 1, "request message need json scheme")], False
        channel, event, payload = msg["channel"], msg.get("event"), msg.get("payload")
        if channel == "futures.ping":
            return [self._reply(now_ms, conn_id, "futures.pong", "", result=None)], False
        if channel not in CHANNELS:
            return [self._error(now_ms, conn_id, channel, str(event or ""), payload, 2, f"Unknown channel {channel}")], False
        if event not in ("subscribe", "unsubscribe"):
            return [self._error(now_ms, conn_id, channel, str(event or ""), payload, 2, f"Unknown event {event}")], False
        if not isinstance(payload, list) or not payload or not all(isinstance(p, str) for p in payload):
            return [self._error(now_ms, conn_id, channel, event, payload, 1, "invalid argument struct")], False
        names = payload
        if channel == BOOK_CHANNEL:  # [contract, interval, level]: one contract a request
            if len(payload) != 3 or tuple(payload[1:]) not in BOOK_PAYLOADS:
                return [self._error(now_ms, conn_id, channel, event, payload, 2, "invalid argument")], False
            names = payload[:1]
        listed = {RECORD.instrument_of(s) for s in self.market.symbols}
        for name in names:  # one unknown contract fails the whole request (observed live)
            if name not in listed and not (name == "!all" and channel == LIQ_CHANNEL):
                return [self._error(now_ms, conn_id, channel, event, payload, 2, f"unknown currency pair: {name}")], False
        keys = {(channel, name) for name in names}
        if event == "subscribe":
            if len(keys - subs) > self.limits.max_topics - len(subs):
                return [self._error(now_ms, conn_id, channel, event, payload, 2, "too many subscriptions")], False
            subs.update(keys)
        else:
            subs.difference_update(keys)
        return [self._reply(now_ms, conn_id, channel, event, payload=payload, result={"status": "success"})], False

    def over_rate(self, now_ms: int, conn_id: str) -> tuple[list[Any], bool]:
        return [self._error(now_ms, conn_id, "", "", None, 3, "too many requests")], False

    # ------------------------------------------------------------------ REST

    def rest_routes(self) -> dict[str, Any]:
        return {f"{REST}/contracts": self.contracts, f"{REST}/liq_orders": self.liq_orders,
                f"{REST}/candlesticks": self.candlesticks, f"{REST}/contract_stats": self.contract_stats}

    def rest_error(self, message: str, kind: str) -> Any:
        label = {"not_found": "NOT_FOUND", "param": "INVALID_PARAM_VALUE", "symbol": "CONTRACT_NOT_FOUND"}[kind]
        return {"label": label, "message": "Contract not found" if kind == "symbol" else message}

    def _contract(self, q: Query) -> str:
        raw = _one(q, "contract")
        if not raw:
            raise BadParam("contract is required")
        short = raw[: -len("_USDT")] if raw.endswith("_USDT") else ""
        if short not in self.market.symbols:
            raise UnknownSymbol(raw)
        return short

    def contracts(self, q: Query) -> Reply:
        rows = [(RECORD.instrument_of(s), multiplier(s), self.market.current_price(s)) for s in self.market.symbols]
        rows += [(name, mult, px) for name, px, mult in OTHER_CONTRACTS]
        return 200, [{"name": name, "type": "direct", "quanto_multiplier": f"{mult:g}", "mark_price": price_str(px),
                      "order_price_round": "0.1" if px >= 1000 else "0.01", "leverage_max": "100",
                      "maintenance_rate": "0.004", "in_delisting": False} for name, mult, px in rows]

    def liq_orders(self, q: Query) -> Reply:
        """Published liquidations, newest first; `size` is the position (positive = long) here."""
        short = self._contract(q)
        limit = _int(q, "limit", 100, 1, 1000) or 100
        recs = [r for r in self.market.liquidations_all(short, RECORD.name, end_ms=self.market.now_ms)
                if r.published][-limit:]
        mult = multiplier(short)
        rows = []
        for r in reversed(recs):
            size = max(round(r.qty / mult), 1) * (1 if r.side == "long" else -1)
            rows.append({"time": r.ts_ms // 1000, "contract": RECORD.instrument_of(short), "size": size,
                         "order_size": -size, "order_price": price_str(r.bankruptcy_price),
                         "fill_price": price_str(r.mark), "left": 0})
        return 200, rows

    def _bars(self, short: str, start_ms: int | None, end_ms: int, limit: int) -> list[Any]:
        """Completed 5-minute bars opening in [start_ms, end_ms]: the first `limit` from a start, else the last."""
        bars = self.market.history_bars(short, RECORD.name, min(end_ms + 300_000, self.market.now_ms), MAX_BARS)
        bars = [b for b in bars if b.ts_ms <= end_ms and (start_ms is None or b.ts_ms >= start_ms)]
        return bars[:limit] if start_ms is not None else bars[-limit:]

    def candlesticks(self, q: Query) -> Reply:
        short = self._contract(q)
        if (_one(q, "interval") or "5m") != "5m":
            raise BadParam("interval: only 5m is simulated")
        start, end = _int(q, "from"), _int(q, "to")
        if _one(q, "limit") and (start is not None or end is not None):
            raise BadParam("limit cannot be used together with from and to")
        end_ms = self.market.now_ms if end is None else end * 1000
        limit = _int(q, "limit", 100, 1, MAX_BARS) or 100
        bars = self._bars(short, None if start is None else start * 1000, end_ms, MAX_BARS if start is not None else limit)
        mult = multiplier(short)
        return 200, [{"t": b.ts_ms // 1000, "v": round(b.volume / mult), "c": price_str(b.close), "h": price_str(b.high),
                      "l": price_str(b.low), "o": price_str(b.open), "sum": num_str(b.volume * b.close, 4)} for b in bars]

    def contract_stats(self, q: Query) -> Reply:
        short = self._contract(q)
        if (_one(q, "interval") or "5m") != "5m":
            raise BadParam("interval: only 5m is simulated")
        start = _int(q, "from")
        limit = _int(q, "limit", 30, 1, MAX_BARS) or 30
        bars = self._bars(short, None if start is None else start * 1000, self.market.now_ms, limit)
        mult = multiplier(short)
        return 200, [{"time": (b.ts_ms + 300_000) // 1000, "open_interest": round(b.oi_usd / b.close / mult),
                      "open_interest_usd": round(b.oi_usd, 2), "lsr_taker": 1.0, "lsr_account": 1.0,
                      "mark_price": price_str(b.close)} for b in bars]


WIRE = GateWire
