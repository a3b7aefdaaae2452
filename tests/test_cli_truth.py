"""What a script receives is true: no fake zeros, no lost files, tidy output (issue 9, headless half)."""

from __future__ import annotations

import json
import math
import os
import pty
import re
import select
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

PY = sys.executable
ROOT = Path(__file__).resolve().parents[1]
DEAD_SIM = "sim@127.0.0.1:1"  # nothing listens on port 1: every venue is refused at once


def tnet(*args: str, timeout: float = 60, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TNET_")}
    full_env.update(env or {})
    return subprocess.run([PY, "-m", "tnet", *args], capture_output=True, text=True, timeout=timeout,
                          env=full_env, cwd=cwd)


def tnet_on_terminal(*args: str, timeout: float = 60) -> str:
    """Run tnet with stdout and stderr on a pseudo-terminal (as a user at a shell); returns what it wrote."""
    main, sub = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TNET_")}
    env.update(COLUMNS="120", LINES="40", TERM="xterm-256color")
    proc = subprocess.Popen([PY, "-m", "tnet", *args], stdin=subprocess.DEVNULL, stdout=sub, stderr=sub, env=env)
    os.close(sub)
    chunks: list[bytes] = []
    try:
        while True:
            try:
                data = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=timeout)
    finally:
        os.close(main)
        if proc.poll() is None:
            proc.kill()
    return b"".join(chunks).decode("utf-8", errors="replace")


def floats(obj: Any) -> list[float]:
    if isinstance(obj, float):
        return [obj]
    if isinstance(obj, dict):
        return [f for v in obj.values() for f in floats(v)]
    if isinstance(obj, list):
        return [f for v in obj for f in floats(v)]
    return []


@pytest.fixture(scope="module")
def btc_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few seconds of BTC from the in-process simulator, recorded as a user would."""
    path = tmp_path_factory.mktemp("rec") / "btc.jsonl"
    res = tnet("record", str(path), "BTC", "--source", "sim", "--seconds", "3")
    assert res.returncode == 0, res.stderr
    return path


# ----------------------------------------------------------------- no fake zeros
def test_snapshot_with_every_venue_refused_fails_fast_with_one_line() -> None:
    res = tnet("snapshot", "BTC", "--source", DEAD_SIM, "--seconds", "60", "--json", timeout=20)
    assert res.returncode == 1
    assert res.stdout == ""  # a cron job must not log BTC = 0
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "no data for BTC" in lines[0] and "connection refused" in lines[0]


def test_snapshot_before_any_feed_delivered_is_not_a_success() -> None:
    # --seconds 0: the warm start's history gives a price and a map, but no feed has delivered yet
    res = tnet("snapshot", "BTC", "--source", "sim", "--seconds", "0", "--json", "--no-book")
    assert res.returncode == 1  # a script must not take the history for a current snapshot
    snap = json.loads(res.stdout)  # what the history gave is printed
    assert snap["price"] > 0 and snap["warm"]
    assert all(v["state"] == "connecting" for v in snap["health"]["venues"].values())
    # no liquidation feed listened: the tape's totals are unknown, not "nothing liquidated"
    assert snap["tape"]["events"] == [] and snap["tape"]["long_usd"] is None and snap["tape"]["short_usd"] is None
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "no live data for BTC" in lines[0] and "binance connecting" in lines[0], res.stderr


async def test_snapshot_whose_venues_all_went_down_mid_run_is_not_a_success(start_sim: Any, wait_until: Any) -> None:
    import asyncio

    sim = await start_sim()
    proc = await asyncio.create_subprocess_exec(
        PY, "-m", "tnet", "snapshot", "BTC", "--source", f"sim@127.0.0.1:{sim.port}", "--seconds", "60", "--json",
        "--exchanges", "binance,bybit", "--no-book", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if not k.startswith("TNET_")})
    try:
        await wait_until(lambda: {c.venue for c in sim.conns} >= {"binance", "bybit"}, 30, "both venues connected")
        await asyncio.sleep(2.0)  # prices and open interest arrive
        await sim.stop()  # the source goes away mid-collection
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
    assert proc.returncode == 1  # the data is from before the loss: a script must not take it for current
    assert json.loads(out)["price"] > 0  # what came is still printed
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and "every venue went down" in lines[0] and "binance down" in lines[0]


def closed_port() -> int:
    """A loopback port nothing listens on: bound, read, closed."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_collect_into_an_unreachable_redis_fails_at_once_with_one_line(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{closed_port()}/0"
    # --seconds 600: waiting it out instead of failing would hit the subprocess timeout
    res = tnet("collect", "BTC", "--source", "sim", "--redis", url, "--seconds", "600", "--state-dir", str(tmp_path),
               timeout=60)
    assert res.returncode == 2 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and url in lines[0] and "unreachable" in lines[0] and "refused" in lines[0], res.stderr


