"""Gate USDT perpetuals parser and spec: real and official frames with hand-computed expectations."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tnet.connectors.gate import GateParser, GateSpec
from tnet.events import Bar, Liquidation, MarkPrice, OpenInterest, Trades
from tnet.symbols import resolve_all

FRAMES = dict(line.split("\t", 1)
              for line in (Path(__file__).parent / "frames" / "gate.tsv").read_text().splitlines())
RECV = 1_791_565_601_300
SPEC = GateSpec()


@pytest.fixture
def parser() -> GateParser:
    return SPEC.make_parser(resolve_all(["BTC", "ETH"]))


def parse_one(parser: GateParser, name: str) -> list:
    return parser.parse(FRAMES[name], RECV)


def test_official_batched_liquidations_negative_size_is_a_long(parser: GateParser) -> None:
    first, second = parse_one(parser, "official_liquidates_2026_08")
    assert isinstance(first, Liquidation)
    assert (first.venue, first.symbol, first.side) == ("gate", "BTC", "long")  # forced sell
    assert first.qty == pytest.approx(0.01245)  # 124.5 contracts x 0.0001 BTC
    assert first.price == 215.1
    assert first.usd == pytest.approx(2.677995)  # 0.01245 x 215.1
    assert first.ts_ms == 1541486601123
    assert second.qty == pytest.approx(0.00105)
    assert second.ts_ms == 1541486601456
    assert parser.stats.parse_errors == 0


def test_integer_sizes_without_the_decimal_header(parser: GateParser) -> None:
    first, second = parse_one(parser, "official_liquidates_2026_08_integer")
    assert (first.qty, second.qty) == (pytest.approx(0.0124), pytest.approx(0.001))


@pytest.mark.parametrize("name", ["official_liquidates_2026_07_seconds", "official_liquidates_2025_time_ms"])
def test_older_time_fields_are_read_as_milliseconds(parser: GateParser, name: str) -> None:
    [liq] = parse_one(parser, name)
    assert liq.ts_ms in (1541486601000, 1541486601123)  # seconds x 1000, or time_ms as sent
    assert liq.ts_ms == (1541486601000 if "seconds" in name else 1541486601123)
    assert liq.price == 215.1 and liq.side == "long"


def test_positive_size_is_a_short_and_unwatched_contracts_are_dropped(parser: GateParser) -> None:
    [liq] = parse_one(parser, "made_liquidates_all_contracts")  # CELO_USDT is not watched
    assert (liq.symbol, liq.side) == ("ETH", "short")  # forced buy closes a short
    assert liq.qty == pytest.approx(4.0)  # 400 contracts x 0.01 ETH
    assert liq.usd == pytest.approx(12566.0)  # 4.0 x 3141.5
    assert parser.stats.parse_errors == 0


def test_real_ticker_gives_mark_price_and_open_interest_in_coin(parser: GateParser) -> None:
    mark, oi = parse_one(parser, "real_ticker_btc_2026_07")
    assert isinstance(mark, MarkPrice) and isinstance(oi, OpenInterest)
    assert (mark.price, mark.ts_ms) == (62914.3, 1785548246983)
    assert oi.oi_base == pytest.approx(65118.5722)  # 651,185,722 contracts x 0.0001 BTC
    assert oi.oi_usd == pytest.approx(65118.5722 * 62914.3)


def test_ticker_without_total_size_is_mark_price_only(parser: GateParser) -> None:
    [mark] = parse_one(parser, "real_ticker_btc_2026_09")
    assert (mark.symbol, mark.price, mark.ts_ms) == ("BTC", 77183.5, 1789456337802)


def test_trades_sign_is_the_taker_side(parser: GateParser) -> None:
    [sold] = parse_one(parser, "real_trade_btc_2026")
    assert isinstance(sold, Trades)
    assert (sold.buy_qty, sold.sell_qty) == (0.0, pytest.approx(0.0003))  # -3 contracts
    assert (sold.price, sold.ts_ms) == (83746.9, 1790359195732)
    [both] = parse_one(parser, "made_trades_eth_both_sides")
    assert both.buy_qty == pytest.approx(2.5) and both.sell_qty == pytest.approx(1.205)
    assert (both.price, both.ts_ms) == (3140.5, 1791565601095)


@pytest.mark.parametrize("name", ["official_liquidates_ack", "real_subscribe_ack", "real_pong"])
def test_acks_and_pongs_are_silent(parser: GateParser, name: str) -> None:
    assert parse_one(parser, name) == []
    assert parser.stats.parse_errors == 0 and parser.stats.venue_errors == []


@pytest.mark.parametrize("name,text", [
    ("real_error_duplicate_sub", "futures.obu 2: Alert sub ob.BTC_USDT.50"),
    ("made_error_unknown_pair", "futures.tickers 2: unknown currency pair: NOPE_USDT"),
    ("made_system_upgrade", "notice:"),
])
def test_errors_and_notices_are_remembered_not_counted(parser: GateParser, name: str, text: str) -> None:
    assert parse_one(parser, name) == []
    assert parser.stats.parse_errors == 0
    assert parser.stats.venue_errors[-1].startswith(text)


@pytest.mark.parametrize("frame", [
    "", "{", "null", "[]", '{"channel":"futures.tickers","event":"update","result":[{"contract":"BTC_USDT"}]}',
    '{"channel":"futures.public_liquidates","event":"update","result":[{"contract":"BTC_USDT","price":"1","size":"0","time":1}]}',
    '{"channel":"futures.public_liquidates","event":"update","result":[{"contract":"BTC_USDT","price":"NaN","size":"1","time":1}]}',
    '{"channel":"futures.trades","event":"update","result":[{"contract":"BTC_USDT","price":"-1","size":1,"create_time_ms":1}]}',
    '{"channel":"futures.trades","event":"update","result":[{"contract":"BTC_USDT","price":"1","size":"inf","create_time_ms":1}]}',
    '{"channel":"futures.tickers","event":"update","result":[{"contract":"BTC_USDT","mark_price":"1e308","total_size":"1e308","t":1}]}',
])
def test_junk_is_counted_and_dropped(parser: GateParser, frame: str) -> None:
    assert parser.parse(frame, RECV) == []
    assert parser.stats.parse_errors == 1


def test_unknown_contract_size_waits_for_the_contracts_endpoint() -> None:
    parser = SPEC.make_parser(resolve_all(["LINK"]))  # not in the offline table
    frame = FRAMES["made_trades_eth_both_sides"].replace("ETH_USDT", "LINK_USDT")
    assert parser.parse(frame, RECV) == []
    parser.parse_rest("/api/v4/futures/usdt/contracts",
                      b'[{"name":"LINK_USDT","quanto_multiplier":"1","type":"direct"},'
                      b'{"name":"BTC_USDT","quanto_multiplier":"0.0001"}]', RECV)
    [trades] = parser.parse(frame, RECV)
    assert trades.buy_qty == pytest.approx(250.0)  # 250 contracts x 1 LINK
    assert parser.stats.parse_errors == 0


def test_rest_liquidation_history_size_is_the_position() -> None:
    parser = SPEC.make_parser(resolve_all(["BTC"]))
    # Gate API v4 docs example of GET /futures/usdt/liq_orders (docs/venues.md)
    body = b'[{"time":1548654951,"contract":"BTC_USDT","size":600,"order_size":-600,' \
           b'"order_price":"3405","fill_price":"3424","left":0}]'
    [liq] = parser.parse_rest("/api/v4/futures/usdt/liq_orders?contract=BTC_USDT&limit=1000", body, RECV)
    assert (liq.side, liq.ts_ms, liq.price) == ("long", 1548654951000, 3405.0)  # long position
    assert liq.qty == pytest.approx(0.06)  # 600 x 0.0001
    assert liq.usd == pytest.approx(204.3)  # 0.06 x 3405


def test_rest_history_candles_and_open_interest() -> None:
    parser = SPEC.make_parser(resolve_all(["BTC"]))
    candles = b'[{"t":1791565200,"v":120000,"c":"82650.1","h":"82700","l":"82600","o":"82610.5","sum":"1"}]'
    [bar] = parser.parse_rest("/api/v4/futures/usdt/candlesticks?contract=BTC_USDT&interval=5m", candles, RECV)
    assert isinstance(bar, Bar)
    assert (bar.ts_ms, bar.open, bar.close, bar.volume) == (1791565200000, 82610.5, 82650.1, pytest.approx(12.0))
    stats = b'[{"time":1791565200,"open_interest":651185722,"open_interest_usd":5382000000.5,"lsr_taker":1.2}]'
    [oi] = parser.parse_rest("/api/v4/futures/usdt/contract_stats?contract=BTC_USDT&interval=5m", stats, RECV)
    assert (oi.ts_ms, oi.oi_base, oi.oi_usd) == (1791565200000, pytest.approx(65118.5722), 5382000000.5)


def test_rest_error_body_is_remembered() -> None:
    parser = SPEC.make_parser(resolve_all(["BTC"]))
    body = b'{"label":"INVALID_PARAM_VALUE","message":"Invalid contract"}'
    assert parser.parse_rest("/api/v4/futures/usdt/liq_orders?contract=BTC_USDT", body, RECV) == []
    assert parser.stats.venue_errors == ["/api/v4/futures/usdt/liq_orders INVALID_PARAM_VALUE: Invalid contract"]


def test_spec_subscribes_one_contract_per_frame_and_pings() -> None:
    frames = [orjson.loads(f) for f in SPEC.subscribe_frames(resolve_all(["BTC", "ETH"]))]
    assert frames[0] == {"time": 123456, "channel": "futures.public_liquidates", "event": "subscribe",
                         "payload": ["!all"]}
    assert [(f["channel"], f["payload"]) for f in frames[1:]] == [
        ("futures.tickers", ["BTC_USDT"]), ("futures.trades", ["BTC_USDT"]),
        ("futures.tickers", ["ETH_USDT"]), ("futures.trades", ["ETH_USDT"])]
    assert orjson.loads(SPEC.heartbeat_frame()) == {"time": 123456, "channel": "futures.ping"}
    assert SPEC.ws_url(SPEC.default_endpoints, []) == "wss://fx-ws.gateio.ws/v4/ws/usdt"


sizes = st.floats(min_value=-1e7, max_value=1e7, allow_nan=False).filter(lambda x: abs(x) >= 1e-3)
prices = st.floats(min_value=1e-4, max_value=1e6, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["BTC_USDT", "ETH_USDT", "XYZ_USDT"]), sizes, prices,
                               st.integers(1_500_000_000_000, 2_000_000_000_000),
                               st.booleans()), max_size=20))
def test_property_liquidation_rows(rows: list) -> None:
    parser = SPEC.make_parser(resolve_all(["BTC", "ETH"]))
    result = [{"contract": c, "size": (str(s) if as_text else s), "price": str(p), "time": t}
              for c, s, p, t, as_text in rows]
    events = parser.parse(orjson.dumps({"channel": "futures.public_liquidates", "event": "update",
                                        "result": result}), RECV)
    watched = [r for r in rows if r[0] != "XYZ_USDT"]
    assert parser.stats.parse_errors == 0
    assert len(events) == len(watched)
    mult = {"BTC_USDT": 0.0001, "ETH_USDT": 0.01}
    for ev, (c, s, p, t, _) in zip(events, watched):
        assert ev.side == ("long" if s < 0 else "short")
        assert ev.qty == pytest.approx(abs(s) * mult[c]) and ev.usd == pytest.approx(abs(s) * mult[c] * p)
        assert ev.ts_ms == t and ev.symbol == c[:3]


json_values = st.one_of(
    st.sampled_from(["BTC_USDT", "ETH_USDT", "1", "-1", "0", "82650.5", "1e400", "nan", "", 1791565601000]),
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=6)),
        lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3),
        max_leaves=10))


@settings(max_examples=150, deadline=None)
@given(channel=st.sampled_from(["futures.public_liquidates", "futures.tickers", "futures.trades", "x"]),
       event=st.sampled_from(["update", "subscribe", "all"]),
       row=st.dictionaries(st.sampled_from(["contract", "price", "size", "time", "time_ms", "create_time_ms",
                                             "mark_price", "total_size", "t"]), json_values, max_size=9))
def test_fuzz_never_raises_and_events_are_sane(channel: str, event: str, row: dict) -> None:
    parser = SPEC.make_parser(resolve_all(["BTC", "ETH"]))
    frame = json.dumps({"channel": channel, "event": event, "result": [row]})  # NaN, 2**70: junk too
    events = parser.parse(frame, RECV)
    for ev in events:
        assert ev.symbol in ("BTC", "ETH")
        for name in ("price", "qty", "usd", "oi_base", "oi_usd", "buy_qty", "sell_qty"):
            value = getattr(ev, name, 0.0)
            assert 0.0 <= value < float("inf")
    assert parser.stats.frames == 1 and parser.stats.parse_errors <= 1


def test_trades_of_several_contracts_in_one_message(parser: GateParser) -> None:
    rows = [{"contract": c, "size": s, "price": p, "create_time_ms": t} for c, s, p, t in (
        ("BTC_USDT", 10, "82650.5", 1), ("ETH_USDT", -300, "3141.5", 2), ("BTC_USDT", -4, "82650.0", 3),
        ("XYZ_USDT", 5, "1.5", 4))]
    btc, eth = parser.parse(orjson.dumps({"channel": "futures.trades", "event": "update", "result": rows}), RECV)
    assert (btc.symbol, btc.buy_qty, btc.sell_qty, btc.price, btc.ts_ms) == (
        "BTC", pytest.approx(0.001), pytest.approx(0.0004), 82650.0, 3)
    assert (eth.symbol, eth.buy_qty, eth.sell_qty) == ("ETH", 0.0, pytest.approx(3.0))


def test_liquidation_of_a_contract_without_a_known_size_is_skipped_until_contracts_answer() -> None:
    parser = SPEC.make_parser(resolve_all(["LINK"]))
    frame = FRAMES["made_liquidates_all_contracts"].replace("ETH_USDT", "LINK_USDT")
    assert parser.parse(frame, RECV) == [] and parser.stats.parse_errors == 0
    parser.parse_rest("/api/v4/futures/usdt/contracts", b'[{"name":"LINK_USDT","quanto_multiplier":"1"}]', RECV)
    [liq] = parser.parse(frame, RECV)
    assert (liq.symbol, liq.side, liq.qty) == ("LINK", "short", 400.0)
