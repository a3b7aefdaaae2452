"""Bitget in the simulator: its market (SimParams) and its UTA v3 public WebSocket protocol (BitgetWire).

Shapes follow docs/venues.md (section Bitget) and tests/frames/bitget.tsv: `ticker` snapshots carrying
mark price and open interest (base coin), `publicTrade` updates (and a replay of recent trades as a
"snapshot" on subscribe), `liquidation` for every usdt-futures symbol once a second with only the
largest long and largest short per symbol (the market applies that rule: the record's quality),
text `ping` / `pong`, acks echoing the arg, errors with a numeric code. REST: the v2 mix candles the
warm start reads (`{"code": "00000", "msg": "success", "requestTime", "data": [[...]]}`), with Bitget's
error body otherwise; Bitget serves no open-interest or liquidation history, so neither does this.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import orjson

from tnet.events import Event, Liquidation, MarkPrice, OpenInterest, Trades
from tnet.sim.rest import BadParam, UnknownSymbol, _int, _one
from tnet.sim.venues.base import Query, Reply, SimVenue, WireLimits
from tnet.sim.venues.params import SimParams
from tnet.sim.wire import FUNDING_MS, num_str, price_str, qty_str
from tnet.venues.bitget import RECORD

SIM = SimParams(
    # Bitget's BTC USDT-M open interest: 32,117 BTC in the ticker captured 2026-09-21
    # (tests/frames/bitget.tsv), about $2.6e9 at that day's mark. The shared data hold none.
    btc_oi_usd=2.6e9,
    # Not in the shared data: Bybit's proportions (Bitget also defaults to cross margin).
    risk_mix={"isolated": 0.028, "cross": 0.522, "hedged": 0.18, "low_leverage": 0.15, "top_up": 0.12},
    leverage_mix={2: 0.08, 3: 0.10, 5: 0.18, 10: 0.22, 20: 0.15, 25: 0.10, 50: 0.08, 75: 0.04, 100: 0.04, 125: 0.01},
    mark_ms=1000, oi_ms=1000,  # one ticker carries both
    live_mark_ms=300, live_oi_ms=1000,
)

Key = tuple[str, str]  # (topic, symbol or "" for the whole-market liquidation topic)
INST_TYPE = "usdt-futures"
TOPICS = ("ticker", "publicTrade", "liquidation", "books")  # books frames come from the server's books (tnet/sim/book.py)
REPLAY = 50  # trades replayed to a new publicTrade subscriber (the live venue sends ~50)
# Symbols the liquidation topic also carries (clients must filter them out): symbol, price.
OTHER_SYMBOLS: tuple[tuple[str, float], ...] = (("CELOUSDT", 0.09583), ("IOSTUSDT", 0.007831))
CANDLES_ROUTE = RECORD.history[0]  # the record's candles route: its path and rows per request
CANDLES = CANDLES_ROUTE.path.partition("?")[0]
# Bitget's error codes for what the simulator rejects (its error-code table): unknown path, bad parameter.
ERROR_CODES = {"not_found": "40404", "param": "40017", "symbol": "40034"}


class BitgetWire(SimVenue):
    """Bitget's UTA v3 public protocol over the simulated market."""

    name = RECORD.name
    ws_paths = (RECORD.ws_path,)
    # 10 messages a second per connection (its docs); ping counts too
    limits = WireLimits(max_topics=1000, msgs_per_s=10.0, burst=10)
    idle_close_s = 30.0  # the server drops a connection that sent nothing for 30 s
    rest_prefix = CANDLES.rsplit("/market/", 1)[0]  # /api/v2/mix: paths answered with Bitget's error body

    def __init__(self, market: Any, rng: Any) -> None:
        super().__init__(market, rng)
        self.trade_id = 1_485_683_898_127_761_400
        self.tickers: dict[str, dict[str, Any]] = {}  # latest ticker row per symbol
        self.recent: dict[str, deque[dict[str, Any]]] = {}  # recent trade rows per symbol, newest last

    @staticmethod
    def _push(topic: str, symbol: str | None, action: str, rows: list[Any], ts_ms: int) -> dict[str, Any]:
        arg = {"instType": INST_TYPE, "topic": topic, **({"symbol": symbol} if symbol else {})}
        return {"action": action, "arg": arg, "data": rows, "ts": ts_ms}

    # ------------------------------------------------------------------ frames

    def encode(self, events: list[Event], now_ms: int) -> list[tuple[Key, Any]]:
        out: list[tuple[Key, Any]] = []
        liqs = [e for e in events if isinstance(e, Liquidation)]
        if liqs:
            rows = [{"symbol": RECORD.instrument_of(e.symbol), "side": "buy" if e.side == "long" else "sell",
                     "price": price_str(e.price), "amount": num_str(e.usd, 4), "ts": str(e.ts_ms)} for e in liqs]
            out.append((("liquidation", ""), self._push("liquidation", None, "update", rows, now_ms)))
        for ev in events:
            symbol = RECORD.instrument_of(ev.symbol)
            if isinstance(ev, (MarkPrice, OpenInterest)):
                row = self.tickers.setdefault(symbol, {})
                if isinstance(ev, MarkPrice):
                    row.update(lastPrice=price_str(ev.price), markPrice=price_str(ev.price),
                               indexPrice=price_str(ev.price * 1.0001), fundingRate="0.000051",
                               nextFundingTime=str((ev.ts_ms // FUNDING_MS + 1) * FUNDING_MS))
                else:
                    row["openInterest"] = num_str(ev.oi_base, 4)
                if "markPrice" not in row:
                    continue  # a futures ticker always carries the mark price
                row["_ts"] = ev.ts_ms
                out.append((("ticker", symbol), self._push("ticker", symbol, "snapshot", [self._row(row)], ev.ts_ms)))
            elif isinstance(ev, Trades):
                rows = []
                for qty, side in ((ev.buy_qty, "buy"), (ev.sell_qty, "sell")):
                    if qty <= 0:
                        continue
                    self.trade_id += 2
                    rows.append({"i": str(self.trade_id), "p": price_str(ev.price), "v": qty_str(qty), "S": side,
                                 "T": str(ev.ts_ms), "L": str(self.trade_id + 1), "isRPI": "no"})
                if rows:
                    recent = self.recent.setdefault(symbol, deque(maxlen=REPLAY))
                    recent.extend(rows)
                    out.append((("publicTrade", symbol), self._push("publicTrade", symbol, "update", rows, ev.ts_ms)))
        return out

    @staticmethod
    def _row(row: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in row.items() if not k.startswith("_")}

    def extra(self, now_ms: int, dt_s: float) -> list[tuple[Key, Any]]:
        """Now and then a liquidation of a symbol nobody watches (the topic carries every symbol)."""
        if self.rng.random() >= dt_s / 30.0:
            return []
        symbol, price = OTHER_SYMBOLS[int(self.rng.integers(len(OTHER_SYMBOLS)))]
        row = {"symbol": symbol, "side": "buy" if self.rng.random() < 0.5 else "sell", "price": price_str(price),
               "amount": num_str(float(self.rng.integers(10, 20_000)), 4), "ts": str(now_ms)}
        return [(("liquidation", ""), self._push("liquidation", None, "update", [row], now_ms))]

    def snapshot(self, key: Key) -> list[Any]:
        """A new subscriber gets the current ticker, or the recent trades (newest first, as a snapshot)."""
        topic, symbol = key
        if topic == "ticker":
            row = self.tickers.get(symbol)
            if row is None or "markPrice" not in row:
                return []
            return [self._push("ticker", symbol, "snapshot", [self._row(row)], int(row["_ts"]))]
        if topic == "publicTrade" and self.recent.get(symbol):
            rows = list(reversed(self.recent[symbol]))
            return [self._push("publicTrade", symbol, "snapshot", rows, int(rows[0]["T"]))]
        return []

    # ------------------------------------------------------------------ control

    def _error(self, code: int, msg: str, conn_id: str) -> dict[str, Any]:
        return {"event": "error", "code": code, "msg": msg, "connId": conn_id}

    def control(self, subs: set[Any], text: str, now_ms: int, conn_id: str) -> tuple[list[Any], bool]:
        if text == "ping":
            return ["pong"], False
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            return [self._error(30012, "param error", conn_id)], False
        op = msg.get("op") if isinstance(msg, dict) else None
        args = msg.get("args") if isinstance(msg, dict) else None
        if op not in ("subscribe", "unsubscribe") or not isinstance(args, list) or not args:
            return [self._error(30012, "param error", conn_id)], False
        listed = {RECORD.instrument_of(s) for s in self.market.symbols}
        replies: list[Any] = []
        for arg in args:
            if not isinstance(arg, dict) or arg.get("instType") != INST_TYPE or arg.get("topic") not in TOPICS:
                replies.append(self._error(30001, f"{orjson.dumps(arg).decode()} doesn't exist", conn_id))
                continue
            topic, symbol = arg["topic"], arg.get("symbol")
            if (topic == "liquidation") != (symbol is None) or (symbol is not None and symbol not in listed):
                replies.append(self._error(30001, f"{orjson.dumps(arg).decode()} doesn't exist", conn_id))
                continue
            key = (topic, symbol or "")
            if op == "subscribe":
                if key not in subs and len(subs) >= self.limits.max_topics:
                    replies.append(self._error(30017, "too many subscriptions", conn_id))
                    continue
                subs.add(key)
            else:
                subs.discard(key)
            replies.append({"event": op, "arg": arg, "connId": conn_id})
        return replies, False

    def over_rate(self, now_ms: int, conn_id: str) -> tuple[list[Any], bool]:
        return [], True  # over 10 messages a second the venue closes the connection

    # ------------------------------------------------------------------ REST

    def rest_routes(self) -> dict[str, Any]:
        return {CANDLES: self.candles}

    def rest_error(self, message: str, kind: str) -> Any:
        text = "Parameter symbol does not exist" if kind == "symbol" else message
        return {"code": ERROR_CODES[kind], "msg": text, "requestTime": self.market.now_ms, "data": None}

    def candles(self, q: Query) -> Reply:
        """5-minute candles opening at or before `endTime` (default now), oldest first, the bar in progress
        last: `[open ms, open, high, low, close, base volume, quote volume]` as strings."""
        raw = _one(q, "symbol")
        if not raw or not _one(q, "productType"):
            raise BadParam("Parameter verification failed: symbol and productType are required")
        if (_one(q, "productType") or "").upper() != INST_TYPE.upper():
            raise BadParam("Parameter productType error")
        short = raw[: -len("USDT")] if raw.endswith("USDT") else ""
        if short not in self.market.symbols:
            raise UnknownSymbol(raw)
        if _one(q, "granularity") != "5m":
            raise BadParam("Parameter granularity error: only 5m is simulated")
        limit = _int(q, "limit", 100, 1, CANDLES_ROUTE.page) or 100
        end = _int(q, "endTime")
        end_ms = self.market.now_ms if end is None else min(end, self.market.now_ms)
        bars = self.market.history_bars(short, RECORD.name, self.market.now_ms, CANDLES_ROUTE.page)
        current = self.market.current_bar(short, RECORD.name)
        if not bars or current.ts_ms > bars[-1].ts_ms:
            bars.append(current)
        rows = [[str(b.ts_ms), price_str(b.open), price_str(b.high), price_str(b.low), price_str(b.close),
                 qty_str(b.volume), num_str(b.volume * b.close, 4)] for b in bars if b.ts_ms <= end_ms]
        return 200, {"code": "00000", "msg": "success", "requestTime": self.market.now_ms, "data": rows[-limit:]}


WIRE = BitgetWire
