"""Fault-injection settings and the sim's option parsers (faults string, leverage-mix JSON)."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Faults:
    """What goes wrong on purpose. Times are wall-clock seconds."""

    drop_s: float | None = None  # close every connection every drop_s seconds
    stall_s: float | None = None  # stop sending for stall_s seconds once per stall_every_s
    stall_every_s: float = 60.0
    malformed: float = 0.0  # fraction of data frames corrupted (truncated, garbage, wrong types)
    burst: float = 1.0  # multiplies the liquidation rate (passed to the Market)
    book_gap: float = 0.0  # fraction of depth updates never sent (a client's sequence chain breaks)
    book_dup: float = 0.0  # fraction of depth updates sent twice
    book_stale: float = 0.0  # fraction of Binance depth snapshots served from seconds ago


_KEYS = {"drop": "drop_s", "stall": "stall_s", "stall_every": "stall_every_s", "malformed": "malformed",
         "burst": "burst", "book_gap": "book_gap", "book_dup": "book_dup", "book_stale": "book_stale"}


def parse_faults(text: str) -> Faults:
    """Parse "drop=30,stall=5,malformed=0.01,burst=10,book_gap=0.01" (any subset). ValueError with a one-line message."""
    values: dict[str, float] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, raw = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in _KEYS:
            raise ValueError(f"bad fault {part!r}: expected key=value with key one of {', '.join(_KEYS)}")
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"bad fault {part!r}: {raw.strip()!r} is not a number") from None
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"bad fault {part!r}: value must be a finite number >= 0")
        if key in ("drop", "stall", "stall_every", "burst") and value == 0:
            raise ValueError(f"bad fault {part!r}: value must be > 0")
        if key in ("malformed", "book_gap", "book_dup", "book_stale") and value > 1:
            raise ValueError(f"bad fault {part!r}: {key} is a fraction between 0 and 1")
        values[_KEYS[key]] = value
    faults = Faults(**values)  # type: ignore[arg-type]
    if faults.stall_s is not None and faults.stall_s >= faults.stall_every_s:
        raise ValueError(f"bad faults {text!r}: stall must be shorter than stall_every ({faults.stall_every_s:g} s)")
    return faults


def _load_json_object(text_or_path: str, what: str, shape: str) -> dict:
    """A non-empty JSON object from text or a file; ValueError with a one-line message naming `what`."""
    text = text_or_path.strip()
    if not text.startswith("{"):
        if not os.path.isfile(text_or_path):
            raise ValueError(f"{what} {text_or_path!r} is neither JSON nor a readable file")
        try:
            with open(text_or_path, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise ValueError(f"cannot read {what} file {text_or_path!r}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{what} must be a JSON object: {shape}")
    return data


def load_leverage_mix(text_or_path: str) -> dict[str, dict[int, float]]:
    """A per-venue mix from JSON text or a JSON file: {"binance": {"10": 0.5, "25": 0.5}, ...}.

    Validated and normalised (tnet.sim.market.normalize_mix); ValueError with a one-line message.
    """
    from tnet.sim.market import normalize_mix

    data = _load_json_object(text_or_path, "leverage mix", "venue -> {leverage tier: weight}")
    mix = normalize_mix(data)
    return {venue: mix[venue] for venue in data}


def load_risk_mix(text_or_path: str) -> dict[str, dict[str, float]]:
    """A per-venue risk mix from JSON text or a file: {"okx": {"isolated": 0.1, "cross": 0.9}, ...}.

    Validated and normalised (tnet.sim.market.normalize_risk_mix); ValueError with a one-line message.
    """
    from tnet.sim.market import normalize_risk_mix

    data = _load_json_object(text_or_path, "risk mix", "venue -> {kind: share of open interest}")
    mix = normalize_risk_mix(data)
    return {venue: mix[venue] for venue in data}
