"""The engine checks its own invariants (finite, non-negative mass; a clock not far ahead of real time) and
recovers instead of freezing; and whatever passes the parsers and the guard leaves its views finite and its
clock moving (property test)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tnet.connectors.guard import Guard, Junk
from tnet.engine.engine import SymbolEngine
from tnet.events import Liquidation, MarkPrice, OpenInterest, Trades

T0 = 1_791_565_600_000
VENUES = ("binance", "bybit", "okx")


def _warm(engine: SymbolEngine, seconds: int = 180) -> int:
    """A few minutes of ordinary data; returns the time of the last event."""
    price, oi = 82_650.0, 50_000.0
    for k in range(seconds):
        t = T0 + k * 1000
        price *= 1 + 0.0004 * math.sin(k / 7)
        oi += 15.0
        for v in VENUES:
            engine.on_event(MarkPrice(v, "BTC", t, t, price))
            engine.on_event(Trades(v, "BTC", t, t, price, 0.6, 0.4))
            engine.on_event(OpenInterest(v, "BTC", t, t, oi, oi * price))
        if k % 9 == 4:
            engine.on_event(Liquidation("bybit", "BTC", t, t, "long", price * 0.998, 0.5, 0.5 * price * 0.998))
    return T0 + (seconds - 1) * 1000


def test_a_clock_pushed_far_ahead_is_realigned_and_ticks_resume() -> None:
    eng = SymbolEngine("BTC")
    now = _warm(eng)
    # a microsecond timestamp that got past every check (the engine's own defence, not the guard's)
    eng.on_event(MarkPrice("binance", "BTC", now * 1000, now, 82_650.0))
    assert eng.clock_ms > now + 10**12  # frozen: no tick is due for 56,000 years
    repaired = eng.self_check(now + 1000)
    assert repaired and "ahead" in repaired[0]
    columns = eng.history.count
    for k in range(1, 130):
        eng.on_event(MarkPrice("okx", "BTC", now + k * 1000, now + k * 1000, 82_700.0))
    eng.advance(now + 130_000)
    assert now + 120_000 <= eng.clock_ms <= now + 130_000  # ticking again, at real time
    assert eng.self_check(now + 130_000) == []
    assert 1 <= eng.history.count - columns <= 3  # a column per minute again, none invented


def test_non_finite_mass_is_zeroed_and_reported() -> None:
    eng = SymbolEngine("BTC")
    now = _warm(eng)
    assert eng.inventory is not None and eng.inventory.mass.sum() > 0
    eng.inventory.mass[0, 0, 0, 5] = math.inf
    eng.inventory.mass[1, 1, 2, 7] = math.nan
    eng.inventory.fresh[0, 1, 3, 9] = -1.0
    repaired = eng.self_check(now)
    assert len(repaired) == 2 and "2 non-finite" in repaired[0]
    view = eng.view(now)
    assert view.levels and all(math.isfinite(lv.long_usd) and math.isfinite(lv.short_usd) for lv in view.levels)
    assert eng.self_check(now) == []


_price = st.floats(min_value=1e-6, max_value=1e12, allow_nan=False, allow_infinity=False)
_size = st.floats(min_value=1e-12, max_value=1e300, allow_nan=False, allow_infinity=False)
_event = st.tuples(
    st.sampled_from(["mark", "trades", "liq", "oi"]),
    st.sampled_from(VENUES),
    st.integers(min_value=0, max_value=5_000),  # ms since the previous frame arrived
    st.integers(min_value=-10**15, max_value=10**16),  # exchange time offset from receive time
    _price, _size, _size,
    st.sampled_from(["long", "short"]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_event, min_size=1, max_size=60), st.booleans())
def test_whatever_passes_the_guard_leaves_views_finite_and_the_clock_moving(events: list, warm: bool) -> None:
    eng = SymbolEngine("BTC")
    recv = _warm(eng, 40) if warm else T0
    guard = Guard()
    junk = Junk()
    for kind, venue, gap, offset, price, a, b, side in events:
        recv += gap
        ts = recv + (offset if abs(offset) < 10**13 else offset // 10**6)
        if kind == "mark":
            ev = MarkPrice(venue, "BTC", ts, recv, price)
        elif kind == "trades":
            ev = Trades(venue, "BTC", ts, recv, price, a, b)
        elif kind == "liq":
            ev = Liquidation(venue, "BTC", ts, recv, side, price, a, a * price)
        else:
            ev = OpenInterest(venue, "BTC", ts, recv, a, a * price)
        for kept in guard.check([ev], recv, junk):
            eng.on_event(kept)
        eng.advance(recv)
        eng.self_check(recv)
    end = recv + 120_000
    eng.advance(end)
    eng.self_check(end)
    view = eng.view(end, heatmap=True)
    if eng.grid is not None:
        assert end - 1000 <= eng.clock_ms <= end + 120_000  # the clock moved to now (and not far beyond)
    assert math.isfinite(view.price)
    for lv in view.levels:
        assert math.isfinite(lv.price) and math.isfinite(lv.long_usd) and math.isfinite(lv.short_usd)
        assert lv.long_usd >= 0 and lv.short_usd >= 0
    assert all(math.isfinite(z.usd) for z in view.zones)
    assert all(math.isfinite(e["usd"]) and math.isfinite(e["price"]) for e in view.tape.events)
    if view.heatmap is not None:
        assert np.isfinite(view.heatmap.long_usd).all() and np.isfinite(view.heatmap.short_usd).all()
