"""Calibrator arithmetic by hand: sampling correction, exact-crossing exposure, the update's direction."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tnet.engine.calibrator import Calibrator
from tnet.engine.grid import PriceGrid
from tnet.engine.inventory import LONG, Inventory
from tnet.engine.ladder import N_TIERS, TIERS


def test_one_print_per_second_stands_for_the_expected_count() -> None:
    cal = Calibrator(("binance",))
    cal.per_venue[0].mean_print_usd = 10_000.0
    # model expects 10k USD = one liquidation that second: E[N | N >= 1] = 1 / (1 - e^-1)
    assert cal.per_second_factor(0, 10_000.0) == pytest.approx(1.0 / (1.0 - math.exp(-1.0)))
    assert cal.per_second_factor(0, 0.0) == 1.0
    # a complete venue saw 5 in the same second (OI-scaled): that count wins when larger
    assert cal.per_second_factor(0, 10_000.0, 5.0) == pytest.approx(5.0 / (1.0 - math.exp(-5.0)))


def test_a_largest_per_side_print_stands_for_its_side_and_counts_the_others_as_typical() -> None:
    from tnet.engine.engine import SymbolEngine
    from tnet.engine.inventory import SHORT

    # Bybit (complete) printed 5 longs and 3 shorts in the second, at Binance's and Bitget's open interest
    eng = SymbolEngine("BTC", ("bybit", "binance", "bitget"))
    ts = 1_790_000_000_000
    eng._oi_usd = [1e9, 1e9, 1e9]
    eng._second_counts[ts // 1000] = np.array([[5.0, 0.0, 0.0], [3.0, 0.0, 0.0]])
    eng._tick_second, eng._tick_swept_side = ts, np.zeros((2, 3, N_TIERS))  # the model expected nothing itself
    dens = np.ones(N_TIERS)
    eng._credit_prints([(1, LONG, 100_000.0, ts, dens), (2, LONG, 100_000.0, ts, dens)])
    binance, bitget = eng.calibrator.per_venue[1], eng.calibrator.per_venue[2]
    # Binance keeps the latest print of either side: it stands for both sides' 8, E[N | N >= 1] = 8 / (1 - e^-8)
    assert binance.risk_printed_usd == pytest.approx(100_000.0 * 8.0 / (1.0 - math.exp(-8.0)))
    # Bitget's is the largest of the 5 longs: the 4 others count at the typical print (the 50k prior),
    # not as 4 more copies of the largest: 100k + (5 / (1 - e^-5) - 1) x 50k
    assert bitget.risk_printed_usd == pytest.approx(100_000.0 + (5.0 / (1.0 - math.exp(-5.0)) - 1.0) * 50_000.0)
    eng._credit_prints([(2, SHORT, 20_000.0, ts, dens)])  # a short smaller than the typical print
    assert bitget.risk_printed_usd - 301_695.0 == pytest.approx(20_000.0 * 3.0 / (1.0 - math.exp(-3.0)), rel=1e-3)


def test_fresh_inventory_is_consumed_whole_while_the_map_dims() -> None:
    g = PriceGrid(100_000.0)
    inv = Inventory(g, ("bybit",))
    b = g.local(98_000.0)
    inv.mass[0, LONG, 3, b] = inv.fresh[0, LONG, 3, b] = 1_000.0
    inv.sweep_long(b, b)
    assert inv.last_fresh[0, 3] == pytest.approx(1_000.0)  # what the truth would liquidate
    assert inv.mass[0, LONG, 3, b] == pytest.approx(300.0)  # what the map keeps showing
    inv.sweep_long(b, b)
    assert inv.last_fresh[0, 3] == 0.0  # a second crossing liquidates nothing new


def test_update_reshapes_tested_tiers_and_puts_the_level_into_at_risk() -> None:
    cal = Calibrator(("bybit",))
    c = cal.per_venue[0]
    c.mean_print_usd = 50_000.0
    t20, t125 = list(TIERS).index(20), list(TIERS).index(125)
    before = c.weights.copy()  # prior: 20x 0.16, 125x 0.02
    swept = np.zeros((1, N_TIERS))
    swept[0, t20] = swept[0, t125] = 500e6  # price tested both tiers hard
    cal.add_exposure(swept)  # weighted: 500M x 0.16 + 500M x 0.02 = 90M of predicted liquidations
    # prints: 50M, all at 20x, nothing at 125x
    for _ in range(1_000):
        density = np.zeros(N_TIERS)
        density[t20] = 1.0
        cal.attribute(0, 50_000.0, density)
    tier_mass = np.full(N_TIERS, 300e6)
    for _ in range(12 * 5):
        cal.minute(np.array([300e6]), tier_mass[None, :])
    w = c.weights
    # the tested block keeps its 0.18: 125x falls to the floor (0.002) and 20x takes the rest
    assert w[t125] < 0.003  # from 0.02: the evidence says none (floor 0.002; damped, so not quite there)
    assert w[t20] + w[t125] == pytest.approx(0.18, abs=3e-3)  # the floor is re-normalised in
    untested = [i for i in range(N_TIERS) if i not in (t20, t125)]
    assert w[untested] == pytest.approx(before[untested], rel=5e-3)  # nothing pushed out to untested tiers
    # at risk: (printed + prior pseudo) / (weighted swept + pseudo / prior), both forgotten over 60 min:
    # f = 0.5^(60/180); (50M f + 20 x 50k) / (90M f + 1M / 0.08)
    f = 0.5 ** (60 / 180)
    assert c.at_risk == pytest.approx((50e6 * f + 1e6) / (90e6 * f + 1e6 / 0.08), rel=1e-3)
    assert w.sum() == pytest.approx(1.0) and (w > 0).all()


def test_realised_totals_teach_the_at_risk_share_without_touching_the_mix() -> None:
    cal = Calibrator(("binance",))
    c = cal.per_venue[0]
    before = c.weights.copy()
    swept = np.zeros(N_TIERS)
    swept[list(TIERS).index(50)] = 100e6  # weighted by the prior 50x weight 0.09: 9M predicted
    cal.note_realised(0, 0.9e6, swept)  # 0.9M really liquidated: one tenth of the prediction
    for _ in range(5):
        cal.minute(np.array([1e9]))
    f = 0.5 ** (5 / 180)
    pseudo = 20 * 50_000.0  # 20 average prints (default mean print 50k)
    assert c.at_risk == pytest.approx((0.9e6 * f + pseudo) / (9e6 * f + pseudo / 0.08), rel=1e-6)
    assert np.array_equal(c.weights, before)


def test_frozen_calibrator_never_moves() -> None:
    cal = Calibrator(("okx",))
    cal.frozen = True
    before = cal.weights().copy()
    cal.per_venue[0].exposure[:] = 1e9
    for _ in range(30):
        cal.minute(np.array([1e8]))
    assert np.array_equal(cal.weights(), before)


def test_firing_price_moves_bankruptcy_prices_back_by_the_maintenance_margin() -> None:
    from tnet.events import Liquidation
    from tnet.margin import firing_price

    # OKX and Bybit report the bankruptcy price: a long fires above it, at BP / (1 - MMR)
    assert firing_price("okx", "long", 100.0, 10_000.0) == pytest.approx(100.0 / 0.996)  # OKX tier 1: 0.4 %
    assert firing_price("okx", "short", 100.0, 10_000.0) == pytest.approx(100.0 / 1.004)
    assert firing_price("bybit", "long", 100.0, 10_000.0) == pytest.approx(100.0 / 0.995)  # Bybit tier 1: 0.5 %
    assert firing_price("okx", "long", 100.0, 600_000.0) == pytest.approx(100.0 / 0.994)  # a $600k position: 0.6 %
    assert firing_price("binance", "long", 100.0, 10_000.0) == 100.0  # Binance reports the fill: unchanged
    ev = Liquidation("okx", "BTC", 1, 1, "long", 72_000.0, 0.1, 7_200.0)
    assert ev.price == 72_000.0 and ev.fire == pytest.approx(72_000.0 / 0.996)  # both kept
    assert Liquidation("okx", "BTC", 1, 1, "long", 72_000.0, 0.1, 7_200.0, fire=71_000.0).fire == 71_000.0
