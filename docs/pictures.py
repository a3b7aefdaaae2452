"""Regenerate the README pictures: `tnet demo` (the in-process simulator) at 160x48 and 100x30, and the
order-book layer at 160x48 after five minutes of live book columns (the book has no history before start).

    python docs/pictures.py            # docs/screen-160x48, screen-100x30, screen-book-160x48 (.svg, .png)
    python docs/pictures.py book       # only the order-book picture

SVGs come from Textual's own screenshot; PNGs from `rsvg-convert` (Debian: librsvg2-bin) when it is
installed. The simulator is seeded, so the market is the same each run; the clock is not.
"""

from __future__ import annotations

import asyncio
import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

from rich.cells import cell_len

from tnet.cli.commands import DEMO_SEED
from tnet.config import Settings, Source
from tnet.runtime import Runtime
from tnet.symbols import resolve_all
from tnet.ui.app import TnetApp

DOCS = Path(__file__).resolve().parent
SIZES = ((160, 48), (100, 30))
BOOK_SIZE = (160, 48)
SETTLE_S = 8.0  # after the warm start: long enough for prints on the tape and the first live columns
BOOK_SETTLE_S = 300.0  # five one-minute columns of book history


# One run of text in Textual's SVG: <text class x y textLength clip-path>body</text>, spaces written as &#160;.
_RUN = re.compile(r'<text (class="[^"]*") x="([0-9.]+)" (y="[0-9.]+") textLength="([0-9.]+)"([^>]*)>([^<]*)</text>')


def for_rsvg(svg: str) -> str:
    """Textual's SVG with each text run's leading and trailing spaces moved into its x and textLength.

    rsvg-convert drops a run's edge spaces and draws the rest from the run's x, which glued the
    header's price to "OI" and shifted right-aligned numbers in the PNGs; a run of spaces only is
    dropped (the background is drawn by its own rects).
    """

    def one(m: re.Match[str]) -> str:
        cls, x, y, length, rest, body = m.groups()
        text = html.unescape(body)
        core = text.strip("\xa0")
        if core == text or not cell_len(text):
            return m.group(0)
        if not core:
            return ""
        cell = float(length) / cell_len(text)
        x_core = float(x) + cell_len(text[: len(text) - len(text.lstrip("\xa0"))]) * cell
        body_core = html.escape(core, quote=False).replace("\xa0", "&#160;")
        return f'<text {cls} x="{x_core:g}" {y} textLength="{cell * cell_len(core):g}"{rest}>{body_core}</text>'

    return _RUN.sub(one, svg)


def save_svg(app: TnetApp, path: Path, title: str) -> None:
    """The app's screen as an SVG that rsvg-convert draws as the terminal shows it."""
    path.write_text(for_rsvg(app.export_screenshot(title=title)), encoding="utf-8")


async def shoot(width: int, height: int, source: Source = Source("sim"), keys: tuple[str, ...] = (),
                settle_s: float = SETTLE_S, name: str = "screen", title: str = "tnet demo") -> Path:
    """Run the TUI headless at width x height on `source` (books on, as `tnet demo` has them), press
    `keys`, let it run `settle_s` and save its SVG."""
    settings = Settings(source=source, save_state=False, book=True, sim_seed=DEMO_SEED)
    runtime = Runtime(resolve_all(["BTC", "ETH", "SOL"]), settings)
    app = TnetApp(runtime, color_depth=256)
    async with app.run_test(size=(width, height)) as pilot:
        for _ in range(120):  # wait for the warm start (about a second of numpy work)
            await pilot.pause(0.5)
            view = app._view
            if view is not None and view.heatmap is not None and view.price > 0:
                break
        if keys:
            await pilot.press(*keys)
        await pilot.pause(settle_s)
        svg = DOCS / f"{name}-{width}x{height}.svg"
        save_svg(app, svg, f"{title} {width}x{height}")
        await app.action_quit_app()
    return svg


def shoot_book(width: int, height: int) -> Path:
    """The order-book layer (`b`) on a 15-minute window at ±2 % after BOOK_SETTLE_S of live book columns."""
    return asyncio.run(shoot(width, height, keys=("left_square_bracket", "plus", "plus", "b"), settle_s=BOOK_SETTLE_S,
                             name="screen-book", title="tnet demo, b: order book"))


def main() -> None:
    converter = shutil.which("rsvg-convert")
    shots = [lambda w=w, h=h: asyncio.run(shoot(w, h)) for w, h in SIZES] + [lambda: shoot_book(*BOOK_SIZE)]
    if sys.argv[1:] == ["book"]:
        shots = shots[-1:]
    for take in shots:
        svg = take()
        print(svg)
        if converter:
            png = svg.with_suffix(".png")
            subprocess.run([converter, "--zoom", "1.0", "-o", str(png), str(svg)], check=True)
            print(png)
        else:
            print("rsvg-convert not found: PNGs not written (apt-get install librsvg2-bin)", file=sys.stderr)


if __name__ == "__main__":
    main()
