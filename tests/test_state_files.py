"""Damaged state never stops a start: it is moved aside (or ignored) with one warning and the run continues
from the prior. Each case below made every start fail, or crashed later, before."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import replay_to_end

from tnet.engine.engine import SymbolEngine
from tnet.runtime import Runtime
from tnet.storage.calibration import calibration_path, load_calibration, save_calibration

if TYPE_CHECKING:
    from conftest import Recording

T0 = 1_791_565_600_000


def _saved(state_dir: Path) -> dict:
    save_calibration(state_dir, "BTC", SymbolEngine("BTC").calibration_state())
    return json.loads(calibration_path(state_dir, "BTC").read_text())


def _edit(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def damage(state_dir: Path) -> None:
        data = _saved(state_dir)
        change(data["state"])
        calibration_path(state_dir, "BTC").write_text(json.dumps(data))
    return damage


def _set(key: str, value: object) -> Callable[[dict], None]:
    return lambda state: state.__setitem__(key, value)


def _set_venue(key: str, value: object) -> Callable[[dict], None]:
    return lambda state: state["venues"]["bybit"].__setitem__(key, value)


def _directory(state_dir: Path) -> None:
    calibration_path(state_dir, "BTC").mkdir()


def _dev_zero(state_dir: Path) -> None:
    calibration_path(state_dir, "BTC").symlink_to("/dev/zero")


def _too_large(state_dir: Path) -> None:
    with open(calibration_path(state_dir, "BTC"), "wb") as fh:
        fh.truncate(20 << 20)  # 20 MiB (sparse)


DAMAGE: dict[str, Callable[[Path], None]] = {
    "tiers of strings": _edit(_set("tiers", ["x"])),
    "tiers a number": _edit(_set("tiers", 5)),
    "events 1e300": _edit(_set_venue("events", 1e300)),
    "vol_1m 'nan'": _edit(_set("vol_1m", "nan")),
    "weights with a string": _edit(_set_venue("weights", ["0.1"] * 10)),
    "a directory at the path": _directory,
    "a link to /dev/zero": _dev_zero,
    "too large": _too_large,
}


def _run(state_dir: Path, recording: Recording) -> Runtime:
    frames = [(T0 + k * 1000 + 5, "bybit", "market", json.dumps({
        "topic": "tickers.BTCUSDT", "type": "snapshot", "ts": T0 + k * 1000, "cs": k,
        "data": {"symbol": "BTCUSDT", "markPrice": "82650.0", "openInterest": "50000", "openInterestValue": "4e9"}}))
        for k in range(5)]
    return replay_to_end(recording(frames, f"r-{uuid.uuid4().hex[:6]}.jsonl"), state_dir=state_dir, save_state=True)


@pytest.mark.parametrize("name", list(DAMAGE))
def test_damaged_state_is_set_aside_with_one_warning_and_the_run_continues(
        name: str, state_dir: Path, recording: Recording, caplog: pytest.LogCaptureFixture) -> None:
    DAMAGE[name](state_dir)
    with caplog.at_level(logging.WARNING):
        rt = _run(state_dir, recording)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "moved aside" in warnings[0], warnings
    assert rt.storage_errors == 0
    # the run started from the prior and saved a good state where the damaged one was
    assert load_calibration(state_dir, "BTC") is not None
    assert len(list(state_dir.glob("calibration-BTC.json.corrupt-*"))) == 1


def test_a_corrupt_file_in_a_read_only_folder_is_ignored_with_one_warning(
        tmp_path: Path, recording: Recording, caplog: pytest.LogCaptureFixture) -> None:
    ro = tmp_path / f"ro-{uuid.uuid4().hex[:6]}"
    ro.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(ro)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (a read-only folder needs it when running as root)")
    try:
        calibration_path(ro, "BTC").write_text("{not json")
        subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
        with caplog.at_level(logging.WARNING):
            rt = _run(ro, recording)
    finally:
        subprocess.run(["umount", "-l", str(ro)], capture_output=True)
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert "cannot be moved aside" in messages[0] and "ignoring it" in messages[0], messages
    # ... and the save at the end, on a read-only disk, is a storage error: one more line, counted
    assert len(messages) == 2 and "storage error" in messages[1], messages
    assert rt.storage_errors == 1


def test_a_state_with_huge_numbers_never_crashes_the_save(state_dir: Path) -> None:
    # "events": 1e300 loaded (as a float) and then crashed at save; now the file is refused at load
    _edit(_set_venue("events", 1e300))(state_dir)
    assert load_calibration(state_dir, "BTC") is None
    save_calibration(state_dir, "BTC", SymbolEngine("BTC").calibration_state())
    assert os.path.getsize(calibration_path(state_dir, "BTC")) < 1 << 20
