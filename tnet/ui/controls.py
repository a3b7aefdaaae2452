"""User-controlled view settings and the key actions that change them (pure state, no Textual)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tnet.ui.render.scale import format_usd
from tnet.ui.render.tape import MIN_USD_STEPS, next_min_usd

ZOOM_PCT: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0)  # +- % of price shown
WINDOWS: tuple[tuple[str, int], ...] = (("15m", 900_000), ("1h", 3_600_000), ("4h", 14_400_000), ("24h", 86_400_000))
SIDES: tuple[str, ...] = ("both", "long", "short")
# What the map is coloured by: hazard (USD times the chance price gets there within an hour; the default,
# it ranks where liquidations happen best in `tnet backtest`) or the USD that would liquidate there.
MEASURES: tuple[str, ...] = ("hazard", "usd")
# What the map shows: predicted liquidations, the venues' resting order book, or liquidations with the book's walls.
LAYERS: tuple[str, ...] = ("liquidations", "book", "both")
LAYER_LABELS: dict[str, str] = {"liquidations": "liq", "book": "book", "both": "liq+book"}  # header and help


@dataclass(slots=True)
class Controls:
    """Everything the keys change; the app renders from it."""

    symbols: list[str]
    themes: list[str]
    symbol_index: int = 0
    zoom_index: int = 4  # +-5 %
    window_index: int = 1  # 1h
    side_index: int = 0
    measure_index: int = 0
    layer_index: int = 0
    min_usd: float = 0.0
    paused: bool = False
    theme_index: int = 0
    min_usd_steps: tuple[float, ...] = field(default=MIN_USD_STEPS)

    @property
    def symbol(self) -> str:
        """The symbol on screen."""
        return self.symbols[self.symbol_index] if self.symbols else ""

    @property
    def half_range_pct(self) -> float:
        """Price half-range shown, percent of price."""
        return ZOOM_PCT[self.zoom_index]

    @property
    def window(self) -> tuple[str, int]:
        """(label, milliseconds) of the time window."""
        return WINDOWS[self.window_index]

    @property
    def side(self) -> str:
        """Which inventory the heatmap colours: both, long or short."""
        return SIDES[self.side_index]

    @property
    def measure(self) -> str:
        """What the map and profile are coloured by: "hazard" or "usd"."""
        return MEASURES[self.measure_index]

    @property
    def layer(self) -> str:
        """What the map shows: "liquidations", "book" or "both"."""
        return LAYERS[self.layer_index]

    @property
    def theme(self) -> str:
        """Current theme name."""
        return self.themes[self.theme_index] if self.themes else ""

    def next_symbol(self) -> None:
        """Tab: the next symbol, wrapping."""
        if self.symbols:
            self.symbol_index = (self.symbol_index + 1) % len(self.symbols)

    def select_symbol(self, number: int) -> bool:
        """Keys 1-9: select symbol `number` (1-based); False if there is no such symbol."""
        if 1 <= number <= len(self.symbols):
            self.symbol_index = number - 1
            return True
        return False

    def zoom_in(self) -> None:
        """+: a narrower price range."""
        self.zoom_index = max(0, self.zoom_index - 1)

    def zoom_out(self) -> None:
        """-: a wider price range."""
        self.zoom_index = min(len(ZOOM_PCT) - 1, self.zoom_index + 1)

    def longer_window(self) -> None:
        """]: more time on screen."""
        self.window_index = (self.window_index + 1) % len(WINDOWS)

    def shorter_window(self) -> None:
        """[: less time on screen."""
        self.window_index = (self.window_index - 1) % len(WINDOWS)

    def cycle_side(self) -> None:
        """s: colour both sides, longs only, shorts only."""
        self.side_index = (self.side_index + 1) % len(SIDES)

    def cycle_measure(self) -> None:
        """h: colour by 1 h hazard or by liquidation USD."""
        self.measure_index = (self.measure_index + 1) % len(MEASURES)

    def cycle_layer(self) -> None:
        """b: liquidations, the order book, both."""
        self.layer_index = (self.layer_index + 1) % len(LAYERS)

    def cycle_filter(self) -> None:
        """f: the next minimum print size (a custom --min-usd joins the cycle)."""
        steps = tuple(sorted(set(self.min_usd_steps) | {self.min_usd}))
        self.min_usd = next_min_usd(self.min_usd, steps)

    def toggle_pause(self) -> None:
        """space / p: freeze or resume the data panels."""
        self.paused = not self.paused

    def cycle_theme(self) -> None:
        """t: the next theme."""
        if self.themes:
            self.theme_index = (self.theme_index + 1) % len(self.themes)

    def status(self) -> dict[str, str]:
        """Short labels for the header."""
        side = "" if self.side == "both" else f" {self.side}s"
        return {
            "window": f"window {self.window[0]}",
            "zoom": f"±{self.half_range_pct:g}%{side}",
            "measure": "hazard" if self.measure == "hazard" else "USD",
            "layer": "" if self.layer == "liquidations" else LAYER_LABELS[self.layer],  # the default goes unsaid, like the side
            "filter": f"min ≥{format_usd(self.min_usd)}",
            "theme": self.theme,
            "paused": "1" if self.paused else "",
        }
