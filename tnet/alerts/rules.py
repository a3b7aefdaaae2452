"""Alert rules: one validated record per rule, parsed from the TOML config or a `--rule` string."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from tnet.events import VENUES

KINDS = ("zone", "burst", "cluster", "oi", "venue")
COMMON_KEYS = ("name", "symbols", "cooldown")
# Keys each kind accepts besides the common ones (TOML and --rule use the same names).
KIND_KEYS: dict[str, tuple[str, ...]] = {
    "zone": ("min_usd", "within_pct", "within_buckets", "by", "side"),
    "burst": ("min_usd", "window", "side", "venue"),
    "cluster": ("min_usd", "window", "min_count", "side"),
    "oi": ("change_pct", "window", "direction", "venue"),
    "venue": ("for", "venue", "states"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "zone": ("min_usd",),
    "burst": ("min_usd", "window"),
    "cluster": ("min_usd",),
    "oi": ("change_pct", "window"),
    "venue": ("for",),
}
DEFAULT_COOLDOWN_S = 300.0
DEFAULT_CLUSTER_WINDOW_S = 300.0


class RuleError(ValueError):
    """A rule tnet cannot use (the message is one line and names the rule)."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One alert rule. Fields a kind does not use keep their defaults."""

    name: str
    kind: str  # one of KINDS
    symbols: tuple[str, ...] = ()  # () = every watched symbol
    cooldown_s: float = DEFAULT_COOLDOWN_S
    min_usd: float = 0.0  # zone, burst, cluster
    within_pct: float | None = None  # zone: distance from price to the zone's near edge, % of price
    within_buckets: int | None = None  # zone: ... or in price buckets
    by: str = "usd"  # zone: "usd" or "hazard" (USD times the chance price reaches the zone)
    side: str = "any"  # zone, burst, cluster: "long" | "short" | "any"
    window_s: float = 60.0  # burst, cluster, oi
    min_count: int = 3  # cluster
    change_pct: float = 0.0  # oi
    direction: str = "any"  # oi: "up" | "down" | "any"
    venue: str = "all"  # burst, oi, venue
    for_s: float = 0.0  # venue: how long down/stale before it fires
    states: tuple[str, ...] = ("down", "stale")  # venue

    def applies_to(self, symbol: str) -> bool:
        """True when the rule watches `symbol`."""
        return not self.symbols or symbol in self.symbols


_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*(ms|s|m|min|h|d)?\s*$", re.IGNORECASE)
_DURATION_UNITS = {None: 1.0, "ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_USD = re.compile(r"^\s*\$?\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmb])?\s*$", re.IGNORECASE)
_USD_UNITS = {None: 1.0, "k": 1e3, "m": 1e6, "b": 1e9}


def _number(value: Any, what: str, units: dict[Any, float], pattern: re.Pattern[str], example: str) -> float:
    if isinstance(value, bool):
        raise RuleError(f"{what}: expected a number like {example}, got {value!r}")
    if isinstance(value, (int, float)):
        out = float(value)
    elif isinstance(value, str) and (m := pattern.match(value.replace("_", ""))):
        unit = m.group(2).lower() if m.group(2) else None
        out = float(m.group(1)) * units[unit]
    else:
        raise RuleError(f"{what}: expected a number like {example}, got {value!r}")
    if not math.isfinite(out) or out < 0:
        raise RuleError(f"{what}: expected a finite number >= 0, got {value!r}")
    return out


def parse_duration(value: Any, what: str) -> float:
    """Seconds from 90, "90s", "5m", "1h" (a bare number is seconds)."""
    return _number(value, what, _DURATION_UNITS, _DURATION, '"90s", "5m" or "1h"')


def parse_usd(value: Any, what: str) -> float:
    """USD from 2500000, "2.5M", "500k", "$1B"."""
    return _number(value, what, _USD_UNITS, _USD, '2500000, "2.5M" or "500k"')


def parse_pct(value: Any, what: str) -> float:
    """Percent from 0.5 or "0.5%"."""
    if isinstance(value, str):
        value = value.strip().removesuffix("%")
    return _number(value, what, {None: 1.0}, _USD, '0.5 or "0.5%"')


def _choice(value: Any, what: str, choices: tuple[str, ...]) -> str:
    text = str(value).strip().lower()
    if text not in choices:
        raise RuleError(f"{what}: expected one of {', '.join(choices)}, got {value!r}")
    return text


def _names(value: Any, what: str) -> tuple[str, ...]:
    """A list, or text separated by '+' or spaces (commas separate --rule's key=value pairs)."""
    if isinstance(value, str):
        items = re.split(r"[+\s]+", value)
    elif isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        raise RuleError(f"{what}: expected a list of names, got {value!r}")
    out = tuple(dict.fromkeys(i.strip() for i in items if i.strip()))
    if not out:
        raise RuleError(f"{what}: is empty")
    return out


