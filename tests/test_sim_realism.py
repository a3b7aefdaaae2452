"""The simulator does not share the model's assumptions, and its rates match the shared real data."""

from __future__ import annotations

import numpy as np
import pytest

from tnet.evaluation import realism
from tnet.margin import LEVERAGE_TIERS
from tnet.sim.market import (
    CROSS,
    DEFAULT_RISK_MIX,
    HEDGED,
    ISOLATED,
    LOW_LEVERAGE,
    RISK_KINDS,
    TOP_UP,
    Market,
    normalize_risk_mix,
)

VENUES = ("binance", "bybit", "okx")


@pytest.fixture(scope="module")
def market() -> Market:
    """BTC stepped 3 h after a 6 h prehistory (a volatile seed: both sides get liquidated)."""
    m = Market(["BTC"], seed=5, prehistory_ms=6 * 3_600_000)
    for i in range(1, 3 * 360 + 1):
        m.step(m.start_ms + i * 10_000)
    return m


def test_not_at_risk_positions_do_not_liquidate_at_their_ladder_price(market: Market) -> None:
    recs = market.liquidations_all("BTC")
    assert {r.kind for r in recs} >= {"isolated"}
    price_path_low = min(r.mark for r in recs)
    price_path_high = max(r.mark for r in recs)
    pos = market.truth_positions("BTC")
    # open positions whose ladder price the path crossed survive only if they are not isolated
    crossed = np.where(pos["is_long"], pos["ladder_liq"] >= price_path_low, pos["ladder_liq"] <= price_path_high)
    crossed &= pos["open_ms"] < market.start_ms - 6 * 3_600_000 + 1  # open from the very start
    survivors = pos["kind"][crossed]
    assert len(survivors) > 0 and ISOLATED not in survivors.tolist()
    # a liquidated non-isolated position fired beyond its ladder price, never at it
    for r in recs:
        if r.kind == "hedged":
            raise AssertionError("a hedged position was liquidated")
        if r.kind in ("cross", "low_leverage"):
            assert r.leverage == 1 or r.liq_price != pytest.approx(r.entry * (1 - 1 / r.leverage), rel=1e-3)


def test_top_up_moves_the_liquidation_price_away_and_never_closer(market: Market) -> None:
    pos = market.truth_positions("BTC")
    top = pos["kind"] == TOP_UP
    moved = top & (pos["liq"] != pos["ladder_liq"])
    assert moved.sum() > 0  # some traders already added margin
    farther = np.where(pos["is_long"], pos["liq"] <= pos["ladder_liq"], pos["liq"] >= pos["ladder_liq"])
    assert farther[top].all()


def test_hedged_never_and_low_leverage_far_away(market: Market) -> None:
    pos = market.truth_positions("BTC")
    p = market.current_price("BTC")
    hedged = pos["kind"] == HEDGED
    assert np.all(pos["liq"][hedged & pos["is_long"]] == 0) and np.all(np.isinf(pos["liq"][hedged & ~pos["is_long"]]))
    low = pos["kind"] == LOW_LEVERAGE
    assert np.all(pos["leverage"][low] == 1)
    assert np.all(np.abs(pos["liq"][low] / p - 1) > 0.3)
    cross = pos["kind"] == CROSS
    # a cross account's buffer puts its liquidation beyond the isolated ladder price
    gap_eff = np.abs(pos["liq"][cross] - pos["entry"][cross])
    gap_ladder = np.abs(pos["ladder_liq"][cross] - pos["entry"][cross])
    assert np.all((gap_eff > 2 * gap_ladder) | (pos["liq"][cross] == 0))  # or never (a long buffered past zero)


def test_at_risk_truth_mix_sums_to_one_and_share_matches_the_book(market: Market) -> None:
    mix = market.truth_at_risk_mix("BTC")
    share = market.truth_at_risk_share("BTC")
    for v in VENUES:
        assert list(mix[v]) == list(LEVERAGE_TIERS)
        assert sum(mix[v].values()) == pytest.approx(1.0)
        pos = market.truth_positions("BTC", v)
        iso = pos["kind"] == ISOLATED
        assert share[v] == pytest.approx(pos["qty"][iso].sum() / pos["qty"].sum())
        assert 0.005 < share[v] < 0.2  # most open interest is not at risk at its ladder price
        # by hand: the at-risk USD of the 10x tier over all at-risk USD
        ten = pos["qty"][iso & (pos["leverage"] == 10)].sum() / pos["qty"][iso].sum()
        assert mix[v][10] == pytest.approx(ten)
    liq, usd, is_long = market.truth_inventory("BTC", at_risk_only=True)
    pos = market.truth_positions("BTC", at_risk_only=True)
    assert np.array_equal(liq, pos["ladder_liq"]) and pos["at_risk"].all()
    assert usd.sum() == pytest.approx(pos["qty"].sum() * market.current_price("BTC"))
    _liq, all_usd, _l = market.truth_inventory("BTC")
    assert all_usd.sum() > 5 * usd.sum()


