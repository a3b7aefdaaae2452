"""Tiny helpers to build fixed-width Strips from (text, style) parts."""

from __future__ import annotations

from functools import lru_cache

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

Part = tuple[str, Style]


def line(parts: list[Part], width: int, fill: Style) -> Strip:
    """Concatenate parts, then crop or pad with `fill` to exactly `width` cells.

    Cached: an unchanged line comes back as the same Strip object, which makes the per-tick
    diff against the previous frame an identity check.
    """
    return _line(tuple(parts), width, fill)


@lru_cache(maxsize=8192)
def _line(parts: tuple[Part, ...], width: int, fill: Style) -> Strip:
    segments = [Segment(text, style) for text, style in parts if text]
    strip = Strip(segments)
    return strip.adjust_cell_length(width, fill).simplify() if width > 0 else Strip([])


def fit(text: str, width: int, align: str = "<") -> str:
    """Crop or pad a string to `width` cells (align '<', '>' or '^')."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return text[: max(0, width - 1)] + "…" if width > 1 else text[:1]
    return f"{text:{align}{width}}"


def strip_text(strip: Strip) -> str:
    """Plain text of a Strip (tests and text snapshots)."""
    return "".join(seg.text for seg in strip)
