"""Behaviour of the pure simulated market (tnet.sim.market)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from tnet.events import Liquidation, MarkPrice, OpenInterest, Trades, event_to_dict
from tnet.margin import LEVERAGE_TIERS, liquidation_price
from tnet.venues import NAMES
from tnet.sim.market import (
    BAR_MS,
    DEFAULT_MIX,
    HEDGED,
    ISOLATED,
    LOW_LEVERAGE,
    RISK_KINDS,
    TICK_MS,
    Market,
    liquidation_prices,
    normalize_mix,
)

START = 1_790_000_000_000


def run(m: Market, seconds: int, step_ms: int = 1000) -> list:
    events = []
    for i in range(1, seconds * 1000 // step_ms + 1):
        events.extend(m.step(m.start_ms + i * step_ms))
    return events


@pytest.fixture(scope="module")
def busy() -> tuple[Market, list]:
    """One BTC market stepped for 2 simulated hours."""
    m = Market(["BTC"], seed=3, mark_ms={"bybit": TICK_MS})
    return m, run(m, 2 * 3600)


def test_same_seed_same_events_and_different_seed_differs() -> None:
    a = [event_to_dict(e) for e in run(Market(["BTC", "ETH"], seed=7, prehistory_ms=3_600_000), 300)]
    b = [event_to_dict(e) for e in run(Market(["BTC", "ETH"], seed=7, prehistory_ms=3_600_000), 300)]
    c = [event_to_dict(e) for e in run(Market(["BTC", "ETH"], seed=8, prehistory_ms=3_600_000), 300)]
    assert a == b
    assert a != c
    assert len(a) > 1000


def test_events_are_in_time_order_within_a_step_and_typed() -> None:
    m = Market(["BTC", "SOL"], seed=1, prehistory_ms=3_600_000)
    for i in range(1, 121):
        ev = m.step(START + i * 1000)
        ts = [e.ts_ms for e in ev]
        assert ts == sorted(ts)
        assert all(e.ts_ms == e.recv_ms for e in ev)
        assert all(isinstance(e, (Liquidation, MarkPrice, OpenInterest, Trades)) for e in ev)


def test_open_interest_equals_sum_of_open_positions(busy: tuple[Market, list]) -> None:
    m, _ = busy
    price = m.current_price("BTC")
    for venue in ("binance", "bybit", "okx"):
        pos = m.truth_positions("BTC", venue)
        base, usd = m.current_oi("BTC", venue)
        assert base == pytest.approx(pos["qty"].sum(), rel=1e-9)
        assert usd == pytest.approx(base * price, rel=1e-12)
        # the inventory that can liquidate is all OI but the hedged positions' (the old sim's "all")
        _liq, inv_usd, _long = m.truth_inventory("BTC", venue)
        hedged = pos["qty"][pos["kind"] == HEDGED].sum() * price
        assert inv_usd.sum() + hedged == pytest.approx(usd, rel=1e-9)
        assert hedged > 0.05 * usd
        assert 1_000 < len(pos["qty"]) < 40_000  # bounded population


def test_published_open_interest_matches_current_oi_when_published() -> None:
    m = Market(["ETH"], seed=2, prehistory_ms=3_600_000)
    for i in range(1, 31):
        ev = m.step(START + i * 1000)
        for e in ev:
            if isinstance(e, OpenInterest) and e.ts_ms == START + i * 1000:
                assert e.oi_base == pytest.approx(m.current_oi("ETH", e.venue)[0], rel=1e-12)


def test_position_liquidation_prices_are_the_margin_formula(busy: tuple[Market, list]) -> None:
    # Only isolated positions liquidate at their ladder price (the old sim assumed all did); every
    # position still knows its ladder price, and the others' effective price lies beyond it.
    m, _ = busy
    pos = m.truth_positions("BTC")
    venues = NAMES
    assert set(pos["kind"].tolist()) == set(range(len(RISK_KINDS)))
    for i in range(0, len(pos["qty"]), 37):
        side = "long" if pos["is_long"][i] else "short"
        lev = int(pos["leverage"][i])
        if lev > 1:  # the low-leverage kind has no tier
            want = liquidation_price(pos["entry"][i], lev, side, pos["unit_qty"][i], venues[pos["venue"][i]])
            assert pos["ladder_liq"][i] == pytest.approx(want, rel=1e-12)
        beyond = pos["liq"][i] <= pos["ladder_liq"][i] if side == "long" else pos["liq"][i] >= pos["ladder_liq"][i]
        assert beyond
        if pos["kind"][i] == ISOLATED:
            assert pos["at_risk"][i] and pos["liq"][i] == pos["ladder_liq"][i]
            bk = pos["entry"][i] * (1 - 1 / lev) if side == "long" else pos["entry"][i] * (1 + 1 / lev)
            assert pos["bankruptcy"][i] == pytest.approx(bk, rel=1e-12)
        else:
            assert not pos["at_risk"][i]
        if pos["kind"][i] == HEDGED:
            assert pos["liq"][i] == (0.0 if side == "long" else math.inf)
        # a long is liquidated below its entry, a short above
        assert (pos["liq"][i] < pos["entry"][i]) == (side == "long")


def test_liquidations_happen_exactly_when_the_mark_crosses(busy: tuple[Market, list]) -> None:
    m, events = busy
    # Bybit marks are published every tick here, so they are the full mark path
    marks = {e.ts_ms: e.price for e in events if isinstance(e, MarkPrice) and e.venue == "bybit"}
    recs = m.liquidations_all("BTC", start_ms=START + TICK_MS)
    assert len(recs) > 50
    sides = Counter(r.side for r in recs)
    assert sides["long"] > 0 and sides["short"] > 0
    for r in recs:
        assert marks[r.ts_ms] == r.mark
        prev = marks.get(r.ts_ms - TICK_MS)
        # the tick before had not reached it (else it would have been liquidated then)
        checked_prev = prev is not None and r.open_ms <= r.ts_ms - TICK_MS
        if r.side == "long":
            assert r.mark <= r.liq_price < r.entry
            assert not checked_prev or prev > r.liq_price
        else:
            assert r.mark >= r.liq_price > r.entry
            assert not checked_prev or prev < r.liq_price
        if r.kind == "isolated":
            want = liquidation_price(r.entry, r.leverage, r.side, r.unit_qty, r.venue)
            assert r.liq_price == pytest.approx(want, rel=1e-12)
    # nothing still open is beyond the current price
    liq, _usd, is_long = m.truth_inventory("BTC")
    p = m.current_price("BTC")
    assert np.all(liq[is_long] < p) and np.all(liq[~is_long] > p)


def test_no_open_position_was_crossed_during_a_step() -> None:
    m = Market(["SOL"], seed=5, mark_ms={"bybit": TICK_MS}, prehistory_ms=3_600_000)
    for i in range(1, 1201):
        t = START + i * 1000
        ev = m.step(t)
        marks = [e.price for e in ev if isinstance(e, MarkPrice) and e.venue == "bybit"]
        pos = m.truth_positions("SOL")
        old = pos["open_ms"] <= t - 1000  # open for the whole step
        assert np.all(pos["liq"][old & pos["is_long"]] < min(marks))
        assert np.all(pos["liq"][old & ~pos["is_long"]] > max(marks))


def test_binance_publishes_at_most_one_per_second_but_more_happen(busy: tuple[Market, list]) -> None:
    m, events = busy
    published = [e for e in events if isinstance(e, Liquidation) and e.venue == "binance"]
    seconds = Counter(e.ts_ms // 1000 for e in published)
    assert seconds and max(seconds.values()) == 1
    happened = m.liquidations_all("BTC", "binance", start_ms=START + 1)
    assert len(happened) > len(published) > 0
    # what is published is the latest liquidation of its second
    by_second: dict[int, int] = {}
    for r in happened:
        by_second[r.ts_ms // 1000] = max(by_second.get(r.ts_ms // 1000, 0), r.ts_ms)
    for e in published:
        assert e.ts_ms == by_second[e.ts_ms // 1000]


def test_bybit_publishes_all_at_bankruptcy_price_and_okx_only_part(busy: tuple[Market, list]) -> None:
    m, events = busy
    bybit = [e for e in events if isinstance(e, Liquidation) and e.venue == "bybit"]
    bybit_all = m.liquidations_all("BTC", "bybit", start_ms=START + 1, end_ms=m.now_ms - 1000)
    assert len(bybit) >= len(bybit_all) > 0
    recs = {(r.ts_ms, r.qty): r for r in bybit_all}
    for e in bybit:
        r = recs.get((e.ts_ms, e.qty))
        if r is None:
            continue
        assert e.price == r.bankruptcy_price
        if r.kind == "isolated":
            lev = r.leverage
            want = r.entry * (1 - 1 / lev) if r.side == "long" else r.entry * (1 + 1 / lev)
            assert e.price == pytest.approx(want, rel=1e-12)
        assert e.usd == pytest.approx(e.qty * e.price)
        # the bankruptcy price lies beyond the mark that fired the liquidation
        assert (e.price < r.mark) == (r.side == "long")
    okx = [e for e in events if isinstance(e, Liquidation) and e.venue == "okx"]
    okx_all = m.liquidations_all("BTC", "okx", start_ms=START + 1)
    assert 0.2 * len(okx_all) < len(okx) < 0.65 * len(okx_all)
    okx_recs = {(r.ts_ms, r.side, r.qty): r for r in okx_all}
    for e in okx:  # OKX also publishes the bankruptcy price (bkPx)
        assert e.price == okx_recs[(e.ts_ms, e.side, e.qty)].bankruptcy_price


def test_leverage_mix_shift_changes_new_positions_only() -> None:
    m = Market(["BTC"], seed=4, prehistory_ms=3_600_000)
    before = m.truth_positions("BTC", "binance")
    m.set_leverage_mix({"binance": {125: 1.0}})
    mix = m.truth_leverage_mix()
    assert mix["binance"][125] == 1.0 and sum(mix["binance"].values()) == pytest.approx(1.0)
    assert mix["okx"] == pytest.approx(normalize_mix({})["okx"])
    run(m, 1800, step_ms=5000)
    after = m.truth_positions("BTC", "binance")
    new = after["open_ms"] > START
    assert new.sum() > 20
    # the mix governs every kind but the low-leverage one (1-2x, no tier)
    assert set(after["leverage"][new & (after["kind"] != LOW_LEVERAGE)].tolist()) == {125}
    old_ids = set(zip(before["open_ms"].tolist(), before["qty"].tolist()))
    kept = [lev for o, q, lev in zip(after["open_ms"].tolist(), after["qty"].tolist(), after["leverage"].tolist())
            if (o, q) in old_ids]
    assert len(set(kept)) > 3  # old positions keep their (mixed) leverage
    okx = m.truth_positions("BTC", "okx")
    assert len(set(okx["leverage"][okx["open_ms"] > START].tolist())) > 3


def test_default_mix_is_mostly_low_leverage_and_over_all_tiers() -> None:
    mix = Market(["BTC"], seed=0, prehistory_ms=600_000).truth_leverage_mix()
    for venue, weights in mix.items():
        assert list(weights) == list(LEVERAGE_TIERS)
        assert sum(weights.values()) == pytest.approx(1.0)
        assert sum(w for t, w in weights.items() if t <= 10) > 0.5
    assert set(mix) == set(DEFAULT_MIX)


@pytest.mark.parametrize("bad,needle", [
    ({"kraken": {10: 1}}, "unknown venue"),
    ({"binance": {7: 1}}, "tier 7"),
    ({"binance": {10: -1}}, ">= 0"),
    ({"binance": {"x": 1}}, "not numeric"),
    ({"binance": {10: 0}}, "sum to zero"),
])
def test_bad_mix_is_rejected(bad: dict, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        normalize_mix(bad)


def test_history_bars_cover_the_day_before_start_and_continue() -> None:
    m = Market(["BTC", "ETH", "SOL"], seed=9)
    for sym in m.symbols:
        for venue in ("binance", "bybit", "okx"):
            bars = m.history_bars(sym, venue, START)
            assert len(bars) == 288
            assert all(b.ts_ms % BAR_MS == 0 and b.interval_ms == BAR_MS for b in bars)
            assert bars[-1].ts_ms + BAR_MS <= START < bars[-1].ts_ms + 2 * BAR_MS
            for a, b in zip(bars, bars[1:]):
                assert b.ts_ms - a.ts_ms == BAR_MS
                assert b.open == a.close  # one continuous price path
            for b in bars:
                assert b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high
                assert b.oi_usd > 0 and b.volume > 0 and 0 <= b.buy_volume <= b.volume
    hourly = m.history_bars("BTC", "okx", START, n=24, interval_ms=3_600_000)
    five = m.history_bars("BTC", "okx", START, n=288)
    assert len(hourly) == 23  # the day before START holds 23 whole clock hours (START is not on the hour)
    assert all(b.ts_ms % 3_600_000 == 0 for b in hourly)
    last_hour = [b for b in five if hourly[-1].ts_ms <= b.ts_ms < hourly[-1].ts_ms + 3_600_000]
    assert len(last_hour) == 12
    assert hourly[-1].high == max(b.high for b in last_hour)
    assert hourly[-1].volume == pytest.approx(sum(b.volume for b in last_hour))
    run(m, 900, step_ms=1000)
    later = m.history_bars("BTC", "binance", m.now_ms)
    assert later[-1].ts_ms >= bars[-1].ts_ms + 2 * BAR_MS
    assert later[-1].close == pytest.approx(m.current_price("BTC"), rel=0.02)
    with pytest.raises(ValueError):
        m.history_bars("BTC", "binance", START, interval_ms=60_000)


def test_prehistory_populates_the_book_and_prices_move_enough() -> None:
    m = Market(["BTC"], seed=11)
    assert len(m.truth_positions("BTC")["qty"]) > 5_000
    recs = m.liquidations_all("BTC")
    lev = Counter(r.leverage for r in recs)
    # over a day the high tiers get liquidated far more often than the low ones
    assert sum(lev[t] for t in (20, 25, 50, 75, 100, 125)) > 10 * (lev[2] + lev[3] + 1)
    for venue in ("binance", "bybit", "okx"):
        assert sum(1 for r in recs if r.venue == venue and r.published) > 40


def test_burst_multiplies_liquidation_prints_not_positions() -> None:
    calm = Market(["ETH"], seed=6, prehistory_ms=6 * 3_600_000)
    wild = Market(["ETH"], seed=6, prehistory_ms=6 * 3_600_000, burst=4)
    assert len(wild.truth_positions("ETH")["qty"]) == len(calm.truth_positions("ETH")["qty"])
    a, b = calm.liquidations_all(), wild.liquidations_all()
    assert len(b) == 4 * len(a) > 0
    assert sum(r.qty for r in b) == pytest.approx(sum(r.qty for r in a))


def test_time_cannot_go_backwards() -> None:
    m = Market(["BTC"], seed=0, prehistory_ms=600_000)
    m.step(START + 1000)
    with pytest.raises(ValueError):
        m.step(START)


@settings(max_examples=60, deadline=None)
@given(entry=hs.floats(0.01, 200_000), lev=hs.sampled_from(LEVERAGE_TIERS), long=hs.booleans(),
       usd=hs.floats(10, 50_000_000), venue=hs.sampled_from(["binance", "bybit", "okx"]))
def test_vectorised_liquidation_price_matches_margin(entry: float, lev: int, long: bool, usd: float,
                                                     venue: str) -> None:
    qty = usd / entry
    got = liquidation_prices(np.array([entry]), np.array([float(lev)]), np.array([long]), np.array([qty]), venue)
    want = liquidation_price(entry, lev, "long" if long else "short", qty, venue)
    assert math.isclose(float(got[0]), want, rel_tol=1e-12, abs_tol=1e-12)


@settings(max_examples=8, deadline=None)
@given(steps=hs.lists(hs.integers(1, 90_000), min_size=5, max_size=60), seed=hs.integers(0, 2**16))
def test_any_step_sizes_keep_the_invariants(steps: list[int], seed: int) -> None:
    m = Market(["SOL"], seed=seed, prehistory_ms=1_800_000)
    t = START
    for dt in steps:
        t += dt
        ev = m.step(t)
        assert m.now_ms == t
        assert [e.ts_ms for e in ev] == sorted(e.ts_ms for e in ev)
        assert all(e.ts_ms <= t for e in ev)
        liq, _usd, is_long = m.truth_inventory("SOL")
        p = m.current_price("SOL")
        assert np.all(liq[is_long] < p) and np.all(liq[~is_long] > p)
        pos = m.truth_positions("SOL")
        for venue, vi in (("binance", 0), ("bybit", 1), ("okx", 2)):
            assert m.current_oi("SOL", venue)[0] == pytest.approx(pos["qty"][pos["venue"] == vi].sum(), rel=1e-9)
    bars = m.history_bars("SOL", "bybit", t, n=10_000)
    for a, b in zip(bars, bars[1:]):
        assert b.ts_ms - a.ts_ms == BAR_MS and b.open == a.close


def test_windowed_liquidation_query_matches_a_full_scan() -> None:
    m = Market(["BTC", "SOL"], seed=3, burst=3.0, leverage_mix={v: {50: 0.5, 100: 0.5} for v in ("binance", "bybit", "okx")})
    t = m.now_ms
    for step in [100, 1_000, 60_000, 250, 5_000] * 40:  # mixed step sizes
        t += step
        m.step(t)
    everything = m.liquidations_all()
    assert len(everything) > 50
    for start, end in [(t - 1_000, t), (t - 120_000, t - 30_000), (m.start_ms, t), (t - 61_000, t - 60_500)]:
        for symbol in (None, "SOL"):
            brute = [r for r in everything if start <= r.ts_ms <= end and (symbol is None or r.symbol == symbol)]
            assert m.liquidations_all(symbol, start_ms=start, end_ms=end) == brute
