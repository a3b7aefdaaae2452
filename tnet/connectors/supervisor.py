"""Runs venue connections: connect, subscribe, heartbeat, watchdog, reconnect with backoff; REST polls."""

from __future__ import annotations

import asyncio
import errno
import logging
import random
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

from tnet.connectors.base import Endpoints, Parser, RestPoll, VenueSpec
from tnet.connectors.guard import Guard
from tnet.connectors.health import VenueHealth
from tnet.connectors.proxy import proxy_for
from tnet.events import Event
from tnet.storage.recording import REST_PREFIX, StorageError
from tnet.symbols import SymbolInfo

log = logging.getLogger(__name__)

Sink = Callable[[list[Event]], None]
RecordFn = Callable[[int, str, str, str], None]  # (recv_ms, venue, stream, frame)

CONNECT_TIMEOUT_S = 5.0
REST_TIMEOUT_S = 5.0
MAX_FRAME_BYTES = 8 << 20  # the largest WebSocket message accepted
MAX_REST_BYTES = 8 << 20  # the largest REST body accepted (Binance's exchangeInfo is ~1-2 MB)


@dataclass(slots=True)
class Backoff:
    """Exponential backoff with full jitter and a cap; reset once a connection proved healthy."""

    base_s: float = 0.5
    cap_s: float = 30.0
    attempt: int = 0
    rng: random.Random = random.Random()

    def next_delay(self) -> float:
        delay = min(self.cap_s, self.base_s * (2**self.attempt))
        self.attempt += 1
        return self.rng.uniform(delay / 2, delay)

    def reset(self) -> None:
        self.attempt = 0


def classify_error(exc: BaseException) -> str:
    """A short, user-facing reason for a failed or lost connection."""
    from websockets.exceptions import (
        ConnectionClosed,
        InvalidStatus,
        InvalidURI,
        ProxyError,
    )

    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        hint = " (geo-blocked? try a proxy or a regional endpoint)" if status in (403, 451) else ""
        return f"HTTP {status} on upgrade{hint}"
    if isinstance(exc, ProxyError):
        return f"proxy error: {exc}"
    if isinstance(exc, InvalidURI):
        return f"bad endpoint URL: {exc}"
    if isinstance(exc, socket.gaierror):
        return "DNS failure (no route to the venue?)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(exc, ConnectionClosed):
        code = exc.rcvd.code if exc.rcvd else None
        return f"closed by venue (code {code})" if code else "connection lost"
    if isinstance(exc, OSError):
        if exc.errno is None:
            return str(exc) or "connection lost"
        if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return "no route to host"
        if exc.errno == errno.ECONNRESET:
            return "connection reset"
        return f"network error: {exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"


class FramePath:
    """One venue's read path (health, recording, parse, plausibility guard, sink): live connections and replays share it."""

    __slots__ = ("venue", "parser", "health", "sink", "record", "guard", "delivered", "_on_frame", "_on_events",
                 "_parse", "_check")

    def __init__(self, venue: str, parser: Parser, health: VenueHealth, sink: Sink, record: RecordFn | None = None,
                 guard: Guard | None = None) -> None:
        self.venue = venue
        self.parser = parser
        self.health = health
        self.sink = sink
        self.record = record
        self.guard = guard if guard is not None else Guard()
        self.delivered = 0  # frames whose events reached the sink
        # Bound once: `market` runs once per frame received.
        self._on_frame = health.on_frame
        self._on_events = health.on_events
        self._parse = parser.parse
        self._check = self.guard.check

    def market(self, recv_ms: int, frame: str | bytes) -> None:
        """One WebSocket frame: counted, recorded, parsed, checked; its plausible events go to the sink."""
        self._on_frame(recv_ms)
        if self.record is not None:
            self.record(recv_ms, self.venue, "market", frame)  # type: ignore[arg-type]
        events = self._parse(frame, recv_ms)
        if events:
            events = self._check(events, recv_ms, self.health.junk)
            if events:
                self.delivered += 1
                self._on_events(events, recv_ms)
                self.sink(events)

    def rest(self, recv_ms: int, path: str, body: str) -> list[Event]:
        """One REST body: recorded, parsed and checked; the caller decides where the events go (warm start or sink)."""
        if self.record is not None:
            self.record(recv_ms, self.venue, REST_PREFIX + path, body)
        return self._check(self.parser.parse_rest(path, body, recv_ms), recv_ms, self.health.junk, rest=True)


