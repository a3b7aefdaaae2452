"""The README pictures (docs/pictures.py): rsvg-convert draws Textual's SVG as the terminal shows it."""

from __future__ import annotations

import html
import importlib.util
import re
from pathlib import Path
from types import ModuleType

from rich.cells import cell_len

from tests.test_ui_snapshots import screen_text
from tnet.ui.app import TnetApp
from tnet.ui.fake import FakeRuntime

PICTURES = Path(__file__).resolve().parent.parent / "docs" / "pictures.py"
_RUN = re.compile(r'<text class="[^"]*" x="([0-9.]+)" y="[0-9.]+" textLength="([0-9.]+)" '
                  r'clip-path="url\(#[\w-]+-line-(\d+)\)">([^<]*)</text>')


def _pictures() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pictures", PICTURES)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def drawn_by_rsvg(svg: str, width: int, height: int) -> list[str]:
    """The screen's lines as rsvg-convert lays the SVG out: each run drawn from its x, its edge spaces dropped."""
    grid = [[" "] * width for _ in range(height)]
    for x, length, row, body in _RUN.findall(svg):
        text = html.unescape(body)
        if not cell_len(text):
            continue
        col = round(float(x) / (float(length) / cell_len(text)))
        for ch in text.strip("\xa0"):
            if col < width:
                grid[int(row)][col] = " " if ch == "\xa0" else ch
            col += cell_len(ch)
    return ["".join(r).rstrip() for r in grid]


async def test_picture_svg_draws_each_run_where_the_terminal_does(tmp_path: Path) -> None:
    pictures = _pictures()
    app = TnetApp(FakeRuntime(), refresh_hz=20.0)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.5)
        shown = [line.rstrip() for line in screen_text(app).splitlines()]
        svg = tmp_path / "screen.svg"
        pictures.save_svg(app, svg, "tnet demo 160x48")
    drawn = drawn_by_rsvg(svg.read_text(encoding="utf-8"), 160, 48)
    assert "67,000.0  OI 20.5B" in drawn[0], drawn[0]  # the header's price is not glued to "OI"
    for y, (a, b) in enumerate(zip(drawn, shown)):
        assert a == b, f"line {y} drawn as\n{a!r}\nnot\n{b!r}"
