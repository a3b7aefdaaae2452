"""Snapshot-view consistency: levels, zones, tape totals, OI totals and the heatmap agree with engine state."""

from __future__ import annotations

import numpy as np
import pytest

from tnet.engine.engine import SymbolEngine
from tnet.engine.tape import tape_clusters, tape_rates
from tnet.engine.zones import ZoneManager
from tnet.events import Bar, Liquidation, MarkPrice, OpenInterest

T0 = 1_790_000_000_000


def _warm_engine() -> SymbolEngine:
    """A warm-started engine (bars with OI) ending exactly on a minute boundary."""
    rng = np.random.default_rng(3)
    bars = []
    price = 90_000.0
    for k in range(288):
        o = price
        c = o * float(np.exp(rng.normal(0, 0.002)))
        h, lo = max(o, c) * 1.001, min(o, c) * 0.999
        for v, oi in (("binance", 8e9), ("bybit", 5e9)):
            bars.append(Bar(v, "BTC", T0 + k * 300_000, 0, 300_000, o, h, lo, c, 100.0, 55.0,
                            oi * (1 + 0.0005 * k)))
        price = c
    eng = SymbolEngine("BTC", ("binance", "bybit"))
    eng.warm_start(bars, [])
    return eng


def test_warm_start_fills_map_and_history() -> None:
    eng = _warm_engine()
    view = eng.view(T0 + 288 * 300_000, heatmap=True)
    assert view.warm
    assert sum(lv.long_usd for lv in view.levels) > 0 and sum(lv.short_usd for lv in view.levels) > 0
    hm = view.heatmap
    assert hm is not None and hm.long_usd.shape[0] == 1440 and hm.long_usd.dtype == np.float32
    assert hm.t0_ms == T0 + 288 * 300_000 - 1440 * 60_000
    assert np.isfinite(hm.price_path).all()


def test_levels_zones_and_totals_are_consistent() -> None:
    eng = _warm_engine()
    now = T0 + 288 * 300_000
    view = eng.view(now, levels=80)
    prof = eng.profile()
    g = eng.grid
    assert g is not None
    # levels: ascending, equal steps, and each row is the sum of its buckets
    prices = [lv.price for lv in view.levels]
    assert prices == sorted(prices)
    span_buckets = round((prices[1] - prices[0]) / g.bucket_usd)
    lo_local = g.local(prices[0]) - span_buckets // 2
    total_long = prof[0, lo_local : lo_local + 80 * span_buckets].sum()
    assert sum(lv.long_usd for lv in view.levels) == pytest.approx(total_long, rel=1e-9)
    # zones: USD equals the profile over its own range, and lies within the levels covering it
    assert view.zones, "a warm map has zones"
    for z in view.zones:
        side = 0 if z.side == "long" else 1
        a = g.index_of(z.price_low + g.bucket_usd / 2) - g.origin
        b = g.index_of(z.price_high - g.bucket_usd / 2) - g.origin
        assert z.usd == pytest.approx(prof[side, a : b + 1].sum(), rel=1e-6)
        covering = [lv for lv in view.levels
                    if lv.price + span_buckets * g.bucket_usd / 2 > z.price_low
                    and lv.price - span_buckets * g.bucket_usd / 2 < z.price_high]
        if covering and z.price_low > prices[0] and z.price_high < prices[-1]:
            level_usd = sum(lv.long_usd if side == 0 else lv.short_usd for lv in covering)
            assert z.usd <= level_usd * (1 + 1e-9)
        assert (z.side == "long") == (z.distance_pct < 0)
    assert view.oi["total_usd"] == pytest.approx(view.oi["binance"] + view.oi["bybit"])


def test_tape_totals_and_clusters_match_prints() -> None:
    eng = _warm_engine()
    t = T0 + 288 * 300_000
    price = eng.price
    prints = [("long", price * 0.999, 100_000.0), ("long", price * 0.9991, 50_000.0),
              ("long", price * 0.99905, 50_000.0), ("short", price * 1.01, 30_000.0)]
    for k, (side, p, usd) in enumerate(prints):
        eng.on_event(MarkPrice("binance", "BTC", t + k * 100, t + k * 100, price))
        eng.on_event(Liquidation("bybit", "BTC", t + k * 100, t + k * 100, side, p, usd / p, usd))
    view = eng.view(t + 1_000)
    assert view.tape.long_usd == pytest.approx(200_000.0)
    assert view.tape.short_usd == pytest.approx(30_000.0)
    assert [e["usd"] for e in view.tape.events] == [30_000.0, 50_000.0, 50_000.0, 100_000.0]  # newest first
    assert len(view.tape.clusters) == 1
    c = view.tape.clusters[0]
    assert c.count == 3 and c.usd == pytest.approx(200_000.0) and c.share == pytest.approx(200 / 230)
    # clusters sit where the prints fired: Bybit reports bankruptcy prices, a long fires at p / (1 - 0.5 % MMR)
    reported_mean = (100_000 * price * 0.999 + 50_000 * price * 0.9991 + 50_000 * price * 0.99905) / 200_000
    assert c.price == pytest.approx(reported_mean / (1 - 0.005))
    assert sum(r[1] for r in view.tape.rates) == pytest.approx(200_000.0)


