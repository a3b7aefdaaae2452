"""Normalized event types shared by every layer (connectors, engine, runtime, UI, CLI)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Union

import msgspec

from tnet.margin import firing_price
from tnet.venues import NAMES

# Events are msgspec Structs rather than dataclasses: they are created once per frame on the hot
# path, and a Struct's C-level constructor is ~3x cheaper and (gc=False) never tracked by the GC.
Side = Literal["long", "short"]
VENUES: tuple[str, ...] = NAMES  # the default venue set (tnet.venues registry)


class Liquidation(msgspec.Struct, gc=False):
    """A forced close. `side` is the position that was liquidated, whatever the venue's convention."""

    venue: str
    symbol: str  # short name, e.g. "BTC"
    ts_ms: int  # exchange time
    recv_ms: int  # local receive time
    side: str  # "long" | "short"
    price: float  # as the venue reported it (fill or bankruptcy price: its record's quality.reported_price)
    qty: float  # base coin
    usd: float  # notional
    fire: float = 0.0  # mark price at which it fired; 0 = derive by the venue's rule (tnet.margin.firing_price)
    type: ClassVar[str] = "liquidation"

    def __post_init__(self) -> None:
        # one rule for every source (connectors, simulator, recordings, history): the venue's own
        if not self.fire > 0:
            self.fire = firing_price(self.venue, self.side, self.price, self.usd)


class OpenInterest(msgspec.Struct, gc=False):
    """Open interest of one venue's perp, in base coin and USD (one-sided)."""

    venue: str
    symbol: str
    ts_ms: int
    recv_ms: int
    oi_base: float
    oi_usd: float
    type: ClassVar[str] = "open_interest"


class MarkPrice(msgspec.Struct, gc=False):
    """Mark price tick (also the liveness canary of each feed)."""

    venue: str
    symbol: str
    ts_ms: int
    recv_ms: int
    price: float
    type: ClassVar[str] = "mark_price"


class Trades(msgspec.Struct, gc=False):
    """Taker volume from one trade message (or an aggregate of several), base coin."""

    venue: str
    symbol: str
    ts_ms: int
    recv_ms: int
    price: float
    buy_qty: float  # taker buys
    sell_qty: float  # taker sells
    type: ClassVar[str] = "trades"


class FeedStatus(msgspec.Struct, gc=False):
    """A change in a connection's state (connected, subscribed, down with a reason)."""

    venue: str
    symbol: str  # "" when the status concerns the whole connection
    ts_ms: int
    recv_ms: int
    state: str  # "connecting" | "live" | "stale" | "down"
    reason: str = ""
    type: ClassVar[str] = "feed_status"


class BookDepth(msgspec.Struct, gc=False):
    """Resting depth of one venue's synced book for one symbol, sampled at a bounded rate.

    Levels are (price, size in base coin), best first. Connectors send a sample per
    (venue, symbol) at most once per BOOK_SAMPLE_MS, never per diff: depth is the heaviest feed.
    """

    venue: str
    symbol: str
    ts_ms: int  # exchange time of the last update applied
    recv_ms: int
    bids: list[tuple[float, float]]  # descending price
    asks: list[tuple[float, float]]  # ascending price
    type: ClassVar[str] = "book_depth"


BOOK_SAMPLE_MS = 1_000

Event = Union[Liquidation, OpenInterest, MarkPrice, Trades, FeedStatus, BookDepth]

_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(cls.__struct_fields__)  # type: ignore[attr-defined]
    for cls in (Liquidation, OpenInterest, MarkPrice, Trades, FeedStatus, BookDepth)
}
_BY_TYPE: dict[str, type] = {cls.type: cls for cls in _FIELDS}  # type: ignore[attr-defined]


def event_to_dict(event: Event) -> dict[str, Any]:
    """Plain dict with `type` first: the `replay --events` line format."""
    out: dict[str, Any] = {"type": event.type}
    for name in _FIELDS[type(event)]:
        out[name] = getattr(event, name)
    return out


def event_from_dict(data: dict[str, Any]) -> Event:
    """Inverse of `event_to_dict`; raises KeyError/TypeError on a malformed dict."""
    cls = _BY_TYPE[data["type"]]
    return cls(**{name: data[name] for name in _FIELDS[cls]})


class Bar(msgspec.Struct, gc=False):
    """One history bar (warm start, `backtest --bars`): OHLC, taker volume and open interest at close.

    `buy_volume` is NaN when the venue's klines do not split taker volume; `oi_usd` is NaN when
    unknown (open-interest history arrives as separate OpenInterest events and is merged by time).
    """

    venue: str
    symbol: str
    ts_ms: int  # bar open time
    recv_ms: int
    interval_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float  # base coin
    buy_volume: float
    oi_usd: float
    type: ClassVar[str] = "bar"


_FIELDS[Bar] = tuple(Bar.__struct_fields__)
_BY_TYPE["bar"] = Bar
