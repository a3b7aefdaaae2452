"""The order-book layer on screen: `b` cycles liquidations / book / both; profile, legend and walls follow."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from tnet.engine.views import BookView
from tnet.ui.app import TnetApp
from tnet.ui.fake import FakeRuntime
from tnet.ui.render import axes
from tnet.ui.render.heatmap import WALL, Viewport, wall_cells
from tnet.ui.render.text import strip_text
from tnet.ui.widgets.lines import LinesWidget


def _text(app: TnetApp, selector: str) -> str:
    return "\n".join(strip_text(s) for s in app.query_one(selector, LinesWidget).lines)


def _legend(app: TnetApp) -> str:
    return _text(app, "#chart").splitlines()[-1]


async def _cycle(size: tuple[int, int]) -> None:
    app = TnetApp(FakeRuntime(), refresh_hz=20.0, color_depth=256)
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.1)
        assert app.controls.layer == "liquidations" and "hazard" in _legend(app) and WALL not in _text(app, "#chart")
        await pilot.press("b")
        chart = _text(app, "#chart")
        assert app.controls.layer == "book" and "book" in _text(app, "#header")
        assert "book USD/cell" in _legend(app) and "asks" in chart and "bids" in chart
        await pilot.press("b")
        chart = _text(app, "#chart")
        assert app.controls.layer == "both" and "liq+b" in _text(app, "#header")
        assert "hazard" in _legend(app) and "wall" in _legend(app) and WALL in chart  # walls drawn over the map
        assert "liq" in chart.splitlines()[-2] and "book" in chart.splitlines()[-2]  # the profile's key
        await pilot.press("b")
        assert app.controls.layer == "liquidations" and "wall" not in _legend(app) and WALL not in _text(app, "#chart")


async def test_b_cycles_the_layer_at_160x48() -> None:
    await _cycle((160, 48))


async def test_b_cycles_the_layer_at_80x24() -> None:
    await _cycle((80, 24))


class _Bookless(FakeRuntime):
    """The fake market with no order-book data at all (depth feeds off)."""

    def view(self, symbol: str, heatmap: bool = True, measure: str = "usd", tape_min_usd: float = 0.0) -> Any:
        v = super().view(symbol, heatmap, measure, tape_min_usd)
        hm = dataclasses.replace(v.heatmap, bid_usd=None, ask_usd=None) if v.heatmap is not None else None
        return dataclasses.replace(v, book=None, heatmap=hm)


async def test_book_layer_without_book_data_says_so() -> None:
    app = TnetApp(_Bookless(), refresh_hz=20.0, color_depth=256)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.1)
        await pilot.press("b")
        assert "no order book data" in _text(app, "#chart") and "no book" in _legend(app)
        await pilot.press("b")
        assert "no book" in _legend(app) and WALL not in _text(app, "#chart")  # liquidations still drawn, no walls


def test_profile_rows_sum_the_book_by_hand() -> None:
    # book on $10 buckets from 950: bucket k at price 950 + 10k; terminal rows of $20 (two display rows of $10)
    bids = np.zeros(11)
    asks = np.zeros(11)
    bids[3], bids[4] = 100.0, 50.0  # 980, 990
    asks[6], asks[7] = 70.0, 30.0  # 1010, 1020
    book = BookView(ts_ms=0, venues=["okx"], bid_usd=150.0, ask_usd=100.0, levels=[], price_lo=950.0, bucket_usd=10.0,
                    bids=bids, asks=asks)
    # display row r covers prices (1025 - 10(r+1), 1025 - 10r]: cell 0 = 1005..1025 (buckets 1010, 1020), cell 1 = 985..1005
    vp = Viewport(price_top=1025.0, row_usd=10.0, rows=6, t_end_ms=0, col_ms=60_000, cols=1)
    rows = axes.book_rows(book, vp)
    assert rows.tolist() == [100.0, 50.0, 100.0]  # 1010+1020 asks; 990 bids (1000 empty); 980 bids (970 empty)
    assert axes.book_rows(None, vp).tolist() == [0.0, 0.0, 0.0]


def test_walls_are_the_largest_book_cells_and_a_flat_book_has_none() -> None:
    book = np.full((6, 10), 1_000.0)
    assert wall_cells(book) == (set(), 0.0)  # flat: nothing stands out
    book[3, 7] = 50_000.0
    cells, threshold = wall_cells(book)
    assert cells == {(1, 7)} and 1_000.0 < threshold <= 50_000.0  # display row 3 is terminal row 1