@pytest.mark.parametrize("command", [["stream", "BTC", "--source", DEAD_SIM],
                                     ["alert", "BTC", "--rule", "burst:min_usd=1M,window=60s", "--source", DEAD_SIM],
                                     ["alert", "BTC", "--rule", "burst:min_usd=1M,window=60s", "--source", "redis://127.0.0.1:{port}/0"]])
def test_stream_and_alert_that_heard_no_feed_are_not_a_success(command: list[str]) -> None:
    # nothing came in the whole run: a script must not take that for a quiet market
    res = tnet(*(arg.format(port=closed_port()) for arg in command), "--seconds", "3")
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "no live data" in lines[0] and "connection refused" in lines[0], res.stderr


def test_replay_of_an_empty_recording_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    for extra in ([], ["--events"]):
        res = tnet("replay", str(empty), *extra)
        assert res.returncode == 1, (extra, res.stdout)
        assert res.stdout == ""
        assert len(res.stderr.strip().splitlines()) == 1 and "empty.jsonl" in res.stderr


def test_snapshot_of_a_symbol_absent_from_the_recording(btc_recording: Path) -> None:
    res = tnet("snapshot", "ETH", "--source", f"replay:{btc_recording}")
    assert res.returncode == 1 and res.stdout == ""
    assert "no data for ETH" in res.stderr and "it holds BTC" in res.stderr


@pytest.mark.parametrize("command", [["snapshot", "BTC", "--json", "--source", "replay:{cut}"],
                                     ["stream", "BTC", "--speed", "max", "--source", "replay:{cut}"],
                                     ["replay", "{cut}", "--json"]])
