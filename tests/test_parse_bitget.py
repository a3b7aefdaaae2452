"""Bitget USDT-M (UTA v3 public) parser and spec: real/official frames with hand-computed expectations."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tnet.connectors.bitget import BitgetParser, BitgetSpec
from tnet.events import Liquidation, MarkPrice, OpenInterest, Trades
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
