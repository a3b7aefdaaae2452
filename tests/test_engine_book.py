"""The order-book layer: venues' sampled books summed per map bucket in USD, staleness, and history."""

from __future__ import annotations

import math

import numpy as np

from tnet.engine.book import BookLayer, bucket_depth
from tnet.engine.engine import SymbolEngine
from tnet.events import BookDepth, MarkPrice

T0 = 29_833_334 * 60_000 + 40_000  # 40 s into a minute


def _engine(price: float = 1000.0) -> SymbolEngine:
    eng = SymbolEngine("BTC", ("binance", "bybit", "okx"), bucket_usd=10.0)
    eng.on_event(MarkPrice("binance", "BTC", T0, T0, price))
    return eng


def _depth(venue: str, ts: int, bids: list[tuple[float, float]], asks: list[tuple[float, float]],
           recv: int | None = None) -> BookDepth:
    return BookDepth(venue, "BTC", ts, ts if recv is None else recv, bids, asks)


def _level(view, price: float):  # noqa: ANN001, ANN202 - test helper
    return next(lv for lv in view.book.levels if abs(lv.price - price) < 1e-6)


def test_book_summed_across_venues_equals_hand_computed() -> None:
    eng = _engine()
    # $10 buckets, bucket k holds prices [10k - 5, 10k + 5)
    eng.on_event(_depth("binance", T0 + 100, [(995.0, 2.0), (994.0, 1.0)], [(1004.0, 1.0), (1006.0, 3.0)]))
    eng.on_event(_depth("bybit", T0 + 200, [(996.0, 0.5)], [(1007.0, 1.0)]))
    view = eng.view(T0 + 500)
    book = view.book
    assert book is not None and book.venues == ["binance", "bybit"] and book.ts_ms == T0 + 200
    # by hand: bucket 1000 bids 995*2 + 996*0.5 = 1990 + 498; bucket 990 bids 994*1;
    # bucket 1000 asks 1004*1; bucket 1010 asks 1006*3 + 1007*1 = 3018 + 1007
    assert _level(view, 1000.0).bid_usd == 2488.0 and _level(view, 1000.0).ask_usd == 1004.0
    assert _level(view, 990.0).bid_usd == 994.0 and _level(view, 990.0).ask_usd == 0.0
    assert _level(view, 1010.0).bid_usd == 0.0 and _level(view, 1010.0).ask_usd == 4025.0
    assert book.bid_usd == 3482.0 and book.ask_usd == 5029.0
    # the per-bucket arrays sit on the map's grid
    i = round((1010.0 - book.price_lo) / book.bucket_usd)
    assert book.bucket_usd == 10.0 and book.asks[i] == 4025.0
    # the level rows are the liquidation profile's rows
    assert [lv.price for lv in book.levels] == [lv.price for lv in view.levels]


def test_wider_rows_sum_whole_buckets() -> None:
    layer = BookLayer(1, half_rows=20)
    layer.add(0, T0, T0, [(1000.0, 1.0), (990.0, 1.0), (980.0, 1.0)], [], 10.0, 1000.0)
    from tnet.engine.views import Level

    # rows of 3 buckets centred on 990 (980, 990, 1000) and on 1020 (1010..1030)
    levels = [Level(990.0, 0.0, 0.0), Level(1020.0, 0.0, 0.0)]
    view = layer.view(T0, 10.0, 1000.0, levels, ["binance"])
    assert view is not None
    assert [lv.bid_usd for lv in view.levels] == [1000.0 + 990.0 + 980.0, 0.0]


def test_a_venue_whose_samples_stop_drops_out_then_no_book_at_all() -> None:
    eng = _engine()
    eng.on_event(_depth("binance", T0, [(995.0, 1.0)], [(1005.0, 1.0)]))
    books = {}
    for s in range(0, 37):
        ts = T0 + s * 1000
        eng.on_event(MarkPrice("binance", "BTC", ts, ts, 1000.0))
        if s <= 20:  # okx keeps sampling for 20 s, binance stopped at 0 s
            eng.on_event(_depth("okx", ts, [(995.0, 3.0)], []))
        books[s] = eng.view(ts).book
    assert books[15] is not None and books[15].venues == ["binance", "okx"] and books[15].bid_usd == 995.0 * 4
    at_16 = books[16]  # binance's last sample is 16 s old: out
    assert at_16 is not None and at_16.venues == ["okx"] and at_16.bid_usd == 995.0 * 3 and at_16.ask_usd == 0.0
    assert books[35] is not None and books[36] is None  # every book stale: no data, not zeros


