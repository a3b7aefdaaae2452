"""Bitget in the simulator: frames and control protocol, read back by the real parser and spec."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import numpy as np
import orjson
import pytest

from tnet.connectors.bitget import BitgetSpec
from tnet.events import Bar, Liquidation, MarkPrice, OpenInterest, Trades
from tnet.runtime import Runtime
from tnet.sim.market import Market
from tnet.sim.venues import base_path
from tnet.sim.venues.bitget import BitgetWire
from tnet.symbols import resolve_all

if TYPE_CHECKING:
    from conftest import SimSettings, StartSim

T = 1_791_565_601_000
SYMBOLS = resolve_all(["BTC", "ETH"])
MARKET = Market(["BTC", "ETH"], seed=0, start_ms=T)


def dumps(payload: object) -> str:
    return payload if isinstance(payload, str) else orjson.dumps(payload).decode()


def test_frames_round_trip_through_the_parser() -> None:
    wire, parser = BitgetWire(MARKET, np.random.default_rng(0)), BitgetSpec().make_parser(SYMBOLS)
    liqs = [Liquidation("bitget", "BTC", T + 1, T, "long", 82650.5, 0.5, 41325.25),
            Liquidation("bitget", "ETH", T + 2, T, "short", 3141.5, 2.0, 6283.0)]
    [(key, frame)] = wire.encode(liqs, T + 5)
    assert key == ("liquidation", "")
    got = parser.parse(dumps(frame), T + 10)
    assert [(e.symbol, e.side, e.ts_ms, e.price) for e in got] == [("BTC", "long", T + 1, 82650.5),
                                                                    ("ETH", "short", T + 2, 3141.5)]
    assert [e.qty for e in got] == [pytest.approx(0.5), pytest.approx(2.0)]  # amount (USDT) / price
    assert wire.encode([OpenInterest("bitget", "BTC", T, T, 32117.4, 2.6e9)], T) == []  # no mark yet
    [(key, ticker)] = wire.encode([MarkPrice("bitget", "BTC", T + 5, T, 82650.5)], T)
    assert key == ("ticker", "BTCUSDT")
    [mark, oi] = parser.parse(dumps(ticker), T + 10)
    assert (mark.price, mark.ts_ms, oi.oi_base) == (82650.5, T + 5, pytest.approx(32117.4))
    [(key, trades)] = wire.encode([Trades("bitget", "ETH", T, T, 3141.5, 2.5, 1.2)], T)
    [tr] = parser.parse(dumps(trades), T + 10)
    assert (tr.buy_qty, tr.sell_qty) == (pytest.approx(2.5), pytest.approx(1.2))
    [(_key, other)] = wire.extra(T, 60.0)  # certain at dt 60 s
    assert parser.parse(dumps(other), T) == []  # a symbol nobody watches
    # a new trades subscriber first gets the recent trades as a snapshot: the parser skips it
    [replay] = wire.snapshot(("publicTrade", "ETHUSDT"))
    assert replay["action"] == "snapshot" and parser.parse(dumps(replay), T) == []
    assert parser.stats.parse_errors == 0


def test_control_acks_errors_pong_and_the_rate_limit() -> None:
    wire, subs = BitgetWire(MARKET, np.random.default_rng(0)), set()
    spec = BitgetSpec()
    parser = spec.make_parser(SYMBOLS)
    [frame] = spec.subscribe_frames(SYMBOLS)
    acks, close = wire.control(subs, frame, T, "0001-sim")
    assert not close and len(acks) == 5 and all(parser.parse(dumps(a), T) == [] for a in acks)
    assert subs == {("liquidation", ""), ("ticker", "BTCUSDT"), ("publicTrade", "BTCUSDT"),
                    ("ticker", "ETHUSDT"), ("publicTrade", "ETHUSDT")}
    [pong], _ = wire.control(subs, spec.heartbeat_frame() or "", T, "0001-sim")
    assert pong == "pong" and parser.parse(pong, T) == []
    bad = '{"op":"subscribe","args":[{"instType":"usdt-futures","topic":"ticker","symbol":"NOPEUSDT"}]}'
    [err], close = wire.control(subs, bad, T, "0001-sim")
    assert not close and err["event"] == "error" and err["code"] == 30001
    assert parser.parse(dumps(err), T) == [] and "NOPEUSDT" in parser.stats.venue_errors[-1]
    [err], _ = wire.control(subs, "not json", T, "0001-sim")
    assert err["code"] == 30012 and parser.parse(dumps(err), T) == []
    assert parser.stats.parse_errors == 0
    assert wire.over_rate(T, "0001-sim") == ([], True)  # over 10 messages a second: closed


def test_market_publishes_the_largest_long_and_short_per_second() -> None:
    # a busy, all-isolated market of Bitget alone: hundreds of liquidations in 20 minutes
    m = Market(["BTC"], seed=2, start_ms=T, activity=30.0, volatility=4.0, risk_mix={"bitget": {"isolated": 1.0}},
               venues=("bitget",))
    published: list[Liquidation] = []
    for step in range(1, 1201):
        published += [e for e in m.step(T + step * 1000) if isinstance(e, Liquidation)]
    truth = m.liquidations_all("BTC", "bitget", start_ms=T, end_ms=T + 1_200_000)
    assert len(published) > 20
    seconds: dict[tuple[int, str], list[float]] = {}
    for r in truth:
        seconds.setdefault((r.ts_ms // 1000, r.side), []).append(r.qty)
    keys = [(e.ts_ms // 1000, e.side) for e in published]
    assert len(keys) == len(set(keys))  # at most one print per second and side
    for e in published:
        assert e.qty == max(seconds[(e.ts_ms // 1000, e.side)])  # the largest of its second and side
    assert len(published) < len(truth)  # a lower bound


async def test_candles_over_loopback_as_bitget_serves_them(start_sim: StartSim) -> None:
    sim = await start_sim(["ETH"])
    spec, parser = BitgetSpec(), BitgetSpec().make_parser(SYMBOLS)
    end = sim.market.now_ms - 3_600_000
    [path] = spec.history_requests(SYMBOLS[1], end, 12)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sim.port}{base_path('bitget')}", timeout=5) as c:
        r = await c.get(path)
        body = r.json()
        assert r.status_code == 200 and (body["code"], body["msg"]) == ("00000", "success")
        rows = body["data"]
        assert len(rows) == 12 and all(len(row) == 7 and all(isinstance(v, str) for v in row) for row in rows)
        starts = [int(row[0]) for row in rows]
        assert starts == list(range(starts[0], starts[0] + 12 * 300_000, 300_000)) and starts[-1] <= end
        bars = parser.parse_rest(path, r.text, sim.market.now_ms)
        assert len(bars) == 12 and all(isinstance(b, Bar) and b.symbol == "ETH" for b in bars)
        # what Bitget answers to a bad request: HTTP 400 with its error body, the parser remembers it
        bad = await c.get(path.replace("ETHUSDT", "NOPEUSDT"))
        assert bad.status_code == 400 and bad.json()["code"] == "40034" and bad.json()["data"] is None
        assert parser.parse_rest(path, bad.text, 0) == [] and "40034" in parser.stats.venue_errors[-1]
        assert (await c.get(path.replace("5m", "1m"))).json()["code"] == "40017"
        missing = await c.get("/api/v2/mix/market/history-open-interest", params={"symbol": "BTCUSDT"})
        assert missing.status_code == 404 and missing.json()["code"] == "40404"  # Bitget has no OI history
    assert parser.stats.parse_errors == 0


async def test_warm_start_builds_bitgets_history_from_its_candles(start_sim: StartSim, sim_settings: SimSettings,
                                                                  state_dir: Path) -> None:
    sim = await start_sim(["BTC"])
    rt = Runtime(resolve_all(["BTC"]), sim_settings(sim, exchanges=("bitget",), state_dir=state_dir))
    await rt.start()
    try:
        view = rt.view("BTC", heatmap=True)
        # Bitget alone: only its candles can have made the engine warm with a day of history columns.
        assert view.warm and view.price > 0
        assert view.heatmap is not None and view.heatmap.long_usd.shape[0] >= 60
        health = rt.health()["venues"]["bitget"]
        assert health["warm_start"] == "ok" and health["parse_errors"] == 0
        assert "no REST liquidation or open-interest history" in health["note"]
    finally:
        await rt.stop()
