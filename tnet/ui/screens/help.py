"""The help screen: every key and what it does."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP_TEXT = """\
tnet — keys

  tab / 1-9     switch symbol (or click its tab)
  + / -         zoom the price range in / out
  [ / ]         shorter / longer time window (15m, 1h, 4h, 24h)
  space / p     pause / resume updates
  f             cycle the minimum print size shown on the tape
  s             heatmap side: both, longs only, shorts only
  h             colour by 1 h hazard (default) or by liquidation USD
  b             layer: liquidations, resting order book, or both
  t             next theme
  a             recent alerts (rules: config [[alerts]] or --rule)
  ctrl+p        command palette: any action, symbol or theme by name
  ?             this help
  q             quit

Screen
  heatmap       predicted liquidations by price (rows) and time
                (columns): 1 h hazard (USD times the chance price
                gets there within an hour) or USD (h); brighter =
                more; the line is the price; • ● = real liquidations
                where they fired
  book layer    (b) resting bids and asks summed over the venues in
                USD, its own ramp; each column keeps the most a price
                held during it, so pulled walls stay; both = the
                liquidation colours with the book's walls as ━
  profile       right of the price axis: short liquidations above
                the price, long below; with the book, resting asks
                above and bids below (both: liquidations in the upper
                half of each row ▀, the book in the lower half)
  tape          newest real liquidations; - = long liquidated
                (a forced sell), + = short liquidated; the price
                is where it fired (bk: the bankruptcy price the
                venue reported, on a wide panel)
  zones         clusters of predicted liquidations: side, range, USD,
                distance, age, state (narrow screens drop the age and
                say act, reinf, exp, mrgd)
  health        per venue: live / stale / down (with the reason),
                msgs/s, latency, reconnects
  calibration   learned leverage mix per venue and how many prints it
                learned from (hidden below 120 columns)
  stale data    price and map dimmed, with the data's age and
                "source lost — reconnecting…" or "replay finished"

Colours: 256-colour and truecolor terminals get the full map; a
16-colour terminal (TERM=xterm) gets a basic ramp: set
TERM=xterm-256color for the full map.
Themes: --theme NAME or theme = "NAME" in the config; your own .toml
files go in the themes/ folder beside config.toml.

arrows / page keys scroll · escape, q or ? close"""


class HelpScreen(ModalScreen[None]):
    """Lists the keys; any of escape, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 76; max-width: 100%; height: auto; max-height: 100%; border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close"),
    ]

    def compose(self) -> ComposeResult:
        """One Static with the key list, in a box that scrolls (arrows, page keys, wheel) when the terminal is short."""
        with VerticalScroll(id="help-box"):
            yield Static(HELP_TEXT, id="help-text", markup=False)

    def on_mount(self) -> None:
        """Focus the box so the arrow and page keys scroll it."""
        self.query_one("#help-box").focus()

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss(None)
