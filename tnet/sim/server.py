"""Loopback server speaking every venue's WebSocket + REST protocol on one port.

A background task steps the Market in real time x speed and fans the venues' frames out to the
connections subscribed to them, through bounded per-connection queues (a slow client loses frames,
counted, instead of growing memory). Plain HTTP GETs on the same port are answered as the venues'
REST endpoints (see tnet/sim/rest.py). Binance, Bybit and OKX are encoded here (tnet/sim/wire.py);
the later venues bring their whole protocol in tnet/sim/venues/<venue>.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

import numpy as np
import orjson
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from tnet.events import Event, Liquidation
from tnet.sim.book import SimBooks
from tnet.sim.faults import Faults, load_leverage_mix, parse_faults
from tnet.sim.market import Market
from tnet.sim.rest import RestApi
from tnet.sim.venues import SIM, WIRES, base_path
from tnet.sim.venues.base import SimVenue, WireLimits
from tnet.sim.wire import BinanceEncoder, BybitEncoder, OkxEncoder

__all__ = ["SimServer", "Faults", "parse_faults", "load_leverage_mix"]

STEP_INTERVAL_S = 0.05  # wall time between market steps: also the typical send delay (latency > 0)
QUEUE_FRAMES = 4096  # per-connection bound
BYBIT_TOPICS = ("allLiquidation", "tickers", "publicTrade", "orderbook")
OKX_INST_CHANNELS = ("open-interest", "mark-price", "trades", "books")
OKX_INST_TYPES = ("SWAP", "FUTURES", "MARGIN", "OPTION")
BINANCE_METHODS = "`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`"


LIMITS: dict[str, WireLimits] = {
    "binance": WireLimits(max_topics=1024, msgs_per_s=10.0, burst=10),  # over the rate: disconnected
    "bybit": WireLimits(max_topics=1024, msgs_per_s=10.0, burst=20),  # error ack (no stated limit: Binance's)
    "okx": WireLimits(max_topics=1024, msgs_per_s=480 / 3600, burst=480),  # 480 (un)subscribes/h: error 60014
}
MAX_CONNECTIONS = 256  # at once per simulator; more are answered HTTP 429 on upgrade


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


class _Conn:
    """One client connection: venue flavour, subscriptions and a bounded send queue."""

    _ids = itertools.count(1)

    def __init__(self, ws: ServerConnection, venue: str, combined: bool = False, silent: bool = False,
                 limits: WireLimits | None = None) -> None:
        self.ws = ws
        self.venue = venue  # "binance" | "bybit" | "okx"
        self.combined = combined  # Binance /stream: wrap as {"stream":..,"data":..}
        self.silent = silent  # Binance legacy paths: ack everything, deliver nothing
        self.subs: set[Any] = set()
        self.queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_FRAMES)
        self.conn_id = f"{next(self._ids):08x}-sim"
        self.dropped = 0
        self.limits = limits or LIMITS[venue]
        self._tokens = float(self.limits.burst)
        self._refilled = time.monotonic()

    def allow(self, now: float) -> bool:
        """Take one inbound-message token (token bucket at the venue's rate)."""
        lim = self.limits
        self._tokens = min(float(lim.burst), self._tokens + (now - self._refilled) * lim.msgs_per_s)
        self._refilled = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True

    def room(self) -> int:
        """How many more topics this connection may hold."""
        return max(0, self.limits.max_topics - len(self.subs))


# Served markets are livelier than the evaluation default (more, smaller at-risk positions: about 30x
# the liquidation prints at the same open interest), so a demo's tape moves whenever price does.
LIVE_ACTIVITY = 30.0


class SimServer:
    """The simulated exchanges on one loopback port (see module docstring)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, symbols: list[str] = ["BTC", "ETH", "SOL"],  # noqa: B006
                 seed: int = 0, speed: float = 1.0, leverage_mix: dict[str, dict[int, float]] | None = None,
                 faults: Faults | None = None, clock: Callable[[], float] = time.time,
                 activity: float = LIVE_ACTIVITY, risk_mix: dict[str, dict[str, float]] | None = None) -> None:
        if not speed > 0:
            raise ValueError("speed must be > 0")
        self.host = host
        self.port = port
        self.speed = float(speed)
        self.faults = faults or Faults()
        self.clock = clock
        self.symbols = [s.upper() for s in symbols]
        self._clock0 = clock()
        self.start_ms = int(self._clock0 * 1000)
        # real-time publishing cadences (each venue's SimParams)
        self.market = Market(self.symbols, seed=seed, start_ms=self.start_ms, leverage_mix=leverage_mix,
                             burst=self.faults.burst, mark_ms={v: p.live_mark_ms for v, p in SIM.items()},
                             oi_ms={v: p.live_oi_ms for v, p in SIM.items()}, activity=activity,
                             risk_mix=risk_mix)
        self.rng = np.random.default_rng([seed, 99])
        self.binance = BinanceEncoder(self.rng)
        self.bybit = BybitEncoder(self.rng)
        self.okx = OkxEncoder(self.rng)
        self.books = SimBooks(self.symbols, np.random.default_rng([seed, 98]), self.faults)
        for sym in self.symbols:
            self.bybit.seed_ticker(sym, self.market.current_price(sym), self.market.current_oi(sym, "bybit")[0],
                                   self.start_ms)
        # venues whose protocol lives in their simulator module (tnet/sim/venues/<venue>.py)
        self.wires: dict[str, SimVenue] = {name: cls(self.market, self.rng) for name, cls in WIRES.items()}
        self.rest = RestApi(self)
        self.conns: set[_Conn] = set()
        self.stats: Counter[str] = Counter()
        self._server: Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._t_start = time.monotonic()

    # ------------------------------------------------------------------ lifecycle

    def sim_now_ms(self) -> int:
        """Simulated exchange time now (real time x speed since construction)."""
        return self.start_ms + int((self.clock() - self._clock0) * 1000 * self.speed)

    async def start(self) -> None:
        """Bind and start stepping the market; `self.port` is the real port afterwards."""
        self._server = await serve(self._handler, self.host, self.port, process_request=self._process_request,
                                   ping_interval=180, ping_timeout=600, compression=None, max_size=1 << 20)
        self.port = self._server.sockets[0].getsockname()[1]
        self._t_start = time.monotonic()
        self._tasks.append(asyncio.create_task(self._run_market()))
        if self.faults.drop_s:
            self._tasks.append(asyncio.create_task(self._run_drops(self.faults.drop_s)))

    async def stop(self) -> None:
        """Stop stepping, close every connection and the listening socket."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
            self._server = None

    def endpoints(self) -> dict[str, Any]:
        """Base URLs per venue; the venue specs append their own paths."""
        ws = f"ws://{self.host}:{self.port}"
        rest = f"http://{self.host}:{self.port}"
        out: dict[str, Any] = {"host": self.host, "port": self.port}
        for venue in SIM:
            out[venue] = {"ws": ws + base_path(venue), "rest": rest + base_path(venue)}
        return out

    def stalled(self) -> bool:
        """Inside a stall window (the last stall_s seconds of every stall_every_s)?"""
        f = self.faults
        if not f.stall_s:
            return False
        elapsed = time.monotonic() - self._t_start
        return elapsed % f.stall_every_s >= f.stall_every_s - f.stall_s

    # ------------------------------------------------------------------ market -> frames

    async def _run_market(self) -> None:
        while True:
            await asyncio.sleep(STEP_INTERVAL_S)
            now = self.sim_now_ms()
            if now <= self.market.now_ms:
                continue
            events = self.market.step(now)
            self.publish(events, now)

    def publish(self, events: list[Event], now_ms: int) -> None:
        """Encode one step's events per venue and fan the frames out."""
        # topics somebody listens to: frames nobody wants are not serialised (Bybit tickers are still
        # encoded, their state feeds the snapshots new subscribers get)
        wanted = {(c.venue, t) for c in self.conns if not c.silent for t in c.subs}
        bybit_liqs = [e for e in events if isinstance(e, Liquidation) and e.venue == "bybit"]
        for topic, payload in self.bybit.encode_liquidations(bybit_liqs):
            if ("bybit", topic) in wanted:
                self._fanout("bybit", topic, _dumps(payload))
        venues = {v for v, _t in wanted}
        for ev in events:
            if ev.venue == "binance":
                if "binance" in venues:
                    for stream, data in self.binance.encode(ev):
                        if ("binance", stream) in wanted:
                            self._fanout("binance", stream, _dumps(data))
            elif ev.venue == "bybit":
                if not isinstance(ev, Liquidation):
                    for topic, payload in self.bybit.encode(ev):
                        if ("bybit", topic) in wanted:
                            self._fanout("bybit", topic, _dumps(payload))
            elif ev.venue == "okx" and "okx" in venues:
                for key, payload in self.okx.encode(ev):
                    if ("okx", key) in wanted:
                        self._fanout("okx", key, _dumps(payload))
        prices = {s: self.market.current_price(s) for s in self.symbols}
        for venue, topic, payload in self.books.frames(now_ms, prices, wanted):
            self._fanout(venue, topic, _dumps(payload))
        # OKX's channel carries every SWAP instrument: now and then one nobody here watches
        dt_s = STEP_INTERVAL_S * self.speed
        if self.rng.random() < dt_s / 20.0:
            key, payload = self.okx.other_instrument_liquidation(now_ms)
            if ("okx", key) in wanted:
                self._fanout("okx", key, _dumps(payload))
        for name, wire in self.wires.items():
            # always encoded (the state feeds what new subscribers get first); sent where wanted
            mine = [ev for ev in events if ev.venue == name]
            for key, payload in wire.encode(mine, now_ms) + wire.extra(now_ms, dt_s):
                if (name, key) in wanted:
                    self._fanout(name, key, _dumps(payload))

    def _fanout(self, venue: str, topic: Any, data: str) -> None:
        wrapped: str | None = None
        for conn in self.conns:
            if conn.venue != venue or conn.silent or topic not in conn.subs:
                continue
            frame = data
            if conn.combined:
                if wrapped is None:
                    wrapped = f'{{"stream":"{topic}","data":{data}}}'
                frame = wrapped
            if self.faults.malformed and self.rng.random() < self.faults.malformed:
                frame = self._corrupt(frame)
                self.stats["malformed"] += 1
            self._enqueue(conn, frame)

    def _enqueue(self, conn: _Conn, frame: str) -> None:
        try:
            conn.queue.put_nowait(frame)
        except asyncio.QueueFull:
            conn.dropped += 1
            self.stats["dropped_slow_client"] += 1

    def _corrupt(self, frame: str) -> str:
        kind = int(self.rng.integers(3))
        if kind == 0:
            return frame[: max(1, len(frame) // 2)]  # truncated
        if kind == 1:
            return "\x00garbage" + "".join(chr(int(c)) for c in self.rng.integers(33, 126, 12))
        # valid JSON, wrong types: every string value becomes an object, lists become numbers
        try:
            obj = orjson.loads(frame)
        except orjson.JSONDecodeError:
            return frame[:-1]

        def mangle(x: Any) -> Any:
            if isinstance(x, dict):
                return {k: mangle(v) for k, v in x.items()}
            if isinstance(x, list):
                return 7
            if isinstance(x, str):
                return {"bad": x}
            return x

        return _dumps(mangle(obj))

    # ------------------------------------------------------------------ connections

    async def _run_drops(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            for conn in list(self.conns):
                self.stats["dropped_connections"] += 1
                transport = getattr(conn.ws, "transport", None)
                if transport is not None:
                    transport.abort()  # like a network cut: no close frame

    def _route(self, path: str) -> tuple[str, bool, bool] | None:
        """(venue, combined, silent) for a WebSocket path, None if unknown."""
        for name, wire in self.wires.items():
            if any(path == wire.base_path + p for p in wire.ws_paths):
                return (name, False, False)
        if path == "/ws/v5/public":
            return ("okx", False, False)
        if path == "/v5/public/linear":
            return ("bybit", False, False)
        if path in ("/market/stream", "/public/stream"):
            return ("binance", True, False)
        if path == "/public/ws" or path.startswith("/public/ws/"):
            return ("binance", False, False)
        if path == "/market/ws" or path.startswith("/market/ws/"):
            return ("binance", False, False)
        if path in ("/ws", "/stream") or path.startswith("/ws/"):
            return ("binance", path == "/stream", True)  # legacy URL: acks, no data (post-2026 Binance)
        return None

    async def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        if request.headers.get("Upgrade", "").lower() == "websocket":
            if self._route(parts.path) is None:
                return self._json_response(connection, 404, {"error": f"no WebSocket endpoint at {parts.path}"})
            if len(self.conns) >= MAX_CONNECTIONS:
                self.stats["refused_connections"] += 1
                return self._json_response(connection, 429, {"error": "too many connections"})
            return None
        status, body = self.rest.handle(parts.path, parse_qs(parts.query))
        self.stats["rest_requests"] += 1
        return self._json_response(connection, status, body)

    @staticmethod
    def _json_response(connection: ServerConnection, status: int, body: Any) -> Response:
        response = connection.respond(status, _dumps(body))
        del response.headers["Content-Type"]
        response.headers["Content-Type"] = "application/json"
        return response

    async def _handler(self, ws: ServerConnection) -> None:
        parts = urlsplit(ws.request.path if ws.request else "/")
        route = self._route(parts.path)
        if route is None:
            await ws.close(1008, "unknown path")
            return
        wire = self.wires.get(route[0])
        conn = _Conn(ws, *route, limits=wire.limits if wire is not None else None)
        self.conns.add(conn)
        self.stats["connections"] += 1
        if conn.venue == "binance":
            self._binance_url_streams(conn, parts.path, parts.query)
        sender = asyncio.create_task(self._sender(conn))
        try:
            if wire is not None:
                await self._wire_session(conn, wire)
                return
            async for message in ws:
                text = message if isinstance(message, str) else message.decode("utf-8", "replace")
                self.stats["client_messages"] += 1
                # OKX's limit counts (un)subscribe requests, not its plain-text keep-alive
                if not (text == "ping" and conn.venue == "okx") and not conn.allow(time.monotonic()):
                    self.stats["rate_limited"] += 1
                    if conn.venue == "binance":
                        await ws.close(1008, "Too many requests")  # Binance disconnects
                        break
                    self._over_rate(conn)
                    continue
                if conn.venue == "binance":
                    self._on_binance(conn, text)
                elif conn.venue == "bybit":
                    self._on_bybit(conn, text)
                else:
                    self._on_okx(conn, text)
        except ConnectionClosed:
            pass
        finally:
            self.conns.discard(conn)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender

    async def _wire_session(self, conn: _Conn, wire: SimVenue) -> None:
        """A connection to a venue served by its SimVenue: control replies, then what new subscribers
        get first; the venue's message rate and idle timeout (it closes a socket silent for that long)."""
        while True:
            try:
                message = await asyncio.wait_for(conn.ws.recv(), wire.idle_close_s)
            except asyncio.TimeoutError:
                self.stats["idle_closed"] += 1
                transport = getattr(conn.ws, "transport", None)
                if transport is not None:
                    transport.abort()  # no close frame (Gate's measured 1006)
                return
            text = message if isinstance(message, str) else message.decode("utf-8", "replace")
            self.stats["client_messages"] += 1
            now_ms = self.sim_now_ms()
            before = set(conn.subs)
            if text not in wire.exempt and not conn.allow(time.monotonic()):
                self.stats["rate_limited"] += 1
                replies, close = wire.over_rate(now_ms, conn.conn_id)
            else:
                replies, close = wire.control(conn.subs, text, now_ms, conn.conn_id)
            for reply in replies:
                self._reply(conn, reply)
            for key in conn.subs - before:
                for frame in wire.snapshot(key):
                    self._reply(conn, frame)
                book_symbol = self.books.symbol_of(wire.name, key)
                if book_symbol is not None:  # a depth subscriber gets the whole book first
                    self._reply(conn, self.books.snapshot_frame(wire.name, book_symbol,
                                                                self.market.current_price(book_symbol), now_ms))
            if close:
                await conn.ws.close(1000)
                return

    def _over_rate(self, conn: _Conn) -> None:
        """Answer a Bybit or OKX message over the connection's rate with the venue's error frame."""
        if conn.venue == "bybit":
            self._bybit_ack(conn, "", None, False, "Too many requests")
        else:
            self._okx_error(conn, "60014", "Requests too frequent.", None)

    async def _sender(self, conn: _Conn) -> None:
        while True:
            frame = await conn.queue.get()
            while self.stalled():
                await asyncio.sleep(0.05)
            try:
                await conn.ws.send(frame)
            except ConnectionClosed:
                return
            self.stats["frames_sent"] += 1

    def _reply(self, conn: _Conn, obj: Any) -> None:
        self._enqueue(conn, obj if isinstance(obj, str) else _dumps(obj))

    # ------------------------------------------------------------------ Binance control

    def _binance_url_streams(self, conn: _Conn, path: str, query: str) -> None:
        names: list[str] = []
        if path.startswith("/market/ws/"):
            names = [n for n in path[len("/market/ws/"):].split("/") if n]
        streams = parse_qs(query).get("streams")
        if streams:
            names += [n for n in streams[0].split("/") if n]
        conn.subs.update(names[: conn.room()])

    def _on_binance(self, conn: _Conn, text: str) -> None:
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            self._reply(conn, {"error": {"code": 3, "msg": "Invalid JSON: expected value at line 1 column 1"}, "id": None})
            return
        if not isinstance(msg, dict):
            self._reply(conn, {"error": {"code": 2, "msg": "Invalid request: expected an object"}, "id": None})
            return
        req_id = msg.get("id")
        if not (req_id is None or (isinstance(req_id, int) and not isinstance(req_id, bool) and req_id >= 0)
                or isinstance(req_id, str)):
            self._reply(conn, {"error": {"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"},
                               "id": None})
            return
        method = msg.get("method")
        params = msg.get("params", [])
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
                self._reply(conn, {"error": {"code": 2, "msg": "Invalid request: invalid type: expected a sequence of strings"},
                                   "id": req_id})
                return
            if method == "SUBSCRIBE":
                new = set(params) - conn.subs
                if len(new) > conn.room():
                    self._reply(conn, {"error": {"code": 2, "msg": f"Invalid request: too many streams "
                                                 f"(at most {conn.limits.max_topics} per connection)"}, "id": req_id})
                    return
                conn.subs.update(new)  # unknown symbols are accepted and simply never sent
            else:
                conn.subs.difference_update(params)
            self._reply(conn, {"result": None, "id": req_id})
        elif method == "LIST_SUBSCRIPTIONS":
            self._reply(conn, {"result": sorted(conn.subs), "id": req_id})
        elif method == "SET_PROPERTY":
            if params != ["combined", True] and params != ["combined", False]:
                self._reply(conn, {"error": {"code": 0, "msg": "Unknown property"}, "id": req_id})
                return
            conn.combined = bool(params[1])
            self._reply(conn, {"result": None, "id": req_id})
        elif method == "GET_PROPERTY":
            if params != ["combined"]:
                self._reply(conn, {"error": {"code": 0, "msg": "Unknown property"}, "id": req_id})
                return
            self._reply(conn, {"result": conn.combined, "id": req_id})
        else:
            self._reply(conn, {"error": {"code": 2, "msg": f"Invalid request: unknown variant `{method}`, expected one of {BINANCE_METHODS}"},
                               "id": req_id})

    # ------------------------------------------------------------------ Bybit control

    def _bybit_ack(self, conn: _Conn, op: str, req_id: Any, success: bool, ret_msg: str) -> None:
        self._reply(conn, {"success": success, "ret_msg": ret_msg, "conn_id": conn.conn_id,
                           "req_id": req_id if req_id is not None else "", "op": op})

    def _on_bybit(self, conn: _Conn, text: str) -> None:
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            self._bybit_ack(conn, "", None, False, "error:request not json")
            return
        if not isinstance(msg, dict):
            self._bybit_ack(conn, "", None, False, "error:request not json object")
            return
        op = msg.get("op")
        req_id = msg.get("req_id")
        if op == "ping":
            self._bybit_ack(conn, "ping", req_id, True, "pong")
            return
        if op not in ("subscribe", "unsubscribe"):
            self._bybit_ack(conn, str(op), req_id, False, f"Invalid op :[{op}]")
            return
        args = msg.get("args")
        if not isinstance(args, list) or not args or not all(isinstance(a, str) for a in args):
            self._bybit_ack(conn, op, req_id, False, "args is invalid")
            return
        bad = [a for a in args if not self._bybit_topic_ok(a)]
        good = [a for a in args if a not in bad]
        if op == "subscribe" and len(set(good) - conn.subs) > conn.room():
            self._bybit_ack(conn, op, req_id, False, f"too many topics (at most {conn.limits.max_topics})")
            return
        if op == "subscribe":
            conn.subs.update(good)
        else:
            conn.subs.difference_update(good)
        if bad:
            self._bybit_ack(conn, op, req_id, False, f"Invalid symbol :[{','.join(bad)}]")
        else:
            self._bybit_ack(conn, op, req_id, True, "")
        if op == "subscribe":
            for topic in good:
                if topic.startswith("tickers."):
                    # a new tickers subscriber first gets a full snapshot, then deltas
                    snap = self.bybit.ticker_snapshot(topic[len("tickers."):-len("USDT")], self.market.now_ms)
                    if snap is not None:
                        self._reply(conn, snap)
                elif topic.startswith("orderbook."):  # so does a depth subscriber
                    sym = topic.rsplit(".", 1)[1][:-len("USDT")]
                    self._reply(conn, self.books.snapshot_frame("bybit", sym, self.market.current_price(sym),
                                                                self.market.now_ms))

    def _bybit_topic_ok(self, topic: str) -> bool:
        name, _, sym = topic.partition(".")
        if name == "orderbook":  # orderbook.{depth}.{SYMBOL}; served at depth 200
            depth, _, sym = sym.partition(".")
            if depth != "200":
                return False
        return name in BYBIT_TOPICS and sym.endswith("USDT") and sym[:-4] in self.symbols

    # ------------------------------------------------------------------ OKX control

    def _okx_error(self, conn: _Conn, code: str, msg: str, req_id: Any) -> None:
        out = {"event": "error", "code": code, "msg": msg, "connId": conn.conn_id}
        if req_id is not None:
            out = {"id": req_id, **out}
        self._reply(conn, out)

    def _on_okx(self, conn: _Conn, text: str) -> None:
        if text == "ping":
            self._reply(conn, "pong")
            return
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            self._okx_error(conn, "60012", f"Invalid request: {text[:200]}", None)
            return
        if not isinstance(msg, dict):
            self._okx_error(conn, "60012", f"Invalid request: {text[:200]}", None)
            return
        req_id = msg.get("id")
        op = msg.get("op")
        args = msg.get("args")
        if op not in ("subscribe", "unsubscribe") or not isinstance(args, list) or not args:
            self._okx_error(conn, "60012", f"Invalid request: {text[:200]}", req_id)
            return
        for arg in args:
            if not isinstance(arg, dict) or not isinstance(arg.get("channel"), str):
                self._okx_error(conn, "60012", f"Invalid request: {text[:200]}", req_id)
                continue
            key, echo = self._okx_key(arg)
            if key is None:
                detail = arg["channel"] + "".join(f",{k}:{v}" for k, v in arg.items() if k != "channel")
                self._okx_error(conn, "60018", f"Wrong URL or channel:{detail} doesn't exist. Please use the correct "
                                "URL, channel and parameters referring to API document.", req_id)
                continue
            if op == "subscribe" and key not in conn.subs and not conn.room():
                self._okx_error(conn, "60014", f"Too many subscriptions (at most {conn.limits.max_topics}).", req_id)
                continue
            if op == "subscribe":
                conn.subs.add(key)
            else:
                conn.subs.discard(key)
            ack: dict[str, Any] = {"event": op, "arg": echo, "connId": conn.conn_id}
            if req_id is not None:
                ack = {"id": req_id, **ack}
            self._reply(conn, ack)
            if op == "subscribe" and key[0] == "books":  # the book's snapshot, then its updates
                sym = key[1][:-len("-USDT-SWAP")]
                self._reply(conn, self.books.snapshot_frame("okx", sym, self.market.current_price(sym),
                                                            self.market.now_ms))

    def _okx_key(self, arg: dict[str, Any]) -> tuple[tuple[str, str] | None, dict[str, Any]]:
        channel = arg["channel"]
        if channel == "liquidation-orders":
            inst_type = arg.get("instType")
            if "instId" in arg or inst_type not in OKX_INST_TYPES:
                return None, arg
            # instFamily is silently dropped from the ack (observed behaviour)
            return (channel, inst_type), {"channel": channel, "instType": inst_type}
        if channel in OKX_INST_CHANNELS:
            inst_id = arg.get("instId")
            if not isinstance(inst_id, str) or inst_id not in {f"{s}-USDT-SWAP" for s in self.symbols}:
                return None, arg
            return (channel, inst_id), {"channel": channel, "instId": inst_id}
        return None, arg
