"""`snapshot --svg`: a bounded, well-formed picture of a 24 h heatmap, written atomically."""

from __future__ import annotations

import os
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from tnet.cli.heatmap_svg import MAX_COLS, MAX_ROWS, write_heatmap_svg
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
