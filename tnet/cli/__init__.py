"""Typer application: registers each command from its own module (imports stay light for --help)."""

from __future__ import annotations

from typing import Annotated

import typer

from tnet.venues import RECORDS

# A record's label starts with the venue's own spelling ("OKX v5 SWAP"), which str.capitalize() would lose.
_ABOUT = ("Terminal liquidation monitor for crypto perpetual futures ("
          + ", ".join(record.label.split()[0] for record in RECORDS.values()) + ").")

app = typer.Typer(
    name="tnet",
    help=_ABOUT,
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: importing Rich for it alone costs ~0.1 s of `tnet --help`
    # Every option names its own TNET_<NAME> environment variable (DESIGN.md §1).
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from tnet import __version__

        typer.echo(f"tnet {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """Terminal liquidation monitor for crypto perpetual futures (every venue tnet knows)."""


def _register() -> None:
    """Attach every command; each module keeps heavy imports inside its function bodies."""
    from tnet.cli import commands

    commands.register(app)


def _click_error() -> type[Exception]:
    """Click's base exception as Typer raises it (Typer's own copy of Click, or the click package)."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def main() -> None:
    """Console-script entry point. A usage error (a bad option value, a missing argument, an unknown
    command) is one line naming the problem and exit status 2, like every other bad input; `tnet`
    alone still prints the help."""
    import errno
    import sys

    _register()
    error = _click_error()
    try:
        code = app(standalone_mode=False)
    except error as exc:
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":  # `tnet` (or a group) with nothing after it
            exc.show()  # type: ignore[attr-defined]
        else:
            hint = f" (see '{ctx.command_path} -h')" if ctx is not None else ""
            typer.echo(f"tnet: error: {exc.format_message()}{hint}", err=True)  # type: ignore[attr-defined]
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    except typer.Abort:
        typer.echo("tnet: aborted", err=True)
        sys.exit(1)
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        sys.exit(1)  # the reader of stdout went away (Click's own handling, kept)
    sys.exit(code if isinstance(code, int) else 0)
