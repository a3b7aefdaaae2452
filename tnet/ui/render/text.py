"""Tiny helpers to build fixed-width Strips from (text, style) parts."""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

Part = tuple[str, Style]


def line(parts: list[Part], width: int, fill: Style) -> Strip:
    """Concatenate parts, then crop or pad with `fill` to exactly `width` cells."""
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