class SilentFeed(Exception):
    """The canary stream went quiet for too long: reconnect."""


class ScheduledReconnect(Exception):
    """Reconnect before a venue's hard connection-lifetime cut."""


class VenueConnection:
    """One WebSocket connection for one venue carrying every watched symbol."""

    def __init__(
        self,
        spec: VenueSpec,
        symbols: list[SymbolInfo],
        endpoints: Endpoints,
        parser: Parser,
        health: VenueHealth,
        sink: Sink,
        record: RecordFn | None = None,
        proxy: str | None = None,
        clock: Callable[[], float] = time.time,
        silence_s: float | None = None,
        guard: Guard | None = None,
    ) -> None:
        self.spec = spec
        self.symbols = symbols
        self.url = spec.ws_url(endpoints, symbols)
        self.health = health
        self.frames = FramePath(spec.name, parser, health, sink, record, guard)
        self.proxy = proxy_for(self.url, proxy)
        self.clock = clock
        self.silence_s = silence_s if silence_s is not None else max(4 * spec.stale_after_s, 20.0)
        self.backoff = Backoff()
        self._ws: object | None = None
        self._failure: Exception | None = None

    async def run(self) -> None:
        """Connect forever; every failure is classified into health and retried with backoff."""
        health = self.health
        while True:
            health.on_attempt(int(self.clock() * 1000))
            try:
                await self._session()
            except (asyncio.CancelledError, StorageError):
                raise  # a full disk is not a feed outage: the runtime stops the run and says so
            except ScheduledReconnect:
                health.on_down("scheduled reconnect", int(self.clock() * 1000))
                self.backoff.reset()
                continue
            except SilentFeed as exc:
                health.on_down(str(exc), int(self.clock() * 1000))
            except Exception as exc:  # every failure mode is a reason in health, never a crash
                health.on_down(classify_error(exc), int(self.clock() * 1000))
            # The backoff was reset if the connection delivered data (see _read); failed connects keep growing it.
            await asyncio.sleep(self.backoff.next_delay())

    async def _session(self) -> None:
        from websockets.asyncio.client import connect

        async with connect(
            self.url,
            proxy=self.proxy if self.proxy else None,
            open_timeout=CONNECT_TIMEOUT_S,
            ping_interval=20,
            ping_timeout=20,
            close_timeout=2,
            max_size=MAX_FRAME_BYTES,
            max_queue=256,
            compression=None,
        ) as ws:
            self._ws = ws
            for i, frame in enumerate(self.spec.subscribe_frames(self.symbols)):
                if i:
                    await asyncio.sleep(0.2)  # Binance allows 10 incoming messages/s per connection
                await ws.send(frame)
            self.health.on_connected(int(self.clock() * 1000))
            self._failure = None
            tasks = [asyncio.create_task(self._watchdog(ws))]
            if self.spec.heartbeat_s:
                tasks.append(asyncio.create_task(self._heartbeat(ws)))
            try:
                await self._read(ws)
            except Exception:
                if self._failure is None:
                    raise
            finally:
                for task in tasks:
                    task.cancel()
                self._ws = None
            # The helper tasks close the socket to end the read loop; re-raise why they did.
            if self._failure is not None:
                raise self._failure
            raise ConnectionError("connection closed")

    async def _read(self, ws: object) -> None:
        clock = self.clock
        frames = self.frames
        market = frames.market
        before: int | None = frames.delivered
        async for frame in ws:  # type: ignore[attr-defined]
            market(int(clock() * 1000), frame)
            if before is not None and frames.delivered != before:
                # The subscribed connection delivers data: the next drop starts the backoff afresh
                # (a flapping link then reconnects at once instead of waiting up to the cap).
                self.backoff.reset()
                before = None

    async def _fail(self, ws: object, exc: Exception) -> None:
        self._failure = exc
        await ws.close()  # type: ignore[attr-defined]

    async def _heartbeat(self, ws: object) -> None:
        frame = self.spec.heartbeat_frame()
        try:
            while frame is not None:
                await asyncio.sleep(self.spec.heartbeat_s or 20)
                await ws.send(frame)  # type: ignore[attr-defined]
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self._fail(ws, ConnectionError(f"heartbeat failed: {classify_error(exc)}"))

    async def _watchdog(self, ws: object) -> None:
        opened = self.clock()
        while True:
            await asyncio.sleep(1.0)
            now = self.clock()
            if self.spec.max_connection_s and now - opened > self.spec.max_connection_s:
                await self._fail(ws, ScheduledReconnect())
                return
            last = self.health.last_msg_ms / 1000.0
            quiet = now - max(last, opened)
            if quiet > self.silence_s:
                await self._fail(ws, SilentFeed(f"silent: no data for {quiet:.0f}s"))
                return


