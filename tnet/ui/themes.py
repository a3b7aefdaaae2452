"""Theme files (TOML): discovery, validation and loading; no Textual import so the CLI can check names cheaply."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_THEME = "inferno"

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_COLOR_KEYS: tuple[str, ...] = (
    "background", "surface", "foreground", "muted", "accent", "price_line",
    "long", "short", "ok", "warning", "error",
)


class ThemeError(ValueError):
    """A theme that does not exist or whose file is malformed (message is one line for the user)."""


# Deep teal -> cyan -> white: resting liquidity in a hue no liquidation ramp uses.
DEFAULT_BOOK_RAMP: tuple[str, ...] = ("#061820", "#0a3446", "#0f5570", "#177a98", "#2ba1bf", "#5fc6de", "#7fdcef", "#a6f0ff")


@dataclass(frozen=True, slots=True)
class ThemeSpec:
    """Colours of one theme, all as '#rrggbb' strings."""

    name: str
    description: str
    colors: dict[str, str]
    ramp: tuple[str, ...]  # heatmap stops, low USD -> high USD
    book_ramp: tuple[str, ...] = DEFAULT_BOOK_RAMP  # the order-book layer's stops, low -> high resting USD

    def color(self, key: str) -> str:
        """One named colour (see _COLOR_KEYS)."""
        return self.colors[key]


def user_themes_dir() -> Path:
    """The user's own themes: `themes/` beside config.toml (e.g. ~/.config/tnet/themes)."""
    from tnet.config import default_config_path

    return default_config_path().parent / "themes"


def theme_dirs() -> list[Path]:
    """Folders searched for `*.toml` themes: the user's folder first, then the repo's themes/ and the wheel's."""
    here = Path(__file__).resolve()
    candidates = [user_themes_dir(), here.parents[2] / "themes", here.parents[1] / "_themes"]
    return [d for d in candidates if d.is_dir()]


def _theme_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for folder in theme_dirs():
        for path in sorted(folder.glob("*.toml")):
            files.setdefault(path.stem, path)  # the first folder wins (the user's, then a checkout over the wheel)
    return files


def available_themes() -> list[str]:
    """Names usable with `--theme`, default first then alphabetical."""
    names = sorted(_theme_files())
    if DEFAULT_THEME in names:
        names.remove(DEFAULT_THEME)
        names.insert(0, DEFAULT_THEME)
    return names


def parse_theme(text: str, fallback_name: str) -> ThemeSpec:
    """Build a ThemeSpec from TOML text; raises ThemeError naming the first problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeError(f"theme {fallback_name!r} is not valid TOML: {exc}") from None
    colors = data.get("colors")
    heatmap = data.get("heatmap")
    if not isinstance(colors, dict) or not isinstance(heatmap, dict):
        raise ThemeError(f"theme {fallback_name!r} needs [colors] and [heatmap] tables")
    for key in _COLOR_KEYS:
        value = colors.get(key)
        if not isinstance(value, str) or not _HEX.match(value):
            raise ThemeError(f"theme {fallback_name!r}: colors.{key} must be a '#rrggbb' string")
    ramp = heatmap.get("ramp")
    if not isinstance(ramp, list) or len(ramp) < 2 or not all(isinstance(c, str) and _HEX.match(c) for c in ramp):
        raise ThemeError(f"theme {fallback_name!r}: heatmap.ramp must list at least two '#rrggbb' colours")
    book_ramp = heatmap.get("book_ramp", list(DEFAULT_BOOK_RAMP))  # optional: themes from before the book layer stay valid
    if not isinstance(book_ramp, list) or len(book_ramp) < 2 or not all(isinstance(c, str) and _HEX.match(c) for c in book_ramp):
        raise ThemeError(f"theme {fallback_name!r}: heatmap.book_ramp must list at least two '#rrggbb' colours")
    name = data.get("name", fallback_name)
    return ThemeSpec(
        name=str(name),
        description=str(data.get("description", "")),
        colors={k: colors[k].lower() for k in _COLOR_KEYS},
        ramp=tuple(c.lower() for c in ramp),
        book_ramp=tuple(c.lower() for c in book_ramp),
    )


def load_theme(name: str | None = None) -> ThemeSpec:
    """Load a theme by name (or a path to a .toml file); raises ThemeError listing the available names."""
    name = name or DEFAULT_THEME
    path = Path(name)
    if path.suffix == ".toml" and path.is_file():
        return parse_theme(_read(path, name), path.stem)
    files = _theme_files()
    if name not in files:
        listed = ", ".join(available_themes()) or "none found"
        raise ThemeError(f"unknown theme {name!r}; available themes: {listed} (add your own to {user_themes_dir()})")
    return parse_theme(_read(files[name], name), name)


def _read(path: Path, name: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeError(f"cannot read theme {name!r}: {exc}") from None
