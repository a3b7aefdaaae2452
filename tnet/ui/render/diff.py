"""Which cells of a line changed: lets widgets repaint only the changed span (bytes on an SSH link)."""

from __future__ import annotations

from rich.style import Style
from textual.strip import Strip


def _cells(strip: Strip) -> list[tuple[str, Style | None]]:
    return [(ch, seg.style) for seg in strip for ch in seg.text]


def dirty_span(old: Strip | None, new: Strip) -> tuple[int, int] | None:
    """[x0, x1) of the cells that differ between `old` and `new`, or None when they look the same."""
    if old is new:
        return None
    if old is None or old.cell_length != new.cell_length:
        return (0, new.cell_length) if new.cell_length else None
    if old == new:
        return None
    a, b = _cells(old), _cells(new)
    n = len(b)
    start = 0
    while start < n and a[start] == b[start]:
        start += 1
    if start == n:
        return None
    end = n
    while end > start and a[end - 1] == b[end - 1]:
        end -= 1
    return start, end
