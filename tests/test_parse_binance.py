"""Binance USDⓈ-M parser and spec: real/official frames with hand-computed expectations."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tnet.connectors.binance import BinanceParser, BinanceSpec
from tnet.events import Bar, Liquidation, MarkPrice, OpenInterest, Trades
from tnet.symbols import KNOWN_SYMBOLS, resolve_all

FRAMES = dict(
    line.split("\t", 1)
    for line in (Path(__file__).parent / "frames" / "binance.tsv").read_text().splitlines()
)
RECV = 1_791_565_603_100
SPEC = BinanceSpec()


@pytest.fixture
def parser() -> BinanceParser:
    return SPEC.make_parser(resolve_all(["BTC", "ETH"]))


def parse_one(parser: BinanceParser, name: str) -> list:
    return parser.parse(FRAMES[name], RECV)


def test_official_force_order_sell_is_long(parser: BinanceParser) -> None:
    [liq] = parse_one(parser, "official_force_order")
    assert isinstance(liq, Liquidation)
    assert (liq.venue, liq.symbol, liq.side) == ("binance", "BTC", "long")
    assert liq.qty == pytest.approx(0.014)
    assert liq.price == pytest.approx(9910.0)
    assert liq.usd == pytest.approx(138.74)  # 0.014 * 9910
    assert liq.ts_ms == 1568014460893  # o.T
    assert liq.recv_ms == RECV


def test_real_bbgo_force_order_uses_average_price(parser: BinanceParser) -> None:
    [liq] = parse_one(parser, "real_force_order_bbgo")
    assert liq.side == "long"
    assert liq.price == pytest.approx(26245.10)  # ap, not the limit price p 26142.12
    assert liq.usd == pytest.approx(3018.1865)  # 0.115 * 26245.10
    assert liq.ts_ms == 1695714031881


def test_real_combined_2026_frame_with_st(parser: BinanceParser) -> None:
    [liq] = parse_one(parser, "real_force_order_combined_2026")
    assert (liq.symbol, liq.side) == ("BTC", "long")
    assert liq.qty == pytest.approx(0.190)  # z (accumulated), not l 0.155
    assert liq.price == pytest.approx(82651.90)
    assert liq.usd == pytest.approx(15703.861)  # 0.190 * 82651.90
    assert liq.ts_ms == 1791565602120


def test_buy_force_order_is_short(parser: BinanceParser) -> None:
    [liq] = parse_one(parser, "made_force_order_buy_eth")
    assert (liq.symbol, liq.side) == ("ETH", "short")
    assert liq.usd == pytest.approx(7850.0)  # 2.5 * 3140


def test_unfilled_force_order_falls_back_to_q_and_p(parser: BinanceParser) -> None:
    [liq] = parse_one(parser, "made_force_order_unfilled")
    assert liq.qty == pytest.approx(0.5)
    assert liq.price == pytest.approx(83000.0)
    assert liq.usd == pytest.approx(41500.0)


def test_coin_m_and_unwatched_are_dropped_silently(parser: BinanceParser) -> None:
    assert parse_one(parser, "made_force_order_coinm") == []
    assert parse_one(parser, "made_force_order_unwatched") == []
    assert parser.stats.parse_errors == 0
    assert parser.stats.frames == 2


def test_mark_price_raw_and_combined(parser: BinanceParser) -> None:
    [mark] = parse_one(parser, "official_mark_price_cf")
    assert isinstance(mark, MarkPrice)
    assert mark.price == pytest.approx(11185.87786614)
    assert mark.ts_ms == 1562305380000  # E
    [mark] = parse_one(parser, "made_mark_price_combined")
    assert (mark.symbol, mark.price, mark.ts_ms) == ("BTC", 82660.1, 1791565603000)


def test_agg_trade_maker_flag_gives_taker_side(parser: BinanceParser) -> None:
    [sold] = parse_one(parser, "made_agg_trade_taker_sell")
    assert isinstance(sold, Trades)
    assert (sold.buy_qty, sold.sell_qty, sold.price) == (0.0, 0.25, 82650.0)
    assert sold.ts_ms == 1791565603008  # T
    [bought] = parse_one(parser, "made_agg_trade_taker_buy")
    assert (bought.buy_qty, bought.sell_qty) == (0.004, 0.0)


def test_acks_are_control_frames(parser: BinanceParser) -> None:
    assert parse_one(parser, "official_subscribe_ack") == []
    assert parse_one(parser, "official_list_subscriptions") == []
    assert parser.stats.parse_errors == 0
    assert parser.stats.venue_errors == []


def test_error_replies_are_recorded_not_parse_errors(parser: BinanceParser) -> None:
    for name in ("official_error_property", "official_error_value_type", "made_error_request"):
        assert parse_one(parser, name) == []
    assert parser.stats.parse_errors == 0
    assert parser.stats.venue_errors == [
        "0: Unknown property",
        "1: Invalid value type: expected Boolean",
        "2: Invalid request: unknown variant",
    ]
    assert parser.parse('{"error":{"code":2,"msg":"Invalid request"},"id":7}', RECV) == []
    assert parser.stats.venue_errors[-1] == "2: Invalid request"


def test_venue_errors_list_is_bounded(parser: BinanceParser) -> None:
    for number in range(50):
        parser.parse(orjson.dumps({"code": number, "msg": "x"}), RECV)
    assert len(parser.stats.venue_errors) == 20
    assert parser.stats.venue_errors[-1] == "49: x"


def test_junk_counts_as_parse_error(parser: BinanceParser) -> None:
    for junk in (b"", b"not json", "[1,2]", '{"e":"aggTrade"}', '{"stream":"x","data":null}',
                 '{"e":"kline","s":"BTCUSDT"}'):
        assert parser.parse(junk, RECV) == []
    assert parser.stats.parse_errors == 6
    assert parser.stats.frames == 6


def test_nan_and_negative_values_are_rejected(parser: BinanceParser) -> None:
    base = orjson.loads(FRAMES["made_agg_trade_taker_buy"])
    for bad in ("NaN", "inf", "-1", "0", None, "abc"):
        base["data"]["p"] = bad
        assert parser.parse(orjson.dumps(base), RECV) == []
    assert parser.stats.parse_errors == 6


def test_open_interest_poll_waits_for_first_mark(parser: BinanceParser) -> None:
    path = "/fapi/v1/openInterest?symbol=BTCUSDT"
    body = b'{"openInterest":"10659.509","symbol":"BTCUSDT","time":1589437530011}'
    assert parser.parse_rest(path, body, RECV) == []  # no mark yet: held
    mark, oi = parse_one(parser, "made_mark_price_combined")
    assert isinstance(mark, MarkPrice) and isinstance(oi, OpenInterest)
    assert (oi.symbol, oi.ts_ms, oi.recv_ms) == ("BTC", 1589437530011, RECV)
    assert oi.oi_base == pytest.approx(10659.509)
    assert oi.oi_usd == pytest.approx(10659.509 * 82660.1)
    # Next mark: nothing pending any more; next poll is priced immediately.
    assert len(parse_one(parser, "made_mark_price_combined")) == 1
    [oi] = parser.parse_rest(path, body.replace(b"10659.509", b"2.5"), RECV)
    assert oi.oi_usd == pytest.approx(2.5 * 82660.1)
    assert parser.stats.parse_errors == 0


def test_klines_rest_body() -> None:
    parser = SPEC.make_parser(resolve_all(["BTC"]))
    body = orjson.dumps([
        [1791565200000, "82600.10", "82700.00", "82550.00", "82650.00", "512.345",
         1791565499999, "42345678.9", 7123, "300.100", "24800000.1", "0"],
        [1791565500000, "82650.00", "82660.00", "82600.00", "82610.50", "100.000",
         1791565799999, "8260000.0", 2001, "40.250", "3325000.0", "0"],
    ])
    path = SPEC.history_requests(resolve_all(["BTC"])[0], 1791565800000, 2)[0]
    bars = parser.parse_rest(path, body, RECV)
    assert [type(bar) for bar in bars] == [Bar, Bar]
    first = bars[0]
    assert (first.ts_ms, first.interval_ms, first.symbol) == (1791565200000, 300_000, "BTC")
    assert (first.open, first.high, first.low, first.close) == (82600.10, 82700.0, 82550.0, 82650.0)
    assert first.volume == 512.345 and first.buy_volume == 300.100
    assert first.oi_usd != first.oi_usd  # NaN: OI comes separately
    assert bars[1].buy_volume == 40.25


def test_open_interest_history_rest_body() -> None:
    parser = SPEC.make_parser(resolve_all(["BTC"]))
    body = orjson.dumps([
        {"symbol": "BTCUSDT", "sumOpenInterest": "80000.123", "sumOpenInterestValue":
         "6612000000.5", "CMCCirculatingSupply": "19900000", "timestamp": 1791565500000},
        {"symbol": "BTCUSDT", "sumOpenInterest": "80010.000", "sumOpenInterestValue":
         "6613000000.0", "CMCCirculatingSupply": "19900000", "timestamp": 1791565200000},
    ])
    path = SPEC.history_requests(resolve_all(["BTC"])[0], 1791565800000, 2)[1]
    events = parser.parse_rest(path, body, RECV)
    assert [e.ts_ms for e in events] == [1791565200000, 1791565500000]  # sorted oldest first
    assert (events[1].oi_base, events[1].oi_usd) == (80000.123, 6612000000.5)


def test_rest_error_body_and_junk() -> None:
    parser = SPEC.make_parser(resolve_all(["BTC"]))
    path = "/fapi/v1/openInterest?symbol=BTCUSDT"
    assert parser.parse_rest(path, b'{"code":-1121,"msg":"Invalid symbol."}', RECV) == []
    assert parser.stats.venue_errors == ["/fapi/v1/openInterest -1121: Invalid symbol."]
    assert parser.parse_rest(path, b"<html>502</html>", RECV) == []
    assert parser.parse_rest("/fapi/v9/nothing", b"{}", RECV) == []
    assert parser.stats.parse_errors == 2


def test_spec_protocol_facts() -> None:
    symbols = resolve_all(["BTC", "ETH"])
    assert SPEC.ws_url(SPEC.default_endpoints, symbols) == "wss://fstream.binance.com/market/stream"
    assert SPEC.default_endpoints.rest == "https://fapi.binance.com"
    [frame] = SPEC.subscribe_frames(symbols)
    assert orjson.loads(frame) == {
        "method": "SUBSCRIBE",
        "params": ["!forceOrder@arr", "btcusdt@markPrice@1s", "btcusdt@aggTrade",
                   "ethusdt@markPrice@1s", "ethusdt@aggTrade"],
        "id": 1,
    }
    assert SPEC.heartbeat_s is None and SPEC.heartbeat_frame() is None
    assert 23 * 3600 <= SPEC.max_connection_s < 24 * 3600
    assert SPEC.stale_after_s == 5.0
    assert [(p.path, p.interval_s) for p in SPEC.rest_polls(symbols)] == [
        ("/fapi/v1/openInterest?symbol=BTCUSDT", 5.0), ("/fapi/v1/openInterest?symbol=ETHUSDT", 5.0)]
    assert SPEC.metadata_requests(symbols) == []
    assert "1 liquidation per symbol per second" in SPEC.limits_note


def test_subscribe_frames_split_many_symbols() -> None:
    symbols = resolve_all(sorted(KNOWN_SYMBOLS))
    frames = [orjson.loads(f) for f in SPEC.subscribe_frames(symbols * 3)]
    params = [p for frame in frames for p in frame["params"]]
    assert len(params) == 1 + 2 * len(symbols) * 3
    assert all(len(frame["params"]) <= 200 for frame in frames)
    assert [frame["id"] for frame in frames] == list(range(1, len(frames) + 1))
    assert len(frames) <= 10  # Binance allows 10 incoming messages per second


def test_history_requests_paths_and_paging() -> None:
    btc = resolve_all(["BTC"])[0]
    assert SPEC.history_requests(btc, 1_000_000_000, 288) == [
        "/fapi/v1/klines?symbol=BTCUSDT&interval=5m&limit=288&endTime=1000000000",
        "/futures/data/openInterestHist?symbol=BTCUSDT&period=5m&limit=288&endTime=1000000000",
    ]
    paths = SPEC.history_requests(btc, 10_000_000_000, 700)
    oi_paths = [p for p in paths if "openInterestHist" in p]
    # 700 bars: 500 then 200, the second page ending 500 bars (150,000,000 ms) earlier.
    assert oi_paths == [
        "/futures/data/openInterestHist?symbol=BTCUSDT&period=5m&limit=500&endTime=10000000000",
        "/futures/data/openInterestHist?symbol=BTCUSDT&period=5m&limit=200&endTime=9850000000",
    ]
    assert SPEC.history_requests(btc, 1, 0) == []
