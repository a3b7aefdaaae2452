"""Settings: config file (TOML), `TNET_*` environment variables and command-line options, merged."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tnet.connectors.base import Endpoints
from tnet.events import VENUES


class ConfigError(ValueError):
    """A config file, option or environment value tnet cannot use (message is one line)."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where events come from: live venues, an in-process or remote simulator, a recording, a Redis collector."""

    kind: str  # "live" | "sim" | "replay" | "redis"
    path: Path | None = None  # replay file
    host: str | None = None  # remote simulator
    port: int | None = None
    url: str | None = None  # redis:// or rediss:// (may hold a password: never print it, print str(source))

    @property
    def scaled_time(self) -> bool:
        """A remote simulator may run faster than the wall clock (`tnet sim --speed`): its exchange
        times are not held against the receive time or the wall clock."""
        return self.kind == "sim" and bool(self.host)

    def __str__(self) -> str:
        if self.kind == "replay":
            return f"replay:{self.path}"
        if self.kind == "redis":
            return redact_url(self.url or "")
        if self.kind == "sim" and self.host:
            return f"sim@{self.host}:{self.port}"
        return self.kind


REDIS_SCHEMES = ("redis://", "rediss://")


def redact_url(url: str) -> str:
    """The URL with any password replaced by `***` (for health, errors and logs)."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        user = parts.username or ""
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return "redis://***"


def parse_redis_url(text: str, what: str = "--redis") -> str:
    """Validate `redis://[user:pass@]host:port/db` or `rediss://...` (TLS); errors never echo a password."""
    from urllib.parse import urlsplit

    text = text.strip()
    shown = redact_url(text)
    if not text.startswith(REDIS_SCHEMES):
        raise ConfigError(f"bad {what} {shown!r}: expected redis://[user:pass@]host:port/db or rediss://... (TLS)")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ConfigError(f"bad {what} {shown!r}: the port must be a number from 1 to 65535") from None
    if not parts.hostname:
        raise ConfigError(f"bad {what} {shown!r}: no host")
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise ConfigError(f"bad {what} {shown!r}: the database must be a number, e.g. redis://host:6379/0")
    if port == 0:
        raise ConfigError(f"bad {what} {shown!r}: the port must be a number from 1 to 65535")
    return text


def parse_source(text: str) -> Source:
    """Parse `live`, `sim`, `sim@HOST:PORT`, `replay:FILE` or `redis://...`."""
    text = text.strip()
    if text.startswith(REDIS_SCHEMES):
        return Source("redis", url=parse_redis_url(text, "--source"))
    if text == "live":
        return Source("live")
    if text == "sim":
        return Source("sim")
    if text.startswith("sim@"):
        host, sep, port = text[4:].rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"bad --source {text!r}: expected sim@HOST:PORT, e.g. sim@127.0.0.1:8765")
        return Source("sim", host=host.strip("[]"), port=int(port))
    if text.startswith("replay:"):
        path = Path(text[len("replay:"):]).expanduser()
        if not path.is_file():
            raise ConfigError(f"bad --source {text!r}: recording {str(path)!r} is not a readable file")
        return Source("replay", path=path)
    raise ConfigError(f"bad --source {redact_url(text)!r}: expected live, sim, sim@HOST:PORT, replay:FILE or redis://HOST:PORT")


def parse_exchanges(text: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Validate a comma-separated (or list) venue selection, keeping the canonical order."""
    items = text.split(",") if isinstance(text, str) else list(text)
    names = {item.strip().lower() for item in items if item.strip()}
    unknown = sorted(names - set(VENUES))
    if unknown:
        raise ConfigError(f"unknown exchange {unknown[0]!r}: choose from {', '.join(VENUES)}")
    if not names:
        raise ConfigError("no exchange selected: choose from " + ", ".join(VENUES))
    return tuple(v for v in VENUES if v in names)


