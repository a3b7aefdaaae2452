"""The simulator holds the venues' own limits (connections, topics per connection, inbound message rate) and
answers with the venue's own error frames, so a client that floods it cannot grow it without bound."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

import tnet.sim.server as sim_server

if TYPE_CHECKING:
    from conftest import StartSim


async def _replies(ws: Any, seconds: float) -> list[Any]:
    """Everything received within `seconds` (market data included)."""
    out: list[Any] = []
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    try:
        while (left := end - loop.time()) > 0:
            raw = await asyncio.wait_for(ws.recv(), left)
            out.append(raw if raw == "pong" else json.loads(raw))
    except (asyncio.TimeoutError, ConnectionClosed):
        pass
    return out


async def test_ten_thousand_binance_subscribes_are_cut_off_like_binance_does(start_sim: StartSim) -> None:
    sim = await start_sim()
    async with websockets.connect(f"ws://127.0.0.1:{sim.port}/market/stream") as ws:
        sent = 0
        with pytest.raises(ConnectionClosed) as closed:
            for i in range(10_000):
                names = [f"coin{i}x{j}usdt@aggTrade" for j in range(10)]
                await ws.send(json.dumps({"method": "SUBSCRIBE", "params": names, "id": i}))
                sent += 1
                await asyncio.sleep(0)
            await asyncio.wait_for(ws.recv(), 5)
            while True:
                await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008  # "Too many requests"
    assert sim.stats["rate_limited"] >= 1
    await asyncio.sleep(0.2)
    assert not sim.conns  # nothing held for the flooder


async def test_binance_streams_per_connection_are_capped_at_1024(start_sim: StartSim) -> None:
    sim = await start_sim()
    async with websockets.connect(f"ws://127.0.0.1:{sim.port}/market/stream") as ws:
        names = [f"c{j}usdt@aggTrade" for j in range(1025)]
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": names, "id": 1}))
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": names[:1024], "id": 2}))
        await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 3}))
        got = {r["id"]: r for r in await _replies(ws, 1.0) if isinstance(r, dict) and "id" in r}
    assert "too many streams" in got[1]["error"]["msg"]
    assert got[2] == {"result": None, "id": 2}
    assert len(got[3]["result"]) == 1024


async def test_bybit_and_okx_floods_get_the_venues_error_frames(start_sim: StartSim) -> None:
    sim = await start_sim()
    async with websockets.connect(f"ws://127.0.0.1:{sim.port}/v5/public/linear") as ws:
        for i in range(60):
            await ws.send(json.dumps({"op": "subscribe", "req_id": str(i), "args": ["tickers.BTCUSDT"]}))
        replies = [r for r in await _replies(ws, 0.5) if isinstance(r, dict) and "op" in r]
        await ws.send(json.dumps({"op": "ping"}))  # the connection stays up
        await asyncio.sleep(1.0)  # the rate refills
        await ws.send(json.dumps({"op": "ping", "req_id": "p"}))
        assert any(isinstance(r, dict) and r.get("ret_msg") == "pong" for r in await _replies(ws, 0.5))
    assert any(r["ret_msg"] == "Too many requests" and r["success"] is False for r in replies)
    assert sum(r["success"] for r in replies) >= 20
    async with websockets.connect(f"ws://127.0.0.1:{sim.port}/ws/v5/public") as ws:
        sub = {"op": "subscribe", "args": [{"channel": "mark-price", "instId": "BTC-USDT-SWAP"}]}
        for _ in range(500):
            await ws.send(json.dumps(sub))
        await ws.send("ping")  # the keep-alive never counts against the limit
        replies = await _replies(ws, 0.5)
    errors = [r for r in replies if isinstance(r, dict) and r.get("event") == "error"]
    assert len(errors) == 20 and all(e["code"] == "60014" for e in errors)  # 480 an hour, then refused
    assert "pong" in replies


async def test_connections_beyond_the_cap_are_refused(start_sim: StartSim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim_server, "MAX_CONNECTIONS", 3)
    sim = await start_sim()
    url = f"ws://127.0.0.1:{sim.port}/v5/public/linear"
    held = [await websockets.connect(url) for _ in range(3)]
    try:
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(url)
        assert refused.value.response.status_code == 429
    finally:
        for ws in held:
            await ws.close()
    await asyncio.sleep(0.1)
    async with websockets.connect(url):  # room again once they closed
        pass
