"""Calibrator state per symbol on disk: atomic saves, reload on start, corrupt files quarantined."""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path
from typing import Any

from tnet.storage.atomic import (
    atomic_write_json,
    quarantine,
    read_json_or_quarantine,
    remove_leftover_temps,
)

log = logging.getLogger(__name__)

STATE_VERSION = 1
_SAFE = re.compile(r"^[A-Z0-9]{1,20}$")
MAX_NUMBER = 1e15  # no count, USD sum or weight in a calibration is anywhere near this


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
    """The saved state for `symbol`, or None. An unusable or foreign file is moved aside (or ignored)
    with one warning, and temp files of saves killed half-way are deleted."""
    path = calibration_path(state_dir, symbol)
    remove_leftover_temps(path)
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
    tiers = state.get("tiers", [])
    if not isinstance(tiers, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in tiers):
        return "tiers are not a list of integers"
    if "vol_1m" in state and (_bad_number(state["vol_1m"]) or not state["vol_1m"] > 0):
        return "vol_1m is not a positive number"
    for venue, entry in state["venues"].items():
        weights = entry.get("weights") if isinstance(entry, dict) else None
        if not isinstance(weights, list) or not weights or not all(
            not _bad_number(w) and w >= 0 for w in weights
        ):
            return f"bad weights for {venue}"
        for key, value in entry.items():
            values = value if isinstance(value, list) else [value]
            if any(_bad_number(v) for v in values):
                return f"{venue}.{key} is not a finite number of sane size"
    return None


def _bad_number(value: Any) -> bool:
    """True unless `value` is a JSON number (not a bool, not a string) that is finite and |x| <= MAX_NUMBER."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return True
    return not (math.isfinite(value) and abs(value) <= MAX_NUMBER)
