"""The declarative record of one venue: endpoints, channels, paging, instruments, margin and data quality.

Records are plain data (no I/O, no imports from the rest of tnet), so every layer may read them: the
connectors build subscriptions and requests from them, the engine and calibrator read the quality
traits, margin reads the brackets, the UI reads labels, the simulator reads how prints are published.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Bracket = tuple[float, float, float]  # (notional floor USD, maintenance margin rate, maintenance amount)


@dataclass(frozen=True, slots=True)
class Quality:
    """What a venue's liquidation feed shows of the liquidations that really happen."""

    liquidations: bool = True  # a public liquidation feed exists at all
    complete: bool = False  # every liquidation is published
    one_per_second: bool = False  # at most one print per symbol per second: a lower bound
    second_pick: Literal["latest", "largest_per_side"] = "latest"  # which print of the second is kept
    coverage: float = 1.0  # prior share of liquidation USD published; estimated unless complete or one_per_second
    batch_ms: int = 0  # prints are pushed in batches of this window (0: one by one)
    reported_price: Literal["fill", "bankruptcy"] = "fill"  # which price a print carries
    note: str = ""  # the health note: what this feed covers and its limits

    @property
    def sampling_known(self) -> bool:
        """Whether the share of liquidations printed is known (so the calibrator need not estimate it)."""
        return self.complete or self.one_per_second


@dataclass(frozen=True, slots=True)
class Chunking:
    """How subscriptions are split into frames: at most `items` topics or `chars` of args per frame."""

    items: int | None = None
    chars: int | None = None

    def split(self, args: list[str]) -> list[list[str]]:
        """Consecutive chunks of `args` (already serialised) within both limits; never an empty chunk."""
        chunks: list[list[str]] = [[]]
        size = 0
        for arg in args:
            cost = len(arg) + 1  # the separating comma
            full = (self.items is not None and len(chunks[-1]) >= self.items) or (
                self.chars is not None and size + cost > self.chars)
            if chunks[-1] and full:
                chunks.append([])
                size = 0
            chunks[-1].append(arg)
            size += cost
        return [chunk for chunk in chunks if chunk]


@dataclass(frozen=True, slots=True)
class Paging:
    """One paged REST route: a path template (`{inst}`, `{limit}`, `{end}` ...), rows per page, rows served."""

    path: str
    page: int
    max_rows: int | None = None  # the venue serves no more than this many rows back (None: as many as asked)


@dataclass(frozen=True, slots=True)
class Depth:
    """A venue's order-book feed: the depth connection's path and channel, and how a book starts."""

    ws_path: str  # appended to `ws` for the depth connection (its own socket)
    channel: str  # per-symbol depth channel ({inst}, {lower}, {short}), in the venue's spelling
    snapshot: str | None = None  # REST snapshot ({inst}) loaded under the buffered stream; None: the stream sends one
    levels: int = 0  # levels per side the channel keeps (0: the whole book)
    connector: str = ""  # "module:Class" of the book spec (imported only by tnet.connectors.books)

    def channel_of(self, inst: str, short: str) -> str:
        return self.channel.format(inst=inst, lower=inst.lower(), short=short)


@dataclass(frozen=True, slots=True)
class VenueRecord:
    """Everything about one venue that is a fact rather than code (see docs/venues.md)."""

    name: str  # lower-case key: config, --exchanges, events' `venue`
    label: str  # what the venue is, for people ("Binance USDⓈ-M")
    abbr: str  # three letters for narrow panels (tape, health bar)
    ws: str  # WebSocket base URL, no trailing slash (config [endpoints.<name>] overrides)
    rest: str  # REST base URL
    ws_path: str  # appended to `ws` for the public stream
    instrument: str  # instrument name from the short name, e.g. "{short}USDT"
    symbol_channels: tuple[str, ...]  # channels subscribed per symbol, in the venue's spelling
    global_channels: tuple[str, ...] = ()  # channels subscribed once for every symbol (whole-market feeds)
    chunking: Chunking = field(default_factory=Chunking)
    heartbeat_s: float | None = None  # client keep-alive period; None = the server pings
    heartbeat_frame: str | None = None  # what the client sends then
    max_connection_s: float | None = None  # reconnect before the venue's hard cut
    stale_after_s: float = 5.0  # canary (mark price) silence that makes the feed stale
    rest_polls: tuple[tuple[str, float], ...] = ()  # (path template with {inst}, interval s) repeated while live
    history: tuple[Paging, ...] = ()  # warm-start routes (klines, then open interest), 5-minute bars
    backfill: Paging | None = None  # public liquidation history, paged
    contract_sizes: Mapping[str, float] = field(default_factory=dict)  # base coin per contract; empty: sizes are in base coin
    config_contracts: bool = False  # the config's [symbols] values are this venue's contract sizes
    brackets: tuple[Bracket, ...] = ((0.0, 0.005, 0.0),)  # maintenance-margin brackets, ascending floors
    quality: Quality = field(default_factory=Quality)
    connector: str = ""  # "module:Class" of the connector spec (imported only by tnet.connectors)
    depth: Depth | None = None  # the order-book feed the book layer syncs (None: no books from this venue)

    def instrument_of(self, short: str) -> str:
        """This venue's instrument name for short name `short`."""
        return self.instrument.format(short=short)

    def channels_of(self, short: str) -> list[str]:
        """The per-symbol channels of `short` ({inst}: instrument, {lower}: its lower case, {short})."""
        inst = self.instrument_of(short)
        return [c.format(inst=inst, lower=inst.lower(), short=short) for c in self.symbol_channels]

    def pages(self, route: Paging, short: str, end_ms: int, bars: int, bar_ms: int = 300_000) -> list[str]:
        """Paths of `route` covering `bars` bars back from `end_ms`, newest page first.

        `{limit}` is the rows still wanted (at most a page), `{page}` the full page size, `{end}` the
        page's end time: each page ends where the previous one began.
        """
        inst = self.instrument_of(short)
        rows = max(bars, 0) if route.max_rows is None else min(max(bars, 0), route.max_rows)
        return [route.path.format(inst=inst, short=short, page=route.page, limit=min(route.page, rows - start),
                                  end=end_ms - start * bar_ms)
                for start in range(0, rows, route.page)]

    def contract_size(self, short: str, extra: Mapping[str, float] | None = None) -> float:
        """Base coin per contract of `short` (1.0 where sizes are in base coin)."""
        if not self.contract_sizes and not self.config_contracts:
            return 1.0
        if extra and self.config_contracts and short in extra:
            return extra[short]
        return self.contract_sizes.get(short, 1.0)
