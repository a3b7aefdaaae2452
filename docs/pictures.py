"""Regenerate the README pictures: `tnet demo` (the in-process simulator) at 160x48 and 100x30.

    python docs/pictures.py            # writes docs/screen-160x48.{svg,png} and docs/screen-100x30.{svg,png}

SVGs come from Textual's own screenshot; PNGs from `rsvg-convert` (Debian: librsvg2-bin) when it is
installed. The simulator is seeded, so the market is the same each run; the clock is not.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

from tnet.config import Settings, Source
from tnet.runtime import Runtime
from tnet.symbols import resolve_all
from tnet.ui.app import TnetApp

DOCS = Path(__file__).resolve().parent
SIZES = ((160, 48), (100, 30))
SETTLE_S = 8.0  # after the warm start: long enough for prints on the tape and the first live columns


async def shoot(width: int, height: int) -> Path:
    """Run the demo headless at width x height and save its SVG."""
    settings = Settings(source=Source("sim"), save_state=False)
    runtime = Runtime(resolve_all(["BTC", "ETH", "SOL"]), settings)
    app = TnetApp(runtime, color_depth=256)
    async with app.run_test(size=(width, height)) as pilot:
        for _ in range(120):  # wait for the warm start (about a second of numpy work)
            await pilot.pause(0.5)
            view = app._view
            if view is not None and view.heatmap is not None and view.price > 0:
                break
        await pilot.pause(SETTLE_S)
        svg = DOCS / f"screen-{width}x{height}.svg"
        svg.write_text(app.export_screenshot(title=f"tnet demo {width}x{height}"), encoding="utf-8")
        await app.action_quit_app()
    return svg


def main() -> None:
    converter = shutil.which("rsvg-convert")
    for width, height in SIZES:
        svg = asyncio.run(shoot(width, height))
        print(svg)
        if converter:
            png = svg.with_suffix(".png")
            subprocess.run([converter, "--zoom", "1.0", "-o", str(png), str(svg)], check=True)
            print(png)
        else:
            print("rsvg-convert not found: PNGs not written (apt-get install librsvg2-bin)", file=sys.stderr)


if __name__ == "__main__":
    main()
