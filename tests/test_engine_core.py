"""Engine building blocks against hand-computed expectations: ladder, grid, sweep, OI cap, turnover."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tnet.engine import grid as grid_mod
from tnet.engine.engine import OI_CLOSE_CAP_PER_MIN, TURNOVER_PER_MIN, SymbolEngine
from tnet.engine.grid import PriceGrid, nice_bucket_usd, shift_fold
from tnet.engine.inventory import LONG, SHORT, SWEEP_FRACTION, Inventory
from tnet.engine.ladder import TIERS, liquidation_factors, prior_weights
from tnet.events import Liquidation, MarkPrice, OpenInterest


def test_liquidation_factor_per_tier_uses_venue_bracket() -> None:
    # $20k positions sit in the first bracket: Binance MMR 0.4 %, Bybit 0.5 %, cum 0.
    # long LP/entry = (1 - 1/L) / (1 - mmr), short = (1 + 1/L) / (1 + mmr)
    long_b, short_b = liquidation_factors("binance")
    i10 = list(TIERS).index(10)
    assert long_b[i10] == pytest.approx(0.9 / 0.996)
    assert short_b[i10] == pytest.approx(1.1 / 1.004)
    long_y, _ = liquidation_factors("bybit")
    i125 = list(TIERS).index(125)
    assert long_y[i125] == pytest.approx((1 - 1 / 125) / 0.995)
    # higher leverage -> closer to entry, on both sides
    assert np.all(np.diff(long_b) > 0) and np.all(np.diff(short_b) < 0)


def test_prior_is_a_distribution_without_the_25x_heavy_tail() -> None:
    w = prior_weights()
    assert w.sum() == pytest.approx(1.0)
    assert w[TIERS >= 25].sum() < 0.35  # open-source ladders put 55-82 % there


def test_bucket_width_is_round_and_scales_with_price() -> None:
    assert nice_bucket_usd(100_000) == 25.0
    assert nice_bucket_usd(3_500) == 1.0
    assert nice_bucket_usd(150) == pytest.approx(0.05)


def test_grid_indices_are_integers_and_prices_exact() -> None:
    g = PriceGrid(100_000.0)
    assert g.index_of(100_012.4) == 4000 and g.index_of(100_012.6) == 4001
    assert g.price_at(g.local(100_000.0)) == 100_000.0


def test_shift_fold_hand_example() -> None:
    a = np.array([1.0, 2.0, 3.0, 4.0])
    shift_fold(a, 1)  # window moves up one bucket: bucket 0 falls off and folds into the new edge
    assert a.tolist() == [3.0, 3.0, 4.0, 0.0]
    b = np.array([1.0, 2.0, 3.0, 4.0])
    shift_fold(b, -2)
    assert b.tolist() == [0.0, 0.0, 1.0, 9.0]


def test_recentre_keeps_total_mass_and_moves_levels() -> None:
    g = PriceGrid(100_000.0)
    inv = Inventory(g, ("binance",))
    inv.place(0, LONG, 1_000_000.0, 100_000.0)
    before = inv.mass.sum()
    level_abs = int(np.argmax(inv.mass[0, LONG, 3])) + g.origin
    g.recentre(105_000.0, [inv.mass])
    assert inv.mass.sum() == pytest.approx(before)
    assert int(np.argmax(inv.mass[0, LONG, 3])) + g.origin == level_abs  # same absolute level


def test_place_puts_each_tier_at_its_liquidation_level() -> None:
    g = PriceGrid(100_000.0)
    inv = Inventory(g, ("binance",))
    inv.place(0, SHORT, 500_000.0, 100_000.0)
    long_f, short_f = liquidation_factors("binance")
    for t in range(len(TIERS)):
        assert inv.mass[0, SHORT, t].sum() == pytest.approx(500_000.0)  # tier-conditional: full amount per tier
        peak = g.price_at(int(np.argmax(inv.mass[0, SHORT, t])))
        assert abs(peak - 100_000.0 * short_f[t]) <= g.bucket_usd
    assert inv.mass[0, LONG].sum() == 0.0


def test_sweep_consumes_seventy_percent() -> None:
    g = PriceGrid(100_000.0)
    inv = Inventory(g, ("binance",))
    b = g.local(99_000.0)
    inv.mass[0, LONG, 0, b] = 100.0
    swept = inv.sweep_long(b, b)
    assert SWEEP_FRACTION == 0.70
    assert inv.mass[0, LONG, 0, b] == pytest.approx(30.0)
    assert swept[0, 0] == pytest.approx(70.0)
    inv.sweep_long(b, b)
    assert inv.mass[0, LONG, 0, b] == pytest.approx(9.0)  # a second wick dims it again


def test_the_engine_clock_is_its_newest_event_not_its_last_tick() -> None:
    from tnet.events import Liquidation

    eng = _started_engine()  # a mark price at 1.0 s
    eng.on_event(MarkPrice("binance", "BTC", 2_000, 2_000, 100_000.0))  # runs the tick for [1 s, 2 s)
    eng.on_event(Liquidation("binance", "BTC", 2_700, 2_700, "long", 99_990.0, 0.01, 999.9, fire=99_990.0))
    assert eng.clock_ms == 2_700  # a view taken at the clock has no print from its future
    view = eng.view(eng.clock_ms, heatmap=False)
    assert view.ts_ms >= max(e["ts_ms"] for e in view.tape.events)


def _started_engine(price: float = 100_000.0) -> SymbolEngine:
    eng = SymbolEngine("BTC", ("binance",))
    eng.on_event(MarkPrice("binance", "BTC", 1_000, 1_000, price))
    return eng


def test_price_crossing_sweeps_levels_between_ticks_only_where_crossed() -> None:
    eng = _started_engine()
    g, inv = eng.grid, eng.inventory
    assert g is not None and inv is not None
    above, crossed, below = g.local(99_500.0), g.local(99_000.0), g.local(98_000.0)
    for b in (above, crossed, below):
        inv.mass[0, LONG, 5, b] = 1_000.0
    eng.on_event(MarkPrice("binance", "BTC", 1_500, 1_500, 98_990.0))
    eng.on_event(MarkPrice("binance", "BTC", 2_100, 2_100, 98_990.0))  # runs the tick for [1 s, 2 s)
    assert inv.mass[0, LONG, 5, above] == pytest.approx(300.0)
    assert inv.mass[0, LONG, 5, crossed] == pytest.approx(300.0)
    assert inv.mass[0, LONG, 5, below] == pytest.approx(1_000.0)


def test_oi_fall_closes_proportionally_capped_per_minute() -> None:
    eng = _started_engine()
    inv = eng.inventory
    assert inv is not None
    inv.place(0, LONG, 1_000_000.0, 100_000.0)
    before = inv.mass.sum()
    # OI halves within one minute: the cap allows only 25 % closed, plus one minute of turnover
    eng._apply_flow(0, -5_000_000.0, 10_000_000.0, 0.5, 1.0, [(100_000.0, 100_000.0, 1.0)])
    kept = (1 - OI_CLOSE_CAP_PER_MIN) * (1 - TURNOVER_PER_MIN)
    reopened = TURNOVER_PER_MIN * 10_000_000.0 * len(TIERS)  # tier-conditional rows each get the full amount
    assert inv.mass.sum() == pytest.approx(before * kept + reopened)


def test_turnover_is_the_slow_decay_of_old_levels() -> None:
    eng = _started_engine()
    inv, g = eng.inventory, eng.grid
    assert inv is not None and g is not None
    far = g.local(80_000.0)
    inv.mass[0, LONG, 0, far] = 1_000.0
    for _ in range(60):  # an hour with flat OI
        eng._apply_flow(0, 0.0, 1_000_000.0, 0.5, 1.0, [(100_000.0, 100_000.0, 1.0)])
    assert inv.mass[0, LONG, 0, far] == pytest.approx(1_000.0 * (1 - 1 / 360) ** 60)


def test_first_open_interest_seeds_inventory_and_rises_add_mass() -> None:
    eng = _started_engine()
    eng.on_event(OpenInterest("binance", "BTC", 2_000, 2_000, 100.0, 10_000_000.0))
    eng.on_event(MarkPrice("binance", "BTC", 61_000, 61_000, 100_000.0))
    inv = eng.inventory
    assert inv is not None
    seeded = inv.mass[0].sum()
    assert seeded == pytest.approx(10_000_000.0 * len(TIERS), rel=1e-6)
    eng.on_event(OpenInterest("binance", "BTC", 62_000, 62_000, 110.0, 11_000_000.0))
    eng.on_event(MarkPrice("binance", "BTC", 121_000, 121_000, 100_000.0))
    assert inv.mass[0].sum() > seeded * (1 - TURNOVER_PER_MIN)


def test_bad_events_are_ignored_not_fatal() -> None:
    eng = SymbolEngine("BTC", ("binance",))
    eng.on_event(Liquidation("binance", "BTC", 1, 1, "long", 100.0, 1.0, 100.0))  # before any price
    eng.on_event(MarkPrice("binance", "BTC", 2, 2, math.nan))
    eng.on_event(MarkPrice("kraken", "BTC", 3, 3, 100.0))  # unknown venue still a price
    eng.on_event(OpenInterest("kraken", "BTC", 4, 4, 1.0, 100.0))
    eng.on_event(Liquidation("binance", "BTC", 5, 5, "long", -1.0, 1.0, 100.0))
    assert eng.view(10).price == 100.0


def test_long_silence_does_not_replay_every_minute() -> None:
    eng = _started_engine()
    eng.advance(1_000 + 10 * 86_400_000)  # ten days later: must return promptly and stay consistent
    assert eng._next_tick_ms is not None and eng._next_tick_ms > 10 * 86_400_000


def test_window_recentre_share_is_sane() -> None:
    assert 0 < grid_mod.RECENTRE_SHARE < 0.5


def test_a_venue_without_history_is_seeded_like_the_venues_with_it() -> None:
    inv = Inventory(PriceGrid(100_000.0, bucket_usd=10.0), ("binance", "hyperliquid"))
    inv.place(0, LONG, 3e6, 100_000.0)  # Binance's history: every entry at 100,000
    inv.place(0, SHORT, 1e6, 100_000.0)
    assert inv.seed_like(1, [0], 8e6, 100_000.0)
    tier10 = 3  # TIERS index of 10x
    # Binance's 10x long fires at 100,000 x 0.9 / 0.996 = 90,361.4 (MMR 0.4 %); Hyperliquid keeps 1.25 %:
    # 0.9 / 0.9875 -> 91,139.2. The copy sits at Hyperliquid's own level, not Binance's.
    peak = inv.grid.origin + int(np.argmax(inv.mass[1, LONG, tier10]))
    assert abs(peak * 10.0 - 91_139.2) <= 10.0
    # short 10x: 1.1 / 1.004 -> 109,561.8 on Binance, 1.1 / 1.0125 -> 108,642.0 on Hyperliquid
    peak = inv.grid.origin + int(np.argmax(inv.mass[1, SHORT, tier10]))
    assert abs(peak * 10.0 - 108_642.0) <= 10.0
    # the seed holds the venue's open interest on every tier, split long/short as the donor's (3:1)
    assert inv.mass[1].sum(axis=(0, 2)) == pytest.approx(np.full(inv.mass.shape[2], 8e6))
    assert inv.mass[1, LONG].sum() / inv.mass[1, SHORT].sum() == pytest.approx(3.0)
    # no donor inventory: nothing is placed (the engine falls back to a spread around price)
    empty = Inventory(PriceGrid(100_000.0, bucket_usd=10.0), ("binance", "hyperliquid"))
    assert not empty.seed_like(1, [0], 8e6, 100_000.0) and empty.mass[1].sum() == 0


def test_engine_seeds_a_late_venue_from_an_hour_of_the_others_history_else_around_price() -> None:
    def run(minutes_before: int) -> tuple[np.ndarray, PriceGrid]:
        eng = SymbolEngine("BTC", ("binance", "hyperliquid"))
        eng.on_event(MarkPrice("binance", "BTC", 1_000, 1_000, 100_000.0))
        inv = eng.inventory
        assert inv is not None
        t = 1_000
        for k in range(minutes_before + 1):  # Binance's open interest every minute, flat
            eng.on_event(OpenInterest("binance", "BTC", t, t, 100.0, 10_000_000.0))
            t += 60_000
            eng.on_event(MarkPrice("binance", "BTC", t, t, 100_000.0))
        inv.mass[0, LONG, 3] = 0.0  # make Binance's 10x longs one level only (an exotic shape to copy)
        inv.mass[0, LONG, 3, eng.grid.local(90_361.4)] = 5e6  # type: ignore[union-attr]
        eng.on_event(OpenInterest("hyperliquid", "BTC", t, t, 20.0, 2_000_000.0))
        eng.on_event(MarkPrice("binance", "BTC", t + 60_000, t + 60_000, 100_000.0))
        assert eng.grid is not None
        return inv.mass[1, LONG, 3], eng.grid

    own_level = 100_000.0 * 0.9 / 0.9875  # Hyperliquid's 10x long level for entries at 100,000 (MMR 1.25 %)
    copied, g = run(70)  # Binance has more than an hour of history: Hyperliquid's entries are copied from it
    assert abs((g.origin + int(np.argmax(copied))) * g.bucket_usd - own_level) <= g.bucket_usd
    assert copied.max() > 0.9 * copied.sum()
    spread, _ = run(10)  # ten minutes are not history: the honest wide prior around the price
    assert spread.sum() > 0 and spread.max() < 0.05 * spread.sum()
