"""Shared test fixtures: one way to wait, loopback simulators, a state directory, recordings.

Every fixture gives each test its own ports (port 0) and directories (tmp_path), so the suite runs
in parallel under pytest-xdist without collisions.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from tnet.config import Settings, Source
from tnet.runtime import Runtime
from tnet.sim.server import SimServer, parse_faults
from tnet.storage.recording import RecordingWriter

WaitUntil = Callable[[Callable[[], object], float, str], Awaitable[None]]
StartSim = Callable[..., Awaitable[SimServer]]
SimSettings = Callable[..., Settings]


async def _wait_until(cond: Callable[[], object], timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.05)


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, gate: asyncio.Event | None = None) -> None:
    """Copy bytes until EOF (a test proxy's one direction); while `gate` is clear, hold them."""
    try:
        while data := await reader.read(65536):
            if gate is not None:
                await gate.wait()
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


@pytest.fixture
def wait_until() -> WaitUntil:
    """`await wait_until(cond, timeout_s, what)`: poll `cond` until true, fail naming `what`."""
    return _wait_until


@pytest.fixture
async def start_sim() -> AsyncIterator[StartSim]:
    """`await start_sim(symbols=[...], seed=1, faults="drop=3", ...)`: a loopback simulator on its own
    ephemeral port, stopped when the test ends."""
    started: list[SimServer] = []

    async def start(symbols: Iterable[str] = ("BTC",), seed: int = 1, faults: str | None = None,
                    **kw: Any) -> SimServer:
        if faults is not None:
            kw["faults"] = parse_faults(faults)
        sim = SimServer(port=0, symbols=list(symbols), seed=seed, **kw)
        await sim.start()
        started.append(sim)
        return sim

    yield start
    for sim in reversed(started):
        await sim.stop()


def remote_settings(sim: SimServer, **kw: Any) -> Settings:
    """Settings for a runtime that connects to `sim` over loopback (no state saved unless asked)."""
    kw.setdefault("save_state", False)
    return Settings(source=Source("sim", host="127.0.0.1", port=sim.port), **kw)


@pytest.fixture
def sim_settings() -> SimSettings:
    """`sim_settings(sim, **settings)`: Settings pointing a runtime at a started simulator."""
    return remote_settings


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    """An empty state directory of this test's own."""
    d = tmp_path / "state"
    d.mkdir()
    return d


Frame = tuple[int, str, str, str | bytes]  # (recv_ms, venue, stream, frame)


Recording = Callable[..., Path]


@pytest.fixture
def recording(tmp_path: Path) -> Recording:
    """`recording(frames, name="rec.jsonl")`: a real recording file written by RecordingWriter."""

    def write(frames: Iterable[Frame], name: str = "rec.jsonl") -> Path:
        path = tmp_path / name
        writer = RecordingWriter(path)
        try:
            for recv_ms, venue, stream, frame in frames:
                writer.write(recv_ms, venue, stream, frame)
        finally:
            writer.close()
        return path

    return write


def replay_to_end(path: Path, symbols: Iterable[str] = ("BTC",), **settings: Any) -> Runtime:
    """Replay a recording through a Runtime (parsers, guard, engines) as fast as possible; the stopped runtime.

    Settings default to no warm start and no saved state; any Settings field can be given.
    """
    from tnet.symbols import resolve_all

    settings.setdefault("save_state", False)
    settings.setdefault("warm_start", False)
    rt = Runtime(resolve_all(list(symbols)), Settings(source=Source("replay", path=path), speed=0.0, **settings))

    async def main() -> None:
        await rt.start()
        try:
            await asyncio.wait_for(rt.run(), 60)
        finally:
            await rt.stop()

    asyncio.run(main())
    return rt

