"""Options shared by every command, one-line errors, and the asyncio runner for headless commands."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

T = TypeVar("T")

SourceOpt = Annotated[
    str | None,
    typer.Option("--source", envvar="TNET_SOURCE", help="live | sim | sim@HOST:PORT | replay:FILE (default live)."),
]
ExchangesOpt = Annotated[
    str | None,
    typer.Option("--exchanges", envvar="TNET_EXCHANGES", help="Comma-separated venues (default binance,bybit,okx)."),
]
StateDirOpt = Annotated[
    Path | None,
    typer.Option("--state-dir", envvar="TNET_STATE_DIR", help="Where calibrator state is kept."),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", envvar="TNET_CONFIG", help="TOML config file (default: the per-user config.toml)."),
]


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line naming the problem and exit non-zero (never a traceback)."""
    typer.echo(f"tnet: error: {message}", err=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    """One line on stderr that does not stop the command."""
    typer.echo(f"tnet: {message}", err=True)


def settings_and_symbols(
    symbols: list[str],
    *,
    source: str | None,
    exchanges: str | None,
    state_dir: Path | None,
    config: Path | None,
    theme: str | None = None,
    speed: str | None = None,
) -> tuple[Any, list[Any]]:
    """Build Settings and resolve symbols, turning any bad input into a one-line error."""
    from tnet.config import ConfigError, build_settings
    from tnet.symbols import UnknownSymbol, resolve_all

    try:
        settings = build_settings(
            config=config, source=source, exchanges=exchanges, state_dir=state_dir, theme=theme, speed=speed
        )
        infos = resolve_all(symbols, settings.extra_symbols)
    except (ConfigError, UnknownSymbol) as exc:
        fail(str(exc))
    return settings, infos


def run_async(main: Callable[[], Awaitable[T]]) -> T:
    """Run a headless coroutine; Ctrl-C / SIGTERM end it cleanly (the coroutine's finally blocks run)."""
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

    try:
        return asyncio.run(runner())
    except (asyncio.CancelledError, KeyboardInterrupt):
        sys.stderr.flush()
        raise typer.Exit(130) from None
