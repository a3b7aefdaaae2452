"""The source interface, and the per-venue parsers and health that venue-frame sources share."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from tnet.config import Settings
from tnet.connectors.base import Parser, VenueSpec
from tnet.connectors.guard import MAX_AHEAD_MS, Guard
from tnet.connectors.health import VenueHealth
from tnet.connectors.supervisor import RecordFn
from tnet.events import Event
from tnet.symbols import SymbolInfo


class Feed(Protocol):
    """What a source drives: the runtime's intake (engines, hooks, recording, clock)."""

    record: RecordFn | None
    clock: Callable[[], float]

    def now_ms(self) -> int: ...

    def dispatch(self, events: list[Event]) -> None: ...

    def apply_history(self, history: list[Event]) -> None: ...

    def advance(self, now_ms: int) -> None: ...


class SourceFailed(Exception):
    """A source cannot go on (wrong password, ACL denial...): the message is one line for the user."""


class EventSource:
    """Where events come from. The runtime starts it, asks it for health, and stops it.

    A finite source (a recording) sets `done` when exhausted; a live one never does. `ready` is
    set once the source holds a complete picture (a recording played, a collector's checkpoints
    loaded); live venues never say so, a snapshot of them collects for its `--seconds`. A source
    that `carries_views` (a Redis collector) serves the views itself instead of local engines.
    `starting` says what a source does before its feeds can connect (building the in-process simulator).
    """

    finite = False
    carries_views = False

    def __init__(self, symbols: list[SymbolInfo], settings: Settings) -> None:
        self.infos = symbols
        self.symbols = [s.short for s in symbols]
        self.settings = settings
        self.done = asyncio.Event()
        self.ready = asyncio.Event()
        self.failure: str | None = None
        self.failed = asyncio.Event()
        self.starting = ""
        self._tasks: list[asyncio.Task[Any]] = []

    def fail(self, why: str) -> None:
        """Stop for good with a one-line reason (`Runtime.run` raises it as SourceFailed)."""
        self.failure = why
        self.failed.set()

    def __str__(self) -> str:
        return str(self.settings.source)

    @property
    def tasks(self) -> list[asyncio.Task[Any]]:
        """The background tasks running now (the runtime watches them: one that dies stops the run)."""
        return list(self._tasks)

    async def start(self, feed: Feed) -> None:
        """Begin delivering events into `feed` (returns once tasks are running)."""
        raise NotImplementedError

    async def stop(self) -> None:
        """Cancel every task this source started and release what it holds."""
        tasks, self._tasks = self._tasks, []
        await cancel_and_wait(tasks)

    def now_ms(self) -> int | None:
        """The source's own clock (a recording's), or None to use wall-clock time."""
        return None

    def view(self, symbol: str, now_ms: int, heatmap: bool) -> Any:
        """The SymbolView of a source that `carries_views`."""
        raise NotImplementedError

    def venue_health(self, now_ms: int) -> dict[str, dict[str, Any]]:
        """Per-venue health objects (the `venues` part of `tnet health`)."""
        raise NotImplementedError

    def counters(self) -> dict[str, int]:
        """{"dropped", "parse_errors", "junk"} summed over venues."""
        raise NotImplementedError


class VenueFrames(EventSource):
    """A source that reads venue frames itself: one parser and one health record per venue."""

    def __init__(self, symbols: list[SymbolInfo], settings: Settings) -> None:
        super().__init__(symbols, settings)
        from tnet.connectors.venues import get_spec

        self.specs: dict[str, VenueSpec] = {v: get_spec(v) for v in settings.exchanges}
        self.parsers: dict[str, Parser] = {v: spec.make_parser(symbols) for v, spec in self.specs.items()}
        self.health_by_venue: dict[str, VenueHealth] = {
            v: VenueHealth(v, spec.stale_after_s, note=getattr(spec, "limits_note", ""))
            for v, spec in self.specs.items()
        }
        self.warm_status: dict[str, str] = {}
        # One guard for every venue: a symbol's last good price is shared.
        self.guard = Guard(max_ahead_ms=None if settings.source.scaled_time else MAX_AHEAD_MS)

    def _sync_parser_stats(self) -> None:
        """Copy parser counters into health (done when read, not per frame: the read loop stays lean)."""
        for venue, parser in self.parsers.items():
            health = self.health_by_venue[venue]
            health.parse_errors = parser.stats.parse_errors
            if parser.stats.venue_errors:
                health.venue_errors = list(parser.stats.venue_errors)

    def venue_health(self, now_ms: int) -> dict[str, dict[str, Any]]:
        self._sync_parser_stats()
        venues = {v: h.report(now_ms, self.symbols) for v, h in self.health_by_venue.items()}
        if self.settings.source.scaled_time:
            # a scaled-time simulator's exchange times run ahead of the receive clock: no latency to measure
            for report in venues.values():
                report["latency_ms_p50"] = report["latency_ms_p99"] = None
        for v, status in self.warm_status.items():
            if v in venues:
                venues[v]["warm_start"] = status
        return venues

    def counters(self) -> dict[str, int]:
        self._sync_parser_stats()
        return {
            "dropped": sum(h.dropped for h in self.health_by_venue.values()),
            "parse_errors": sum(h.parse_errors for h in self.health_by_venue.values()),
            "junk": sum(h.junk.total for h in self.health_by_venue.values()),
        }


async def cancel_and_wait(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel `tasks` and wait for each to end; their errors were already reported where they ran."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        try:
            await task
        except (asyncio.CancelledError, Exception):
            pass
