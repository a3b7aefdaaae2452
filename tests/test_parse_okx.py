"""OKX v5 SWAP parser and spec: real/official frames with hand-computed expectations."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tnet.connectors.okx import OkxParser, OkxSpec
from tnet.events import Bar, Liquidation, MarkPrice, OpenInterest, Trades
from tnet.symbols import KNOWN_SYMBOLS, resolve, resolve_all

FRAMES = dict(
    line.split("\t", 1)
    for line in (Path(__file__).parent / "frames" / "okx.tsv").read_text().splitlines()
)
RECV = 1_791_565_601_300
SPEC = OkxSpec()


@pytest.fixture
def parser() -> OkxParser:
    return SPEC.make_parser(resolve_all(["BTC", "ETH"]))


def parse_one(parser: OkxParser, name: str) -> list:
    return parser.parse(FRAMES[name], RECV)


def test_real_btc_liquidation_contracts_times_ct_val(parser: OkxParser) -> None:
    [liq] = parse_one(parser, "real_liquidation_btc_2026")
    assert isinstance(liq, Liquidation)
    assert (liq.venue, liq.symbol, liq.side) == ("okx", "BTC", "long")  # posSide long
    assert liq.qty == pytest.approx(0.0855)  # 8.55 contracts * 0.01 BTC
    assert liq.price == 82655.7
    assert liq.usd == pytest.approx(7067.06235)  # 0.0855 * 82655.7
    assert liq.ts_ms == 1791565600771


def test_unwatched_celo_is_dropped_silently(parser: OkxParser) -> None:
    assert parse_one(parser, "real_liquidation_celo_2026") == []
    assert parser.stats.parse_errors == 0


def test_official_iost_example() -> None:
    parser = SPEC.make_parser([resolve("IOST")])  # ctVal 1000 IOST per contract
    [liq] = parse_one(parser, "official_liquidation_iost")
    assert (liq.symbol, liq.side) == ("IOST", "short")
    assert liq.qty == pytest.approx(13000.0)
    assert liq.usd == pytest.approx(101.803)  # 13000 * 0.007831
    assert liq.ts_ms == 1692266434010


def test_net_position_side_uses_order_side(parser: OkxParser) -> None:
    bought, sold = parse_one(parser, "made_liquidation_net_eth")
    assert (bought.side, sold.side) == ("short", "long")  # buy closes a short, sell a long
    assert bought.qty == pytest.approx(4.0)  # 40 contracts * 0.1 ETH
    assert bought.usd == pytest.approx(12566.0)  # 4.0 * 3141.5
    assert sold.usd == pytest.approx(4680.0)  # 1.5 * 3120


def test_official_open_interest_push(parser: OkxParser) -> None:
    [oi] = parse_one(parser, "official_open_interest")
    assert isinstance(oi, OpenInterest)
    assert oi.oi_base == pytest.approx(22161.1301)  # oiCcy (coin), not oi (contracts)
    assert oi.oi_usd == pytest.approx(1939251795.5477)
    assert oi.ts_ms == 1743041250440


def test_mark_price_and_trades(parser: OkxParser) -> None:
    [mark] = parse_one(parser, "made_mark_price")
    assert isinstance(mark, MarkPrice)
    assert (mark.symbol, mark.price, mark.ts_ms) == ("BTC", 82655.9, 1791565601000)
    [trades] = parse_one(parser, "made_trades")
    assert isinstance(trades, Trades)
    assert trades.sell_qty == pytest.approx(1.2)  # 120 contracts * 0.01, taker sold
    assert trades.buy_qty == 0.0
    assert (trades.price, trades.ts_ms) == (82655.8, 1791565601100)


def test_control_frames_errors_and_notice(parser: OkxParser) -> None:
    assert parse_one(parser, "official_subscribe_ack") == []
    assert parse_one(parser, "official_pong") == []
    assert parser.parse(b"pong", RECV) == []
    assert parser.stats.parse_errors == 0 and parser.stats.venue_errors == []
    assert parse_one(parser, "made_error") == []
    assert parse_one(parser, "official_notice_64008") == []
    assert parser.stats.parse_errors == 0
    assert parser.stats.venue_errors[0].startswith("error 60012: Invalid request")
    assert parser.stats.venue_errors[1].startswith("notice 64008: The connection will soon")
    assert parser.stats.frames == 5
    conn_count = ('{"event":"channel-conn-count-error","channel":"liquidation-orders",'
                  '"connCount":"30","connId":"a4d3ae55"}')
    assert parser.parse(conn_count, RECV) == []
    assert parser.stats.venue_errors[-1].startswith("channel-conn-count-error")
    assert parser.stats.parse_errors == 0


def test_junk_counts_as_parse_error(parser: OkxParser) -> None:
    for junk in ("ping", "{}", '{"event":"surprise"}', '{"arg":{"channel":"books"},"data":[]}',
                 '{"arg":{"channel":"trades","instId":"BTC-USDT-SWAP"},"data":[]}', b"\x80"):
        assert parser.parse(junk, RECV) == []
    assert parser.stats.parse_errors == 6


def test_instruments_metadata_updates_ct_val(parser: OkxParser) -> None:
    path = SPEC.metadata_requests(resolve_all(["BTC"]))[0]
    body = orjson.dumps({"code": "0", "msg": "", "data": [
        {"instId": "BTC-USDT-SWAP", "instType": "SWAP", "ctVal": "0.001", "ctType": "linear",
         "ctValCcy": "BTC", "settleCcy": "USDT", "lotSz": "0.1"},
        {"instId": "BTC-USD-SWAP", "instType": "SWAP", "ctVal": "100", "ctType": "inverse",
         "ctValCcy": "USD", "settleCcy": "BTC", "lotSz": "1"},
        {"instId": "ETH-USDT-SWAP", "instType": "SWAP", "ctVal": "bad", "ctType": "linear"},
    ]})
    assert parser.parse_rest(path, body, RECV) == []
    assert parser.stats.parse_errors == 1  # the bad ETH row; ETH keeps its offline ctVal
    [liq] = parse_one(parser, "real_liquidation_btc_2026")
    assert liq.qty == pytest.approx(0.00855)  # 8.55 * 0.001 from the instruments response
    bought, _ = parse_one(parser, "made_liquidation_net_eth")
    assert bought.qty == pytest.approx(4.0)


def test_history_candles_and_open_interest() -> None:
    btc = resolve_all(["BTC"])[0]
    parser = SPEC.make_parser([btc])
    paths = SPEC.history_requests(btc, 1791565800000, 2)
    candles = orjson.dumps({"code": "0", "msg": "", "data": [
        ["1791565500000", "82650", "82660", "82600", "82610.5", "10000", "100", "8261050", "0"],
        ["1791565200000", "82600.1", "82700", "82550", "82650", "51234.5", "512.345", "4.2e7", "1"],
    ]})
    bars = parser.parse_rest(paths[0], candles, RECV)
    assert [type(b) for b in bars] == [Bar, Bar]
    assert [b.ts_ms for b in bars] == [1791565200000, 1791565500000]
    assert (bars[0].open, bars[0].close) == (82600.1, 82650.0)
    assert bars[0].volume == 512.345  # volCcy (base), not vol (contracts)
    assert bars[1].volume == 100.0
    oi_body = orjson.dumps({"code": "0", "msg": "", "data": [
        ["1791565500000", "5100050", "51000.5", "4213000000.1"],
        ["1791565200000", "5099000", "50990", "4214300000"],
    ]})
    events = parser.parse_rest(paths[1], oi_body, RECV)
    assert [e.ts_ms for e in events] == [1791565200000, 1791565500000]
    assert (events[1].oi_base, events[1].oi_usd) == (51000.5, 4213000000.1)


def test_rest_error_and_junk() -> None:
    btc = resolve_all(["BTC"])[0]
    parser = SPEC.make_parser([btc])
    path = SPEC.history_requests(btc, 1791565800000, 2)[0]
    assert parser.parse_rest(path, b'{"code":"51001","msg":"Instrument ID does not exist","data":[]}',
                             RECV) == []
    assert parser.stats.venue_errors == [
        "/api/v5/market/history-candles 51001: Instrument ID does not exist"]
    assert parser.parse_rest(path, b"[]", RECV) == []
    assert parser.stats.parse_errors == 1


def test_spec_protocol_facts() -> None:
    symbols = resolve_all(["BTC"])
    assert SPEC.ws_url(SPEC.default_endpoints, symbols) == "wss://ws.okx.com:8443/ws/v5/public"
    assert SPEC.default_endpoints.rest == "https://www.okx.com"
    [frame] = SPEC.subscribe_frames(symbols)
    assert orjson.loads(frame) == {"op": "subscribe", "args": [
        {"channel": "liquidation-orders", "instType": "SWAP"},
        {"channel": "open-interest", "instId": "BTC-USDT-SWAP"},
        {"channel": "mark-price", "instId": "BTC-USDT-SWAP"},
        {"channel": "trades", "instId": "BTC-USDT-SWAP"},
    ]}
    assert SPEC.heartbeat_s == 20 and SPEC.heartbeat_frame() == "ping"
    assert SPEC.stale_after_s == 15
    assert SPEC.rest_polls(symbols) == []
    assert "partial" in SPEC.limits_note


def test_subscribe_frames_split_under_64kb() -> None:
    symbols = resolve_all(sorted(KNOWN_SYMBOLS)) * 20
    frames = SPEC.subscribe_frames(symbols)
    assert len(frames) > 1
    decoded = [orjson.loads(f) for f in frames]
    assert all(len(orjson.dumps(f["args"])) < 64 * 1024 for f in decoded)
    assert sum(len(f["args"]) for f in decoded) == 1 + 3 * len(symbols)


def test_history_requests_pages() -> None:
    btc = resolve_all(["BTC"])[0]
    paths = SPEC.history_requests(btc, 1_000_000_000_000, 250)
    assert paths == [
        "/api/v5/market/history-candles?instId=BTC-USDT-SWAP&bar=5m&limit=100&after=1000000000000",
        "/api/v5/market/history-candles?instId=BTC-USDT-SWAP&bar=5m&limit=100&after=999970000000",
        "/api/v5/market/history-candles?instId=BTC-USDT-SWAP&bar=5m&limit=100&after=999940000000",
        "/api/v5/rubik/stat/contracts/open-interest-history?instId=BTC-USDT-SWAP&period=5m"
        "&limit=100&end=1000000000000",
        "/api/v5/rubik/stat/contracts/open-interest-history?instId=BTC-USDT-SWAP&period=5m"
        "&limit=100&end=999970000000",
        "/api/v5/rubik/stat/contracts/open-interest-history?instId=BTC-USDT-SWAP&period=5m"
        "&limit=100&end=999940000000",
    ]
    # OI history only serves the latest 1,440 rows: no more than 15 pages are asked for.
    assert sum("open-interest-history" in p for p in SPEC.history_requests(btc, 10**13, 5000)) == 15


def test_rest_liquidation_backfill(parser: OkxParser) -> None:
    # REST rows queried by underlying may omit instId; sizes are contracts (BTC ctVal 0.01).
    body = orjson.dumps({"code": "0", "msg": "", "data": [
        {"details": [
            {"bkLoss": "0", "bkPx": "80000", "ccy": "", "posSide": "short", "side": "buy", "sz": "2", "ts": "1791565600000"},
            {"bkLoss": "0", "bkPx": "79000", "ccy": "", "posSide": "net", "side": "sell", "sz": "5", "ts": "1791565500000"},
        ], "instFamily": "BTC-USDT", "instType": "SWAP", "totalLoss": "0", "uly": "BTC-USDT"},
        {"details": [{"bkLoss": "0", "bkPx": "0.1", "ccy": "", "posSide": "long", "side": "sell", "sz": "9", "ts": "1791565600000"}],
         "instFamily": "CELO-USDT", "instId": "CELO-USDT-SWAP", "instType": "SWAP", "uly": "CELO-USDT"},
    ]})
    path = "/api/v5/public/liquidation-orders?instType=SWAP&uly=BTC-USDT&state=filled&limit=100"
    events = parser.parse_rest(path, body, 1791565700000)
    assert parser.stats.parse_errors == 0
    # Oldest first; CELO (unwatched) dropped.
    assert [(e.side, e.qty, e.price, e.usd, e.ts_ms) for e in events] == [
        ("long", 0.05, 79000.0, 3950.0, 1791565500000),
        ("short", 0.02, 80000.0, 1600.0, 1791565600000),
    ]
    assert all(isinstance(e, Liquidation) and e.venue == "okx" and e.symbol == "BTC" for e in events)


def test_backfill_is_requested_after_instruments() -> None:
    reqs = OkxSpec().metadata_requests(resolve_all(["BTC", "ETH"]))
    assert reqs[0].startswith("/api/v5/public/instruments")
    assert reqs[1:] == [
        "/api/v5/public/liquidation-orders?instType=SWAP&uly=BTC-USDT&state=filled&limit=100",
        "/api/v5/public/liquidation-orders?instType=SWAP&uly=ETH-USDT&state=filled&limit=100",
    ]
