"""Typer application: registers each command from its own module (imports stay light for --help)."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="tnet",
    help="Terminal liquidation monitor for crypto perpetual futures (Binance, Bybit, OKX).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: importing Rich for it alone costs ~0.1 s of `tnet --help`
    # Every option names its own TNET_<NAME> environment variable (DESIGN.md §1).
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _register() -> None:
    """Attach every command; each module keeps heavy imports inside its function bodies."""
    from tnet.cli import commands

    commands.register(app)


def main() -> None:
    """Console-script entry point."""
    _register()
    app()
