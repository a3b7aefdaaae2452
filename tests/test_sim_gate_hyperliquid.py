"""Simulator encoders and control protocols of Gate and Hyperliquid, read back by the real parsers."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from tnet.connectors.gate import GateSpec
from tnet.connectors.hyperliquid import HyperliquidSpec
from tnet.events import Liquidation, MarkPrice, OpenInterest, Trades
from tnet.sim.market import Market
from tnet.sim.venues.gate import GateWire
from tnet.sim.venues.hyperliquid import HyperliquidWire
from tnet.symbols import resolve_all

T = 1_791_565_601_000
SYMBOLS = resolve_all(["BTC", "ETH", "PEPE"])


MARKET = Market(["BTC", "ETH", "PEPE"], seed=0, start_ms=T)


def dumps(payload: dict) -> str:
    return orjson.dumps(payload).decode()


def test_gate_frames_round_trip_through_the_parser() -> None:
    enc, parser = GateWire(MARKET, np.random.default_rng(0)), GateSpec().make_parser(SYMBOLS)
    liqs = [Liquidation("gate", "BTC", T + i, T, "long" if i % 2 else "short", 82650.5, 0.5, 41325.25)
            for i in range(25)]
    frames = enc.encode(liqs, T)
    all_frames = [p for key, p in frames if key == ("futures.public_liquidates", "!all")]
    assert [len(p["result"]) for p in all_frames] == [20, 5]  # one contract, one second: split at 20
    got = [ev for p in all_frames for ev in parser.parse(dumps(p), T + 100)]
    assert [(e.side, e.qty, e.price, e.ts_ms) for e in got] == [(e.side, 0.5, 82650.5, e.ts_ms) for e in liqs]
    assert enc.encode([OpenInterest("gate", "BTC", T, T, 65118.5722, 5.38e9)], T) == []  # no mark yet
    [(key, ticker)] = enc.encode([MarkPrice("gate", "BTC", T + 5, T, 82650.5)], T)
    assert key == ("futures.tickers", "BTC_USDT")
    mark, oi = parser.parse(dumps(ticker), T + 10)
    assert (mark.price, mark.ts_ms) == (82650.5, T + 5)
    assert oi.oi_base == pytest.approx(65118.5722)  # 651,185,722 contracts of 0.0001
    [(key, trades)] = enc.encode([Trades("gate", "ETH", T, T, 3141.5, 2.5, 1.2)], T)
    [tr] = parser.parse(dumps(trades), T + 10)
    assert (tr.buy_qty, tr.sell_qty) == (pytest.approx(2.5), pytest.approx(1.2))  # 250 and -120 contracts
    [(_key, other)] = enc.extra(T, 60.0)  # certain at dt 60 s: one a minute or more
    assert parser.parse(dumps(other), T) == []
    assert parser.stats.parse_errors == 0


def test_gate_control_acks_errors_and_pong() -> None:
    ctl, subs = GateWire(MARKET, np.random.default_rng(0)), set()
    spec = GateSpec()
    parser = spec.make_parser(SYMBOLS)
    for frame in spec.subscribe_frames(resolve_all(["BTC", "ETH"])):
        [ack], close = ctl.control(subs, frame, T, "0001-sim")
        assert not close
        assert ack["result"] == {"status": "success"} and parser.parse(dumps(ack), T) == []
    assert ("futures.public_liquidates", "!all") in subs and ("futures.trades", "ETH_USDT") in subs
    [pong], _ = ctl.control(subs, spec.heartbeat_frame(), T, "0001-sim")
    assert pong["channel"] == "futures.pong" and parser.parse(dumps(pong), T) == []
    frame = '{"time":1,"channel":"futures.tickers","event":"subscribe","payload":["BTC_USDT","NOPE_USDT"]}'
    [err], _ = ctl.control(subs, frame, T, "0001-sim")
    assert err["error"] == {"code": 2, "message": "unknown currency pair: NOPE_USDT"}
    assert ("futures.tickers", "NOPE_USDT") not in subs  # the whole request failed
    [junk], _ = ctl.control(subs, "hello", T, "0001-sim")
    assert junk["error"]["code"] == 1
    parser.parse(dumps(err), T)
    assert parser.stats.parse_errors == 0 and parser.stats.venue_errors == [
        "futures.tickers 2: unknown currency pair: NOPE_USDT"]
    [unsub], _ = ctl.control(subs, frame.replace("subscribe", "unsubscribe").replace(',"NOPE_USDT"', ""), T, "c")
    assert unsub["result"]["status"] == "success" and ("futures.tickers", "BTC_USDT") not in subs


def test_hyperliquid_frames_round_trip_and_replay_on_subscribe() -> None:
    enc, parser = HyperliquidWire(MARKET, np.random.default_rng(0)), HyperliquidSpec().make_parser(SYMBOLS)
    assert enc.encode([OpenInterest("hyperliquid", "BTC", T, T, 36295.80812, 2.9e9)], T) == []
    [(key, ctx)] = enc.encode([MarkPrice("hyperliquid", "BTC", T, T, 80640.0)], T)
    assert key == ("activeAssetCtx", "BTC")
    mark, oi = parser.parse(dumps(ctx), T + 7)
    assert (mark.price, oi.oi_base, oi.ts_ms) == (80640.0, pytest.approx(36295.80812), T + 7)
    [(key, fills)] = enc.encode([Trades("hyperliquid", "BTC", T, T, 80640.0, 0.5, 0.25)], T)
    [tr] = parser.parse(dumps(fills), T + 5)
    assert (tr.buy_qty, tr.sell_qty, tr.ts_ms) == (0.5, 0.25, T)
    [replay] = enc.snapshot(("trades", "BTC"))
    assert parser.parse(dumps(replay), T + 9) == []  # already counted
    # kPEPE: sizes per 1,000 PEPE on the wire, base units out of the parser
    enc.encode([MarkPrice("hyperliquid", "PEPE", T, T, 0.0000105)], T)
    [(key, ctx)] = enc.encode([OpenInterest("hyperliquid", "PEPE", T, T, 2.5e12, 2.6e7)], T)
    assert key == ("activeAssetCtx", "kPEPE")
    mark, oi = parser.parse(dumps(ctx), T)
    assert mark.price == pytest.approx(0.0000105) and oi.oi_base == pytest.approx(2.5e12)
    assert parser.stats.parse_errors == 0


def test_hyperliquid_control_acks_duplicates_pong_and_unlisted_coin_closes() -> None:
    ctl, subs = HyperliquidWire(MARKET, np.random.default_rng(0)), set()
    spec = HyperliquidSpec()
    parser = spec.make_parser(SYMBOLS)
    for frame in spec.subscribe_frames(SYMBOLS):
        [ack], close = ctl.control(subs, frame, T, "c")
        assert ack["channel"] == "subscriptionResponse" and not close
        assert parser.parse(dumps(ack), T) == []
    assert ("trades", "kPEPE") in subs and len(subs) == 6
    [dup], _ = ctl.control(subs, spec.subscribe_frames(SYMBOLS)[0], T, "c")
    assert dup["data"].startswith("Already subscribed:")
    [pong], _ = ctl.control(subs, spec.heartbeat_frame(), T, "c")
    assert pong == {"channel": "pong"} and parser.parse(dumps(pong), T) == []
    [err], close = ctl.control(subs, '{"method":"subscribe","subscription":{"type":"noSuchType","coin":"BTC"}}', T, "c")
    assert err["channel"] == "error" and not close
    parser.parse(dumps(err), T)
    assert parser.stats.parse_errors == 0 and "noSuchType" in parser.stats.venue_errors[-1]
    replies, close = ctl.control(subs, '{"method":"subscribe","subscription":{"type":"trades","coin":"NOPE"}}', T, "c")
    assert (replies, close) == ([], True)
