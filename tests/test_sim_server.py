"""The loopback venue servers (tnet.sim.server): real sockets on 127.0.0.1, raw websockets/httpx clients."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
import websockets
from websockets.exceptions import ConnectionClosed

from tnet.sim.faults import Faults
from tnet.sim.server import QUEUE_FRAMES, SimServer, _Conn
from tnet.venues.okx import CONTRACT_SIZES as OKX_CT_VAL

pytestmark = pytest.mark.asyncio(loop_scope="module")
SYMBOLS = ["BTC", "ETH", "SOL"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server() -> Any:
    srv = SimServer(symbols=SYMBOLS, seed=1, speed=40, faults=Faults(burst=3))
    await srv.start()
    yield srv
    await srv.stop()


def ws_url(srv: SimServer, path: str) -> str:
    return f"ws://127.0.0.1:{srv.port}{path}"


async def recv_json(ws: Any, timeout: float = 3.0) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def collect(ws: Any, seconds: float, until: Callable[[list[Any]], bool] | None = None) -> list[Any]:
    """Frames received for `seconds`, or until `until(frames)` holds (a loaded machine delivers late)."""
    out: list[Any] = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        try:
            raw = await asyncio.wait_for(ws.recv(), left)
        except asyncio.TimeoutError:
            break
        out.append(raw if raw == "pong" else json.loads(raw))
        if until is not None and until(out):
            break
    return out


async def test_endpoints_name_one_port_for_every_venue(server: SimServer) -> None:
    ep = server.endpoints()
    assert ep["port"] == server.port > 0
    for venue in ("binance", "bybit", "okx"):
        assert ep[venue] == {"ws": f"ws://127.0.0.1:{server.port}", "rest": f"http://127.0.0.1:{server.port}"}


# ------------------------------------------------------------------ Binance


async def test_binance_subscribe_list_and_errors(server: SimServer) -> None:
    async with websockets.connect(ws_url(server, "/market/ws")) as ws:
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@markPrice@1s"], "id": 1}))
        msgs = [await recv_json(ws)]
        while msgs[-1] != {"result": None, "id": 1}:
            msgs.append(await recv_json(ws))
        await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 2}))
        await ws.send(json.dumps({"method": "FOO", "id": 3}))
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["x"], "id": -4}))
        await ws.send("{not json")
        replies = [m for m in await collect(ws, 15, until=lambda got: sum("id" in m for m in got) >= 4) if "id" in m]
        assert {"result": ["btcusdt@markPrice@1s"], "id": 2} in replies
        errors = [m for m in replies if "error" in m]
        assert len(errors) == 3
        assert all(isinstance(e["error"]["code"], int) and e["error"]["msg"] for e in errors)
        # raw endpoint: payloads are not wrapped
        data = [m for m in await collect(ws, 15, until=lambda got: any("e" in m for m in got)) if "e" in m]
        assert data and all(m["e"] == "markPriceUpdate" and m["s"] == "BTCUSDT" for m in data)


async def test_binance_combined_stream_from_url_and_legacy_path_is_silent(server: SimServer) -> None:
    async with websockets.connect(ws_url(server, "/market/stream?streams=ethusdt@markPrice@1s/solusdt@aggTrade")) as ws:
        got = await collect(ws, 15, until=lambda got: len({m["stream"] for m in got}) == 2)
        streams = {m["stream"] for m in got}
        assert streams == {"ethusdt@markPrice@1s", "solusdt@aggTrade"}
        for m in got:
            if m["stream"] == "solusdt@aggTrade":
                d = m["data"]
                assert d["e"] == "aggTrade" and isinstance(d["m"], bool) and float(d["q"]) > 0
                assert isinstance(d["p"], str)
    async with websockets.connect(ws_url(server, "/ws")) as ws:
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@markPrice@1s", "!forceOrder@arr"], "id": 9}))
        got = await collect(ws, 1.5)
        assert got == [{"result": None, "id": 9}]  # ack, then nothing (post-2026 legacy URL)


# ------------------------------------------------------------------ data on all venues


@pytest.mark.slow
async def test_data_arrives_for_every_symbol_on_every_venue(server: SimServer) -> None:
    bn_streams = [f"{s.lower()}usdt@{k}" for s in SYMBOLS for k in ("markPrice@1s", "aggTrade")]
    by_topics = [f"{t}.{s}USDT" for s in SYMBOLS for t in ("tickers", "publicTrade")]
    okx_args = [{"channel": c, "instId": f"{s}-USDT-SWAP"} for s in SYMBOLS for c in ("mark-price", "open-interest", "trades")]
    async with websockets.connect(ws_url(server, "/market/stream")) as bn, \
            websockets.connect(ws_url(server, "/v5/public/linear")) as by, \
            websockets.connect(ws_url(server, "/ws/v5/public")) as ok:
        await bn.send(json.dumps({"method": "SUBSCRIBE", "params": bn_streams, "id": 1}))
        await by.send(json.dumps({"op": "subscribe", "args": by_topics, "req_id": "r1"}))
        await ok.send(json.dumps({"op": "subscribe", "args": okx_args, "id": "7"}))
        bn_msgs, by_msgs, ok_msgs = await asyncio.gather(collect(bn, 4), collect(by, 4), collect(ok, 4))
    seen: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for m in bn_msgs:
        if "stream" in m:
            seen["binance"].add((m["data"]["e"], m["data"]["s"]))
    for m in by_msgs:
        if "topic" in m:
            name, sym = m["topic"].split(".")
            seen["bybit"].add((name, sym))
    for m in ok_msgs:
        if isinstance(m, dict) and "data" in m:
            for d in m["data"]:
                seen["okx"].add((m["arg"]["channel"], d["instId"]))
    for s in SYMBOLS:
        assert {("markPriceUpdate", f"{s}USDT"), ("aggTrade", f"{s}USDT")} <= seen["binance"]
        assert {("tickers", f"{s}USDT"), ("publicTrade", f"{s}USDT")} <= seen["bybit"]
        assert {("mark-price", f"{s}-USDT-SWAP"), ("open-interest", f"{s}-USDT-SWAP"),
                ("trades", f"{s}-USDT-SWAP")} <= seen["okx"]


async def test_liquidations_arrive_in_each_venue_format(server: SimServer) -> None:
    t0_ms = server.market.now_ms
    liq_frames: dict[str, list[Any]] = defaultdict(list)
    async with websockets.connect(ws_url(server, "/market/stream?streams=!forceOrder@arr")) as bn, \
            websockets.connect(ws_url(server, "/v5/public/linear")) as by, \
            websockets.connect(ws_url(server, "/ws/v5/public")) as ok:
        await by.send(json.dumps({"op": "subscribe", "args": [f"allLiquidation.{s}USDT" for s in SYMBOLS]}))
        await ok.send(json.dumps({"op": "subscribe", "args": [{"channel": "liquidation-orders", "instType": "SWAP"}]}))
        end = time.monotonic() + 30
        while time.monotonic() < end and not (liq_frames["binance"] and liq_frames["bybit"] and any(
                d["instId"].split("-")[0] in SYMBOLS for d in liq_frames["okx"])):
            for venue, ws in (("binance", bn), ("bybit", by), ("okx", ok)):
                for m in await collect(ws, 0.2):
                    if venue == "binance":
                        liq_frames[venue].append(m["data"])
                    elif venue == "bybit" and "topic" in m:
                        liq_frames[venue].append(m)
                    elif venue == "okx" and "data" in m:
                        liq_frames[venue].extend(m["data"])
    assert liq_frames["binance"] and liq_frames["bybit"] and liq_frames["okx"]
    # Binance forceOrder: exact field set; SELL closes a long; COIN-M frames are st 2
    for d in liq_frames["binance"]:
        o = d["o"]
        assert d["e"] == "forceOrder"
        assert set(o) == {"s", "S", "o", "f", "q", "p", "ap", "X", "l", "z", "T", "ps", "st"}
        assert o["S"] in ("BUY", "SELL") and o["X"] == "FILLED" and o["st"] in (1, 2)
        assert (o["st"] == 2) == o["s"].endswith("USD_PERP")
        if o["st"] == 1:
            # order price sits through the fill: below it for a SELL, above for a BUY
            assert (float(o["p"]) < float(o["ap"])) == (o["S"] == "SELL")
    # Bybit: data lists, one frame per 500 ms batch, S is the position side
    for m in liq_frames["bybit"]:
        assert m["type"] == "snapshot" and m["ts"] % 500 == 0 and isinstance(m["data"], list)
        for d in m["data"]:
            assert d["S"] in ("Buy", "Sell") and m["ts"] - 500 <= d["T"] < m["ts"]
    # OKX: sizes in contracts; they match the market's truth for our instruments
    truth: dict[tuple[str, int, str], list[str]] = defaultdict(list)
    for r in server.market.liquidations_all(venue="okx", start_ms=t0_ms):
        truth[(r.symbol, r.ts_ms, r.side)].append(f"{max(round(r.qty / OKX_CT_VAL[r.symbol], 2), 0.01):.2f}")
    matched = 0
    for d in liq_frames["okx"]:
        det = d["details"][0]
        side = det["posSide"] if det["posSide"] != "net" else ("long" if det["side"] == "sell" else "short")
        assert det["side"] == ("sell" if side == "long" else "buy")
        sym = d["instId"].split("-")[0]
        if sym in SYMBOLS:
            assert det["sz"] in truth[(sym, int(det["ts"]), side)]  # base qty / ctVal
            matched += 1
    assert matched > 0


# ------------------------------------------------------------------ Bybit


async def test_bybit_acks_ping_and_ticker_snapshot_then_deltas(server: SimServer) -> None:
    async with websockets.connect(ws_url(server, "/v5/public/linear")) as ws:
        await ws.send(json.dumps({"op": "subscribe", "args": ["tickers.BTCUSDT"], "req_id": "a1"}))
        ack = await recv_json(ws)
        assert ack["success"] is True and ack["op"] == "subscribe" and ack["req_id"] == "a1" and ack["ret_msg"] == ""
        assert isinstance(ack["conn_id"], str) and ack["conn_id"]
        snap = await recv_json(ws)
        assert snap["type"] == "snapshot" and snap["topic"] == "tickers.BTCUSDT"
        data = snap["data"]
        for field in ("markPrice", "lastPrice", "indexPrice", "openInterest", "openInterestValue",
                      "singleOpenInterest", "singleOpenInterestValue", "fundingRate"):
            assert isinstance(data[field], str)
        assert float(data["openInterest"]) == pytest.approx(2 * float(data["singleOpenInterest"]), rel=1e-6)
        assert isinstance(snap["cs"], int) and isinstance(snap["ts"], int)
        await ws.send(json.dumps({"op": "ping", "req_id": "p1"}))
        await ws.send(json.dumps({"op": "subscribe", "args": ["allLiquidation.NOPEUSDT"], "req_id": "a2"}))
        got = await collect(ws, 15, until=lambda got: any(m.get("req_id") == "a2" for m in got)
                            and any(m.get("op") == "ping" for m in got) and sum(m.get("type") == "delta" for m in got) > 5)
    pong = [m for m in got if m.get("op") == "ping"]
    assert pong == [{"success": True, "ret_msg": "pong", "conn_id": ack["conn_id"], "req_id": "p1", "op": "ping"}]
    bad = [m for m in got if m.get("req_id") == "a2"]
    assert bad and bad[0]["success"] is False and bad[0]["ret_msg"] == "Invalid symbol :[allLiquidation.NOPEUSDT]"
    deltas = [m for m in got if m.get("type") == "delta"]
    assert len(deltas) > 5
    assert any("openInterest" not in m["data"] for m in deltas)  # only changed fields
    assert all(m["data"]["symbol"] == "BTCUSDT" for m in deltas)
    assert [m["cs"] for m in deltas] == sorted(m["cs"] for m in deltas)


# ------------------------------------------------------------------ OKX


async def test_okx_acks_errors_and_text_ping(server: SimServer) -> None:
    async with websockets.connect(ws_url(server, "/ws/v5/public")) as ws:
        await ws.send(json.dumps({"id": "12", "op": "subscribe", "args": [
            {"channel": "liquidation-orders", "instType": "SWAP", "instFamily": "BTC-USDT"},
            {"channel": "liquidation-orders", "instType": "SWAP", "instId": "BTC-USDT-SWAP"},
            {"channel": "mark-price", "instId": "BTC-USDT-SWAP"},
            {"channel": "mark-price", "instId": "NOPE-USDT-SWAP"}]}))
        await ws.send("ping")
        await ws.send("{oops")

        def complete(got: list[Any]) -> bool:
            events = [m.get("event") for m in got if isinstance(m, dict)]
            # a mark-price push, not any data: a liquidation on the all-SWAP channel can come first
            marks = [m for m in got if isinstance(m, dict) and "data" in m and m["arg"]["channel"] == "mark-price"]
            return "pong" in got and events.count("subscribe") >= 2 and events.count("error") >= 3 and bool(marks)

        got = await collect(ws, 15, until=complete)
    acks = [m for m in got if isinstance(m, dict) and m.get("event") == "subscribe"]
    assert {json.dumps(a["arg"], sort_keys=True) for a in acks} == {
        json.dumps({"channel": "liquidation-orders", "instType": "SWAP"}, sort_keys=True),
        json.dumps({"channel": "mark-price", "instId": "BTC-USDT-SWAP"}, sort_keys=True)}
    assert all(a["id"] == "12" and a["connId"] for a in acks)
    errors = [m for m in got if isinstance(m, dict) and m.get("event") == "error"]
    assert sorted(e["code"] for e in errors) == ["60012", "60018", "60018"]
    assert any("liquidation-orders,instType:SWAP,instId:BTC-USDT-SWAP doesn't exist" in e["msg"] for e in errors)
    assert "pong" in got
    marks = [m for m in got if isinstance(m, dict) and "data" in m and m["arg"]["channel"] == "mark-price"]
    assert marks and all(isinstance(m["data"][0]["markPx"], str) for m in marks)


# ------------------------------------------------------------------ REST


async def test_rest_endpoints_return_the_documented_shapes(server: SimServer) -> None:
    base = f"http://127.0.0.1:{server.port}"
    async with httpx.AsyncClient(base_url=base, timeout=5) as c:
        r = await c.get("/fapi/v1/openInterest", params={"symbol": "BTCUSDT"})
        assert r.headers["content-type"] == "application/json"
        oi = r.json()
        assert oi["symbol"] == "BTCUSDT" and float(oi["openInterest"]) > 0 and isinstance(oi["time"], int)

        now = server.market.now_ms
        end = now - 3_600_000
        rows = (await c.get("/fapi/v1/klines", params={"symbol": "ETHUSDT", "interval": "5m", "limit": 12,
                                                       "endTime": end})).json()
        assert len(rows) == 12 and all(len(row) == 12 for row in rows)
        assert [row[0] for row in rows] == list(range(rows[0][0], rows[0][0] + 12 * 300_000, 300_000))
        assert rows[-1][0] <= end and all(row[6] == row[0] + 299_999 for row in rows)
        assert all(isinstance(v, str) for row in rows for v in row[1:6]) and float(rows[0][9]) <= float(rows[0][5])

        hist = (await c.get("/futures/data/openInterestHist", params={"symbol": "BTCUSDT", "period": "5m",
                                                                      "limit": 5})).json()
        assert len(hist) == 5 and set(hist[0]) >= {"symbol", "sumOpenInterest", "sumOpenInterestValue", "timestamp"}
        assert [h["timestamp"] for h in hist] == sorted(h["timestamp"] for h in hist)

        k = (await c.get("/v5/market/kline", params={"category": "linear", "symbol": "SOLUSDT", "interval": "5",
                                                     "limit": 3})).json()
        assert k["retCode"] == 0 and k["result"]["category"] == "linear" and len(k["result"]["list"]) == 3
        starts = [int(row[0]) for row in k["result"]["list"]]
        assert starts == sorted(starts, reverse=True) and all(len(row) == 7 for row in k["result"]["list"])

        o1 = (await c.get("/v5/market/open-interest", params={"category": "linear", "symbol": "BTCUSDT",
                                                              "intervalTime": "5min", "limit": 200})).json()
        lst = o1["result"]["list"]
        assert len(lst) == 200 and o1["result"]["nextPageCursor"]
        ts = [int(x["timestamp"]) for x in lst]
        assert ts == sorted(ts, reverse=True) and float(lst[0]["openInterest"]) > 0
        o2 = (await c.get("/v5/market/open-interest", params={"category": "linear", "symbol": "BTCUSDT",
                                                              "intervalTime": "5min", "limit": 200,
                                                              "cursor": o1["result"]["nextPageCursor"]})).json()
        assert int(o2["result"]["list"][0]["timestamp"]) == ts[-1] - 300_000  # next page continues the series

        t = (await c.get("/v5/market/tickers", params={"category": "linear", "symbol": "BTCUSDT"})).json()
        assert t["result"]["list"][0]["symbol"] == "BTCUSDT"

        inst = (await c.get("/api/v5/public/instruments", params={"instType": "SWAP"})).json()
        by_id = {d["instId"]: d for d in inst["data"]}
        assert inst["code"] == "0" and by_id["BTC-USDT-SWAP"]["ctVal"] == "0.01" and by_id["ETH-USDT-SWAP"]["ctVal"] == "0.1"
        assert by_id["SOL-USDT-SWAP"]["ctType"] == "linear" and "CELO-USDT-SWAP" in by_id

        okx_oi = (await c.get("/api/v5/public/open-interest", params={"instType": "SWAP", "instId": "ETH-USDT-SWAP"})).json()
        d = okx_oi["data"][0]
        assert float(d["oi"]) * 0.1 == pytest.approx(float(d["oiCcy"]), rel=1e-4)

        cand = (await c.get("/api/v5/market/history-candles", params={"instId": "BTC-USDT-SWAP", "bar": "5m",
                                                                      "limit": 100})).json()["data"]
        assert len(cand) == 100 and all(len(row) == 9 and row[8] == "1" for row in cand)
        older = (await c.get("/api/v5/market/history-candles", params={"instId": "BTC-USDT-SWAP", "bar": "5m",
                                                                       "after": cand[-1][0], "limit": 10})).json()["data"]
        assert int(older[0][0]) == int(cand[-1][0]) - 300_000

        rub = (await c.get("/api/v5/rubik/stat/contracts/open-interest-history",
                           params={"instId": "SOL-USDT-SWAP", "period": "5m", "limit": 4})).json()["data"]
        assert len(rub) == 4 and all(len(row) == 4 for row in rub)
        assert int(rub[0][0]) > int(rub[1][0]) and float(rub[0][1]) * 1.0 == pytest.approx(float(rub[0][2]), rel=1e-3)

        # errors come back in each venue's own shape with a 4xx
        r = await c.get("/fapi/v1/openInterest", params={"symbol": "NOPEUSDT"})
        assert r.status_code == 400 and r.json() == {"code": -1121, "msg": "Invalid symbol."}
        r = await c.get("/v5/market/kline", params={"category": "linear", "symbol": "NOPEUSDT", "interval": "5"})
        assert r.status_code == 400 and r.json()["retCode"] != 0
        r = await c.get("/api/v5/public/open-interest", params={"instType": "SWAP", "instId": "NOPE-USDT-SWAP"})
        assert r.status_code == 400 and r.json()["code"] == "51001"
        r = await c.get("/fapi/v1/klines", params={"symbol": "BTCUSDT", "interval": "7m"})
        assert r.status_code == 400 and r.json()["code"] < 0
        r = await c.get("/nowhere")
        assert r.status_code == 404


# ------------------------------------------------------------------ faults


async def _fault_server(faults: Faults) -> SimServer:
    srv = SimServer(symbols=["BTC"], seed=2, speed=20, faults=faults)
    await srv.start()
    return srv


async def test_drop_fault_closes_connections_and_reconnect_works() -> None:
    srv = await _fault_server(Faults(drop_s=1.0))
    try:
        for _ in range(2):
            async with websockets.connect(ws_url(srv, "/market/ws/btcusdt@markPrice@1s")) as ws:
                t0 = time.monotonic()
                with pytest.raises(ConnectionClosed):
                    while True:
                        await asyncio.wait_for(ws.recv(), 3)
                assert time.monotonic() - t0 < 2.5
        assert srv.stats["dropped_connections"] >= 2
    finally:
        await srv.stop()


async def test_stall_fault_pauses_sending() -> None:
    srv = await _fault_server(Faults(stall_s=1.0, stall_every_s=2.0))
    try:
        async with websockets.connect(ws_url(srv, "/v5/public/linear")) as ws:
            await ws.send(json.dumps({"op": "subscribe", "args": ["tickers.BTCUSDT"]}))
            times = []
            end = time.monotonic() + 4.5
            while time.monotonic() < end:
                try:
                    await asyncio.wait_for(ws.recv(), 0.3)
                    times.append(time.monotonic())
                except asyncio.TimeoutError:
                    pass
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert len(times) > 20
        assert max(gaps) > 0.7  # a stall
        assert sum(1 for g in gaps if g < 0.2) > 10  # and normal flow between stalls
    finally:
        await srv.stop()


async def test_malformed_fault_corrupts_about_that_fraction() -> None:
    srv = await _fault_server(Faults(malformed=0.3))
    try:
        async with websockets.connect(ws_url(srv, "/market/stream?streams=btcusdt@markPrice@1s/btcusdt@aggTrade")) as ws:
            frames = []
            while len(frames) < 150:
                frames.append(await asyncio.wait_for(ws.recv(), 3))
    finally:
        await srv.stop()

    def well_formed(raw: str) -> bool:
        try:
            m = json.loads(raw)
        except ValueError:
            return False
        return isinstance(m, dict) and isinstance(m.get("stream"), str) and isinstance(m.get("data"), dict) \
            and isinstance(m["data"].get("e"), str)

    bad = sum(1 for f in frames if not well_formed(f))
    assert 0.15 * len(frames) < bad < 0.45 * len(frames)


async def test_burst_fault_multiplies_liquidations() -> None:
    # one clock for both: the market's start time must be the same instant
    calm = SimServer(symbols=["BTC"], seed=5, speed=1, clock=lambda: 1_791_565_600.0)
    wild = SimServer(symbols=["BTC"], seed=5, speed=1, faults=Faults(burst=5), clock=lambda: 1_791_565_600.0)
    t0 = calm.market.start_ms
    n_calm = len(calm.market.liquidations_all(end_ms=t0))
    n_wild = len(wild.market.liquidations_all(end_ms=t0))
    assert n_wild == 5 * n_calm > 0


async def test_slow_client_queue_is_bounded_and_counted() -> None:
    srv = SimServer(symbols=["BTC"], seed=0, speed=1)
    conn = _Conn(ws=None, venue="binance")  # type: ignore[arg-type]
    for i in range(QUEUE_FRAMES + 25):
        srv._enqueue(conn, f"frame {i}")
    assert conn.queue.qsize() == QUEUE_FRAMES
    assert conn.dropped == 25 and srv.stats["dropped_slow_client"] == 25


# ------------------------------------------------------------------ CLI process


async def test_cli_prints_endpoints_and_exits_cleanly_on_sigterm() -> None:
    code = "import typer; from tnet.sim.cli import sim; typer.run(sim)"
    proc = subprocess.Popen([sys.executable, "-c", code, "--symbols", "BTC", "--speed", "5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 30)  # type: ignore[union-attr]
        ep = json.loads(line)
        async with httpx.AsyncClient() as c:
            r = await c.get(f"{ep['binance']['rest']}/fapi/v1/openInterest", params={"symbol": "BTCUSDT"})
            assert r.status_code == 200
        proc.send_signal(signal.SIGTERM)
        rc = await asyncio.to_thread(proc.wait, 15)
        err = proc.stderr.read()  # type: ignore[union-attr]
        assert rc == 0 and "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("args,needle", [
    (["--faults", "drop=abc"], "not a number"),
    (["--leverage-mix", '{"kraken": {"10": 1}}'], "unknown venue"),
    (["--symbols", "NOPE"], "unknown symbol"),
    (["--speed", "0"], "speed"),
])
async def test_cli_bad_options_give_one_line_and_exit_2(args: list[str], needle: str) -> None:
    code = "import typer; from tnet.sim.cli import sim; typer.run(sim)"
    proc = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", code, *args], capture_output=True,
                                   text=True, timeout=30)
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in proc.stderr