def test_cluster_needs_share_and_three_events() -> None:
    evs = [Liquidation("okx", "BTC", 1, 1, "long", 100.0, 1.0, 10.0) for _ in range(2)]
    evs.append(Liquidation("okx", "BTC", 1, 1, "long", 120.0, 1.0, 10.0))
    assert tape_clusters(evs, 100.0) == []  # two events in the 100 bin, one elsewhere


def test_rates_flag_gaps() -> None:
    now = 3_600_000
    evs = [Liquidation("okx", "BTC", now - 10_000, 0, "short", 1.0, 1.0, 5.0)]
    rates, gaps = tape_rates(evs, now, 3600)
    assert len(rates) == 60 and rates[-1][2] == 5.0
    assert gaps == [(0, now - 60_000)]


def test_zone_lifecycle_created_reinforced_swept_and_faded() -> None:
    zm = ZoneManager()
    origin, price_idx = 4_500, 5_000  # window-relative bucket i is absolute index 4500 + i
    prof = np.zeros((2, 1_000))
    prof[0, 400:403] = 100.0  # long cluster at 4900-4902 (2 % below price)
    prof[1, 600:602] = 80.0  # short cluster at 5100-5101
    zm.update(0, prof, origin, price_idx, strong_usd=150.0)
    assert zm.counters["created"] == 2
    prof[0, 400:403] = 150.0  # grew 50 %
    zm.update(60_000, prof, origin, price_idx, strong_usd=150.0)
    assert zm.counters["reinforced"] == 1
    zm.touch(120_000, 4_895, 4_901)  # price dips into the long zone
    assert zm.counters["swept"] == 1
    prof[1] = 0.0  # the short positions closed: the zone fades without a touch
    zm.update(180_000, prof, origin, price_idx, strong_usd=150.0)
    stats = zm.stats()
    assert stats["expired"] == 1 and stats["swept_rate"] == 0.5
    assert stats["median_lifespan_min"] == pytest.approx((2 + 3) / 2)
    assert stats["strong_gone_before_touch"] == 0.5  # both were strong; one gone untouched
    # the long map was not dimmed in this hand profile, so a fresh zone forms there again
    assert stats["active"] == 1 and stats["created"] == 3


def test_far_unreinforced_zone_expires_after_four_hours_only_if_far() -> None:
    zm = ZoneManager()
    prof = np.zeros((2, 1_000))
    prof[0, 380:382] = 100.0  # 2.4 % below price 5000: inside the search range, beyond 2 %
    zm.update(0, prof, 4_500, 5_000, strong_usd=1e9)
    zm.update(239 * 60_000, prof, 4_500, 5_000, strong_usd=1e9)
    assert zm.counters["expired"] == 0
    zm.update(240 * 60_000, prof, 4_500, 5_000, strong_usd=1e9)
    assert zm.counters["expired"] == 1


def test_warm_start_merges_oi_history_by_time() -> None:
    bars = [Bar("binance", "BTC", T0 + k * 300_000, 0, 300_000, 100.0, 101.0, 99.0, 100.0, 1.0, float("nan"),
                float("nan")) for k in range(12)]
    oi = [OpenInterest("binance", "BTC", T0 + (k + 1) * 300_000, 0, 1_000.0 + k, (1_000.0 + k) * 100.0)
          for k in range(12)]
    eng = SymbolEngine("BTC", ("binance",))
    eng.warm_start(bars, oi)
    assert eng.view(T0 + 12 * 300_000).oi["binance"] == pytest.approx(1_011.0 * 100.0)


def test_tape_size_filter_applies_before_the_view_bound() -> None:
    # Three large prints, then 250 small ones: the newest 200 are all small, yet a tape filtered to
    # $1M must still list the large ones (they are in the hour's window).
    eng = _warm_engine()
    t = T0 + 288 * 300_000
    price = eng.price
    eng.on_event(MarkPrice("binance", "BTC", t, t, price))
    sizes = [2_000_000.0, 3_000_000.0, 1_500_000.0] + [5_000.0] * 250
    for k, usd in enumerate(sizes):
        ts = t + 1_000 * (k + 1)
        eng.on_event(Liquidation("binance", "BTC", ts, ts, "long", price, usd / price, usd))
    now = t + 1_000 * (len(sizes) + 1)
    everything = eng.view(now).tape
    assert len(everything.events) == 200 and {e["usd"] for e in everything.events} == {5_000.0}  # still bounded
    assert everything.count == len(sizes)  # how many prints the window holds, shown or not
    big = eng.view(now, tape_min_usd=1_000_000.0).tape
    assert [e["usd"] for e in big.events] == [1_500_000.0, 3_000_000.0, 2_000_000.0]  # newest first
    assert big.count == len(sizes) and big.long_usd == pytest.approx(sum(sizes))  # totals are the window's