def default_config_path() -> Path:
    """Per-user config file location (XDG on Linux)."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("tnet")) / "config.toml"


def default_state_dir() -> Path:
    """Per-user state directory for calibrator state."""
    from platformdirs import user_state_dir

    return Path(user_state_dir("tnet"))


@dataclass(slots=True)
class Settings:
    """Everything the runtime needs besides the symbols."""

    source: Source = field(default_factory=lambda: Source("live"))
    exchanges: tuple[str, ...] = VENUES
    state_dir: Path = field(default_factory=default_state_dir)
    endpoints: dict[str, Endpoints] = field(default_factory=dict)  # overrides only
    proxy: str | None = None  # explicit proxy URL; None = HTTPS_PROXY / ALL_PROXY from the environment
    theme: str | None = None
    speed: float = 1.0  # replay speed (0 = as fast as possible)
    extra_symbols: dict[str, float] = field(default_factory=dict)  # short name -> OKX ctVal
    sim_seed: int = 0
    sim_faults: str | None = None
    redis: str | None = None  # where `tnet collect` publishes (redis:// or rediss://)
    redis_maxlen: int = 200_000  # events kept per symbol stream (XADD MAXLEN ~)
    save_state: bool = True  # False for simulator and replay runs unless --state-dir is given
    warm_start: bool = True
    book: bool = False  # order-book depth connections (the book layer); the commands turn them on (config `book`)
    watch: tuple[str, ...] = ()  # symbols `tnet watch` shows when none are named
    alert_rules: list[dict[str, Any]] = field(default_factory=list)  # the config's [[alerts]] tables, raw
    bell: bool = False  # ring the terminal bell on an alert in the TUI

    def proxy_url(self) -> str | None:
        """The proxy to use for venues (config first, then the usual environment variables)."""
        if self.proxy:
            return self.proxy
        for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
            value = os.environ.get(name)
            if value:
                return value
        return None


def _check_url(value: Any, where: str, schemes: tuple[str, ...]) -> str:
    if not isinstance(value, str) or not value.startswith(schemes):
        raise ConfigError(f"config {where}: expected a URL starting with {' or '.join(schemes)}, got {value!r}")
    return value.rstrip("/")


def load_config_file(path: Path | None, required: bool) -> dict[str, Any]:
    """Read and validate the TOML config; a missing default file is fine, a missing --config is not."""
    if path is None:
        path = default_config_path()
        required = False
    try:
        raw = Path(path).expanduser().read_bytes()
    except FileNotFoundError:
        if required:
            raise ConfigError(f"config file {str(path)!r} does not exist") from None
        return {}
    except OSError as exc:
        raise ConfigError(f"config file {str(path)!r} is not readable: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8", errors="replace"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from None
    known = {"exchanges", "state_dir", "endpoints", "proxy", "theme", "symbols", "source", "watch", "redis", "redis_maxlen", "alerts", "bell", "book"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"config file {str(path)!r}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
    return data


def build_settings(
    *,
    config: Path | None = None,
    source: str | None = None,
    exchanges: str | None = None,
    state_dir: Path | None = None,
    theme: str | None = None,
    speed: str | float | None = None,
    redis: str | None = None,
    redis_maxlen: int | None = None,
    book: bool | None = None,
) -> Settings:
    """Merge defaults < config file < options (Typer already folds `TNET_*` env vars into options)."""
    data = load_config_file(config, required=config is not None)
    settings = Settings()
    if "exchanges" in data or exchanges:
        settings.exchanges = parse_exchanges(exchanges or data["exchanges"])
    src = source or data.get("source")
    if src:
        if not isinstance(src, str):
            raise ConfigError(f"config source: expected text, got {src!r}")
        settings.source = parse_source(src)
    sd = state_dir or data.get("state_dir")
    if sd:
        settings.state_dir = Path(str(sd)).expanduser()
    # Simulated and replayed data must never teach (or be taught by) the live calibrator,
    # unless the user points such a run at a state directory of its own.
    settings.save_state = settings.source.kind not in ("sim", "replay") or state_dir is not None
    watch = data.get("watch", [])
    if not isinstance(watch, list) or not all(isinstance(w, str) and w.strip() for w in watch):
        raise ConfigError('config watch: expected a list of short symbols, e.g. watch = ["BTC", "ETH"]')
    settings.watch = tuple(w.strip().upper() for w in watch)
    settings.theme = theme or data.get("theme")
    proxy = data.get("proxy")
    if proxy is not None:
        settings.proxy = _check_url(proxy, "proxy", ("http://", "https://", "socks5://", "socks5h://", "socks4://"))
    endpoints = data.get("endpoints", {})
    if not isinstance(endpoints, dict):
        raise ConfigError("config [endpoints]: expected tables like [endpoints.binance]")
    for venue, table in endpoints.items():
        if venue not in VENUES:
            raise ConfigError(f"config [endpoints.{venue}]: unknown exchange (choose from {', '.join(VENUES)})")
        if not isinstance(table, dict) or set(table) - {"ws", "rest"}:
            raise ConfigError(f"config [endpoints.{venue}]: only 'ws' and 'rest' keys are allowed")
        settings.endpoints[venue] = Endpoints(
            ws=_check_url(table.get("ws", ""), f"endpoints.{venue}.ws", ("ws://", "wss://")) if "ws" in table else "",
            rest=_check_url(table.get("rest", ""), f"endpoints.{venue}.rest", ("http://", "https://")) if "rest" in table else "",
        )
    symbols = data.get("symbols", {})
    if not isinstance(symbols, dict):
        raise ConfigError("config [symbols]: expected SHORT = okx_contract_value pairs, e.g. PEPE = 10000000")
    for name, ct_val in symbols.items():
        if not isinstance(ct_val, (int, float)) or ct_val <= 0:
            raise ConfigError(f"config [symbols] {name}: expected a positive OKX contract value, got {ct_val!r}")
        settings.extra_symbols[str(name).upper()] = float(ct_val)
    if speed is not None:
        settings.speed = parse_speed(speed)
    url = redis or data.get("redis")
    if url is not None:
        if not isinstance(url, str):
            raise ConfigError("config redis: expected a URL like redis://host:6379/0")
        settings.redis = parse_redis_url(url)
    maxlen = redis_maxlen if redis_maxlen is not None else data.get("redis_maxlen")
    if maxlen is not None:
        if isinstance(maxlen, bool) or not isinstance(maxlen, int) or maxlen < 1000:
            raise ConfigError(f"bad redis_maxlen {maxlen!r}: expected a whole number of events >= 1000")
        settings.redis_maxlen = maxlen
    _alert_settings(settings, data)
    value = data.get("book", True) if book is None else book
    if not isinstance(value, bool):
        raise ConfigError(f"config book: expected true or false, got {value!r}")
    settings.book = value
    return settings


def _alert_settings(settings: Settings, data: dict[str, Any]) -> None:
    """`[[alerts]]` rules (validated here, so a bad rule fails every command alike) and `bell`."""
    from tnet.alerts.rules import RuleError, parse_rules

    rules = data.get("alerts", [])
    try:
        parse_rules(rules)
    except RuleError as exc:
        raise ConfigError(f"config: {exc}") from None
    settings.alert_rules = list(rules)
    bell = data.get("bell", False)
    if not isinstance(bell, bool):
        raise ConfigError(f"config bell: expected true or false, got {bell!r}")
    settings.bell = bell


def parse_speed(value: str | float) -> float:
    """`--speed X` or `max` (returned as 0.0, meaning no pacing)."""
    if isinstance(value, str) and value.strip().lower() == "max":
        return 0.0
    try:
        speed = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"bad --speed {value!r}: expected a positive number or 'max'") from None
    if not speed > 0 or speed != speed or speed == float("inf"):
        raise ConfigError(f"bad --speed {value!r}: expected a positive number or 'max'")
    return speed
