"""`tnet alert` on a replayed recording whose alert-worthy moments are known by construction (tests/alert_recording.py)."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from alert_recording import BURSTS_S, BYBIT_SILENT_S, OI_STEP_S, T0, alert_frames

RULES = [
    "burst:name=longs,min_usd=200k,window=30s,side=long,cooldown=120s",
    "burst:name=longs30,min_usd=200k,window=30s,side=long,cooldown=30s",
    "burst:name=shorts,min_usd=1k,window=30s,side=short",
    "burst:name=big,min_usd=300k,window=30s",
    "cluster:name=cluster,min_usd=150k,window=300s",
    "oi:name=oi4,change_pct=4,window=60s",
    "oi:name=oi6,change_pct=6,window=60s",
    "oi:name=oi_binance,venue=binance,change_pct=8,window=60s",
    "oi:name=oi_down,change_pct=4,window=60s,direction=down",
    "venue:name=stale10,for=10s",
    "venue:name=stale60,for=60s",
]
SECRET = "s3cr3t-t0ken"


@pytest.fixture
def rec(recording: Any) -> Path:
    return recording(alert_frames())


def run_alert(rec: Path, *extra: str, timeout: float = 60) -> tuple[list[dict[str, Any]], str, int]:
    args = [sys.executable, "-m", "tnet", "alert", "--source", f"replay:{rec}", "--exchanges", "binance,bybit"]
    for rule in RULES:
        args += ["--rule", rule]
    proc = subprocess.run(args + list(extra), capture_output=True, text=True, timeout=timeout)
    return [json.loads(line) for line in proc.stdout.splitlines()], proc.stderr, proc.returncode


def at_s(alert: dict[str, Any]) -> float:
    return (alert["ts_ms"] - T0) / 1000


def test_each_rule_fires_when_it_should_once_per_cooldown_and_never_otherwise(rec: Path) -> None:
    alerts, stderr, code = run_alert(rec)
    assert code == 0, stderr
    assert "Traceback" not in stderr
    fired: dict[str, list[float]] = {}
    for a in alerts:
        assert a["schema"] == "tnet.alert/1" and a["message"]
        fired.setdefault(a["rule"], []).append(at_s(a))
    # Bursts of five $60k long prints one a second from 50 s, 100 s and 250 s: the 4th print (at +3.3 s)
    # crosses $200k and the next evaluation (at most 1 s later) fires. 100 s is inside the 120 s cooldown.
    first, second, third = BURSTS_S
    assert len(fired["longs"]) == 2
    assert first + 3.3 <= fired["longs"][0] < first + 4.3
    assert third + 3.3 <= fired["longs"][1] < third + 4.3
    # With a 30 s cooldown every burst fires, each exactly once.
    assert [b + 3.3 <= t < b + 4.3 for b, t in zip(BURSTS_S, fired["longs30"])] == [True] * 3
    assert len(fired["longs30"]) == 3
    # One cluster forms at the 3rd print of the first burst; later prints at the same price are the same cluster.
    assert len(fired["cluster"]) == 1 and first + 2.3 <= fired["cluster"][0] < first + 3.3
    # Binance OI +10 % (total +5 %) at the first poll from 200 s (202.8 s).
    assert len(fired["oi4"]) == 1 and OI_STEP_S + 2.8 <= fired["oi4"][0] < OI_STEP_S + 3.8
    assert len(fired["oi_binance"]) == 1 and fired["oi_binance"] == fired["oi4"]
    oi = next(a for a in alerts if a["rule"] == "oi4")["data"]
    assert oi["change_pct"] == pytest.approx(5.0, abs=1e-6) and oi["to_usd"] == pytest.approx(105e6)
    # Bybit is silent from 120 s: stale once its canary is 5 s old (124.7 s), reported after 10 s of it.
    assert len(fired["stale10"]) == 1 and BYBIT_SILENT_S[0] + 14.7 <= fired["stale10"][0] < BYBIT_SILENT_S[0] + 16.7
    stale = next(a for a in alerts if a["rule"] == "stale10")
    assert stale["data"]["venue"] == "bybit" and stale["data"]["state"] == "stale" and stale["symbol"] is None
    for quiet in ("shorts", "big", "oi6", "oi_down", "stale60"):
        assert quiet not in fired, fired[quiet]


def test_exec_receives_each_alert_json_on_stdin(rec: Path, tmp_path: Path) -> None:
    out = tmp_path / "received.ndjson"
    alerts, stderr, code = run_alert(rec, "--exec", f"cat >> '{out}'")
    assert code == 0, stderr
    received = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(alerts) == 9
    assert received == alerts


class _Hook(BaseHTTPRequestHandler):
    """Records POSTs; answers 503 to the first one (a retry must follow), 200 after."""

    bodies: list[tuple[str, bytes]] = []
    fail_first = True

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["content-length"]))
        type(self).bodies.append((self.path, body))
        status = 503 if type(self).fail_first and len(type(self).bodies) == 1 else 200
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_webhook_receives_every_alert_after_a_retry_and_the_secret_is_never_printed(rec: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    _Hook.bodies = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks/{SECRET}?token={SECRET}"
        alerts, stderr, code = run_alert(rec, "--webhook", url)
    finally:
        server.shutdown()
    assert code == 0, stderr
    assert len(_Hook.bodies) == len(alerts) + 1  # the first alert was sent twice (503, then 200)
    assert {p for p, _ in _Hook.bodies} == {f"/hooks/{SECRET}?token={SECRET}"}
    delivered = [json.loads(b) for _, b in _Hook.bodies]
    assert sorted(delivered[1:], key=lambda a: (a["ts_ms"], a["rule"])) == sorted(alerts, key=lambda a: (a["ts_ms"], a["rule"]))
    assert SECRET not in stderr


def _dead_server() -> socket.socket:
    """Accepts TCP connections (the kernel's backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


def test_a_dead_webhook_delays_no_alert_and_is_reported_without_its_secret(rec: Path) -> None:
    dead = _dead_server()
    try:
        url = f"http://127.0.0.1:{dead.getsockname()[1]}/{SECRET}"
        started = time.monotonic()
        alerts, stderr, code = run_alert(rec, "--webhook", url)
        took = time.monotonic() - started
    finally:
        dead.close()
    assert code == 0, stderr
    assert len(alerts) == 9  # every alert printed, the webhook notwithstanding
    assert "not delivered" in stderr and SECRET not in stderr and "http://127.0.0.1" in stderr
    assert took < 30  # bounded: a 5 s grace at exit, not 9 alerts x 4 attempts x 5 s


async def test_the_feed_runs_on_while_a_webhook_hangs(rec: Path) -> None:
    """In process: every alert reaches the listeners while the webhook's first POST is still hanging."""
    from tnet.alerts.deliver import WebhookSink
    from tnet.alerts.monitor import AlertMonitor
    from tnet.alerts.rules import parse_rules
    from tnet.config import Settings, Source
    from tnet.runtime import Runtime
    from tnet.symbols import resolve_all

    dead = _dead_server()
    warnings: list[str] = []
    sink = WebhookSink(f"http://127.0.0.1:{dead.getsockname()[1]}/x", warnings.append, timeout_s=60)
    settings = Settings(source=Source("replay", path=rec), exchanges=("binance", "bybit"), save_state=False,
                        speed=100.0)  # 300 recorded seconds in 3 s: the loop yields between frames
    runtime = Runtime(resolve_all(["BTC"]), settings)
    monitor = AlertMonitor(runtime, parse_rules([], RULES))
    seen: list[tuple[int, int]] = []  # (alerts so far, webhook deliveries finished) at each alert

    def listener(alert: Any) -> None:
        sink.submit(json.dumps(alert.to_dict()).encode())
        seen.append((len(seen) + 1, sink.delivered + sink.failed))

    monitor.listeners.append(listener)
    sink.start()
    try:
        await runtime.start()
        await asyncio.wait_for(runtime.run(), 30)
        assert len(seen) == 9
        assert all(done == 0 for _, done in seen)  # the first POST never finished, the feed went on
        assert sink.queue.qsize() == 8  # the first alert is in flight, the rest wait their turn
    finally:
        await runtime.stop()
        await sink.close(0.1)
        dead.close()
    assert warnings and "9 alert(s) not delivered" in warnings[-1]