def test_history_keeps_a_wall_that_was_pulled_and_marks_bookless_minutes_unknown() -> None:
    eng = _engine()
    minute0 = (T0 // 60_000 + 1) * 60_000  # the first whole minute after T0
    for s in range(0, 150):
        ts = T0 + s * 1000
        eng.on_event(MarkPrice("binance", "BTC", ts, ts, 1000.0))
        if ts < minute0:
            continue  # no book before minute0: those columns are unknown
        asks = [(1005.0, 1.0)]
        if minute0 + 10_000 <= ts < minute0 + 15_000:
            asks.append((1040.0, 50.0))  # a 50 BTC wall shown for 5 s, then pulled
        eng.on_event(_depth("bybit", ts, [(995.0, 1.0)], asks))
    view = eng.view(T0 + 150_000, heatmap=True)
    hm = view.heatmap
    assert hm is not None and hm.ask_usd is not None and hm.bid_usd is not None
    assert hm.ask_usd.shape == hm.long_usd.shape
    wall_row = round((1040.0 - hm.price_lo) / hm.bucket_usd)
    first_row = round((1010.0 - hm.price_lo) / hm.bucket_usd)  # 1005 rounds up into the 1010 bucket
    j = (minute0 - hm.t0_ms) // hm.col_ms
    assert hm.ask_usd[j, wall_row] == 50.0 * 1040.0  # the wall's minute keeps it
    assert hm.ask_usd[j + 1, wall_row] == 0.0  # the next minute: gone
    assert hm.ask_usd[j + 1, first_row] == 1005.0
    assert np.isnan(hm.ask_usd[j - 1]).all()  # before the first sample: unknown, not empty
    # and the current book has no wall
    assert view.book is not None and view.book.ask_usd == 1005.0


def test_bad_levels_are_dropped_and_arrays_stay_bounded() -> None:
    lo, usd = bucket_depth([(1000.0, 1.0), (math.nan, 1.0), (1000.0, -2.0), (1e12, 5.0), (0.0, 1.0), (990.0, math.inf)],
                           10.0, centre=100, half_rows=240)
    assert lo == 100 and usd.tolist() == [1000.0]
    assert bucket_depth([], 10.0, 100, 240)[1].size == 0


def test_an_older_sample_does_not_replace_a_newer_one() -> None:
    layer = BookLayer(1, half_rows=20)
    layer.add(0, T0 + 1000, T0 + 1000, [(1000.0, 2.0)], [], 10.0, 1000.0)
    layer.add(0, T0, T0 + 1100, [(1000.0, 9.0)], [], 10.0, 1000.0)
    view = layer.view(T0 + 1000, 10.0, 1000.0, [], ["binance"])
    assert view is not None and view.bid_usd == 2000.0


def test_books_of_unknown_venues_and_before_the_first_price_are_ignored() -> None:
    eng = SymbolEngine("BTC", ("binance",), bucket_usd=10.0)
    eng.on_event(_depth("binance", T0, [(995.0, 1.0)], []))  # no price yet: no grid to put it on
    eng.on_event(MarkPrice("binance", "BTC", T0, T0, 1000.0))
    eng.on_event(_depth("kraken", T0, [(995.0, 1.0)], []))
    assert eng.view(T0).book is None
    assert eng.view(T0, heatmap=True).heatmap.bid_usd is None  # no book ever: no matrices


def test_the_book_travels_through_the_collector_codec() -> None:
    from tnet.broker.codec import dumps, view_from_dict, view_to_dict

    eng = _engine()
    eng.on_event(_depth("binance", T0 + 100, [(995.0, 2.0)], [(1004.0, 1.0)]))
    view = eng.view(T0 + 500)
    back = view_from_dict(orjson_roundtrip(dumps(view_to_dict(view))))
    assert back.book is not None and back.book.levels == view.book.levels and back.book.venues == ["binance"]
    assert np.array_equal(back.book.asks, view.book.asks)
    bare = eng.view(T0 + 60_000)  # stale: no book, and none after the trip either
    assert bare.book is None and view_from_dict(orjson_roundtrip(dumps(view_to_dict(bare)))).book is None


def orjson_roundtrip(raw: bytes) -> dict:
    import orjson

    return orjson.loads(raw)


def test_staleness_runs_on_the_receive_clock() -> None:
    # a scaled-time simulator: exchange time runs 20x the receive clock, one sample a second received
    eng = _engine()
    for k in range(5):
        recv = T0 + 1000 * k
        eng.on_event(MarkPrice("okx", "BTC", T0 + 20_000 * k, recv, 1000.0))
        eng.on_event(_depth("okx", T0 + 20_000 * k, [(995.0, 1.0)], [], recv=recv))
        eng.on_event(_depth("bybit", T0 + 20_000 * k, [(995.0, 2.0)], [], recv=recv))
    book = eng.view(T0 + 4000).book  # 20 s of exchange time between samples, 1 s between receptions: fresh
    assert book is not None and book.venues == ["bybit", "okx"] and book.bid_usd == 995.0 * 3
    assert eng.view(T0 + 4000 + 15_001).book is None
