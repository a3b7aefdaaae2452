"""Hyperliquid parser and spec: real frames with hand-computed expectations (no liquidation feed)."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tnet.connectors.hyperliquid import HyperliquidParser, HyperliquidSpec
from tnet.events import MarkPrice, OpenInterest, Trades
from tnet.symbols import resolve_all

FRAMES = dict(line.split("\t", 1)
              for line in (Path(__file__).parent / "frames" / "hyperliquid.tsv").read_text().splitlines())
RECV = 1_791_565_601_300
SPEC = HyperliquidSpec()


@pytest.fixture
def parser() -> HyperliquidParser:
    return SPEC.make_parser(resolve_all(["BTC", "ETH", "PEPE"]))


def parse_one(parser: HyperliquidParser, name: str) -> list:
    return parser.parse(FRAMES[name], RECV)


def test_real_trade_side_a_is_a_taker_sell(parser: HyperliquidParser) -> None:
    [trades] = parse_one(parser, "real_trades_btc_2025")
    assert isinstance(trades, Trades)
    assert (trades.venue, trades.symbol) == ("hyperliquid", "BTC")
    assert (trades.buy_qty, trades.sell_qty) == (0.0, 0.00017)  # sizes are in coin
    assert (trades.price, trades.ts_ms) == (106296.0, 1751430933565)


def test_replayed_fills_are_counted_once(parser: HyperliquidParser) -> None:
    [trades] = parse_one(parser, "real_trades_btc_testnet_replay_2026")
    assert trades.buy_qty == pytest.approx(0.00032) and trades.sell_qty == 0.0  # two B fills
    assert (trades.price, trades.ts_ms) == (63530.0, 1785251457213)  # the newer fill
    assert parse_one(parser, "real_trades_btc_testnet_replay_2026") == []  # resubscribe replay
    assert parser.stats.parse_errors == 0


def test_fills_out_of_order_in_one_frame_all_count(parser: HyperliquidParser) -> None:
    rows = [{"coin": "ETH", "side": "A", "px": "3141.0", "sz": "2", "time": 1791565601200, "tid": 2},
            {"coin": "ETH", "side": "B", "px": "3140.0", "sz": "1.5", "time": 1791565601100, "tid": 1}]
    [trades] = parser.parse(orjson.dumps({"channel": "trades", "data": rows}), RECV)
    assert (trades.buy_qty, trades.sell_qty, trades.price, trades.ts_ms) == (1.5, 2.0, 3141.0, 1791565601200)
    newer = [{"coin": "ETH", "side": "B", "px": "3142.0", "sz": "1", "time": 1791565601200, "tid": 3}]
    [again] = parser.parse(orjson.dumps({"channel": "trades", "data": rows + newer}), RECV)
    assert (again.buy_qty, again.sell_qty) == (1.0, 0.0)  # only tid 3 is new


def test_real_asset_context_gives_mark_and_open_interest_in_coin(parser: HyperliquidParser) -> None:
    mark, oi = parse_one(parser, "real_asset_ctx_btc_2026")
    assert isinstance(mark, MarkPrice) and isinstance(oi, OpenInterest)
    assert (mark.price, mark.ts_ms) == (80640.0, RECV)  # the context carries no time
    assert oi.oi_base == 36295.80812
    assert oi.oi_usd == pytest.approx(36295.80812 * 80640.0)


def test_k_prefixed_coin_is_per_thousand(parser: HyperliquidParser) -> None:
    mark, oi = parse_one(parser, "made_asset_ctx_kpepe")
    assert mark.symbol == "PEPE" and mark.price == pytest.approx(0.0105 / 1000)
    assert oi.oi_base == pytest.approx(2.5e12)  # 2.5e9 kPEPE
    assert oi.oi_usd == pytest.approx(2.5e9 * 0.0105)


@pytest.mark.parametrize("name", ["real_subscription_response", "real_pong", "real_asset_ctx_natgas_2026"])
def test_control_and_unwatched_frames_are_silent(parser: HyperliquidParser, name: str) -> None:
    assert parse_one(parser, name) == []
    assert parser.stats.parse_errors == 0 and parser.stats.venue_errors == []


def test_error_reply_is_remembered(parser: HyperliquidParser) -> None:
    assert parse_one(parser, "real_error_unknown_type") == []
    assert parser.stats.parse_errors == 0
    assert "noSuchType" in parser.stats.venue_errors[-1]


@pytest.mark.parametrize("frame", [
    "", "{", "[]", '{"channel":"trades"}', '{"channel":"trades","data":[{"coin":"BTC"}]}',
    '{"channel":"trades","data":[{"coin":"BTC","side":"X","px":"1","sz":"1","time":1,"tid":1}]}',
    '{"channel":"trades","data":[{"coin":"BTC","side":"B","px":"0","sz":"1","time":1,"tid":1}]}',
    '{"channel":"activeAssetCtx","data":{"coin":"BTC","ctx":{"markPx":"0","openInterest":"1"}}}',
    '{"channel":"activeAssetCtx","data":{"coin":"BTC","ctx":{"markPx":"1e300","openInterest":"1e300"}}}',
    '{"channel":"surprise","data":{}}',
])
def test_junk_is_counted_and_dropped(parser: HyperliquidParser, frame: str) -> None:
    assert parser.parse(frame, RECV) == []
    assert parser.stats.parse_errors == 1


def test_spec_subscribes_listed_coins_only() -> None:
    symbols = resolve_all(["BTC", "PEPE", "IOST"])  # IOST is not listed on Hyperliquid
    frames = [orjson.loads(f) for f in SPEC.subscribe_frames(symbols)]
    assert [f["subscription"] for f in frames] == [
        {"type": "activeAssetCtx", "coin": "BTC"}, {"type": "trades", "coin": "BTC"},
        {"type": "activeAssetCtx", "coin": "kPEPE"}, {"type": "trades", "coin": "kPEPE"}]
    assert all(f["method"] == "subscribe" for f in frames)
    assert orjson.loads(SPEC.heartbeat_frame()) == {"method": "ping"}
    assert SPEC.ws_url(SPEC.default_endpoints, []) == "wss://api.hyperliquid.xyz/ws"


fills = st.tuples(st.sampled_from(["BTC", "ETH", "DOGE"]), st.sampled_from(["A", "B"]),
                  st.floats(1e-3, 1e6), st.floats(1e-5, 1e4), st.integers(1_700_000_000_000, 1_800_000_000_000),
                  st.integers(0, 2**62))


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(fills, max_size=15, unique_by=lambda r: r[5]))
def test_property_taker_volume_per_coin(rows: list) -> None:
    parser = SPEC.make_parser(resolve_all(["BTC", "ETH"]))
    data = [{"coin": c, "side": s, "px": str(p), "sz": str(z), "time": t, "tid": i} for c, s, p, z, t, i in rows]
    events = parser.parse(orjson.dumps({"channel": "trades", "data": data}), RECV)
    assert parser.stats.parse_errors == 0
    for coin in ("BTC", "ETH"):
        mine = [r for r in rows if r[0] == coin]
        got = [e for e in events if e.symbol == coin]
        assert len(got) == (1 if mine else 0)
        if mine:
            assert got[0].buy_qty == pytest.approx(sum(r[3] for r in mine if r[1] == "B"))
            assert got[0].sell_qty == pytest.approx(sum(r[3] for r in mine if r[1] == "A"))
            assert got[0].ts_ms == max(r[4] for r in mine)


json_values = st.one_of(
    st.sampled_from(["BTC", "ETH", "B", "A", "1", "-1", "0", "80640.5", "1e400", "nan", "", 1791565601000]),
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=6)),
        lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3),
        max_leaves=10))
keys = st.sampled_from(["coin", "side", "px", "sz", "time", "tid", "markPx", "openInterest"])


@settings(max_examples=150, deadline=None)
@given(channel=st.sampled_from(["trades", "activeAssetCtx", "error", "pong"]),
       row=st.dictionaries(keys, json_values, max_size=8), nested=st.booleans())
def test_fuzz_never_raises_and_events_are_sane(channel: str, row: dict, nested: bool) -> None:
    parser = SPEC.make_parser(resolve_all(["BTC", "ETH"]))
    data = {"coin": row.get("coin"), "ctx": row} if nested else [row]
    events = parser.parse(json.dumps({"channel": channel, "data": data}), RECV)
    for ev in events:
        assert ev.symbol in ("BTC", "ETH")
        for name in ("price", "oi_base", "oi_usd", "buy_qty", "sell_qty"):
            assert 0.0 <= getattr(ev, name, 0.0) < float("inf")
    assert parser.stats.frames == 1 and parser.stats.parse_errors <= 1
