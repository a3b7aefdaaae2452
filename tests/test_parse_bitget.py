"""Bitget USDT-M (UTA v3 public) parser and spec: real/official frames with hand-computed expectations."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tnet.connectors.bitget import BitgetParser, BitgetSpec
from tnet.events import Bar, Liquidation, MarkPrice, OpenInterest, Trades
from tnet.margin import firing_price
from tnet.symbols import KNOWN_SYMBOLS, resolve_all

FRAMES = dict(
    line.split("\t", 1)
    for line in (Path(__file__).parent / "frames" / "bitget.tsv").read_text().splitlines()
)
RECV = 1_791_565_601_300
SPEC = BitgetSpec()


@pytest.fixture
def parser() -> BitgetParser:
    return SPEC.make_parser(resolve_all(["BTC", "ETH"]))


def parse_one(parser: BitgetParser, name: str) -> list:
    return parser.parse(FRAMES[name], RECV)


def test_real_futures_ticker_gives_mark_and_one_sided_open_interest(parser: BitgetParser) -> None:
    mark, oi = parse_one(parser, "real_ticker_btc_2026_09")
    assert isinstance(mark, MarkPrice) and isinstance(oi, OpenInterest)
    assert (mark.venue, mark.symbol, mark.price, mark.ts_ms) == ("bitget", "BTC", 80814.7, 1789940561885)
    # openInterest is base coin; USD at the frame's own mark
    assert oi.oi_base == 32117.3964999999767 and oi.oi_usd == pytest.approx(32117.3965 * 80814.7)
    assert parser.stats.parse_errors == 0


def test_ticker_without_a_mark_yet_gives_no_open_interest(parser: BitgetParser) -> None:
    frame = orjson.loads(FRAMES["real_ticker_btc_2026_09"])
    del frame["data"][0]["markPrice"]
    assert parser.parse(orjson.dumps(frame), RECV) == []  # no price to express it in USD yet
    assert parser.stats.parse_errors == 0


def test_real_trades_are_summed_by_taker_side(parser: BitgetParser) -> None:
    [trades] = parse_one(parser, "real_trades_btc_2026_09")
    assert isinstance(trades, Trades)
    assert (trades.symbol, trades.price, trades.ts_ms) == ("BTC", 80810.6, 1789940564662)
    assert (trades.buy_qty, trades.sell_qty) == (0.0, pytest.approx(0.0246 + 0.0716))


def test_trade_replay_on_subscribe_is_skipped_silently(parser: BitgetParser) -> None:
    assert parse_one(parser, "real_trades_snapshot_btc_2026_09") == []
    assert parser.stats.parse_errors == 0


def test_official_liquidation_buy_is_a_long_amount_in_usdt(parser: BitgetParser) -> None:
    [liq] = parse_one(parser, "official_liquidation")
    assert isinstance(liq, Liquidation)
    assert (liq.venue, liq.symbol, liq.side, liq.ts_ms) == ("bitget", "BTC", "long", 1736371332162)
    assert (liq.price, liq.usd) == (89000.0, 37.722858)
    assert liq.qty == pytest.approx(37.722858 / 89000)


def test_docs_side_table_sell_is_a_short_and_the_price_is_where_it_fired(parser: BitgetParser) -> None:
    # Bitget's UTA "Liquidation Channel" page (https://www.bitget.com/api-doc/uta/websocket/public/Liquidation-Channel)
    # documents `side` as "buy: Long position liquidation, sell: Short position liquidation" and `price` as the
    # "Liquidation price": in Bitget's terms the trigger level, so the print fires at its own price.
    frame = orjson.loads(FRAMES["official_liquidation"])
    frame["data"][0]["side"] = "sell"
    [liq] = parser.parse(orjson.dumps(frame), RECV)
    assert (liq.side, liq.price, liq.fire) == ("short", 89000.0, 89000.0)
    [docs] = parse_one(parser, "official_liquidation")
    assert docs.fire == 89000.0 == firing_price("bitget", "long", 89000.0, docs.usd)


def test_liquidations_of_unwatched_symbols_are_dropped_sell_is_short(parser: BitgetParser) -> None:
    first, second = parse_one(parser, "made_liquidations_mixed")
    assert (first.symbol, first.side, first.usd, first.qty) == ("ETH", "short", 62830.0, pytest.approx(20.0))
    assert (second.symbol, second.side, second.qty) == ("ETH", "long", pytest.approx(10.0))
    assert parser.stats.parse_errors == 0


def test_acks_and_pong_are_silent_errors_remembered(parser: BitgetParser) -> None:
    assert parse_one(parser, "official_subscribe_ack") == []
    assert parse_one(parser, "real_pong") == []
    assert parse_one(parser, "real_error_unknown_symbol") == []
    assert parse_one(parser, "official_error") == []
    assert parser.stats.parse_errors == 0
    assert parser.stats.venue_errors[0].startswith("error 30001: ") and "NOSUCHSYMBOL" in parser.stats.venue_errors[0]
    assert parser.stats.venue_errors[1] == "error 30005: error"


@pytest.mark.parametrize("junk", [
    "not json", "{}", "[]", '{"arg":{"topic":"ticker","symbol":"BTCUSDT"},"data":[{"markPrice":"NaN"}],"ts":1}',
    '{"arg":{"topic":"publicTrade","symbol":"BTCUSDT"},"data":[],"ts":1}',
    '{"arg":{"topic":"liquidation"},"data":[{"symbol":"BTCUSDT","side":"up","price":"1","amount":"1","ts":"1"}]}',
    '{"arg":{"topic":"kline","symbol":"BTCUSDT"},"data":[]}',
])
def test_junk_is_counted(parser: BitgetParser, junk: str) -> None:
    assert parser.parse(junk, RECV) == []
    assert parser.stats.parse_errors == 1


def test_spec_endpoints_subscriptions_and_heartbeat() -> None:
    symbols = resolve_all(["BTC", "ETH"])
    assert SPEC.ws_url(SPEC.default_endpoints, symbols) == "wss://ws.bitget.com/v3/ws/public"
    [frame] = SPEC.subscribe_frames(symbols)
    assert orjson.loads(frame) == {"op": "subscribe", "args": [
        {"instType": "usdt-futures", "topic": "liquidation"},
        {"instType": "usdt-futures", "topic": "ticker", "symbol": "BTCUSDT"},
        {"instType": "usdt-futures", "topic": "publicTrade", "symbol": "BTCUSDT"},
        {"instType": "usdt-futures", "topic": "ticker", "symbol": "ETHUSDT"},
        {"instType": "usdt-futures", "topic": "publicTrade", "symbol": "ETHUSDT"},
    ]}
    assert SPEC.heartbeat_frame() == "ping" and SPEC.heartbeat_s is not None and SPEC.heartbeat_s < 30
    assert "largest long and largest short" in SPEC.limits_note


def test_subscribe_frames_keep_args_under_4096_bytes() -> None:
    frames = SPEC.subscribe_frames(resolve_all(sorted(KNOWN_SYMBOLS)))
    assert len(frames) > 1
    args = [arg for frame in frames for arg in orjson.loads(frame)["args"]]
    assert len(args) == 1 + 2 * len(KNOWN_SYMBOLS)
    for frame in frames:
        assert len(orjson.dumps(orjson.loads(frame)["args"])) < 4096


# REST warm start: 5-minute candles only (Bitget serves no open-interest or liquidation history).
# The body is the v2 mix "Get Candlestick Data" example (https://www.bitget.com/api-doc/contract/market/Get-Candle-Data).
DOCS_CANDLES = ('{"code":"00000","msg":"success","requestTime":1695865615662,"data":['
                '["1695835800000","26210.5","26210.5","26194.5","26194.5","26.26","687897.63"],'
                '["1695836100000","26194.5","26194.5","26171","26171","17.98","470618.72"]]}')
END = 1_791_565_800_000


def test_history_is_one_page_of_5m_candles_ending_now() -> None:
    [btc] = resolve_all(["BTC"])
    assert SPEC.history_requests(btc, END, 288) == [
        f"/api/v2/mix/market/candles?symbol=BTCUSDT&productType=USDT-FUTURES&granularity=5m&limit=288&endTime={END}"]
    assert SPEC.metadata_requests([btc]) == []  # no public liquidation history to backfill from
    assert "no REST liquidation or open-interest history" in SPEC.limits_note


def test_docs_candles_become_bars_without_open_interest(parser: BitgetParser) -> None:
    [path] = SPEC.history_requests(resolve_all(["BTC"])[0], END, 288)
    first, second = parser.parse_rest(path, DOCS_CANDLES, RECV)
    assert isinstance(first, Bar) and isinstance(second, Bar)
    assert (first.venue, first.symbol, first.ts_ms, first.interval_ms) == ("bitget", "BTC", 1695835800000, 300_000)
    assert (first.open, first.high, first.low, first.close, first.volume) == (26210.5, 26210.5, 26194.5, 26194.5, 26.26)
    assert (second.ts_ms, second.low, second.close, second.volume) == (1695836100000, 26171.0, 26171.0, 17.98)
    assert first.oi_usd != first.oi_usd and first.buy_volume != first.buy_volume  # NaN: not published
    assert parser.stats.parse_errors == 0


def test_candle_errors_and_bad_rows(parser: BitgetParser) -> None:
    [path] = SPEC.history_requests(resolve_all(["ETH"])[0], END, 288)
    error = '{"code":"40034","msg":"Parameter ETHUSDT does not exist","requestTime":1695865615662,"data":null}'
    assert parser.parse_rest(path, error, RECV) == []
    assert parser.stats.parse_errors == 0 and parser.stats.venue_errors[-1].startswith("/api/v2/mix/market/candles 40034")
    bad = ('{"code":"00000","msg":"success","requestTime":1,"data":[["1695835800000","26210.5","26100","26194.5",'
           '"26194.5","1","1"],["1695836100000","NaN","26194.5","26171","26171","1","1"],'
           '["1695836400000","26171","26180","26160","26175","2.5","65000"]]}')
    [bar] = parser.parse_rest(path, bad, RECV)  # high below low, a NaN open: counted and skipped
    assert (bar.symbol, bar.ts_ms, bar.close, bar.volume) == ("ETH", 1695836400000, 26175.0, 2.5)
    assert parser.stats.parse_errors == 2
    assert parser.parse_rest("/api/v2/mix/market/tickers?symbol=ETHUSDT", DOCS_CANDLES, RECV) == []
    assert parser.stats.parse_errors == 3
