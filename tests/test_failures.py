"""Failures are named for what they are: a full disk is a storage error, a dead task or a failing output stops
the run loudly (one line, exit 3), never a silent exit 0 or a feed shown as down."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import pytest
from conftest import replay_to_end

from tnet.config import Settings, Source
from tnet.runtime import RunFailed, Runtime
from tnet.storage.recording import (
    ReadReport,
    RecordingWriter,
    StorageError,
    read_recording,
)
from tnet.symbols import resolve_all

if TYPE_CHECKING:
    from conftest import Recording

PY = sys.executable
T0 = 1_791_565_600_000


def tnet(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "tnet", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: a disk that fills within seconds of recording."""
    mnt = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {res.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_full_disk_during_record_is_a_storage_error_with_the_recording_intact(small_disk: Path) -> None:
    out = small_disk / "rec.jsonl"
    res = tnet("record", str(out), "BTC", "--source", "sim", "--seconds", "40")
    assert res.returncode == 3, res.stderr
    assert "Traceback" not in res.stderr
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("tnet: error:")]
    assert len(errors) == 1 and "storage error" in errors[0] and "No space left on device" in errors[0], res.stderr
    assert "network error" not in res.stderr and "down" not in res.stderr
    count = next(ln for ln in res.stderr.splitlines() if "recorded" in ln)
    frames = int(count.split("recorded ")[1].split()[0])
    # What was written reads back: every complete line is a valid record, at most the last one is cut.
    report = ReadReport()
    records = list(read_recording(out, report))
    assert len(records) >= 2 and records[0].stream == "meta"
    assert report.bad_lines in ([], [report.lines])
    assert len(records) - 1 <= frames


def test_writer_reports_a_full_disk_once_and_never_raises_on_close() -> None:
    writer = RecordingWriter(Path("/dev/full"))
    writer.write(1, "binance", "market", "x" * 10)  # buffered
    with pytest.raises(StorageError, match="No space left on device"):
        for _ in range(10_000):
            writer.write(1, "binance", "market", "x" * 100)
    with pytest.raises(StorageError):
        writer.flush()
    writer.close()  # does not raise
    assert "No space left on device" in writer.error


def _replay_settings(path: Path) -> Settings:
    return Settings(source=Source("replay", path=path), speed=0.0, save_state=False, warm_start=False)


def _frames(n: int) -> Iterator[tuple[int, str, str, str]]:
    for k in range(n):
        t = T0 + k * 1000
        yield t + 5, "bybit", "market", orjson.dumps({"topic": "tickers.BTCUSDT", "type": "snapshot", "ts": t, "cs": t,
            "data": {"symbol": "BTCUSDT", "markPrice": "82650.0", "openInterest": "50000", "openInterestValue": "4e9"}}).decode()


def _run_expecting(rt: Runtime, failure: str) -> None:
    """Start `rt`; its run must stop early with RunFailed matching `failure`."""

    async def main() -> None:
        await rt.start()
        try:
            with pytest.raises(RunFailed, match=failure):
                await asyncio.wait_for(rt.run(), 10)
        finally:
            await rt.stop()

    asyncio.run(main())


def test_a_failing_hook_stops_the_run_loudly(recording: Recording) -> None:
    path = recording(_frames(50))
    seen: list[int] = []

    def output(evs: list) -> None:  # type: ignore[type-arg]
        seen.append(len(evs))
        if len(seen) == 10:
            raise ValueError("cannot serialise")

    rt = Runtime(resolve_all(["BTC"]), _replay_settings(path), engines=False)
    rt.event_hooks.append(output)
    _run_expecting(rt, "event hook failed: ValueError: cannot serialise")
    assert rt.failure is not None and not rt.failure.storage


def test_a_background_task_that_dies_stops_the_run(recording: Recording, monkeypatch: pytest.MonkeyPatch) -> None:
    path = recording(_frames(5))
    rt = Runtime(resolve_all(["BTC"]), _replay_settings(path))

    def broken(*_a: object) -> None:
        raise MemoryError("boom")

    monkeypatch.setattr(rt, "apply_history", broken)  # the replay task calls it at the first market frame
    _run_expecting(rt, "task replay failed: MemoryError: boom")


def test_replay_events_that_cannot_be_written_never_exit_zero(recording: Recording) -> None:
    # A frame whose exchange time is 1e300 used to kill the writer; the replay stopped early with exit 0.
    frames = list(_frames(20))
    bad = orjson.loads(frames[10][3])
    bad["ts"] = 1e300
    frames[10] = (frames[10][0], "bybit", "market", orjson.dumps(bad).decode())
    path = recording(frames)
    res = tnet("replay", str(path), "--events", "--symbols", "BTC", "--exchanges", "bybit")
    lines = res.stdout.splitlines()
    assert "Traceback" not in res.stderr
    assert res.returncode == 0, res.stderr  # the frame is junk now: every other event is printed
    assert len(lines) == 19 * 2  # mark and open interest per good frame
    # ... and an output that fails midway (a closed pipe) is an error, not a silent 0.
    proc = subprocess.Popen([PY, "-m", "tnet", "replay", str(path), "--events", "--symbols", "BTC",
                             "--exchanges", "bybit"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(30) != 0, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()  # said in words, not as "event hook failed: BrokenPipeError: [Errno 32]"
    assert len(lines) == 1 and "output closed" in lines[0] and "Errno" not in lines[0], err


def test_state_save_that_fails_is_one_warning_and_counted(tmp_path: Path, recording: Recording,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the state directory should be")
    rt = replay_to_end(recording(_frames(5)), ["BTC", "ETH"], state_dir=blocker / "state", save_state=True)
    rt.save_state()  # every later save fails too, without another line
    assert rt.storage_errors == 4  # two symbols, two saves: counted
    assert rt.stats()["storage_errors"] == 4
    assert len([r for r in caplog.records if "storage error" in r.getMessage()]) == 1
