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


def test_update_moves_reached_tiers_to_prints_over_exposure_and_gives_the_rest_to_unreached() -> None:
    cal = Calibrator(("bybit",))
    c = cal.per_venue[0]
    c.mean_print_usd = 50_000.0
    t20, t125 = list(TIERS).index(20), list(TIERS).index(125)
    before = c.weights.copy()
    c.exposure[:] = 0.0
    c.exposure[t20] = c.exposure[t125] = 500e6  # both tested hard
    # prints say 20x holds 10 % and 125x 0 %: 50M of 500M exposure, nothing at 125x
    for _ in range(1_000):
        density = np.zeros(N_TIERS)
        density[t20] = 1.0
        cal.attribute(0, 50_000.0, density)
    tier_mass = np.full(N_TIERS, 300e6)
    for _ in range(12 * 5):
        cal.minute(np.array([300e6]), tier_mass[None, :])
    w = c.weights
    assert abs(w[t20] - 0.10) < abs(before[t20] - 0.10)
    assert w[t125] < before[t125] / 2
    unreached = [i for i in range(N_TIERS) if i not in (t20, t125)]
    assert w[unreached].sum() > before[unreached].sum()  # the remainder went to tiers price never tested
    assert w.sum() == pytest.approx(1.0) and (w > 0).all()


def test_frozen_calibrator_never_moves() -> None:
    cal = Calibrator(("okx",))
    cal.frozen = True
    before = cal.weights().copy()
    cal.per_venue[0].exposure[:] = 1e9
    for _ in range(30):
        cal.minute(np.array([1e8]))
    assert np.array_equal(cal.weights(), before)
