"""Property tests (mass never negative, re-centre conserves mass) and determinism of the engine."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tnet.engine.engine import SymbolEngine
from tnet.engine.grid import PriceGrid, shift_fold
from tnet.engine.inventory import Inventory
from tnet.events import Liquidation, MarkPrice, OpenInterest, Trades

ops = st.lists(
    st.one_of(
        st.tuples(st.just("place"), st.integers(0, 1), st.floats(1.0, 1e7), st.floats(0.7, 1.4), st.floats(0, 0.02)),
        st.tuples(st.just("sweep"), st.integers(0, 1), st.floats(0.5, 1.5), st.floats(0.5, 1.5)),
        st.tuples(st.just("scale"), st.floats(0.0, 1.0)),
        st.tuples(st.just("recentre"), st.floats(0.6, 1.6)),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(ops)
def test_inventory_mass_never_negative_and_recentre_conserves(seq: list) -> None:
    g = PriceGrid(1_000.0)
    inv = Inventory(g, ("binance", "bybit"))
    for op in seq:
        if op[0] == "place":
            inv.place(op[1], op[1], op[2], 1_000.0 * op[3], op[4])
        elif op[0] == "sweep":
            a, b = sorted((g.local(1_000.0 * op[2]), g.local(1_000.0 * op[3])))
            (inv.sweep_long if op[1] == 0 else inv.sweep_short)(a, b)
        elif op[0] == "scale":
            inv.scale_venue(0, op[1])
        else:
            before = inv.mass.sum()
            before_fresh = inv.fresh.sum()
            g.recentre(1_000.0 * op[1], [inv.mass, inv.fresh])
            assert np.isclose(inv.mass.sum(), before, rtol=1e-9, atol=1e-6)
            assert np.isclose(inv.fresh.sum(), before_fresh, rtol=1e-9, atol=1e-6)
        assert (inv.mass >= 0).all() and (inv.fresh >= 0).all()
        assert np.isfinite(inv.mass).all()
        assert (inv.fresh <= inv.mass * (1 + 1e-9) + 1e-6).all()  # exact-semantics copy never exceeds the map


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=40), st.integers(-60, 60))
def test_shift_fold_conserves_mass(values: list[float], shift: int) -> None:
    a = np.array(values)
    total = a.sum()
    shift_fold(a, shift)
    assert np.isclose(a.sum(), total, rtol=1e-12, atol=1e-6)
    assert (a >= 0).all()


def _event_stream(seed: int, n: int = 6_000) -> list:
    """A synthetic three-venue stream: marks, trades, OI, liquidations near the price."""
    rng = np.random.default_rng(seed)
    out: list = []
    price = 60_000.0
    oi = {"binance": 1_000.0, "bybit": 800.0, "okx": 500.0}
    for k in range(n):
        t = 1_700_000_000_000 + k * 250
        price *= float(np.exp(rng.normal(0, 4e-4)))
        v = ("binance", "bybit", "okx")[k % 3]
        out.append(MarkPrice(v, "BTC", t, t, price))
        if k % 4 == 0:
            out.append(Trades(v, "BTC", t, t, price, float(rng.exponential(2)), float(rng.exponential(2))))
        if k % 20 == 0:
            oi[v] *= float(np.exp(rng.normal(0, 2e-3)))
            out.append(OpenInterest(v, "BTC", t, t, oi[v], oi[v] * price))
        if rng.random() < 0.02:
            side = "long" if rng.random() < 0.5 else "short"
            out.append(Liquidation(v, "BTC", t, t, side, price, 0.5, 0.5 * price))
    return out


def test_same_events_give_the_same_state() -> None:
    events = _event_stream(1)
    a, b = SymbolEngine("BTC"), SymbolEngine("BTC")
    for ev in events:
        a.on_event(ev)
    for ev in events:
        b.on_event(ev)
    end = events[-1].ts_ms
    assert np.array_equal(a.profile(), b.profile())
    assert a.calibration_state() == b.calibration_state()
    va, vb = a.view(end, heatmap=True), b.view(end, heatmap=True)
    assert va.levels == vb.levels and va.zones == vb.zones
    assert np.array_equal(va.heatmap.long_usd, vb.heatmap.long_usd)  # type: ignore[union-attr]
    assert a.events_seen == b.events_seen == len(events)


def test_advance_is_equivalent_to_a_later_event() -> None:
    events = _event_stream(2, 2_000)
    a, b = SymbolEngine("BTC"), SymbolEngine("BTC")
    for ev in events:
        a.on_event(ev)
        b.on_event(ev)
    later = events[-1].ts_ms + 180_000
    a.advance(later)
    b.on_event(MarkPrice("kraken", "BTC", later, later, events[-1].price))  # any event at that time
    assert np.array_equal(a.profile(), b.profile())