def make_http_client(proxy: str | None, base_url: str) -> object:
    """An httpx client for one venue's REST base (no proxy for loopback or a NO_PROXY match)."""
    import httpx

    use_proxy = proxy_for(base_url, proxy)
    return httpx.AsyncClient(
        base_url=base_url,
        proxy=use_proxy,
        trust_env=False,
        timeout=httpx.Timeout(REST_TIMEOUT_S),
        headers={"User-Agent": "tnet/0.1"},
    )


async def fetch(client: object, path: str, max_bytes: int = MAX_REST_BYTES) -> tuple[str | None, str]:
    """GET `path`; (body, "") on HTTP 200, else (None, reason). Bodies over `max_bytes` (after
    decompression) are refused without being held in memory."""
    try:
        async with client.stream("GET", path) as resp:  # type: ignore[attr-defined]
            if resp.status_code != 200:
                return None, f"HTTP {resp.status_code} for {path.split('?')[0]}"
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    return None, f"response over {max_bytes >> 20} MiB for {path.split('?')[0]}"
                chunks.append(chunk)
            return b"".join(chunks).decode(resp.encoding or "utf-8", errors="replace"), ""
    except Exception as exc:  # network failures become a reason, never a crash
        cause = exc.__cause__ or exc.__context__ or exc
        reason = classify_error(cause) if isinstance(cause, OSError) else f"{type(exc).__name__}: {exc}"
        return None, reason


class RestPoller:
    """Repeats a venue's REST polls (e.g. Binance open interest) and feeds the parsed events."""

    def __init__(
        self,
        client: object,
        polls: list[RestPoll],
        frames: FramePath,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.polls = polls
        self.frames = frames
        self.health = frames.health
        self.clock = clock
        self.last_error = ""

    async def run(self) -> None:
        """Poll every request at its own interval, staggered; HTTP 429 backs off for a minute."""
        await asyncio.gather(*(self._loop(p, i * 0.25) for i, p in enumerate(self.polls)))

    async def _loop(self, poll: RestPoll, offset_s: float) -> None:
        await asyncio.sleep(offset_s)
        while True:
            body, reason = await fetch(self.client, poll.path)
            recv_ms = int(self.clock() * 1000)
            delay = poll.interval_s
            if body is None:
                self.health.rest_errors += 1
                self.last_error = reason
                if "HTTP 429" in reason or "HTTP 418" in reason:
                    delay = 60.0
            else:
                events = self.frames.rest(recv_ms, poll.path, body)
                if events:
                    self.frames.sink(events)
            await asyncio.sleep(delay)
