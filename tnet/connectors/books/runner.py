"""The depth connection of one venue: a VenueConnection that also runs its book feed's resync actions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from tnet.connectors.base import Endpoints
from tnet.connectors.books.sync import BookFeed, Fetch, Send
from tnet.connectors.guard import Guard
from tnet.connectors.health import VenueHealth
from tnet.connectors.supervisor import Sink, VenueConnection, fetch
from tnet.symbols import SymbolInfo

SNAPSHOT_EVERY_S = 1.0  # at most one snapshot request per symbol per second (Binance weight 20 each)
SNAPSHOT_RETRY_S = 2.0
SNAPSHOT_BACKOFF_S = 60.0  # after HTTP 429 / 418 (rate limit, ban)


class BookConnection(VenueConnection):
    """Keeps every watched symbol's book of one venue in sync: frames through the feed, its
    snapshot fetches on the REST client, its resubscribes on the socket. Depth frames are not
    recorded (they would dwarf every other stream in a recording)."""

    def __init__(self, spec: Any, symbols: list[SymbolInfo], endpoints: Endpoints, feed: BookFeed,
                 health: VenueHealth, sink: Sink, client: Any, proxy: str | None = None,
                 clock: Callable[[], float] = time.time, guard: Guard | None = None) -> None:
        super().__init__(spec, symbols, endpoints, feed, health, sink, record=None, proxy=proxy, clock=clock,
                         guard=guard)
        self.feed = feed
        self.client = client
        self.last_error = ""
        self._fetches: dict[str, asyncio.Task[None]] = {}
        self._last_fetch: dict[str, float] = {}

    async def _read(self, ws: Any) -> None:
        feed = self.feed
        feed.reset()  # a new socket: every book starts from a fresh snapshot
        self._cancel_fetches()
        clock = self.clock
        frames = self.frames
        market = frames.market
        delivered = False
        try:
            async for frame in ws:
                market(int(clock() * 1000), frame)
                if feed.actions:
                    await self._run(ws)
                if not delivered and frames.delivered:
                    self.backoff.reset()
                    delivered = True
        finally:
            self._cancel_fetches()

    async def _run(self, ws: Any) -> None:
        for action in self.feed.take_actions():
            if isinstance(action, Send):
                await ws.send(action.frame)
            elif isinstance(action, Fetch) and action.symbol not in self._fetches:
                task = asyncio.create_task(self._snapshot(ws, action), name=f"book-snapshot:{action.path}")
                self._fetches[action.symbol] = task

    async def _snapshot(self, ws: Any, action: Fetch) -> None:
        """Fetch one snapshot (retrying until it arrives) and feed it through the frame path."""
        try:
            while True:
                wait = self._last_fetch.get(action.symbol, 0.0) + SNAPSHOT_EVERY_S - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._last_fetch[action.symbol] = time.monotonic()
                body, reason = await fetch(self.client, action.path)
                if body is not None:
                    break
                self.health.rest_errors += 1
                self.last_error = reason
                limited = "HTTP 429" in reason or "HTTP 418" in reason
                await asyncio.sleep(SNAPSHOT_BACKOFF_S if limited else SNAPSHOT_RETRY_S)
        finally:
            self._fetches.pop(action.symbol, None)
        events = self.frames.rest(int(self.clock() * 1000), action.path, body)
        if events:
            self.frames.sink(events)
        if self.feed.actions:
            try:
                await self._run(ws)
            except Exception:
                pass  # the socket closed meanwhile: the read loop reconnects and starts over

    def _cancel_fetches(self) -> None:
        for task in self._fetches.values():
            task.cancel()
        self._fetches.clear()

    def report(self, now_ms: int) -> dict[str, Any]:
        """The `book` object of a venue in `tnet health`: connection state, then the books' sync state."""
        out = self.feed.report(now_ms)
        health = self.health
        if not health.connected:
            out["state"] = "down" if health.state_reason else "connecting"
        out["reason"] = health.state_reason or self.last_error
        out["reconnects"] = health.reconnects
        out["msgs_per_s"] = round(health.msgs_per_s(now_ms), 2)
        out["rest_errors"] = health.rest_errors
        out["junk"] = health.junk.total  # samples the plausibility guard dropped
        out["venue_errors"] = self.feed.stats.venue_errors[-5:]
        return out
