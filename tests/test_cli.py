"""The command-line contract: help, one-line errors, exit codes, headless commands never load Textual."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tnet.venues import NAMES, RECORDS

PY = sys.executable


def tnet(*args: str, timeout: float = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("TNET_SOURCE", None)
    return subprocess.run(
        [PY, "-m", "tnet", *args], capture_output=True, text=True, timeout=timeout, env=full_env
    )


def test_help_lists_every_command() -> None:
    res = tnet("--help")
    assert res.returncode == 0
    for cmd in ("watch", "demo", "snapshot", "health", "record", "replay", "sim", "backtest"):
        assert cmd in res.stdout
    about = " ".join(res.stdout.split())  # help text wraps lines
    assert "(Binance, Bybit, OKX, Gate, Hyperliquid, Bitget)" in about  # each venue as it spells itself


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\nfrom tnet.cli import app, _register\n_register()\n"
        "heavy = [m for m in ('textual', 'numpy', 'websockets', 'httpx') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    res = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == ""


@pytest.mark.parametrize(
    "args, needle",
    [
        (["snapshot", "NOTACOIN", "--seconds", "0"], "unknown symbol 'NOTACOIN'"),
        (["health", "--source", "bogus"], "bad --source 'bogus'"),
        (["health", "--exchanges", "kraken"], "unknown exchange 'kraken'"),
        (["replay", "/no/such/recording.jsonl"], "not a readable file"),
        (["snapshot", "BTC", "--config", "/no/such/config.toml"], "does not exist"),
        # what Click itself rejects: the same one line, not its usage block
        (["snapshot", "BTC", "--seconds", "abc"], "Invalid value for '--seconds'"),
        (["stream", "BTC", "--levels-every", "0"], "Invalid value for '--levels-every'"),
        (["snapshot"], "Missing argument 'symbol'"),
        (["snapshot", "BTC", "--bogus"], "No such option: --bogus"),
        (["replay", "rec.jsonl", "SOL"], "unexpected extra argument"),
        (["snapshto", "BTC"], "No such command 'snapshto'"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(args: list[str], needle: str) -> None:
    res = tnet(*args)
    assert res.returncode == 2
    assert needle in res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert res.stderr.startswith("tnet: error: ") and res.stdout == ""


def test_tnet_alone_still_prints_the_help() -> None:
    res = tnet()
    assert res.returncode == 2 and "Commands:" in res.stdout + res.stderr and "snapshot" in res.stdout + res.stderr


def test_health_with_no_route_reports_every_venue_down_quickly(tmp_path: Path) -> None:
    # Every venue pointed at a closed loopback port: the test never leaves 127.0.0.1.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        "".join(
            f'[endpoints.{v}]\nws = "ws://127.0.0.1:{port}"\nrest = "http://127.0.0.1:{port}"\n'
            for v in NAMES
        )
    )
    t0 = time.monotonic()
    res = tnet("health", "--config", str(cfg), "--seconds", "2", "--json")
    elapsed = time.monotonic() - t0
    assert res.returncode == 2, res.stderr
    assert elapsed < 10
    report = json.loads(res.stdout)
    assert set(report["venues"]) == set(NAMES)
    for venue in report["venues"].values():
        assert venue["state"] == "down"
        assert venue["reason"] == "connection refused"
    for name in [n for n in NAMES if RECORDS[n].depth is not None]:  # the venues with a depth feed
        book = report["venues"][name]["book"]
        assert (book["state"], book["reason"]) == ("down", "connection refused")
    assert "Traceback" not in res.stderr


def test_headless_health_against_the_simulator_never_imports_textual() -> None:
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom tnet.cli import app, _register\n_register()\n"
        "r = CliRunner().invoke(app, ['health', 'BTC', '--source', 'sim', '--seconds', '4', '--json'])\n"
        "print(r.exit_code)\nprint(r.stdout.splitlines()[-1])\nprint('textual' in sys.modules)"
    )
    res = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    exit_code, payload, textual_loaded = res.stdout.strip().splitlines()[-3:]
    report = json.loads(payload)
    assert textual_loaded == "False"
    assert exit_code == "0", report
    for name in NAMES:
        v = report["venues"][name]
        assert v["state"] == "live"
        assert v["msgs_per_s"] > 0
        assert v["latency_ms_p50"] is not None and v["latency_ms_p50"] >= 0
        if RECORDS[name].depth is not None:  # books are on by default, for the venues with a depth feed
            assert v["book"]["state"] == "synced" and v["book"]["desyncs"] == 0


def test_options_read_tnet_environment_variables() -> None:
    res = tnet("health", env={"TNET_EXCHANGES": "kraken"})
    assert res.returncode == 2 and "unknown exchange 'kraken'" in res.stderr
    res = tnet("backtest", "--bars", "/no/such.csv", env={"TNET_COLUMNS": "ts=a"})
    assert res.returncode != 0 and "Traceback" not in res.stderr
