"""The help screen: every key and what it does."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

HELP_TEXT = """\
tnet — keys

  tab / 1-9     switch symbol
  + / -         zoom the price range in / out
  [ / ]         shorter / longer time window (15m, 1h, 4h, 24h)
  space / p     pause / resume updates
  f             cycle the minimum print size shown on the tape
  s             heatmap side: both, longs only, shorts only
  t             next theme
  ?             this help
  q             quit

Screen
  heatmap       predicted liquidation USD by price (rows) and time (columns),
                brighter = more; white line = price; • ● = real liquidations
  profile       right of the price axis: short liquidations above price, long below
  tape          newest real liquidations; - = long liquidated (forced sell), + = short
  zones         clusters of predicted liquidations: side, range, USD, distance, age, state
  health        per venue: live / stale / down (with the reason), msgs/s, latency, reconnects
  calibration   learned leverage mix per venue and how many prints it learned from

press escape, q or ? to close"""


class HelpScreen(ModalScreen[None]):
    """Lists the keys; any of escape, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 86; height: auto; border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close"),
    ]

    def compose(self) -> ComposeResult:
        """One Static with the key list."""
        with Vertical():
            yield Static(HELP_TEXT, id="help-text", markup=False)

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss(None)
