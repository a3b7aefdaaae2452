"""Calibrator state per symbol on disk: atomic saves, reload on start, corrupt files quarantined."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from tnet.storage.atomic import atomic_write_json, quarantine, read_json_or_quarantine

log = logging.getLogger(__name__)

STATE_VERSION = 1
_SAFE = re.compile(r"^[A-Z0-9]{1,20}$")


def calibration_path(state_dir: Path, symbol: str) -> Path:
    """Where one symbol's calibration lives (`<state_dir>/calibration-BTC.json`)."""
    sym = symbol.upper()
    if not _SAFE.match(sym):
        raise ValueError(f"invalid symbol name for a state file: {symbol!r}")
    return Path(state_dir) / f"calibration-{sym}.json"


def save_calibration(state_dir: Path, symbol: str, state: dict[str, Any]) -> Path:
    """Write `SymbolEngine.calibration_state()` atomically (a kill -9 leaves the old or the new file)."""
    path = calibration_path(state_dir, symbol)
    atomic_write_json(path, {"version": STATE_VERSION, "symbol": symbol.upper(), "state": state})
    return path


def load_calibration(state_dir: Path, symbol: str) -> dict[str, Any] | None:
    """The saved state for `symbol`, or None. A corrupt or foreign file is moved aside with a warning."""
    path = calibration_path(state_dir, symbol)
    data = read_json_or_quarantine(path)
    if data is None:
        return None
    problem = _problem(data, symbol)
    if problem:
        quarantine(path, problem)
        return None
    return data["state"]


def _problem(data: Any, symbol: str) -> str | None:
    """Why `data` is not a usable calibration file for `symbol` (None when it is)."""
    if not isinstance(data, dict):
        return "not a JSON object"
    if data.get("version") != STATE_VERSION:
        return f"unknown version {data.get('version')!r}"
    if str(data.get("symbol", "")).upper() != symbol.upper():
        return f"file is for {data.get('symbol')!r}, not {symbol.upper()}"
    state = data.get("state")
    if not isinstance(state, dict) or not isinstance(state.get("venues"), dict):
        return "missing calibration state"
    for venue, entry in state["venues"].items():
        weights = entry.get("weights") if isinstance(entry, dict) else None
        if not isinstance(weights, list) or not weights or not all(
            isinstance(w, (int, float)) and w >= 0 for w in weights
        ):
            return f"bad weights for {venue}"
    return None
