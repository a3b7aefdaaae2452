"""A Line-API widget that shows cached Strips and repaints only the spans that changed."""

from __future__ import annotations

from typing import Callable

from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from tnet.ui.render.diff import dirty_span

Renderer = Callable[[int, int], list[Strip]]  # (width, height) -> one Strip per line


class LinesWidget(Widget):
    """Holds the Strips of its last render; `show()` swaps the renderer and repaints changed spans only."""

    DEFAULT_CSS = """
    LinesWidget { height: 1fr; width: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._lines: list[Strip] = []
        self._renderer: Renderer | None = None
        self._blank = Style()
        self.cells_repainted = 0  # cells marked dirty since start (benchmarks, tests)

    @property
    def lines(self) -> list[Strip]:
        """The Strips currently on screen (one per line)."""
        return self._lines

    def show(self, renderer: Renderer, blank: Style | None = None) -> None:
        """Render with `renderer` at the current size and repaint what changed; kept for resizes."""
        self._renderer = renderer
        if blank is not None:
            self._blank = blank
        self._rerender(force=False)

    def _rerender(self, force: bool) -> None:
        width, height = self.size
        if self._renderer is None or width <= 0 or height <= 0:
            return
        new = self._renderer(width, height)[:height]
        old = self._lines
        self._lines = new
        if force or len(old) != len(new):
            self.cells_repainted += width * height
            self.refresh()
            return
        regions = []
        for y, (before, after) in enumerate(zip(old, new)):
            span = dirty_span(before, after)
            if span is not None:
                regions.append(Region(span[0], y, span[1] - span[0], 1))
                self.cells_repainted += span[1] - span[0]
        if regions:
            self.refresh(*regions)

    def on_resize(self) -> None:
        """A new size means new Strips for every line."""
        self._rerender(force=True)

    def render_line(self, y: int) -> Strip:
        """Line API: the cached Strip for line `y` (blank past the end)."""
        width = self.size.width
        if y < len(self._lines):
            strip = self._lines[y]
            return strip if strip.cell_length == width else strip.adjust_cell_length(width, self._blank)
        return Strip.blank(width, self._blank)
