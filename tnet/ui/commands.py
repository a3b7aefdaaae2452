"""Command palette entries (ctrl+p): each tnet action by name, and one entry per theme."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import SystemCommand

_ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("Next symbol", "Show the next symbol (tab)", "next_symbol"),
    ("Zoom in", "Narrower price range (+)", "zoom_in"),
    ("Zoom out", "Wider price range (-)", "zoom_out"),
    ("Shorter time window", "15m / 1h / 4h / 24h ([)", "shorter_window"),
    ("Longer time window", "15m / 1h / 4h / 24h (])", "longer_window"),
    ("Pause / resume", "Freeze the data panels (space)", "pause"),
    ("Minimum print size", "Next tape filter step (f)", "filter"),
    ("Heatmap side", "Both, longs only, shorts only (s)", "side"),
    ("Map layer", "Liquidations, resting order book, both (b)", "layer"),
    ("Alerts", "Recent alerts and the rules (a)", "alerts"),
    ("Help", "Keys and what the screen shows (?)", "help"),
    ("Quit", "Stop feeds, save state, exit (q)", "quit_app"),
)


def palette_commands(app: Any) -> Iterable[SystemCommand]:
    """SystemCommands calling the app's actions; symbols and themes are listed by name."""
    for title, help_text, action in _ACTIONS:
        yield SystemCommand(title, help_text, getattr(app, f"action_{action}"))
    for number, symbol in enumerate(app.controls.symbols, start=1):
        yield SystemCommand(f"Symbol {symbol}", f"Show {symbol} ({number})", lambda n=number: app.action_select_symbol(n))
    for name in app.controls.themes:
        yield SystemCommand(f"Theme {name}", "Switch the colour theme (t cycles)", lambda n=name: app.action_set_theme(n))