def rule_from_dict(data: dict[str, Any], where: str, default_name: str) -> Rule:
    """Validate one rule's key/value pairs (TOML values or --rule strings) into a Rule."""
    if not isinstance(data, dict):
        raise RuleError(f"{where}: expected a table of key = value pairs")
    if "kind" not in data:
        raise RuleError(f"{where}: missing 'kind' (one of {', '.join(KINDS)})")
    kind = _choice(data["kind"], f"{where} kind", KINDS)
    name = str(data.get("name") or default_name)
    where = f"rule {name!r} ({where})"
    allowed = ("kind",) + COMMON_KEYS + KIND_KEYS[kind]
    for key in data:
        if key not in allowed:
            raise RuleError(f"{where}: unknown key {key!r} for kind {kind} (known: {', '.join(allowed[1:])})")
    for key in REQUIRED[kind]:
        if key not in data:
            raise RuleError(f"{where}: missing {key!r}")
    kw: dict[str, Any] = {"name": name, "kind": kind}
    if "symbols" in data:
        kw["symbols"] = tuple(s.upper() for s in _names(data["symbols"], f"{where} symbols"))
    if "cooldown" in data:
        kw["cooldown_s"] = parse_duration(data["cooldown"], f"{where} cooldown")
    if "min_usd" in data:
        kw["min_usd"] = parse_usd(data["min_usd"], f"{where} min_usd")
    if "window" in data:
        kw["window_s"] = parse_duration(data["window"], f"{where} window")
        if not kw["window_s"] > 0:
            raise RuleError(f"{where} window: must be > 0")
    elif kind == "cluster":
        kw["window_s"] = DEFAULT_CLUSTER_WINDOW_S
    if "side" in data:
        kw["side"] = _choice(data["side"], f"{where} side", ("long", "short", "any"))
    if "venue" in data:
        kw["venue"] = _choice(data["venue"], f"{where} venue", ("all",) + VENUES)
    if kind == "zone":
        if ("within_pct" in data) == ("within_buckets" in data):
            raise RuleError(f"{where}: give exactly one of 'within_pct' or 'within_buckets'")
        if "within_pct" in data:
            kw["within_pct"] = parse_pct(data["within_pct"], f"{where} within_pct")
        else:
            buckets = parse_pct(data["within_buckets"], f"{where} within_buckets")
            if buckets != int(buckets):
                raise RuleError(f"{where} within_buckets: expected a whole number, got {data['within_buckets']!r}")
            kw["within_buckets"] = int(buckets)
        if "by" in data:
            kw["by"] = _choice(data["by"], f"{where} by", ("usd", "hazard"))
    if "min_count" in data:
        count = parse_pct(data["min_count"], f"{where} min_count")
        if count != int(count) or count < 1:
            raise RuleError(f"{where} min_count: expected a whole number >= 1, got {data['min_count']!r}")
        kw["min_count"] = int(count)
    if "change_pct" in data:
        kw["change_pct"] = parse_pct(data["change_pct"], f"{where} change_pct")
        if not kw["change_pct"] > 0:
            raise RuleError(f"{where} change_pct: must be > 0")
    if "direction" in data:
        kw["direction"] = _choice(data["direction"], f"{where} direction", ("up", "down", "any"))
    if "for" in data:
        kw["for_s"] = parse_duration(data["for"], f"{where} for")
    if "states" in data:
        states = tuple(_choice(s, f"{where} states", ("down", "stale")) for s in _names(data["states"], f"{where} states"))
        kw["states"] = states
    return Rule(**kw)


def parse_rule_text(text: str, index: int) -> Rule:
    """`KIND:key=value,key=value`, e.g. `burst:min_usd=1M,window=60s,side=long` (a --rule option)."""
    kind, sep, rest = text.strip().partition(":")
    if not kind:
        raise RuleError(f"bad --rule {text!r}: expected KIND:key=value,... with KIND one of {', '.join(KINDS)}")
    data: dict[str, Any] = {"kind": kind}
    for part in rest.split(",") if sep else []:
        if not part.strip():
            continue
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            raise RuleError(f"bad --rule {text!r}: {part.strip()!r} is not key=value")
        data[key.strip().lower()] = value.strip()
    return rule_from_dict(data, f"--rule #{index}", f"{kind.strip().lower()}-{index}")


def parse_rules(config_rules: Any, cli_rules: list[str] | None = None) -> list[Rule]:
    """Every rule: the config's `[[alerts]]` tables, then `--rule` options. Names must be unique."""
    if config_rules is None:
        config_rules = []
    if not isinstance(config_rules, list):
        raise RuleError("config alerts: expected [[alerts]] tables")
    rules = [rule_from_dict(t, f"config [[alerts]] #{i}", f"{(t or {}).get('kind', 'rule') if isinstance(t, dict) else 'rule'}-{i}")
             for i, t in enumerate(config_rules, 1)]
    rules += [parse_rule_text(text, i) for i, text in enumerate(cli_rules or [], len(rules) + 1)]
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            raise RuleError(f"rule {rule.name!r}: the name is used twice (names must be unique)")
        seen.add(rule.name)
    return rules
