"""Hazard by hand: reach probability from volatility, and only the side a level can still be reached from."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tnet.engine.hazard import normal_cdf, reach_probability, side_hazard


def test_reach_probability_is_the_reflection_principle() -> None:
    # sigma 0.1 %/min over 60 min: sigma_h = 0.1 % x sqrt(60) = 0.7746 %; a level 1 % away:
    # P(touch) = erfc(0.01 / (0.007746 x sqrt 2)) = 2 (1 - Phi(1.291)) = 0.1967
    p = reach_probability(np.array([0.0, 0.01, -0.01, 0.05]), 0.001, 3_600_000)
    assert p[0] == pytest.approx(1.0)
    assert p[1] == pytest.approx(math.erfc(0.01 / (0.001 * math.sqrt(60) * math.sqrt(2))), abs=1e-6)
    assert p[1] == pytest.approx(0.1967, abs=1e-3) and p[2] == p[1]
    assert p[3] < 1e-9
    assert normal_cdf(np.array([0.0, 1.0]))[1] == pytest.approx(0.841345, abs=1e-6)


def test_hazard_counts_longs_below_price_and_shorts_above_only() -> None:
    prices = np.array([99.0, 100.0, 101.0])
    profile = np.array([[10.0, 10.0, 10.0], [20.0, 20.0, 20.0]])  # longs, shorts at every price
    hz = side_hazard(profile, prices, 100.0, 0.001, 3_600_000)
    p1 = math.erfc(0.01 / (0.001 * math.sqrt(60) * math.sqrt(2)))
    # every price is within ±3 %: the diffuse floor adds 0.3 x the mean (10 -> 13, 20 -> 26);
    # a long level above the price was crossed already (what is left there is a sweep's remainder):
    # only a trace of the floor counts there, 1e-9 x 3
    assert hz[0] == pytest.approx([13.0 * p1, 13.0, 3e-9 * p1], rel=1e-6)
    assert hz[1] == pytest.approx([6e-9 * p1, 26.0, 26.0 * p1], rel=1e-6)


def test_heatmap_columns_judged_from_their_own_price() -> None:
    from tnet.engine.hazard import hazard_columns

    long = np.full((2, 3), 10.0, dtype=np.float32)  # two columns, rows at 99, 100, 101
    short = np.full((2, 3), 20.0, dtype=np.float32)
    hl, hs = hazard_columns(long, short, 99.0, 1.0, np.array([100.0, 101.0]), 101.0, 0.001)
    # distance is the bucket offset from the column's price, in units of the current price (1 / 101)
    p1 = math.erfc((1 / 101) / (0.001 * math.sqrt(60) * math.sqrt(2)))
    # crossed rows keep a trace of the floor: 1e-9 x (0.3 x 10) x P(touch)
    assert hl[0] == pytest.approx([13.0 * p1, 13.0, 3e-9 * p1], rel=1e-5)  # column 0 was at 100
    assert hl[1][2] == pytest.approx(13.0, rel=1e-5) and hs[1][2] == pytest.approx(26.0, rel=1e-5)  # column 1 at 101
    assert hs[0] == pytest.approx([6e-9 * p1, 26.0, 26.0 * p1], rel=1e-5)


def test_crossed_levels_rank_below_reachable_ones_nearer_first() -> None:
    # longs: levels above the price were crossed; they keep only a trace of the floor's hazard
    prices = np.array([98.0, 99.0, 100.0, 101.0, 102.0])
    profile = np.array([[0.0, 5.0, 5.0, 50.0, 50.0], [50.0, 50.0, 5.0, 5.0, 0.0]])
    hz = side_hazard(profile, prices, 100.0, 0.001, 3_600_000)
    # long floor = 0.3 x mean(0, 5, 5, 50, 50) = 6.6; at 101 (1 % crossed): 1e-9 x 6.6 x P(touch 1 %)
    p1 = math.erfc(0.01 / (0.001 * math.sqrt(60) * math.sqrt(2)))
    assert hz[0][3] == pytest.approx(1e-9 * 6.6 * p1, rel=1e-6)
    for side, crossed, reachable in ((0, [3, 4], [0, 1, 2]), (1, [1, 0], [2, 3, 4])):
        assert hz[side][crossed[0]] > hz[side][crossed[1]] > 0.0  # nearer first, the 50 left behind ignored
        assert max(hz[side][crossed]) < min(hz[side][reachable])
