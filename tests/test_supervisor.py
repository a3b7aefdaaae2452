"""The supervisor against real loopback servers that fail the ways venues fail: reasons reach health."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

import pytest
from websockets.asyncio.server import ServerConnection, serve

from tnet.connectors import supervisor
from tnet.connectors.base import Endpoints
from tnet.connectors.health import VenueHealth
from tnet.connectors.proxy import is_loopback
from tnet.connectors.supervisor import Backoff, VenueConnection, classify_error
from tnet.connectors.venues import get_spec
from tnet.symbols import resolve

if TYPE_CHECKING:
    from conftest import WaitUntil


def _connection(port: int, health: VenueHealth, **kw: object) -> VenueConnection:
    spec = get_spec("binance")
    infos = [resolve("BTC")]
    return VenueConnection(
        spec, infos, Endpoints(ws=f"ws://127.0.0.1:{port}", rest=f"http://127.0.0.1:{port}"),
        spec.make_parser(infos), health, sink=lambda evs: None, **kw,  # type: ignore[arg-type]
    )


RunUntil = Callable[..., Awaitable[None]]


@pytest.fixture
def run_until(wait_until: WaitUntil) -> RunUntil:
    """`await run_until(conn, cond)`: run the connection until `cond()` holds, then cancel it."""

    async def run(conn: VenueConnection, cond: Callable[[], object], timeout: float = 8.0) -> None:
        task = asyncio.create_task(conn.run())
        try:
            await wait_until(cond, timeout, "the connection's expected state")
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    return run


@pytest.fixture
async def geo_blocked() -> AsyncIterator[int]:
    async def handler(ws: ServerConnection) -> None:
        await ws.wait_closed()

    def block(conn: ServerConnection, request: object) -> object:
        return conn.respond(451, "Unavailable For Legal Reasons\n")

    async with serve(handler, "127.0.0.1", 0, process_request=block) as server:
        yield server.sockets[0].getsockname()[1]


async def test_http_451_on_upgrade_is_reported_as_a_geo_block(geo_blocked: int, run_until: RunUntil) -> None:
    health = VenueHealth("binance", 5.0)
    conn = _connection(geo_blocked, health)
    await run_until(conn, lambda: health.state_reason)
    assert health.state_reason.startswith("HTTP 451 on upgrade")
    assert "geo-blocked" in health.state_reason
    assert health.state(0, ["BTC"])[0] == "down"


async def test_connection_refused(run_until: RunUntil) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    health = VenueHealth("binance", 5.0)
    await run_until(_connection(port, health), lambda: health.state_reason)
    assert health.state_reason == "connection refused"


async def test_handshake_timeout(monkeypatch: pytest.MonkeyPatch, run_until: RunUntil) -> None:
    monkeypatch.setattr(supervisor, "CONNECT_TIMEOUT_S", 0.5)

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    health = VenueHealth("binance", 5.0)
    try:
        await run_until(_connection(port, health), lambda: health.state_reason)
    finally:
        server.close()
    assert health.state_reason == "timeout"


async def test_silent_feed_is_detected_and_reconnected(run_until: RunUntil) -> None:
    subscribes: list[str] = []

    async def silent(ws: ServerConnection) -> None:
        async for msg in ws:
            subscribes.append(str(msg))  # acknowledge nothing, send nothing

    async with serve(silent, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        reasons: list[str] = []

        class RecordingHealth(VenueHealth):
            def on_down(self, reason: str, now_ms: int | None = None) -> None:
                reasons.append(reason)
                super().on_down(reason, now_ms)

        health = RecordingHealth("binance", 5.0)
        conn = _connection(port, health, silence_s=1.0)
        conn.backoff = Backoff(base_s=0.05, cap_s=0.1)
        await run_until(conn, lambda: health.reconnects >= 1 and len(subscribes) >= 2)
    assert reasons and reasons[0].startswith("silent: no data for")
    # Every connection resubscribed.
    assert all("SUBSCRIBE" in s for s in subscribes)


def test_backoff_grows_with_jitter_and_caps() -> None:
    b = Backoff(base_s=1.0, cap_s=8.0)
    delays = [b.next_delay() for _ in range(8)]
    assert all(0.5 <= d <= 8.0 for d in delays)
    assert delays[0] <= 1.0 and max(delays[4:]) <= 8.0 and min(delays[4:]) >= 4.0
    b.reset()
    assert b.next_delay() <= 1.0


def test_classify_dns_and_loopback() -> None:
    assert classify_error(socket.gaierror(-2, "Name or service not known")).startswith("DNS failure")
    assert is_loopback("ws://127.0.0.1:9") and is_loopback("http://localhost:1") and is_loopback("ws://[::1]:5")
    assert not is_loopback("wss://fstream.binance.com")


async def test_backoff_resets_once_a_subscribed_connection_delivers_data(run_until: RunUntil) -> None:
    # A flapping link: every connection delivers one mark price, then drops.
    frame = ('{"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":%d,"s":"BTCUSDT",'
             '"p":"82660.1","P":"82661.2","i":"82655.4","r":"0.0001","T":1791590400000}}')

    async def flap(ws: ServerConnection) -> None:
        await ws.recv()  # the subscription
        await ws.send(frame % int(time.time() * 1000))
        await asyncio.sleep(0.05)

    async with serve(flap, "127.0.0.1", 0) as server:
        health = VenueHealth("binance", 5.0)
        conn = _connection(server.sockets[0].getsockname()[1], health)
        conn.backoff = Backoff(base_s=0.2, cap_s=30.0)
        await run_until(conn, lambda: health.reconnects >= 5, timeout=6.0)
    # Each drop waited at most one base delay: the backoff never grew past its first step.
    assert conn.backoff.attempt <= 1
    share, _gap = health.availability(int(time.time() * 1000))
    assert share is not None and share > 0


async def test_backoff_keeps_growing_while_connections_deliver_nothing(run_until: RunUntil) -> None:
    async def refuse_data(ws: ServerConnection) -> None:
        await ws.recv()  # accepts the subscription, then closes without data

    async with serve(refuse_data, "127.0.0.1", 0) as server:
        health = VenueHealth("binance", 5.0)
        conn = _connection(server.sockets[0].getsockname()[1], health)
        conn.backoff = Backoff(base_s=0.01, cap_s=0.08)
        await run_until(conn, lambda: health.attempts >= 6)
    assert conn.backoff.attempt >= 5  # grows to the cap; failed connects never reset it


def test_live_share_and_worst_gap_follow_the_run() -> None:
    h = VenueHealth("okx", stale_after_s=2.0)
    t0 = 1_791_565_600_000
    mark = [type("E", (), {"type": "mark_price", "symbol": "BTC", "ts_ms": 0})()]
    h.on_attempt(t0)
    h.on_connected(t0 + 1_000)
    for k in range(2, 11):  # live from 2 s to 10 s
        h.on_events(mark, t0 + k * 1000)
    h.on_down("connection lost", t0 + 10_500)
    h.on_connected(t0 + 14_000)
    for k in range(15, 21):  # live again from 15 s to 20 s
        h.on_events(mark, t0 + k * 1000)
    share, gap = h.availability(t0 + 20_000)
    assert share == pytest.approx((8.5 + 5) / 20)
    assert gap == 4.5  # 10.5 s -> 15 s
    report = h.report(t0 + 20_000, ["BTC"])
    assert report["flaps"] == 1 and report["worst_gap_s"] == 4.5 and report["live_share"] == pytest.approx(0.675)
    # Silence longer than the stale threshold is a gap too, even while connected.
    h.on_events(mark, t0 + 30_000)
    assert h.availability(t0 + 30_000)[1] == 8.0  # stale from 22 s (20 s + 2 s) until 30 s
