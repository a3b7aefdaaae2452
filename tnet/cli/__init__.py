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


def main() -> None:
    """Console-script entry point."""
    _register()
    app()
