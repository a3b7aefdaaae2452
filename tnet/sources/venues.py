"""Venue WebSockets and REST polls as a source: the live exchanges, or the simulator (in-process or sim@HOST:PORT)."""

from __future__ import annotations

import asyncio
from typing import Any

from tnet.config import Settings
from tnet.connectors.base import Endpoints
from tnet.connectors.supervisor import FramePath
from tnet.events import Event
from tnet.sources.base import Feed, VenueFrames
from tnet.symbols import SymbolInfo

WARM_BARS = 288  # 24 h of 5-minute bars
WARM_TIMEOUT_S = 8.0
MAX_PAGES = 50  # a paged metadata request (OKX's liquidation backfill: ~20 pages on a busy day) stops here
PAGING_MARGIN_S = 1.5  # follow-up pages stop this long before the warm start's time limit


class VenueSource(VenueFrames):
    """Connections to every selected venue, warm-started from their REST history."""

    sim: Any = None  # the in-process simulator while it runs (`--source sim`)

    def __init__(self, symbols: list[SymbolInfo], settings: Settings) -> None:
        super().__init__(symbols, settings)
        self.books: dict[str, Any] = {}  # venue -> its depth connection (BookConnection) when books are on

    def endpoints(self, venue: str) -> Endpoints:
        """Venue endpoints: in-process/remote simulator, else config overrides over the defaults."""
        default = self.specs[venue].default_endpoints
        src = self.settings.source
        if src.kind == "sim":
            host = src.host or "127.0.0.1"
            port = src.port if src.host else self.sim.port
            hostport = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            from tnet.sim.venues import base_path

            base = base_path(venue)  # a venue whose real path is another's is served under a prefix
            return Endpoints(ws=f"ws://{hostport}{base}", rest=f"http://{hostport}{base}")
        over = self.settings.endpoints.get(venue)
        if over is None:
            return default
        return Endpoints(ws=over.ws or default.ws, rest=over.rest or default.rest)

    async def start(self, feed: Feed) -> None:
        src = self.settings.source
        if src.kind == "sim" and not src.host:
            from tnet.sim.server import SimServer, parse_faults

            faults = parse_faults(self.settings.sim_faults) if self.settings.sim_faults else None
            # Building the market (a simulated day of history) takes ~9 s of numpy work on an idle 2-core
            # machine: off the event loop, so the UI stays responsive while it starts.
            self.starting = "building the simulated market (a day of history)"
            try:
                self.sim = await asyncio.to_thread(
                    SimServer, port=0, symbols=self.symbols, seed=self.settings.sim_seed, speed=1.0, faults=faults
                )
                await self.sim.start()
            finally:
                self.starting = ""
        from tnet.connectors.supervisor import (
            RestPoller,
            VenueConnection,
            make_http_client,
        )

        proxy = self.settings.proxy_url()
        self._clients = {v: make_http_client(proxy, self.endpoints(v).rest) for v in self.specs}
        paths = {
            v: FramePath(v, self.parsers[v], self.health_by_venue[v], feed.dispatch, feed.record, self.guard)
            for v in self.specs
        }
        if self.settings.warm_start:
            await self._warm_start(feed, paths)
        for venue, spec in self.specs.items():
            conn = VenueConnection(
                spec, self.infos, self.endpoints(venue), self.parsers[venue], self.health_by_venue[venue],
                feed.dispatch, record=feed.record, proxy=proxy, clock=feed.clock, guard=self.guard,
            )
            self._tasks.append(asyncio.create_task(conn.run(), name=f"ws:{venue}"))
            polls = spec.rest_polls(self.infos)
            if polls:
                poller = RestPoller(self._clients[venue], polls, paths[venue], clock=feed.clock)
                self._tasks.append(asyncio.create_task(poller.run(), name=f"rest:{venue}"))
        if self.settings.book:
            self._start_books(feed, proxy)

    def _start_books(self, feed: Feed, proxy: str | None) -> None:
        """One depth connection per venue, beside its liquidation feed (see tnet/connectors/books)."""
        from tnet.connectors.books import BOOK_SPECS
        from tnet.connectors.books.runner import BookConnection
        from tnet.connectors.health import VenueHealth

        for venue in self.specs:
            spec = BOOK_SPECS.get(venue)
            if spec is None:
                continue  # no book connector for this venue yet
            conn = BookConnection(spec, self.infos, self.endpoints(venue), spec.make_parser(self.infos),
                                  VenueHealth(venue, spec.stale_after_s), feed.dispatch, self._clients[venue],
                                  proxy=proxy, clock=feed.clock, guard=self.guard)
            self.books[venue] = conn
            self._tasks.append(asyncio.create_task(conn.run(), name=f"book:{venue}"))

    def venue_health(self, now_ms: int) -> dict[str, dict[str, Any]]:
        venues = super().venue_health(now_ms)
        for venue, conn in self.books.items():
            if venue in venues:
                venues[venue]["book"] = conn.report(now_ms)
        return venues

    async def stop(self) -> None:
        await super().stop()
        for client in getattr(self, "_clients", {}).values():
            try:
                await client.aclose()
            except Exception:
                pass
        self._clients = {}
        if self.sim is not None:
            await self.sim.stop()
            self.sim = None

    async def _warm_start(self, feed: Feed, paths: dict[str, FramePath]) -> None:
        """Fetch 24 h of 5-minute bars and OI history from every venue and hand them to the feed's warm start."""
        from tnet.connectors.supervisor import fetch

        end_ms = self.sim.market.now_ms if self.sim is not None else feed.now_ms()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WARM_TIMEOUT_S - PAGING_MARGIN_S

        async def one_venue(venue: str) -> list[Event]:
            spec, client, path_ = self.specs[venue], self._clients[venue], paths[venue]
            out: list[Event] = []

            async def get(path: str) -> str | None:
                """One REST answer, its plausible events added to `out`; the next page's path, or None."""
                body, reason = await fetch(client, path)
                if body is None:
                    self.warm_status[venue] = reason
                    return None
                out.extend(path_.rest(feed.now_ms(), path, body))  # one timestamp for recording and parse
                return spec.next_page(path, body)

            pages: list[str] = []  # follow-up pages of paged metadata (OKX's liquidation backfill)
            for path in spec.metadata_requests(self.infos):
                follow = await get(path)
                if follow is not None:
                    pages.append(follow)
            for info in self.infos:
                for path in spec.history_requests(info, end_ms, WARM_BARS):
                    body, reason = await fetch(client, path)
                    if body is None:
                        self.warm_status[venue] = reason
                        break
                    out.extend(path_.rest(feed.now_ms(), path, body))
            # The bars matter more than old prints: further pages only while time is left (a timeout
            # would lose every venue's warm start), at most MAX_PAGES per request.
            for follow in pages:
                for _page in range(MAX_PAGES):
                    if loop.time() > deadline:
                        self.warm_status.setdefault(venue, "backfill cut short (warm start time limit)")
                        break
                    follow = await get(follow)
                    if follow is None:
                        break
            return out

        venues = list(self.specs)
        gathered = asyncio.gather(*(one_venue(v) for v in venues), return_exceptions=True)
        # Quitting during the warm start cancels the gather; its outcome is read here so asyncio
        # never prints "exception was never retrieved" over the user's terminal.
        gathered.add_done_callback(lambda f: f.cancelled() or f.exception())
        try:
            results = await asyncio.wait_for(gathered, WARM_TIMEOUT_S)
        except asyncio.TimeoutError:
            for v in venues:
                self.warm_status.setdefault(v, "warm start timed out")
            return
        history: list[Event] = []
        for venue, res in zip(venues, results):
            if isinstance(res, BaseException):
                self.warm_status[venue] = f"{type(res).__name__}: {res}"
            else:
                history.extend(res)
                self.warm_status.setdefault(venue, "ok")
        feed.apply_history(history)
