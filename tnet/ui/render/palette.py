"""Theme -> Rich colours and cached Styles (built once per theme, never per cell per frame)."""

from __future__ import annotations

from rich.color import Color, ColorSystem
from rich.style import Style

from tnet.ui.render.scale import N_LEVELS
from tnet.ui.themes import ThemeSpec

EMPTY = 0  # heatmap code: no inventory
PRICE = N_LEVELS + 1  # heatmap code: the price path
BOOK_OFFSET = PRICE  # heatmap codes BOOK_OFFSET + 1 .. BOOK_OFFSET + N_LEVELS: the order-book ramp
# 16 colours: the book's ramp keeps clear of the price line's bright_cyan
BOOK_RAMP_16: tuple[str, ...] = ("blue", "blue", "cyan", "cyan", "white", "white", "bright_white", "bright_white")
BOOK_ACCENT_AT = 0.8  # book walls and profile bars: this far up the book ramp


def _hex_to_rgb(value: str) -> tuple[int, int, int]:
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def interpolate_ramp(stops: tuple[str, ...], n: int) -> list[tuple[int, int, int]]:
    """`n` colours evenly spaced along the piecewise-linear ramp through `stops` (first and last included)."""
    rgb = [_hex_to_rgb(s) for s in stops]
    out: list[tuple[int, int, int]] = []
    for i in range(n):
        pos = i / (n - 1) * (len(rgb) - 1) if n > 1 else 0.0
        lo = min(int(pos), len(rgb) - 2)
        frac = pos - lo
        a, b = rgb[lo], rgb[lo + 1]
        out.append(tuple(round(a[c] + (b[c] - a[c]) * frac) for c in range(3)))  # type: ignore[misc]
    return out


def _ramp_at(rgb: list[tuple[int, int, int]], pos: float) -> tuple[int, int, int]:
    pos = min(max(pos, 0.0), 1.0) * (len(rgb) - 1)
    lo = min(int(pos), len(rgb) - 2)
    frac = pos - lo
    a, b = rgb[lo], rgb[lo + 1]
    return tuple(round(a[c] + (b[c] - a[c]) * frac) for c in range(3))  # type: ignore[return-value]


def _lum_256(rgb: tuple[int, int, int]) -> float:
    t = Color.from_rgb(*rgb).downgrade(ColorSystem.EIGHT_BIT).get_truecolor()
    return luminance((t.red, t.green, t.blue))


def ramp_256_safe(stops: tuple[str, ...], n: int) -> list[tuple[int, int, int]]:
    """`n` colours along the ramp whose 256-colour downgrades also get brighter step by step.

    Each level starts at its even position and, if its nearest xterm-256 colour would be darker
    than the previous level's, slides up the ramp (never past the next level) until it is not.
    """
    rgb = [_hex_to_rgb(s) for s in stops]
    out: list[tuple[int, int, int]] = []
    prev_lum = -1.0
    for i in range(n):
        nominal = i / (n - 1) if n > 1 else 0.0
        limit = (i + 0.9) / (n - 1) if n > 1 else 0.0
        chosen = _ramp_at(rgb, nominal)
        pos = nominal
        while _lum_256(chosen) < prev_lum and pos < min(limit, 1.0):
            pos += 0.005
            chosen = _ramp_at(rgb, pos)
        prev_lum = max(prev_lum, _lum_256(chosen))
        out.append(chosen)
    return out


