"""Theme files: discovery, validation, clear errors, colour-blind safety."""

from __future__ import annotations

from pathlib import Path

import pytest

from tnet.ui.render.palette import luminance
from tnet.ui.themes import ThemeError, available_themes, load_theme, parse_theme


def test_at_least_three_themes_ship_and_all_load() -> None:
    names = available_themes()
    assert len(names) >= 3 and names[0] == "inferno"
    for name in names:
        spec = load_theme(name)
        assert spec.name == name and len(spec.ramp) >= 2


def test_unknown_theme_is_one_line_listing_available() -> None:
    with pytest.raises(ThemeError) as info:
        load_theme("nope")
    message = str(info.value)
    assert "\n" not in message and "nope" in message
    for name in available_themes():
        assert name in message


def test_malformed_theme_names_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ThemeError, match="colors.surface"):
        parse_theme('[colors]\nbackground="#000000"\n[heatmap]\nramp=["#000000","#ffffff"]\n', "bad")
    with pytest.raises(ThemeError, match="not valid TOML"):
        parse_theme("[colors", "broken")
    custom = tmp_path / "mine.toml"
    custom.write_text(Path(__file__).parents[1].joinpath("themes", "viridis.toml").read_text().replace('"viridis"', '"mine"'))
    assert load_theme(str(custom)).name == "mine"  # a path to a file works too


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def test_colour_blind_theme_separates_sides_without_red_green() -> None:
    spec = load_theme("cividis-cb")
    long_rgb, short_rgb = _rgb(spec.color("long")), _rgb(spec.color("short"))
    # blue/orange: the pair differs on the blue-yellow axis that red-green colour blindness keeps
    assert (long_rgb[2] - long_rgb[0]) * (short_rgb[2] - short_rgb[0]) < 0
    assert abs(luminance(long_rgb) - luminance(short_rgb)) > 0.1  # also apart in lightness
