"""Bybit v5 linear parser and spec: real/official frames with hand-computed expectations."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tnet.connectors.bybit import BybitParser, BybitSpec
from tnet.events import Bar, Liquidation, MarkPrice, OpenInterest, Trades
from tnet.symbols import KNOWN_SYMBOLS, resolve, resolve_all

FRAMES = dict(
    line.split("\t", 1)
    for line in (Path(__file__).parent / "frames" / "bybit.tsv").read_text().splitlines()
)
RECV = 1_791_565_601_700
SPEC = BybitSpec()
ROSE = resolve("ROSE", {"ROSE": 10.0})


@pytest.fixture
def parser() -> BybitParser:
    return SPEC.make_parser(resolve_all(["BTC", "ETH"]))


def parse_one(parser: BybitParser, name: str) -> list:
    return parser.parse(FRAMES[name], RECV)


def test_official_rose_example_sell_is_short() -> None:
    parser = SPEC.make_parser([ROSE])
    [liq] = parse_one(parser, "official_all_liquidation_rose")
    assert isinstance(liq, Liquidation)
    assert (liq.venue, liq.symbol, liq.side) == ("bybit", "ROSE", "short")  # S = position side
    assert (liq.qty, liq.price) == (20000.0, 0.04499)
    assert liq.usd == pytest.approx(899.8)  # 20000 * 0.04499
    assert liq.ts_ms == 1739502302929  # row T, not outer ts


def test_real_btc_batch_buy_is_long(parser: BybitParser) -> None:
    first, second = parse_one(parser, "real_all_liquidation_btc_2026")
    assert (first.symbol, first.side, second.side) == ("BTC", "long", "long")
    assert first.usd == pytest.approx(494.3814)  # 0.006 * 82396.90
    assert second.usd == pytest.approx(3130.9834)  # 0.038 * 82394.30
    assert (first.ts_ms, second.ts_ms) == (1791565600992, 1791565601058)


def test_old_liquidation_topic(parser: BybitParser) -> None:
    [liq] = parse_one(parser, "official_old_liquidation")
    assert (liq.symbol, liq.side) == ("BTC", "short")
    assert liq.usd == pytest.approx(130.5351)  # 0.003 * 43511.70
    assert liq.ts_ms == 1703485237953


def test_unwatched_symbol_topics_are_dropped_silently(parser: BybitParser) -> None:
    assert parse_one(parser, "official_all_liquidation_rose") == []
    frame = FRAMES["made_public_trade"].replace("BTCUSDT", "SOLUSDT")
    assert parser.parse(frame, RECV) == []
    assert parser.stats.parse_errors == 0


def test_tickers_snapshot_then_deltas_merge(parser: BybitParser) -> None:
    mark, oi = parse_one(parser, "official_tickers_snapshot")
    assert isinstance(mark, MarkPrice) and isinstance(oi, OpenInterest)
    assert (mark.price, mark.ts_ms) == (66666.60, 1760325052630)
    # no single-side fields: openInterest counts both sides, so one side is half of it
    assert (oi.oi_base, oi.oi_usd, oi.ts_ms) == (492373.72 / 2, 32824881841.75 / 2, 1760325052630)
    # Delta with only the value changed: base coin comes from the merged snapshot.
    [oi] = parse_one(parser, "made_tickers_delta_oi_value")
    assert isinstance(oi, OpenInterest)
    assert (oi.oi_base, oi.oi_usd, oi.ts_ms) == (492373.72 / 2, 32825000000.0 / 2, 1760325052730)
    [mark] = parse_one(parser, "made_tickers_delta_mark")
    assert isinstance(mark, MarkPrice) and mark.price == 66670.0
    assert parse_one(parser, "made_tickers_delta_quiet") == []
    assert parser.stats.parse_errors == 0


def test_tickers_prefer_single_sided_open_interest(parser: BybitParser) -> None:
    mark, oi = parse_one(parser, "made_tickers_snapshot_single")
    assert mark.price == 82651.0
    assert (oi.oi_base, oi.oi_usd) == (50000.0, 4132550000.0)  # single, not the 100000 total
    delta = ('{"topic":"tickers.BTCUSDT","type":"delta","data":{"singleOpenInterestValue":'
             '"4133000000.00"},"cs":9600000001,"ts":1791565601600}')
    [oi] = parser.parse(delta, RECV)
    assert (oi.oi_base, oi.oi_usd) == (50000.0, 4133000000.0)


def test_real_ticker_both_sides_is_twice_one_side(parser: BybitParser) -> None:
    """The 2026-08-13 capture carries both figures; without the single-side fields the same frame
    must give the same one-sided open interest (openInterest halved), not twice it."""
    frame = orjson.loads(FRAMES["real_tickers_snapshot_2026_08"])
    _mark, oi = parser.parse(orjson.dumps(frame), RECV)
    assert (oi.oi_base, oi.oi_usd) == (29986.128, 1905942284.58)
    del frame["data"]["singleOpenInterest"], frame["data"]["singleOpenInterestValue"]
    _mark, halved = parser.parse(orjson.dumps(frame), RECV)
    assert (halved.oi_base, halved.oi_usd) == pytest.approx((29986.128, 1905942284.58), rel=1e-15)
    assert parser.stats.parse_errors == 0


def test_a_bad_delta_does_not_poison_merged_state(parser: BybitParser) -> None:
    parse_one(parser, "official_tickers_snapshot")
    bad = ('{"topic":"tickers.BTCUSDT","type":"delta","data":{"openInterest":"NaN"},'
           '"cs":1,"ts":1760325052700}')
    assert parser.parse(bad, RECV) == []
    assert parser.stats.parse_errors == 1
    [oi] = parse_one(parser, "made_tickers_delta_oi_value")
    assert oi.oi_base == 492373.72 / 2


def test_public_trade_message_is_summed_by_taker_side(parser: BybitParser) -> None:
    [trades] = parse_one(parser, "made_public_trade")
    assert isinstance(trades, Trades)
    assert trades.buy_qty == pytest.approx(0.035)  # 0.010 + 0.025 (S = taker side)
    assert trades.sell_qty == pytest.approx(0.300)
    assert trades.price == 82650.00  # last trade's price
    assert trades.ts_ms == 1791565601598


def test_control_frames_and_errors(parser: BybitParser) -> None:
    assert parse_one(parser, "official_pong") == []
    assert parse_one(parser, "official_subscribe_ack") == []
    assert parser.stats.parse_errors == 0 and parser.stats.venue_errors == []
    assert parse_one(parser, "made_subscribe_error") == []
    assert parser.stats.parse_errors == 0
    assert parser.stats.venue_errors == ["subscribe: Invalid symbol :[allLiquidation.NOPE]"]


def test_junk_counts_as_parse_error(parser: BybitParser) -> None:
    for junk in ("", "pong", "{}", '{"topic":"orderbook.50.BTCUSDT","data":{}}',
                 '{"topic":"publicTrade.BTCUSDT","data":[]}', '{"topic":"tickers.BTCUSDT"}'):
        assert parser.parse(junk, RECV) == []
    assert parser.stats.parse_errors == 6
    assert parser.stats.frames == 6


KLINES = {
    "retCode": 0, "retMsg": "OK",
    "result": {"category": "linear", "symbol": "BTCUSDT", "list": [
        ["1791565500000", "82650.00", "82660.00", "82600.00", "82610.50", "100.000", "8260000.0"],
        ["1791565200000", "82600.10", "82700.00", "82550.00", "82650.00", "512.345", "42345678.9"],
    ]},
    "retExtInfo": {}, "time": 1791565800100,
}
OPEN_INTEREST = {
    "retCode": 0, "retMsg": "OK",
    "result": {"category": "linear", "symbol": "BTCUSDT", "list": [
        {"openInterest": "51000.500", "timestamp": "1791565500000"},
        {"openInterest": "50990.000", "timestamp": "1791565200000"},
        {"openInterest": "50900.000", "timestamp": "1790000000000"},  # no kline near: skipped
    ], "nextPageCursor": "abc"},
    "retExtInfo": {}, "time": 1791565800200,
}


def test_history_klines_then_open_interest_priced_by_close() -> None:
    btc = resolve_all(["BTC"])[0]
    parser = SPEC.make_parser([btc])
    kline_path, oi_path = SPEC.history_requests(btc, 1791565800000, 2)
    bars = parser.parse_rest(kline_path, orjson.dumps(KLINES), RECV)
    assert [type(b) for b in bars] == [Bar, Bar]
    assert [b.ts_ms for b in bars] == [1791565200000, 1791565500000]  # newest-first reversed
    assert (bars[0].open, bars[0].close, bars[0].volume) == (82600.10, 82650.0, 512.345)
    assert bars[0].buy_volume != bars[0].buy_volume  # NaN: no taker split
    events = parser.parse_rest(oi_path, orjson.dumps(OPEN_INTEREST), RECV)
    assert [e.ts_ms for e in events] == [1791565200000, 1791565500000]
    # Rows without singleOpenInterest count both sides: one side is half.
    # OI at 1791565500000 is priced by the bar that ended then (opened 1791565200000, close 82650);
    # OI at 1791565200000 has no bar ending then, so the bar opening then (close 82650) is used.
    assert [e.oi_base for e in events] == [50990.0 / 2, 51000.5 / 2]
    assert events[0].oi_usd == pytest.approx(50990.0 / 2 * 82650.0)
    assert events[1].oi_usd == pytest.approx(51000.5 / 2 * 82650.0)
    assert parser.stats.parse_errors == 0


def test_history_open_interest_prefers_single_side() -> None:
    btc = resolve_all(["BTC"])[0]
    parser = SPEC.make_parser([btc])
    kline_path, oi_path = SPEC.history_requests(btc, 1791565800000, 2)
    parser.parse_rest(kline_path, orjson.dumps(KLINES), RECV)
    body = dict(OPEN_INTEREST, result={"symbol": "BTCUSDT", "list": [
        {"openInterest": "100000", "singleOpenInterest": "50000", "timestamp": "1791565500000"}]})
    [oi] = parser.parse_rest(oi_path, orjson.dumps(body), RECV)
    assert oi.oi_base == 50000.0


def test_history_open_interest_real_rest_row_is_halved() -> None:
    """The REST probe of 2026-09-15 (exchange-protocols.md): openInterest 52664.642 with
    singleOpenInterest 26332.321; the same row without the single field gives the same one side."""
    btc = resolve_all(["BTC"])[0]
    parser = SPEC.make_parser([btc])
    kline_path, oi_path = SPEC.history_requests(btc, 1791565800000, 2)
    parser.parse_rest(kline_path, orjson.dumps(KLINES), RECV)
    body = dict(OPEN_INTEREST, result={"symbol": "BTCUSDT", "list": [
        {"openInterest": "52664.642", "timestamp": "1791565500000"}]})
    [oi] = parser.parse_rest(oi_path, orjson.dumps(body), RECV)
    assert oi.oi_base == 26332.321


def test_rest_error_and_junk() -> None:
    btc = resolve_all(["BTC"])[0]
    parser = SPEC.make_parser([btc])
    path = SPEC.history_requests(btc, 1791565800000, 2)[0]
    body = b'{"retCode":10001,"retMsg":"params error: symbol invalid","result":{},"time":1}'
    assert parser.parse_rest(path, body, RECV) == []
    assert parser.stats.venue_errors == ["/v5/market/kline 10001: params error: symbol invalid"]
    assert parser.parse_rest(path, b"\x00\xff", RECV) == []
    assert parser.stats.parse_errors == 1


def test_spec_protocol_facts() -> None:
    symbols = resolve_all(["BTC", "ETH"])
    assert SPEC.ws_url(SPEC.default_endpoints, symbols) == "wss://stream.bybit.com/v5/public/linear"
    assert SPEC.default_endpoints.rest == "https://api.bybit.com"
    [frame] = SPEC.subscribe_frames(symbols)
    assert orjson.loads(frame) == {
        "op": "subscribe", "req_id": "1",
        "args": ["allLiquidation.BTCUSDT", "tickers.BTCUSDT", "publicTrade.BTCUSDT",
                 "allLiquidation.ETHUSDT", "tickers.ETHUSDT", "publicTrade.ETHUSDT"],
    }
    assert SPEC.heartbeat_s == 20 and orjson.loads(SPEC.heartbeat_frame()) == {"op": "ping"}
    assert SPEC.max_connection_s is None
    assert SPEC.rest_polls(symbols) == [] and SPEC.metadata_requests(symbols) == []
    assert "500 ms" in SPEC.limits_note


def test_subscribe_frames_keep_args_under_limit() -> None:
    symbols = resolve_all(sorted(KNOWN_SYMBOLS)) * 10  # ~430 symbols, ~1300 topics
    frames = [orjson.loads(f) for f in SPEC.subscribe_frames(symbols)]
    assert len(frames) > 1
    assert all(len(orjson.dumps(frame["args"])) < 21_000 for frame in frames)
    assert sum(len(frame["args"]) for frame in frames) == 3 * len(symbols)
    assert [frame["req_id"] for frame in frames] == [str(n) for n in range(1, len(frames) + 1)]


def test_history_requests_pages_open_interest() -> None:
    btc = resolve_all(["BTC"])[0]
    paths = SPEC.history_requests(btc, 1_000_000_000_000, 288)
    assert paths == [
        "/v5/market/kline?category=linear&symbol=BTCUSDT&interval=5&limit=288&end=1000000000000",
        "/v5/market/open-interest?category=linear&symbol=BTCUSDT&intervalTime=5min&limit=200"
        "&endTime=1000000000000",
        # second page ends 200 bars * 300,000 ms = 60,000,000 ms earlier
        "/v5/market/open-interest?category=linear&symbol=BTCUSDT&intervalTime=5min&limit=200"
        "&endTime=999940000000",
    ]