def luminance(rgb: tuple[int, int, int]) -> float:
    """Relative luminance (sRGB, WCAG) of an 8-bit colour, 0..1."""
    def lin(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = rgb
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


# 16-colour terminals (TERM=xterm, PuTTY's default): the nearest-colour downgrade of a smooth ramp
# jumps between unrelated hues, so the map gets its own dark-to-bright ANSI ramp, and the price
# line a colour that ramp never uses.
RAMP_16: tuple[str, ...] = ("blue", "blue", "magenta", "magenta", "red", "red", "bright_red", "yellow", "yellow", "bright_yellow")
PRICE_16 = "bright_cyan"
DIM_TOWARD_BG = 0.6  # stale data: colours moved this far toward the background


def _blend(colour: Color, toward: Color, amount: float) -> Color:
    a, b = colour.get_truecolor(), toward.get_truecolor()
    return Color.from_rgb(*(round(x + (y - x) * amount) for x, y in zip(a, b)))


class Palette:
    """Every colour and Style the renderers use for one theme (`colors` 16 for basic terminals; `dim` for stale data)."""

    def __init__(self, theme: ThemeSpec, colors: int = 256, dim: bool = False) -> None:
        self.theme = theme
        self.name = theme.name
        self.colors = colors
        self.dim = dim
        c = theme.colors
        ramp = ramp_256_safe(theme.ramp, N_LEVELS)
        # heatmap codes: 0 empty (background), 1..N ramp, N+1 price path
        self.codes: list[Color] = [Color.parse(c["background"])]
        if colors <= 16:
            self.codes[0] = Color.parse("black")
            self.codes += [Color.parse(RAMP_16[i * len(RAMP_16) // N_LEVELS]) for i in range(N_LEVELS)]
            self.codes.append(Color.parse(PRICE_16))
        else:
            self.codes += [Color.from_rgb(*rgb) for rgb in ramp]
            self.codes.append(Color.parse(c["price_line"]))
            if dim:
                self.codes = [self.codes[0]] + [_blend(col, self.codes[0], DIM_TOWARD_BG) for col in self.codes[1:]]
        if colors <= 16 and dim:  # no blending with 16 colours: stale cells use the dark half of the ramp
            dark = RAMP_16[: len(RAMP_16) // 2]
            self.codes = [self.codes[0]] + [Color.parse(dark[i * len(dark) // N_LEVELS]) for i in range(N_LEVELS)]
            self.codes.append(Color.parse("white"))
        book_rgb = ramp_256_safe(theme.book_ramp, N_LEVELS)
        if colors <= 16:
            steps = BOOK_RAMP_16[: len(BOOK_RAMP_16) // 2] if dim else BOOK_RAMP_16
            book = [Color.parse(steps[i * len(steps) // N_LEVELS]) for i in range(N_LEVELS)]
            self.book_color = Color.parse("bright_white")
        else:
            book = [Color.from_rgb(*rgb) for rgb in book_rgb]
            self.book_color = Color.from_rgb(*_ramp_at([_hex_to_rgb(c) for c in theme.book_ramp], BOOK_ACCENT_AT))
            if dim:
                book = [_blend(col, self.codes[0], DIM_TOWARD_BG) for col in book]
                self.book_color = _blend(self.book_color, self.codes[0], DIM_TOWARD_BG)
        self.codes += book  # BOOK_OFFSET + 1 .. BOOK_OFFSET + N_LEVELS
        self.ramp_rgb = ramp
        self.bg = Color.parse(c["background"]) if colors > 16 else Color.parse("black")
        self.fg = Color.parse(c["foreground"])
        self.text = Style(color=self.fg, bgcolor=self.bg)
        self.muted = Style(color=Color.parse(c["muted"]), bgcolor=self.bg)
        self.accent = Style(color=Color.parse(c["accent"]), bgcolor=self.bg, bold=True)
        self.accent_reverse = Style(color=self.bg, bgcolor=Color.parse(c["accent"]), bold=True)
        self.title = Style(color=Color.parse(c["accent"]), bgcolor=self.bg, bold=True)
        self.side_color = {"long": Color.parse(c["long"]), "short": Color.parse(c["short"])}
        self.side = {s: Style(color=col, bgcolor=self.bg) for s, col in self.side_color.items()}
        self.side_bold = {s: Style(color=col, bgcolor=self.bg, bold=True) for s, col in self.side_color.items()}
        self.side_reverse = {s: Style(color=self.bg, bgcolor=col, bold=True) for s, col in self.side_color.items()}
        self.state = {
            "live": Style(color=Color.parse(c["ok"]), bgcolor=self.bg, bold=True),
            "connecting": Style(color=Color.parse(c["warning"]), bgcolor=self.bg),
            "stale": Style(color=Color.parse(c["warning"]), bgcolor=self.bg, bold=True),
            "down": Style(color=Color.parse(c["error"]), bgcolor=self.bg, bold=True),
        }
        self.book = Style(color=self.book_color, bgcolor=self.bg)
        self.book_bold = Style(color=self.book_color, bgcolor=self.bg, bold=True)
        self._cell_styles: dict[tuple[int, int], Style] = {}
        self._marker_styles: dict[tuple[str, int], Style] = {}
        self._wall_styles: dict[int, Style] = {}
        self._bar_styles: dict[tuple[Color | None, Color | None], Style] = {}

    def cell(self, fg_code: int, bg_code: int) -> Style:
        """Style of a half-block cell: upper half `fg_code`, lower half `bg_code` (heatmap codes)."""
        key = (fg_code, bg_code)
        style = self._cell_styles.get(key)
        if style is None:
            if fg_code == bg_code:  # a blank cell needs no foreground: fewer bytes on the wire
                style = Style(bgcolor=self.codes[bg_code])
            else:
                style = Style(color=self.codes[fg_code], bgcolor=self.codes[bg_code])
            self._cell_styles[key] = style
        return style

    def marker(self, side: str, bg_code: int) -> Style:
        """Style of a liquidation print marker drawn over a heatmap cell."""
        key = (side, bg_code)
        style = self._marker_styles.get(key)
        if style is None:
            style = Style(color=self.side_color.get(side, self.fg), bgcolor=self.codes[bg_code], bold=True)
            self._marker_styles[key] = style
        return style

    def wall(self, bg_code: int) -> Style:
        """Style of an order-book wall (━) drawn over a heatmap cell."""
        style = self._wall_styles.get(bg_code)
        if style is None:
            style = self._wall_styles[bg_code] = Style(color=self.book_color, bgcolor=self.codes[bg_code], bold=True)
        return style

    def bars(self, upper: Color | None, lower: Color | None) -> Style:
        """A profile cell holding two thin bars: the upper half `upper`, the lower half `lower` (None: background)."""
        key = (upper, lower)
        style = self._bar_styles.get(key)
        if style is None:
            style = self._bar_styles[key] = Style(color=upper or self.bg, bgcolor=lower or self.bg)
        return style
