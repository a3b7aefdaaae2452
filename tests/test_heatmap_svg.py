"""`snapshot --svg`: a bounded, well-formed picture of a 24 h heatmap, written atomically."""

from __future__ import annotations

import dataclasses
import os
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from tnet.cli.heatmap_svg import MAX_COLS, MAX_ROWS, WALL_COLOUR, render_heatmap_svg, write_heatmap_svg
from tnet.engine.views import HeatmapView, SymbolView, TapeView


def _view(cols: int = 1440, rows: int = 500) -> SymbolView:
    rng = np.random.default_rng(1)
    long_usd = rng.lognormal(10, 2, (cols, rows)).astype(np.float32)
    short_usd = rng.lognormal(10, 2, (cols, rows)).astype(np.float32)
    long_usd[:, :10] = 0.0  # empty rows stay unpainted
    hm = HeatmapView(t0_ms=0, col_ms=60_000, price_lo=80_000.0, bucket_usd=20.0, long_usd=long_usd,
                     short_usd=short_usd, price_path=np.linspace(84_000, 86_000, cols),
                     prints=[(cols * 60_000 - 1, 85_000.0, "long", 250_000.0)])
    tape = TapeView(events=[], clusters=[], long_usd=0.0, short_usd=0.0, window_s=3600)
    return SymbolView(symbol="BTC", ts_ms=cols * 60_000, price=85_000.0, bucket_usd=20.0, levels=[], zones=[],
                      tape=tape, calibration={}, oi={}, heatmap=hm)


def test_picture_is_pooled_valid_and_readable(tmp_path: Path) -> None:
    out = tmp_path / "h.svg"
    old = os.umask(0o022)
    try:
        write_heatmap_svg(_view(), out)
    finally:
        os.umask(old)
    root = ET.parse(out).getroot()  # well-formed XML
    rects = [e for e in root.iter() if e.tag.endswith("rect")]
    assert 1000 < len(rects) <= MAX_COLS * MAX_ROWS + 1  # + the background
    assert any(e.tag.endswith("polyline") for e in root.iter())  # the price path
    assert any(e.tag.endswith("circle") for e in root.iter())  # the real print
    assert out.stat().st_size < 4_000_000
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # a picture for people, not a 0600 temp file


def test_empty_heatmap_says_so(tmp_path: Path) -> None:
    view = _view(cols=0, rows=0)
    out = tmp_path / "e.svg"
    write_heatmap_svg(view, out)
    assert "no data yet" in out.read_text()


def _book_view(wall_col: int, wall_row: int) -> SymbolView:
    """A small map with a flat book, one wall (one column only) and a first column without a book sample."""
    view = _view(cols=60, rows=100)
    hm = view.heatmap
    bids = np.full((60, 100), 1_000.0, dtype=np.float32)
    asks = np.full((60, 100), 1_000.0, dtype=np.float32)
    asks[wall_col, wall_row] = 500_000.0
    bids[0] = asks[0] = np.nan
    return dataclasses.replace(view, heatmap=dataclasses.replace(hm, bid_usd=bids, ask_usd=asks))


def test_book_layer_and_walls(tmp_path: Path) -> None:
    view = _book_view(30, 70)
    book = render_heatmap_svg(view, layer="book")
    root = ET.fromstring(book)
    fills = {e.get("fill") for e in root.iter() if e.tag.endswith("rect")}
    assert "resting order book" in book and "#0b0b10" in fills and len(fills) > 1
    assert not fills & {e.get("fill") for e in ET.fromstring(render_heatmap_svg(view)).iter() if e.tag.endswith("rect")} - {"#0b0b10"}  # its own ramp
    both = ET.fromstring(render_heatmap_svg(view, layer="both"))
    walls = [e for e in both.iter() if e.tag.endswith("line") and e.get("stroke") == WALL_COLOUR]
    assert len(walls) == 1  # the flat book is no wall; the 500k cell is
    # drawn in the wall's column and row: x from the column, y from the row (price rows go up)
    x1, y1 = float(walls[0].get("x1")), float(walls[0].get("y1"))
    assert abs(x1 - (80 + 30 * (1200 - 100) / 60)) < 0.2 and abs(y1 - (36 + 564 - 70.5 * 564 / 100)) < 0.2
    assert "book walls" in render_heatmap_svg(view, layer="both")


def test_book_layer_without_book_says_so() -> None:
    assert "no order book data" in render_heatmap_svg(_view(cols=10, rows=10), layer="book")