def test_a_cut_recording_is_used_and_said_to_be_cut(command: list[str], btc_recording: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.jsonl"
    data = btc_recording.read_bytes()
    cut.write_bytes(data[: len(data) - 10])  # a copy cut inside its last line, as a full disk leaves it
    res = tnet(*(arg.format(cut=cut) for arg in command))
    assert res.returncode == 1  # a script must not take part of a file for the whole
    first = json.loads(res.stdout.splitlines()[0])  # what the file did hold is still printed
    assert first.get("price", 1) > 0
    if command[0] == "replay":
        assert "incomplete" in first["truncated"]
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "cut.jsonl" in lines[0] and "incomplete" in lines[0]


def test_snapshot_json_says_null_for_unknowns_not_zero() -> None:
    from tnet.cli.snapshot_schema import snapshot_dict
    from tnet.engine.engine import SymbolEngine

    view = SymbolEngine("BTC", venues=("binance", "okx")).view(1_790_000_000_000)
    snap = snapshot_dict(view, {"venues": {}})
    assert snap["price"] is None
    assert snap["oi"] == {"binance": None, "okx": None, "total_usd": None}


def test_json_has_no_float_noise(btc_recording: Path) -> None:
    from tnet.cli.common import dumps

    assert dumps({"share": 0.1 + 0.2, "bad": math.nan}) == '{"share":0.3,"bad":null}'
    res = tnet("replay", str(btc_recording))
    assert res.returncode == 0, res.stderr
    noisy = [f for f in floats(json.loads(res.stdout)) if float(f"{f:.12g}") != f]
    assert noisy == []
    snap = json.loads(res.stdout)["snapshots"]["BTC"]
    del snap["tape"]["events"]  # the normalized events as the venue gave them (the `replay --events` lines)
    usd = usd_values(snap)
    # to the cent: no 1e-59 USD hazards far from price, no 2512.72282744 on the tape
    assert {"levels.long_usd", "zones.usd", "tape.short_usd", "oi.total_usd"} <= {k for k, _ in usd}
    assert [(k, v) for k, v in usd if v is not None and round(v, 2) != v] == []


def test_every_usd_amount_in_a_snapshot_is_to_the_cent() -> None:
    from tnet.cli.snapshot_schema import snapshot_dict
    from tnet.engine.engine import SymbolEngine
    from tnet.events import BookDepth, Liquidation, MarkPrice, OpenInterest

    eng = SymbolEngine("BTC", venues=("binance", "okx"), bucket_usd=10.0)
    t = 1_790_000_000_000
    eng.on_event(MarkPrice("okx", "BTC", t, t, 1000.0))
    eng.on_event(OpenInterest("okx", "BTC", t, t, 1234.5678901, 1_234_567.8901234))
    eng.on_event(BookDepth("okx", "BTC", t, t, [(999.0, 2.0000123)], [(1001.0, 0.5000077)]))
    for i in range(3):  # three prints in one 0.1 % bin: a tape cluster
        eng.on_event(Liquidation("okx", "BTC", t + i, t + i, "long", 1000.0, 1.000123457, 1000.123456789, fire=1000.0))
    snap = snapshot_dict(eng.view(t + 10), {"venues": {"okx": {"live_share": 1.0}}})
    del snap["tape"]["events"]  # the normalized events as the venue gave them (the `replay --events` lines)
    usd = dict(usd_values(snap))
    assert usd["oi.okx"] == 1_234_567.89 and usd["tape.long_usd"] == 3000.37
    assert usd["tape.clusters.usd"] == 3000.37 and usd["book.bid_usd"] == 1998.01 and usd["book.ask_usd"] == 500.51
    assert [(k, v) for k, v in usd_values(snap) if v is not None and round(v, 2) != v] == []


def usd_values(obj: Any, path: str = "") -> list[tuple[str, Any]]:
    """(path, value) of every USD amount in `obj`: keys `usd`, `*_usd` and the `oi` table (not `bucket_usd`, a width)."""
    out: list[tuple[str, Any]] = []
    if isinstance(obj, list):
        for v in obj:
            out += usd_values(v, path)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            where = f"{path}.{k}" if path else k
            if isinstance(v, (dict, list)):
                out += usd_values(v, where)
            elif (k == "usd" or k.endswith("_usd") or path == "oi") and k != "bucket_usd":
                out.append((where, v))
    return out


# ----------------------------------------------------------------- no lost files
def test_record_refuses_to_overwrite_without_force(btc_recording: Path, tmp_path: Path) -> None:
    before = btc_recording.read_bytes()
    res = tnet("record", str(btc_recording), "BTC", "--source", DEAD_SIM, "--seconds", "1")
    assert res.returncode == 2 and "--force" in res.stderr
    assert btc_recording.read_bytes() == before


def test_record_into_a_directory_says_so_with_or_without_force(tmp_path: Path) -> None:
    for extra in ([], ["--force"]):
        res = tnet("record", str(tmp_path), "BTC", "--source", DEAD_SIM, "--seconds", "1", *extra)
        assert res.returncode == 2 and res.stdout == ""
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and "it is a directory" in lines[0], (extra, lines)  # not "add --force"


def test_record_that_gets_nothing_fails_and_keeps_the_old_file(btc_recording: Path, tmp_path: Path) -> None:
    important = tmp_path / "important.jsonl"
    important.write_bytes(btc_recording.read_bytes())
    res = tnet("record", str(important), "BTC", "--source", DEAD_SIM, "--seconds", "2", "--force")
    assert res.returncode == 1
    assert "recorded nothing" in res.stderr and "unchanged" in res.stderr
    assert important.read_bytes() == btc_recording.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["important.jsonl"]  # no partial file left
    fresh = tmp_path / "fresh.jsonl"
    res = tnet("record", str(fresh), "BTC", "--source", DEAD_SIM, "--seconds", "2")
    assert res.returncode == 1 and not fresh.exists()


def test_record_with_force_replaces_the_file_once_frames_arrived(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl.gz"
    out.write_bytes(b"old")
    res = tnet("record", str(out), "BTC", "--source", "sim", "--seconds", "2", "--force")
    assert res.returncode == 0, res.stderr
    assert out.read_bytes()[:2] == b"\x1f\x8b"  # a gzip recording now
    said = re.search(r"recorded (\d+) frames \(([\d.]+) MB\)", res.stderr)
    assert said is not None and int(said.group(1)) > 0
    assert float(said.group(2)) == pytest.approx(out.stat().st_size / 1e6, abs=0.006)  # the file's size, not the text's
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.jsonl.gz"]


def test_svg_path_is_checked_before_collecting(tmp_path: Path) -> None:
    # sim would collect for 60 s; an unwritable picture path must fail at once
    res = tnet("snapshot", "BTC", "--source", "sim", "--seconds", "60", "--svg", str(tmp_path / "no" / "x.svg"), timeout=15)
    assert res.returncode == 2 and "does not exist" in res.stderr
    res = tnet("snapshot", "BTC", "--source", "sim", "--seconds", "60", "--svg", str(tmp_path), timeout=15)
    assert res.returncode == 2 and "is a directory" in res.stderr


def test_simulator_runs_leave_the_live_state_directory_alone(tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path / "xdg"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    res = tnet("snapshot", "BTC", "--source", "sim", "--seconds", "2", "--json", env=env)
    assert res.returncode == 0, res.stderr
    assert not (tmp_path / "xdg").exists() or not any((tmp_path / "xdg").rglob("*.json"))
    # asked for explicitly, a simulator run keeps its own state where it was told
    own = tmp_path / "own"
    res = tnet("snapshot", "BTC", "--source", "sim", "--seconds", "2", "--json", "--state-dir", str(own), env=env)
    assert res.returncode == 0, res.stderr
    assert any(own.rglob("*.json"))


def test_sim_and_replay_settings_keep_no_state_unless_asked(tmp_path: Path) -> None:
    from tnet.config import build_settings

    rec = tmp_path / "r.jsonl"
    rec.write_text("")
    assert build_settings(source="live").save_state
    assert not build_settings(source="sim").save_state
    assert not build_settings(source=f"replay:{rec}").save_state
    assert build_settings(source="sim", state_dir=tmp_path).save_state


# ----------------------------------------------------------------- tidy output
def test_replay_prints_tables_on_a_terminal_and_json_when_piped(btc_recording: Path) -> None:
    piped = tnet("replay", str(btc_recording))
    summary = json.loads(piped.stdout)
    assert summary["schema"] == "tnet.replay/1"
    assert summary["truncated"] is None and summary["bad_lines"] == []  # a whole file: `select(.truncated)` finds nothing
    shown = tnet_on_terminal("replay", str(btc_recording))
    assert "replay of" in shown and "Zones" in shown
    assert '"schema"' not in shown and len(shown.splitlines()) < 150


def test_snapshot_tape_table_has_a_time_column(btc_recording: Path) -> None:
    shown = tnet_on_terminal("snapshot", "BTC", "--source", f"replay:{btc_recording}", "--table")
    assert "time UTC" in shown


def test_backtest_tables_are_tidy() -> None:
    shown = tnet_on_terminal("backtest", "--sim", "--hours", "2")
    plain = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", shown)  # \x1b[K (erase line) included
    title = plain.index("simulator (seed")  # the first table title
    between = plain[plain.rindex("\r", 0, title) + 1 : title]
    assert between.strip() == "", f"progress glued to the title: {between!r}"
    assert "None" not in plain
    assert "{'" not in plain and "':" not in plain  # no Python dicts


# ----------------------------------------------------------------- basics
def test_version_and_completion() -> None:
    from tnet import __version__

    res = tnet("--version")
    assert (res.returncode, res.stdout.strip()) == (0, f"tnet {__version__}"), res.stderr
    # Typer guesses the shell from the parent processes (not a shell under xdist); name it instead.
    res = tnet("--show-completion", "bash", env={"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"})
    assert res.returncode == 0 and "complete" in res.stdout, (res.stdout[-500:], res.stderr[-500:])


def test_readme_example_config_is_accepted(tmp_path: Path) -> None:
    from tnet.config import build_settings
    from tnet.ui.themes import load_theme

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Configuration"):]
    block = section[section.index("```toml") + len("```toml"): section.index("```", section.index("```toml") + 7)]
    tomllib.loads(block)
    cfg = tmp_path / "config.toml"
    cfg.write_text(block, encoding="utf-8")
    settings = build_settings(config=cfg)
    load_theme(settings.theme)  # `tnet demo` checks the theme the same way before starting
    assert settings.watch, "the example shows the `watch` default symbols"


def run_tui(args: list[str], env: dict[str, str], seconds: float = 1.0) -> tuple[int, str]:
    """Start the TUI on a pseudo-terminal as a user would; once its footer is drawn, wait `seconds`
    and press q. Returns (exit status, everything it wrote)."""
    import time

    main, sub = pty.openpty()
    full = {k: v for k, v in os.environ.items() if not k.startswith("TNET_")}
    full.update(TERM="xterm-256color", **env)
    proc = subprocess.Popen([PY, "-m", "tnet", *args], stdin=sub, stdout=sub, stderr=sub, env=full)
    os.close(sub)
    out = b""
    try:
        give_up = time.monotonic() + 60
        press_at: float | None = None
        while proc.poll() is None and time.monotonic() < give_up:
            if press_at is None and b"Help" in out:  # the app is up and reading keys
                press_at = time.monotonic() + seconds
            if press_at is not None and time.monotonic() >= press_at:
                os.write(main, b"q")
                press_at = float("inf")
            if not select.select([main], [], [], 0.2)[0]:
                continue  # a still screen sends nothing
            try:
                out += os.read(main, 65536)  # drained, so the app never blocks on output
            except OSError:  # the app closed the terminal
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)
    return proc.wait(timeout=10), out.decode("utf-8", errors="replace")


def test_demo_leaves_no_temporary_folder(tmp_path: Path) -> None:
    """`tnet demo` used to create a tnet-demo-* state folder in the temp directory on every run."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    code, _ = run_tui(["demo"], {"TMPDIR": str(scratch), "XDG_STATE_HOME": str(tmp_path / "state")})
    assert code == 0
    assert list(scratch.iterdir()) == []
    assert not (tmp_path / "state").exists()  # and no live calibrator state learned from the simulator


def test_watch_without_symbols_uses_the_config_list(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('watch = ["ETH", "SOL"]\n', encoding="utf-8")
    code, shown = run_tui(["watch", "--config", str(cfg), "--source", DEAD_SIM], {})
    assert code == 0 and "1:ETH" in shown and "2:SOL" in shown and "BTC" not in shown
    code, shown = run_tui(["watch", "--source", DEAD_SIM], {"XDG_CONFIG_HOME": str(tmp_path / "none")})
    assert code == 0 and "1:BTC" in shown


def test_quitting_during_the_warm_start_prints_no_traceback() -> None:
    import socket

    with socket.socket() as silent:  # accepts connections (backlog) and never answers: the warm start hangs
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        code, shown = run_tui(["watch", "BTC", "--source", f"sim@127.0.0.1:{port}"], {}, seconds=0.5)
    assert code == 0
    assert "Traceback" not in shown and "never retrieved" not in shown


# ----------------------------------------------------------------- the order-book section
def test_snapshot_book_is_null_without_book_data(btc_recording: Path, tmp_path: Path) -> None:
    # the recording without its order-book frames (Binance @depth, Bybit orderbook.*, OKX books*)
    bookless = tmp_path / "bookless.jsonl"
    lines = btc_recording.read_text().splitlines(keepends=True)
    bookless.write_text("".join(ln for ln in lines if not re.search(r"depth|orderbook|books", json.loads(ln)["frame"])))
    res = tnet("snapshot", "BTC", "--source", f"replay:{bookless}", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["book"] is None  # no depth in the recording: null, never zeros
    svg = tmp_path / "b.svg"
    res = tnet("snapshot", "BTC", "--source", f"replay:{bookless}", "--svg", str(svg), "--layer", "book")
    assert res.returncode == 0 and "no order book data" in res.stderr and "no order book data" in svg.read_text()


def test_snapshot_book_section_from_the_engine() -> None:
    from tnet.cli.common import dumps
    from tnet.cli.snapshot_schema import snapshot_dict
    from tnet.engine.engine import SymbolEngine
    from tnet.events import BookDepth, MarkPrice

    eng = SymbolEngine("BTC", venues=("binance", "okx"), bucket_usd=10.0)
    t = 1_790_000_000_000
    eng.on_event(MarkPrice("okx", "BTC", t, t, 1000.0))
    eng.on_event(BookDepth("okx", "BTC", t, t, [(999.0, 2.0), (985.0, 1.0)], [(1001.0, 0.5)]))
    snap = json.loads(dumps(snapshot_dict(eng.view(t), {"venues": {}})))
    book = snap["book"]
    assert book["venues"] == ["okx"] and book["ts_ms"] == t
    assert book["bid_usd"] == 999.0 * 2 + 985.0 and book["ask_usd"] == 1001.0 * 0.5
    rows = {lv["price"]: lv for lv in book["levels"]}
    assert [lv["price"] for lv in book["levels"]] == [lv["price"] for lv in snap["levels"]]  # the profile's rows
    assert rows[1000.0] == {"price": 1000.0, "bid_usd": 1998.0, "ask_usd": 500.5}
    assert rows[990.0]["bid_usd"] == 985.0 and rows[1010.0]["ask_usd"] == 0.0


def test_snapshot_rejects_an_unknown_layer_at_once() -> None:
    res = tnet("snapshot", "BTC", "--source", "sim", "--seconds", "60", "--layer", "walls", timeout=15)
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "--layer 'walls'" in res.stderr


# ----------------------------------------------------------------- the tables say what a trader acts on
def _plain(text: str) -> str:
    """Terminal output without colour codes."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def test_level_table_leaves_the_crossed_side_blank() -> None:
    from rich.console import Console

    from tnet.cli.snapshot_schema import snapshot_tables

    # Rows of two $10 buckets (centres 995 ... 1025) around a price of 1,011: each row holds long and short
    # USD on both sides, as the engine's profile does after a sweep (the 30 % a wick leaves).
    levels = [{"price": p, "long_usd": 1000.0 + 10 * (p - 985), "short_usd": 5000.0 + 10 * (p - 985),
               "long_hazard_usd": 0.0, "short_hazard_usd": 0.0} for p in (995.0, 1005.0, 1015.0, 1025.0)]
    snap = {"symbol": "BTC", "ts_ms": 0, "price": 1011.0, "bucket_usd": 5.0, "levels": levels, "zones": [],
            "book": None, "oi": {"total_usd": None}, "calibration": {}, "health": {"venues": {}},
            "tape": {"events": [], "long_usd": 0.0, "short_usd": 0.0, "window_s": 3600}}
    console = Console(record=True, width=120, file=open(os.devnull, "w"))
    console.print(snapshot_tables(snap)[1])
    rows = {cells[0]: cells[1:] for cells in (
        [c.strip() for c in line.split("│")[1:-1]] for line in console.export_text().splitlines()
        if re.match(r"│ +[0-9,]+\.00 │", line))}
    # Buckets at 1,012.5 and 1,017.5 (row 1,015) are above the price: longs there were crossed, shorts not;
    # row 1,005 (buckets 1,002.5 and 1,007.5) is below it: its shorts were crossed. No row holds the price.
    assert rows == {"1,025.00": ["", "$5.40k"], "1,015.00": ["", "$5.30k"],
                    "1,005.00": ["$1.20k", ""], "995.00": ["$1.10k", ""]}
    # A price inside a row's buckets (1,006: bucket 1,007.5 above, 1,002.5 below): that row shows both sides.
    console = Console(record=True, width=120, file=open(os.devnull, "w"))
    console.print(snapshot_tables({**snap, "price": 1006.0})[1])
    row = next(line for line in console.export_text().splitlines() if "1,005.00" in line)
    assert "$1.20k" in row and "$5.20k" in row


def test_tape_table_shows_where_prints_fired_and_the_reported_price(recording: Any) -> None:
    from alert_recording import LIQ_PRICE, alert_frames, ms

    # Bybit reports the bankruptcy price (a long's lies below where it fired); Binance the fill (where it fired).
    bybit = [(ms(260 + k), "bybit", "market", json.dumps({
        "topic": "allLiquidation.BTCUSDT", "type": "snapshot", "ts": ms(260 + k), "data": [
            {"T": ms(260 + k) - 5, "s": "BTCUSDT", "S": "Buy", "v": "0.5", "p": f"{49_700.0 - k:.2f}"}]}))
        for k in range(2)]
    rec = recording(sorted(alert_frames() + bybit, key=lambda f: f[0]))
    res = tnet("snapshot", "BTC", "--source", f"replay:{rec}", "--json")
    assert res.returncode == 0, res.stderr
    events = json.loads(res.stdout)["tape"]["events"]
    by_venue: dict[str, Any] = {}
    for ev in events:  # newest first: the newest print of each venue
        by_venue.setdefault(ev["venue"], ev)
    assert by_venue["bybit"]["price"] == 49_700.0 - 1 and by_venue["bybit"]["fire"] > 49_700.0  # JSON: both
    assert by_venue["binance"]["fire"] == by_venue["binance"]["price"] == LIQ_PRICE
    for command in (["snapshot", "BTC", "--source", f"replay:{rec}", "--table"], ["replay", str(rec)]):
        shown = _plain(tnet_on_terminal(*command))
        rows = [line for line in shown.splitlines() if re.match(r"│ \d\d:\d\d:\d\d │", line)]  # the tape's
        bybit_rows = [r for r in rows if "bybit" in r]
        assert len(bybit_rows) == 2 and len(rows) == 15, shown
        fired = f"{by_venue['bybit']['fire']:,.2f}"
        assert fired in bybit_rows[0] and "bk 49,699.00" in bybit_rows[0]
        assert bybit_rows[0].index(fired) < bybit_rows[0].index("bk 49,699.00")  # where it fired, then the report
        assert all(f"{LIQ_PRICE:,.2f}" in r and "bk" not in r for r in rows if "binance" in r)
        assert "fired at" in shown and "reported" in shown
