"""What every venue module provides: endpoints, subscribe frames, heartbeats and a pure parser."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec
import orjson

from tnet.events import Event
from tnet.symbols import SymbolInfo
from tnet.venues import VenueRecord


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where a venue lives. Overridable from the config file (regional hosts, the simulator)."""

    ws: str  # WebSocket base, no trailing slash, e.g. "wss://fstream.binance.com"
    rest: str  # REST base, e.g. "https://fapi.binance.com"


@dataclass(frozen=True, slots=True)
class RestPoll:
    """A REST request the runtime repeats while live (e.g. Binance open interest)."""

    path: str  # path with query string, e.g. "/fapi/v1/openInterest?symbol=BTCUSDT"
    interval_s: float


@dataclass(slots=True)
class ParserStats:
    """Counters a parser keeps; the supervisor copies them into feed health."""

    frames: int = 0
    parse_errors: int = 0  # frames that were not valid for this venue: counted and dropped
    venue_errors: list[str] = field(default_factory=list)  # error replies (bad subscription...)


class Parser(Protocol):
    """Pure, stateful-only-in-memory frame parser for one venue and a set of watched symbols.

    `parse` never raises: a frame it cannot understand increments `stats.parse_errors` and yields
    []. Control frames (acks, pongs) yield [] without counting as errors.
    """

    stats: ParserStats

    def parse(self, frame: str | bytes, recv_ms: int) -> list[Event]: ...

    def parse_rest(self, path: str, body: str | bytes, recv_ms: int) -> list[Event]: ...


class VenueSpec(Protocol):
    """Protocol facts of one venue as data + pure functions (no I/O)."""

    name: str
    default_endpoints: Endpoints
    heartbeat_s: float | None  # how often to send `heartbeat_frame()`; None = server pings
    max_connection_s: float | None  # reconnect before the venue's hard cut (Binance 24 h)
    stale_after_s: float  # canary (mark price) silence that makes the feed stale

    def ws_url(self, endpoints: Endpoints, symbols: list[SymbolInfo]) -> str: ...

    def subscribe_frames(self, symbols: list[SymbolInfo]) -> list[str]: ...

    def heartbeat_frame(self) -> str | None: ...

    def make_parser(self, symbols: list[SymbolInfo]) -> Parser: ...

    def rest_polls(self, symbols: list[SymbolInfo]) -> list[RestPoll]: ...

    def metadata_requests(self, symbols: list[SymbolInfo]) -> list[str]: ...

    def history_requests(self, symbol: SymbolInfo, end_ms: int, bars: int) -> list[str]: ...

    def next_page(self, path: str, body: str | bytes) -> str | None: ...


class RecordSpec:
    """The VenueSpec parts that follow from a venue's record; a connector adds its parser and frames."""

    record: VenueRecord

    def __init__(self) -> None:
        rec = self.record
        self.name = rec.name
        self.default_endpoints = Endpoints(ws=rec.ws, rest=rec.rest)
        self.heartbeat_s = rec.heartbeat_s
        self.max_connection_s = rec.max_connection_s
        self.stale_after_s = rec.stale_after_s
        self.limits_note = rec.quality.note

    def ws_url(self, endpoints: Endpoints, symbols: list[SymbolInfo]) -> str:
        return endpoints.ws + self.record.ws_path

    def subscribe_args(self, symbols: list[SymbolInfo]) -> list[str]:
        """Every subscription argument as JSON text, whole-market channels first (default: the topic as a string)."""
        topics = list(self.record.global_channels)
        for info in symbols:
            topics += self.record.channels_of(info.short)
        return [orjson.dumps(topic).decode() for topic in topics]

    def subscribe_frames(self, symbols: list[SymbolInfo]) -> list[str]:
        chunks = self.record.chunking.split(self.subscribe_args(symbols))
        return [self.subscribe_frame(number, chunk) for number, chunk in enumerate(chunks, start=1)]

    def subscribe_frame(self, number: int, args: list[str]) -> str:
        """The subscribe frame carrying `args` (JSON texts); `number` counts frames from 1."""
        raise NotImplementedError

    def heartbeat_frame(self) -> str | None:
        return self.record.heartbeat_frame

    def rest_polls(self, symbols: list[SymbolInfo]) -> list[RestPoll]:
        return [RestPoll(path.format(inst=info.venue_symbol(self.name), short=info.short), interval)
                for info in symbols for path, interval in self.record.rest_polls]

    def metadata_requests(self, symbols: list[SymbolInfo]) -> list[str]:
        return []

    def history_requests(self, symbol: SymbolInfo, end_ms: int, bars: int) -> list[str]:
        """Each history route's pages in the record's order (klines first: they price OI history)."""
        return [path for route in self.record.history for path in self.record.pages(route, symbol.short, end_ms, bars)]

    def next_page(self, path: str, body: str | bytes) -> str | None:
        """The request after a metadata request that answered `body`, or None (no paging)."""
        return None


MAX_VENUE_ERRORS = 20  # error replies kept per parser (bounded: a bad feed can repeat forever)
_INF = float("inf")


def remember_error(stats: ParserStats, text: str) -> None:
    """Keep the last MAX_VENUE_ERRORS venue error texts, each cut to 200 characters."""
    stats.venue_errors.append(text[:200])
    if len(stats.venue_errors) > MAX_VENUE_ERRORS:
        del stats.venue_errors[:-MAX_VENUE_ERRORS]


_loads = orjson.loads


def classify(frame: object, stats: ParserStats, control: Callable[[dict], str | None],
             texts: frozenset[str] = frozenset()) -> list[Event]:
    """What a venue's typed parser did not decode: acks and pongs are silent, error replies are
    remembered, anything else is counted as a parse error. Always [].

    `control(msg)` looks at a JSON object: "" = a control frame (ack, pong), a text = an error reply
    or notice to remember, None = not a frame of this venue. `texts` are plain-text replies (`pong`).
    """
    try:
        msg = _loads(memoryview(frame) if frame.__class__ is msgspec.Raw else frame)  # type: ignore[arg-type]
    except Exception:
        if texts:
            raw = frame.decode("utf-8", "replace") if isinstance(frame, (bytes, bytearray)) else frame
            if isinstance(raw, str) and raw.strip() in texts:
                return []
        stats.parse_errors += 1
        return []
    try:
        verdict = control(msg) if msg.__class__ is dict else None
    except Exception:
        verdict = None
    if verdict is None:
        stats.parse_errors += 1
    elif verdict:
        remember_error(stats, verdict)
    return []


def positive(value: object) -> float:
    """float(value) if it is finite and > 0, else ValueError (NaN strings, zeros, junk)."""
    number = float(value)  # type: ignore[arg-type]
    if not 0.0 < number < _INF:
        raise ValueError(f"not a positive finite number: {value!r}")
    return number


def non_negative(value: object) -> float:
    """float(value) if it is finite and >= 0, else ValueError."""
    number = float(value)  # type: ignore[arg-type]
    if not 0.0 <= number < _INF:
        raise ValueError(f"not a finite non-negative number: {value!r}")
    return number


def rows_to_events(rows: list, make: Callable[[Any], Event], stats: ParserStats) -> list[Event]:
    """One event per REST history row, oldest first; a bad row is counted and skipped.

    One bad row must not lose the rest of a warm start.
    """
    out: list[Event] = []
    for row in rows:
        try:
            out.append(make(row))
        except Exception:
            stats.parse_errors += 1
    out.sort(key=lambda event: event.ts_ms)
    return out
