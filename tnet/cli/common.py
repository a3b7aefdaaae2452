"""Options shared by every command, one-line errors, and the asyncio runner for headless commands."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from tnet.venues import NAMES

T = TypeVar("T")

SourceOpt = Annotated[
    str | None,
    typer.Option("--source", envvar="TNET_SOURCE", help="live | sim | sim@HOST:PORT | replay:FILE | redis://HOST:PORT (default live)."),
]
ExchangesOpt = Annotated[
    str | None,
    typer.Option("--exchanges", envvar="TNET_EXCHANGES", help=f"Comma-separated venues (default {','.join(NAMES)})."),
]
StateDirOpt = Annotated[
    Path | None,
    typer.Option("--state-dir", envvar="TNET_STATE_DIR", help="Where calibrator state is kept."),
]
RuleOpt = Annotated[
    list[str] | None,
    typer.Option("--rule", envvar="TNET_RULE", show_default=False,
                 help="A rule KIND:key=value,... (repeatable), e.g. burst:min_usd=1M,window=60s; added to the config's [[alerts]]."),
]
BookOpt = Annotated[
    bool | None,
    typer.Option("--book/--no-book", envvar="TNET_BOOK", show_default=False,
                 help="Order-book depth from every venue (the book layer; default on, config key `book`)."),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", envvar="TNET_CONFIG", help="TOML config file (default: the per-user config.toml)."),
]


NO_DATA_EXIT = 1  # no data for what was asked: a snapshot, replay or record, a stream or alert run (bad input is 2)
FAILED_EXIT = 3  # the run stopped early: storage error, a background task or an output failed


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line naming the problem and exit non-zero (never a traceback)."""
    typer.echo(f"tnet: error: {message}", err=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    """One line on stderr that does not stop the command."""
    typer.echo(f"tnet: {message}", err=True)


def venue_problems(report: dict[str, Any]) -> str:
    """'binance down (DNS failure); bybit connecting' — why there is no data, in one line."""
    parts = []
    for name, v in (report.get("venues") or {}).items():
        why = f" ({v['reason']})" if v.get("reason") else ""
        parts.append(f"{name} {v.get('state', '?')}{why}")
    return "; ".join(parts)


def exit_if_nothing_heard(runtime: Any, reader_gone: bool = False) -> None:
    """After a run on feeds: if no venue was ever live, say why in one line, exit 1.

    `stream`, `alert` and `collect` print nothing wrong when nothing comes; the exit status keeps a script
    from taking a run that heard nothing (venues refused, Redis unreachable) for a quiet market. A run
    whose reader went away (`| head`) ended as asked: nothing to tell.
    """
    if runtime.source.finite or reader_gone:
        return
    from tnet.cli.snapshot_schema import heard_from

    report = runtime.health()
    if not heard_from(report):
        fail(f"no live data from {runtime.source} during the run ({venue_problems(report)})", NO_DATA_EXIT)


def exit_if_replay_damaged(runtime: Any) -> None:
    """After a run: if it replayed a recording that was damaged or cut short, say so in one line, exit 1.

    What the file did hold was used and printed; the exit status keeps a script from taking it for the whole.
    """
    report = getattr(runtime.source, "report", None)  # only a replay source reads a file
    path = runtime.settings.source.path
    if report is None or path is None:
        return
    from tnet.storage.recording import describe

    damage = describe(report, path)
    if damage:
        warn(damage)
        raise typer.Exit(1)


def json_ready(obj: Any) -> Any:
    """JSON-ready copy: floats at 12 significant digits (no `0.18805000000000002`), NaN/inf as null."""
    if isinstance(obj, float):
        return float(f"{obj:.12g}") if obj == obj and obj not in (math.inf, -math.inf) else None
    if isinstance(obj, dict):
        return {k: json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    if hasattr(obj, "tolist"):  # numpy arrays and scalars
        return json_ready(obj.tolist())
    return obj


def dumps(obj: Any, pretty: bool = False) -> str:
    """The JSON every command prints (orjson; floats cleaned as above)."""
    import orjson

    return orjson.dumps(json_ready(obj), option=orjson.OPT_INDENT_2 if pretty else 0).decode()


def check_writable(path: Path, what: str) -> None:
    """Fail now (one line) if `path` cannot be written, before minutes of collecting are wasted."""
    path = path.expanduser()
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        fail(f"cannot write {what} {str(path)!r}: it is a directory")
    if not parent.is_dir():
        fail(f"cannot write {what} {str(path)!r}: folder {str(parent)!r} does not exist")
    target = path if path.exists() else parent
    if not os.access(target, os.W_OK):
        fail(f"cannot write {what} {str(path)!r}: permission denied")


def load_settings(
    *,
    source: str | None,
    exchanges: str | None,
    state_dir: Path | None,
    config: Path | None,
    theme: str | None = None,
    speed: str | None = None,
    redis: str | None = None,
    redis_maxlen: int | None = None,
    book: bool | None = None,
) -> Any:
    """Build Settings from the config file and options, turning bad input into a one-line error."""
    from tnet.config import ConfigError, build_settings

    try:
        return build_settings(
            config=config, source=source, exchanges=exchanges, state_dir=state_dir, theme=theme, speed=speed,
            redis=redis, redis_maxlen=redis_maxlen, book=book,
        )
    except ConfigError as exc:
        fail(str(exc))


def settings_and_symbols(symbols: list[str], **options: Any) -> tuple[Any, list[Any]]:
    """Settings (see load_settings) and the resolved symbols; bad input is a one-line error."""
    from tnet.symbols import UnknownSymbol, resolve_all

    settings = load_settings(**options)
    try:
        infos = resolve_all(symbols, settings.extra_symbols)
    except UnknownSymbol as exc:
        fail(str(exc))
    return settings, infos


def run_async(main: Callable[[], Awaitable[T]]) -> T:
    """Run a headless coroutine; Ctrl-C / SIGTERM end it cleanly (the coroutine's finally blocks run).

    A run that stopped early (RunFailed: disk full, a dead task, a failing output) is one line and exit 3.
    """
    import asyncio  # imported here: `tnet --help` must stay fast
    import signal

    async def runner() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, task.cancel)
            except (NotImplementedError, RuntimeError):
                pass
        return await main()

    from tnet.runtime import RunFailed
    from tnet.sources.base import SourceFailed

    try:
        return asyncio.run(runner())
    except (asyncio.CancelledError, KeyboardInterrupt):
        sys.stderr.flush()
        raise typer.Exit(130) from None
    except RunFailed as exc:
        fail(str(exc), FAILED_EXIT)
    except SourceFailed as exc:  # e.g. Redis refused the password: one line, no traceback
        fail(str(exc))
