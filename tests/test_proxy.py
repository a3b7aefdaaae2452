"""A proxy carries WebSockets and REST alike (geo-blocked servers depend on it), tested on loopback.

The venues are addressed as `sim.test`, a name only the test's HTTP proxy knows (it maps every
host to the simulator on 127.0.0.1), so data can only arrive if tnet really goes through the proxy.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import pipe
from tnet.config import Settings, Source
from tnet.connectors.base import Endpoints
from tnet.runtime import Runtime
from tnet.sim.venues import base_path
from tnet.symbols import resolve_all
from tnet.venues import NAMES

if TYPE_CHECKING:
    from conftest import StartSim, WaitUntil


async def _run_until_live(settings: Settings, wait_until: WaitUntil) -> None:
    """Start a runtime, wait until every venue is live and the warm start has run, stop it."""
    rt = Runtime(resolve_all(["BTC"]), settings)
    await rt.start()
    try:
        await wait_until(lambda: all(v["state"] == "live" for v in rt.health()["venues"].values()), 20,
                         "every venue live through the proxy")
        assert rt.view("BTC", heatmap=False).warm
    finally:
        await rt.stop()


@pytest.fixture
async def sim_and_proxy(start_sim: StartSim) -> AsyncIterator[tuple[int, int, list[str]]]:
    sim = await start_sim(["BTC"], seed=2)
    seen: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        method, target, _version = head.split(b"\r\n", 1)[0].decode().split(" ")
        seen.append(f"{method} {target}")
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", sim.port)
        if method == "CONNECT":  # a tunnel (WebSockets, HTTPS)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:  # plain-HTTP forwarding: absolute-form request line -> origin form
            path = "/" + target.split("://", 1)[1].split("/", 1)[1]
            up_writer.write(head.replace(target.encode(), path.encode(), 1))
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    proxy = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield sim.port, proxy.sockets[0].getsockname()[1], seen
    finally:
        proxy.close()


async def test_websockets_and_rest_go_through_the_configured_proxy(sim_and_proxy: tuple[int, int, list[str]],
                                                                  state_dir: Path, wait_until: WaitUntil) -> None:
    sim_port, proxy_port, seen = sim_and_proxy
    base = f"sim.test:{sim_port}"
    settings = Settings(
        source=Source("live"), state_dir=state_dir, save_state=False, proxy=f"http://127.0.0.1:{proxy_port}",
        endpoints={v: Endpoints(ws=f"ws://{base}{base_path(v)}", rest=f"http://{base}{base_path(v)}") for v in NAMES},
    )
    await _run_until_live(settings, wait_until)  # live WebSockets, and warm: the REST history came through too
    assert sum(s.startswith(f"CONNECT {base}") for s in seen) >= len(NAMES)  # one tunnel per venue WebSocket
    assert any(s.startswith(f"GET http://{base}/fapi/v1/klines") for s in seen)  # REST, forwarded


@pytest.fixture
async def socks_proxy(sim_and_proxy: tuple[int, int, list[str]]) -> AsyncIterator[tuple[int, int, list[str]]]:
    """A minimal SOCKS5 server (no auth, CONNECT only) that maps every host to the simulator."""
    sim_port = sim_and_proxy[0]
    seen: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _ver, n = await reader.readexactly(2)
        await reader.readexactly(n)
        writer.write(b"\x05\x00")  # no authentication
        _ver, _cmd, _rsv, atyp = await reader.readexactly(4)
        if atyp == 3:  # domain name: the client left name resolution to the proxy (socks5h)
            host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
        else:
            host = ".".join(str(b) for b in await reader.readexactly(4 if atyp == 1 else 16))
        port = int.from_bytes(await reader.readexactly(2), "big")
        seen.append(f"{host}:{port}")
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", sim_port)
        writer.write(b"\x05\x00\x00\x01" + bytes(4) + (0).to_bytes(2, "big"))
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield sim_port, server.sockets[0].getsockname()[1], seen
    finally:
        server.close()


async def test_socks5_proxy_from_all_proxy(socks_proxy: tuple[int, int, list[str]], state_dir: Path,
                                           wait_until: WaitUntil, monkeypatch: pytest.MonkeyPatch) -> None:
    sim_port, proxy_port, seen = socks_proxy
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", f"socks5h://127.0.0.1:{proxy_port}")  # the usual `ssh -D` setup
    base = f"sim.test:{sim_port}"
    settings = Settings(
        source=Source("live"), state_dir=state_dir, save_state=False,
        endpoints={v: Endpoints(ws=f"ws://{base}{base_path(v)}", rest=f"http://{base}{base_path(v)}") for v in NAMES},
    )
    await _run_until_live(settings, wait_until)
    assert seen.count(base) >= len(NAMES) + 1  # every venue's WebSocket and the REST calls, by name through SOCKS
