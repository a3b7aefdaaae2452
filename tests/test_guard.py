"""Plausibility at the boundary: values that parse but cannot be true are junk, counted by reason, and never
change the engine. Each hostile frame below was seen to damage the model before the guard existed.

Every test replays a recording (real files, the real read path, parsers, guard and engines) twice: a
clean two-venue stream, and the same stream with one hostile frame in the middle. The engine's views
must come out identical, and the hostile frame must show up in health as junk with its reason.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import orjson
import pytest

from conftest import replay_to_end

from tnet.connectors.guard import Guard, Junk
from tnet.events import Bar, Liquidation, MarkPrice, OpenInterest, Trades
from tnet.runtime import Runtime

if TYPE_CHECKING:
    from conftest import Recording

T0 = 1_791_565_600_000
SECONDS = 240
HOSTILE_AT = 120  # seconds into the stream


def _bybit_ticker(t: int, price: float, oi: float) -> str:
    return orjson.dumps({"topic": "tickers.BTCUSDT", "type": "snapshot", "ts": t, "cs": t, "data": {
        "symbol": "BTCUSDT", "lastPrice": f"{price:.1f}", "markPrice": f"{price:.1f}", "indexPrice": f"{price:.1f}",
        "openInterest": f"{oi:.3f}", "openInterestValue": f"{oi * price:.2f}"}}).decode()


def _bybit_trade(t: int, price: float, qtys: tuple[str, ...]) -> str:
    data = [{"T": t, "s": "BTCUSDT", "S": "Buy" if i % 2 == 0 else "Sell", "v": q, "p": f"{price:.1f}",
             "L": "PlusTick", "i": f"id{t}{i}", "BT": False} for i, q in enumerate(qtys)]
    return orjson.dumps({"topic": "publicTrade.BTCUSDT", "type": "snapshot", "ts": t, "data": data}).decode()


def _bybit_liquidation(t: int, price: float) -> str:
    return orjson.dumps({"topic": "allLiquidation.BTCUSDT", "type": "snapshot", "ts": t,
                         "data": [{"T": t, "s": "BTCUSDT", "S": "Buy", "v": "0.5", "p": f"{price:.1f}"}]}).decode()


def _binance_mark(e: float, price: str) -> str:
    return orjson.dumps({"stream": "btcusdt@markPrice@1s", "data": {
        "e": "markPriceUpdate", "E": e, "s": "BTCUSDT", "p": price, "P": price, "i": price,
        "r": "0.00010000", "T": T0 + 8 * 3_600_000}}).decode()


def _binance_trade(t: int, price: str, qty: str) -> str:
    return orjson.dumps({"stream": "btcusdt@aggTrade", "data": {
        "e": "aggTrade", "E": t, "s": "BTCUSDT", "a": t, "p": price, "q": qty, "f": 1, "l": 1, "T": t,
        "m": False}}).decode()


def _binance_liquidation(t: int, price: str) -> str:
    return orjson.dumps({"stream": "!forceOrder@arr", "data": {"e": "forceOrder", "E": t, "o": {
        "s": "BTCUSDT", "S": "SELL", "o": "LIMIT", "f": "IOC", "q": "0.2", "p": price, "ap": price,
        "X": "FILLED", "l": "0.2", "z": "0.2", "T": t}}}).decode()


HOSTILE: dict[str, tuple[str, str, str]] = {
    # name: (venue, frame at HOSTILE_AT, expected junk reason)
    "mark in microseconds": ("binance", _binance_mark((T0 + HOSTILE_AT * 1000) * 1000, "82650.0"),
                             "timestamp not in ms (µs or ns?)"),
    "mark one hour ahead": ("binance", _binance_mark(T0 + HOSTILE_AT * 1000 + 3_600_000, "82650.0"),
                            "timestamp in the future"),
    "two trades of 1e308": ("bybit", _bybit_trade(T0 + HOSTILE_AT * 1000, 82650.0, ("1e308", "0.1", "1e308")),
                            "trade volume not finite"),
    "price x quantity overflows": ("binance", _binance_trade(T0 + HOSTILE_AT * 1000, "1e200", "1e200"),
                                   "trade volume not finite"),
    "outlier mark 1e9": ("binance", _binance_mark(T0 + HOSTILE_AT * 1000, "1000000000"),
                         "price outside the band of the last good price"),
    "liquidation at T:-5": ("binance", _binance_liquidation(-5, "82600.0"),
                            "timestamp before 2001 (seconds, or negative?)"),
}


def _stream(hostile: tuple[str, str] | None = None) -> Iterator[tuple[int, str, str, str]]:
    rng = random.Random(7)
    price, oi = 82_650.0, 50_000.0
    for k in range(SECONDS):
        t = T0 + k * 1000
        recv = t + 40
        price *= 1 + rng.gauss(0, 0.0008)
        oi += rng.uniform(-10, 40)
        yield recv, "bybit", "market", _bybit_ticker(t, price, oi)
        yield recv, "bybit", "market", _bybit_trade(t, price, (f"{rng.uniform(0.1, 2):.3f}", f"{rng.uniform(0.1, 2):.3f}"))
        yield recv, "binance", "market", _binance_mark(t, f"{price * 1.0001:.1f}")
        yield recv, "binance", "market", _binance_trade(t, f"{price:.1f}", f"{rng.uniform(0.01, 1):.3f}")
        if k % 10 == 5:
            yield recv, "bybit", "market", _bybit_liquidation(t, price * 0.999)
        if k % 15 == 7:
            yield recv, "binance", "market", _binance_liquidation(t, f"{price * 1.001:.1f}")
        if hostile is not None and k == HOSTILE_AT:
            yield recv, hostile[0], "market", hostile[1]


def _replay(path: Any) -> Runtime:
    return replay_to_end(path, exchanges=("binance", "bybit"))


def _fingerprint(rt: Runtime) -> dict[str, Any]:
    view = rt.view("BTC", heatmap=True)
    assert view.heatmap is not None
    return {
        "price": view.price,
        "levels": [(lv.price, lv.long_usd, lv.short_usd) for lv in view.levels],
        "tape": view.tape.events,
        "zones": [(z.side, z.price_low, z.price_high, z.usd, z.state) for z in view.zones],
        "columns": view.heatmap.long_usd.shape,
        "t0": view.heatmap.t0_ms,
    }


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from tnet.storage.recording import RecordingWriter

    path = tmp_path_factory.mktemp("clean") / "clean.jsonl"
    writer = RecordingWriter(path)
    for rec in _stream():
        writer.write(*rec)
    writer.close()
    rt = _replay(path)
    venues = rt.health()["venues"]
    assert all(v["junk"] == 0 and v["parse_errors"] == 0 for v in venues.values()), venues
    fp = _fingerprint(rt)
    assert fp["tape"] and any(lv[1] > 0 for lv in fp["levels"]), "the clean stream must build levels and a tape"
    return fp


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_frame_is_junk_and_leaves_the_engine_as_if_it_never_came(
        name: str, clean: dict[str, Any], recording: Recording) -> None:
    venue, frame, reason = HOSTILE[name]
    rt = _replay(recording(_stream((venue, frame))))
    health = rt.health()["venues"][venue]
    assert health["junk"] == 1 and health["junk_reasons"] == {reason: 1}, health
    got = _fingerprint(rt)
    for key, value in clean.items():
        assert got[key] == value, f"{name}: {key} differs from the clean run"
    assert all(math.isfinite(lv[1]) and math.isfinite(lv[2]) for lv in got["levels"])


def test_junk_shows_per_venue_in_health_json(recording: Recording) -> None:
    venue, frame, reason = HOSTILE["mark in microseconds"]
    rt = _replay(recording(_stream((venue, frame))))
    report = orjson.loads(orjson.dumps(rt.health()))
    assert report["venues"]["binance"]["junk_reasons"] == {reason: 1}
    assert report["venues"]["bybit"]["junk"] == 0
    assert rt.stats()["junk"] == 1


# ---------------------------------------------------------------- the guard's rules, one by one
NOW = T0 + 1000


def _check(guard: Guard, ev: Any, rest: bool = False) -> str:
    junk = Junk()
    kept = guard.check([ev], NOW, junk, rest=rest)
    assert len(kept) == (0 if junk.total else 1)
    return next(iter(junk.reasons), "")


def test_prices_move_within_a_band_and_a_lasting_move_re_anchors() -> None:
    g = Guard()
    assert _check(g, MarkPrice("binance", "BTC", NOW, NOW, 80_000.0)) == ""
    assert _check(g, MarkPrice("bybit", "BTC", NOW, NOW, 100_000.0)) == ""  # +25 %: a fast market, not junk
    assert _check(g, Liquidation("okx", "BTC", NOW, NOW, "long", 1.0, 5.0, 5.0)).startswith("price outside")
    assert _check(g, MarkPrice("binance", "ETH", NOW, NOW, 3_000.0)) == ""  # symbols are separate
    # Prices outside the band with nothing inside it for 30 s: the reference itself was wrong.
    junk = Junk()
    assert g.check([MarkPrice("binance", "BTC", NOW, NOW, 400_000.0)], NOW, junk) == []
    later = MarkPrice("binance", "BTC", NOW + 31_000, NOW + 31_000, 410_000.0)
    assert g.check([later], NOW + 31_000, junk) == [later]
    assert g.ref["BTC"] == 410_000.0


def test_timestamps_are_ms_near_the_receive_time_and_rest_history_may_be_days_old() -> None:
    g = Guard()
    old = NOW - 2 * 86_400_000
    assert _check(g, MarkPrice("okx", "BTC", NOW // 1000, NOW, 1.0)).startswith("timestamp before 2001")
    assert _check(g, MarkPrice("okx", "BTC", old, NOW, 1.0)) == "timestamp too old"
    assert _check(g, MarkPrice("okx", "BTC", NOW + 30_000, NOW, 1.0)) == ""  # clock skew
    bar = Bar("okx", "BTC", old, NOW, 300_000, 100.0, 110.0, 95.0, 105.0, 10.0, math.nan, math.nan)
    assert _check(g, bar, rest=True) == ""
    assert _check(Guard(max_ahead_ms=None), MarkPrice("okx", "BTC", NOW + 86_400_000, NOW, 1.0)) == ""


def test_bars_must_be_consistent_and_open_interest_sane() -> None:
    g = Guard()
    for o, h, lo, c in ((100, 90, 95, 100), (100, 110, 101, 105), (100, 1e9, 95, 105), (100, 110, 0.0, 105)):
        bar = Bar("binance", "BTC", NOW, NOW, 300_000, o, h, lo, c, 1.0, math.nan, math.nan)
        assert _check(g, bar, rest=True) == "bar OHLC inconsistent", (o, h, lo, c)
    assert _check(g, OpenInterest("bybit", "BTC", NOW, NOW, 1e10, 1e15)) == "open interest implausible"
    assert _check(g, OpenInterest("bybit", "BTC", NOW, NOW, 1e3, 8e7)) == ""
    assert _check(g, Trades("bybit", "BTC", NOW, NOW, 80_000.0, 1e305, 0.0)) == "trade volume not finite"
