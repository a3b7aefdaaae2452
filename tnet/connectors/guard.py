"""Plausibility at the boundary: events that parsed but cannot be true are counted as junk, never reach the engine.

Parsers check single fields (a number, positive, finite). This is the one place every venue's
events pass next (live frames, REST bodies and replays alike, see `FramePath`), and it checks what a
field alone cannot show: a timestamp in the wrong unit or far from the receive time, a price far
from the symbol's last good mark, a product or sum that overflows, a bar whose high is below its low.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from tnet.events import Bar, Event, Liquidation, MarkPrice, OpenInterest, Trades

# A millisecond timestamp between 2001 and 2286 has 13 digits: seconds are 1000x smaller, µs 1000x larger.
MIN_MS = 10**12
MAX_MS = 10**13
MAX_AHEAD_MS = 60_000  # clock skew between a venue and this host
MAX_BEHIND_MS = 6 * 3_600_000  # a live frame about something older is not live data
MAX_BEHIND_REST_MS = 8 * 86_400_000  # REST history (warm-start bars, backfills) reaches back days
PRICE_BAND = 2.0  # a venue can move fast, but not double or halve between two good prices
REANCHOR_MS = 30_000  # prices outside the band with nothing inside it for this long: the market moved
MAX_USD = 1e12  # one liquidation, one trade message or one venue's open interest of a symbol
JUNK_REASONS_KEPT = 16  # distinct reasons counted per venue (bounded: the reasons are a fixed set)

_finite = math.isfinite


@dataclass(slots=True)
class Junk:
    """Per-venue counts of implausible events, by reason."""

    total: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, reason: str) -> None:
        self.total += 1
        if reason in self.reasons or len(self.reasons) < JUNK_REASONS_KEPT:
            self.reasons[reason] = self.reasons.get(reason, 0) + 1


class Guard:
    """Plausibility checks shared by every venue; remembers each symbol's last good price.

    `max_ahead_ms=None` skips the receive-time window (a simulator in scaled time runs ahead of the
    wall clock on purpose); the unit check stays.
    """

    def __init__(self, max_ahead_ms: int | None = MAX_AHEAD_MS) -> None:
        self.max_ahead_ms = max_ahead_ms
        self.ref: dict[str, float] = {}  # symbol -> last good price (any venue)
        self._outside_since: dict[str, int] = {}  # symbol -> receive time of the first out-of-band price

    def check(self, events: list[Event], recv_ms: int, junk: Junk, rest: bool = False) -> list[Event]:
        """The plausible events of one frame or REST body; the rest are counted in `junk` by reason."""
        out: list[Event] | None = None
        for i, ev in enumerate(events):
            reason = self.reason(ev, recv_ms, rest)
            if reason:
                junk.add(reason)
                if out is None:
                    out = list(events[:i])
            elif out is not None:
                out.append(ev)
        return events if out is None else out

    def reason(self, ev: Event, recv_ms: int, rest: bool = False) -> str:
        """Why `ev` cannot be true ('' if it is plausible)."""
        ts = ev.ts_ms
        if not MIN_MS <= ts < MAX_MS:
            if ts >= MAX_MS:
                return "timestamp not in ms (µs or ns?)"
            return "timestamp before 2001 (seconds, or negative?)"
        if self.max_ahead_ms is not None:
            if ts > recv_ms + self.max_ahead_ms:
                return "timestamp in the future"
            if ts < recv_ms - (MAX_BEHIND_REST_MS if rest else MAX_BEHIND_MS):
                return "timestamp too old"
        check = _CHECKS.get(type(ev))
        return check(self, ev, recv_ms) if check is not None else ""

    def _price(self, symbol: str, price: float, recv_ms: int, anchor: bool) -> str:
        """'' if `price` is within the band of the symbol's last good price (which it may then become)."""
        ref = self.ref.get(symbol)
        if ref is not None and not ref / PRICE_BAND <= price <= ref * PRICE_BAND:
            since = self._outside_since.setdefault(symbol, recv_ms)
            if recv_ms - since < REANCHOR_MS:
                return "price outside the band of the last good price"
            # Nothing inside the band for REANCHOR_MS: the reference itself was wrong or the market moved.
        self._outside_since.pop(symbol, None)
        if anchor or ref is None:
            self.ref[symbol] = price
        return ""

    def _mark(self, ev: MarkPrice, recv_ms: int) -> str:
        return self._price(ev.symbol, ev.price, recv_ms, anchor=True)

    def _trades(self, ev: Trades, recv_ms: int) -> str:
        notional = ev.price * (ev.buy_qty + ev.sell_qty)
        if not (_finite(notional) and ev.buy_qty >= 0 and ev.sell_qty >= 0):
            return "trade volume not finite"
        if notional > MAX_USD:
            return "trade notional implausible"
        return self._price(ev.symbol, ev.price, recv_ms, anchor=True)

    def _liquidation(self, ev: Liquidation, recv_ms: int) -> str:
        if not (_finite(ev.usd) and _finite(ev.qty * ev.price)):
            return "liquidation size not finite"
        if ev.usd > MAX_USD:
            return "liquidation size implausible"
        return self._price(ev.symbol, ev.price, recv_ms, anchor=False)

    def _open_interest(self, ev: OpenInterest, recv_ms: int) -> str:
        if not (_finite(ev.oi_usd) and _finite(ev.oi_base) and ev.oi_usd >= 0 and ev.oi_base >= 0):
            return "open interest not finite"
        if ev.oi_usd > MAX_USD:
            return "open interest implausible"
        return ""

    def _bar(self, ev: Bar, recv_ms: int) -> str:
        o, h, lo, c = ev.open, ev.high, ev.low, ev.close
        if not (_finite(o + h + lo + c + ev.volume) and 0 < lo <= min(o, c) and max(o, c) <= h <= lo * PRICE_BAND):
            return "bar OHLC inconsistent"
        if not (math.isnan(ev.oi_usd) or 0 <= ev.oi_usd <= MAX_USD):
            return "open interest implausible"
        return ""


_CHECKS: dict[type, Callable[[Guard, object, int], str]] = {
    MarkPrice: Guard._mark,  # type: ignore[dict-item]
    Trades: Guard._trades,  # type: ignore[dict-item]
    Liquidation: Guard._liquidation,  # type: ignore[dict-item]
    OpenInterest: Guard._open_interest,  # type: ignore[dict-item]
    Bar: Guard._bar,  # type: ignore[dict-item]
}