def test_open_interest_has_the_real_venues_scale() -> None:
    m = Market(["BTC", "ETH"], seed=0, prehistory_ms=600_000)
    btc = {v: m.current_oi("BTC", v)[1] for v in VENUES}
    # the 2026-03-07 snapshot: Binance 5.73 B, Bybit 3.28 B, OKX 2.05 B (within the seeded noise)
    for v, real in zip(VENUES, (5.73e9, 3.28e9, 2.05e9)):
        assert 0.8 * real < btc[v] < 1.25 * real
    assert 0.3 < sum(m.current_oi("ETH", v)[1] for v in VENUES) / sum(btc.values()) < 0.6
    assert len(m.truth_positions("BTC")["qty"]) < 20_000  # notional scaled, not the count


def test_risk_mix_is_seeded_hidden_and_settable() -> None:
    a = Market(["SOL"], seed=1, prehistory_ms=600_000).truth_risk_mix()
    b = Market(["SOL"], seed=1, prehistory_ms=600_000).truth_risk_mix()
    c = Market(["SOL"], seed=2, prehistory_ms=600_000).truth_risk_mix()
    assert a == b and a != c
    for v in VENUES:
        assert sum(a[v].values()) == pytest.approx(1.0)
        assert a[v]["isolated"] == pytest.approx(DEFAULT_RISK_MIX[v]["isolated"], rel=0.9)
    m = Market(["SOL"], seed=1, prehistory_ms=600_000, risk_mix={"okx": {"isolated": 1}})
    assert m.truth_risk_mix()["okx"] == {k: (1.0 if k == "isolated" else 0.0) for k in RISK_KINDS}
    assert m.truth_at_risk_share("SOL")["okx"] == pytest.approx(1.0)
    assert m.truth_at_risk_share() == m.truth_at_risk_share("SOL")  # None: over every symbol
    with pytest.raises(ValueError, match="kind 'margin'"):
        normalize_risk_mix({"okx": {"margin": 1}})
    with pytest.raises(ValueError, match="sum to zero"):
        normalize_risk_mix({"okx": {"isolated": 0}})


def test_same_seed_same_truth() -> None:
    def run(seed: int) -> tuple:
        m = Market(["BTC"], seed=seed, prehistory_ms=3_600_000)
        for i in range(1, 61):
            m.step(m.start_ms + i * 10_000)
        pos = m.truth_positions("BTC")
        return pos["liq"].tolist(), pos["kind"].tolist(), m.truth_at_risk_mix("BTC")

    assert run(4) == run(4)
    assert run(4) != run(5)


def test_realism_skips_cleanly_without_data(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert realism.measure_data(tmp_path) is None
    r = {"sim": realism.measure_sim(seeds=(0,), hours=1), "data": None}
    assert r["sim"]["hours"] == 1 and set(r["sim"]["oi_usd"]) == set(VENUES)
    assert "Real data not found" in realism.table(r)


@pytest.mark.slow
@pytest.mark.skipif(realism.default_data_dir() is None, reason="../shared/data is absent")
def test_simulator_matches_the_tuning_data() -> None:
    r = realism.measure(seeds=(0, 1, 2), hours=36)
    sim, data = r["sim"], r["data"]
    assert data is not None
    for q in ("median", "p90"):
        ratio = sim["liq_per_oi_hourly"][q] / data["tune"]["liq_per_oi_hourly"][q]
        assert 0.4 < ratio < 2.5, (q, ratio)
        dist = sim["okx_distance_from_hourly_open"][q] / data["okx_distance_from_hourly_open"][q]
        assert 0.6 < dist < 1.6, (q, dist)
    assert 0.7 < sim["hourly_range"]["median"] / data["tune"]["hourly_range"]["median"] < 1.4
    for v in VENUES:
        assert 0.8 < sim["oi_usd"][v] / data["oi_usd"][v] < 1.25


def test_the_demo_opens_on_a_btc_market_with_prints_in_its_first_minutes() -> None:
    from tnet.cli.commands import DEMO_SEED
    from tnet.sim.server import SimServer

    market = SimServer(seed=DEMO_SEED).market  # the market `tnet demo` serves (nothing is bound until start)
    first: dict[str, int] = {}
    for second in range(1, 121):
        for ev in market.step(market.start_ms + second * 1000):
            if ev.type == "liquidation":
                first.setdefault(ev.symbol, second)
    assert first.get("BTC", 999) <= 90  # the tape a newcomer sees first is not empty for minutes
