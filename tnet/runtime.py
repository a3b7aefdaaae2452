"""Asyncio glue: owns connector tasks (or a replay), feeds events into per-symbol engines, serves views."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from tnet.config import Settings
from tnet.connectors.base import Endpoints, Parser, VenueSpec
from tnet.connectors.health import VenueHealth
from tnet.events import Bar, Event, OpenInterest
from tnet.storage.recording import REST_PREFIX, ReadReport, RecordingWriter, read_recording
from tnet.symbols import SymbolInfo

log = logging.getLogger(__name__)

WARM_BARS = 288  # 24 h of 5-minute bars
WARM_TIMEOUT_S = 8.0
ADVANCE_EVERY_S = 1.0
SAVE_EVERY_S = 60.0


class Runtime:
    """One runtime serves `watch`, `snapshot`, `health`, `record` and `replay`."""

    def __init__(
        self,
        symbols: list[SymbolInfo],
        settings: Settings,
        recorder: RecordingWriter | None = None,
        clock: Callable[[], float] = time.time,
        engines: bool = True,
    ) -> None:
        from tnet.connectors.venues import get_spec

        self.infos = symbols
        self.symbols = [s.short for s in symbols]
        self.settings = settings
        self.recorder = recorder
        self.clock = clock
        self.specs: dict[str, VenueSpec] = {v: get_spec(v) for v in settings.exchanges}
        self.parsers: dict[str, Parser] = {v: spec.make_parser(symbols) for v, spec in self.specs.items()}
        self.health_by_venue: dict[str, VenueHealth] = {
            v: VenueHealth(v, spec.stale_after_s, note=getattr(spec, "limits_note", ""))
            for v, spec in self.specs.items()
        }
        self.engines: dict[str, Any] = {}
        if engines:
            from tnet.engine.engine import SymbolEngine

            for info in symbols:
                self.engines[info.short] = SymbolEngine(
                    info.short, venues=tuple(settings.exchanges), calibration=self._load_calibration(info.short)
                )
        self.events_total = 0
        self.engine_errors = 0
        self.last_engine_error = ""
        self.replay_report: ReadReport | None = None
        self.replay_done = asyncio.Event()
        self.warm_status: dict[str, str] = {}
        self.event_hooks: list[Callable[[list[Event]], None]] = []
        self.sim: Any = None
        self._replay_now_ms: int | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._clients: list[Any] = []
        self._started = False

    # ----------------------------------------------------------------- time and events
    def now_ms(self) -> int:
        """Wall-clock ms live; the recording's clock during a replay."""
        if self._replay_now_ms is not None:
            return self._replay_now_ms
        return int(self.clock() * 1000)

    def dispatch(self, events: list[Event]) -> None:
        """Feed normalized events into the engines (the hot path: no allocation beyond the engine's own)."""
        engines = self.engines
        self.events_total += len(events)
        for ev in events:
            engine = engines.get(ev.symbol)
            if engine is None:
                continue
            try:
                engine.on_event(ev)
            except Exception as exc:  # an engine bug must not kill a feed; it is counted and shown
                self.engine_errors += 1
                self.last_engine_error = f"{type(exc).__name__}: {exc}"
                log.exception("engine error on %s", ev)
        for hook in self.event_hooks:
            hook(events)

    def _record(self, recv_ms: int, venue: str, stream: str, frame: str) -> None:
        if self.recorder is not None:
            self.recorder.write(recv_ms, venue, stream, frame)

    # ----------------------------------------------------------------- state
    def _load_calibration(self, symbol: str) -> dict[str, Any] | None:
        if not self.settings.save_state:
            return None
        from tnet.storage.calibration import load_calibration

        return load_calibration(self.settings.state_dir, symbol)

    def save_state(self) -> None:
        """Save every engine's calibrator state atomically (called periodically and on stop)."""
        if not self.settings.save_state or not self.engines:
            return
        from tnet.storage.calibration import save_calibration

        for symbol, engine in self.engines.items():
            try:
                save_calibration(self.settings.state_dir, symbol, engine.calibration_state())
            except OSError as exc:
                log.warning("could not save calibration for %s: %s", symbol, exc)

    # ----------------------------------------------------------------- lifecycle
    def endpoints(self, venue: str) -> Endpoints:
        """Venue endpoints: in-process/remote simulator, else config overrides over the defaults."""
        default = self.specs[venue].default_endpoints
        src = self.settings.source
        if src.kind == "sim":
            host = src.host or "127.0.0.1"
            port = src.port if src.host else self.sim.port
            hostport = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            return Endpoints(ws=f"ws://{hostport}", rest=f"http://{hostport}")
        over = self.settings.endpoints.get(venue)
        if over is None:
            return default
        return Endpoints(ws=over.ws or default.ws, rest=over.rest or default.rest)

    async def start(self) -> None:
        """Start the source (simulator, venues or replay), warm start the engines, begin feeding."""
        if self._started:
            return
        self._started = True
        src = self.settings.source
        if src.kind == "replay":
            self._tasks.append(asyncio.create_task(self._replay(), name="replay"))
            return
        if src.kind == "sim" and not src.host:
            from tnet.sim.server import SimServer, parse_faults

            faults = parse_faults(self.settings.sim_faults) if self.settings.sim_faults else None
            # Building the market (a simulated day of history) takes about a second of numpy work:
            # off the event loop, so the UI stays responsive while it starts.
            self.sim = await asyncio.to_thread(
                SimServer, port=0, symbols=self.symbols, seed=self.settings.sim_seed, speed=1.0, faults=faults
            )
            await self.sim.start()
        from tnet.connectors.supervisor import RestPoller, VenueConnection, make_http_client

        proxy = self.settings.proxy_url()
        clients = {v: make_http_client(proxy, self.endpoints(v).rest) for v in self.specs}
        self._clients = list(clients.values())
        if self.settings.warm_start:
            await self._warm_start(clients)
        for venue, spec in self.specs.items():
            conn = VenueConnection(
                spec,
                self.infos,
                self.endpoints(venue),
                self.parsers[venue],
                self.health_by_venue[venue],
                self.dispatch,
                record=self._record if self.recorder else None,
                proxy=proxy,
                clock=self.clock,
            )
            self._tasks.append(asyncio.create_task(conn.run(), name=f"ws:{venue}"))
            polls = spec.rest_polls(self.infos)
            if polls:
                poller = RestPoller(
                    venue, clients[venue], polls, self.parsers[venue], self.health_by_venue[venue],
                    self.dispatch, record=self._record if self.recorder else None, clock=self.clock,
                )
                self._tasks.append(asyncio.create_task(poller.run(), name=f"rest:{venue}"))
        self._tasks.append(asyncio.create_task(self._housekeeping(), name="housekeeping"))

    async def stop(self) -> None:
        """Cancel every task, close clients and the simulator, save state, flush the recording."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        for client in self._clients:
            try:
                await client.aclose()
            except Exception:
                pass
        self._clients = []
        if self.sim is not None:
            await self.sim.stop()
            self.sim = None
        self.save_state()
        if self.recorder is not None:
            self.recorder.flush()

    async def _housekeeping(self) -> None:
        """Advance engines through quiet periods, flush the recording, save state now and then."""
        last_save = self.clock()
        while True:
            await asyncio.sleep(ADVANCE_EVERY_S)
            now_ms = self.now_ms()
            for engine in self.engines.values():
                try:
                    engine.advance(now_ms)
                except Exception as exc:
                    self.engine_errors += 1
                    self.last_engine_error = f"{type(exc).__name__}: {exc}"
                    log.exception("engine advance failed")
            if self.recorder is not None:
                self.recorder.flush()
            if self.clock() - last_save > SAVE_EVERY_S:
                last_save = self.clock()
                self.save_state()

    # ----------------------------------------------------------------- warm start
    async def _warm_start(self, clients: dict[str, Any]) -> None:
        """Fetch 24 h of 5-minute bars and OI history from every venue and run them through the bar path."""
        from tnet.connectors.supervisor import fetch

        end_ms = self.now_ms()
        if self.sim is not None:
            end_ms = self.sim.market.now_ms

        async def one_venue(venue: str) -> list[Event]:
            spec, parser = self.specs[venue], self.parsers[venue]
            out: list[Event] = []
            for path in spec.metadata_requests(self.infos):
                body, reason = await fetch(clients[venue], path)
                if body is not None:
                    recv_ms = self.now_ms()  # one timestamp for the recording and the parse: replays match
                    self._record(recv_ms, venue, REST_PREFIX + path, body)
                    out.extend(parser.parse_rest(path, body, recv_ms))
                else:
                    self.warm_status[venue] = reason
            for info in self.infos:
                for path in spec.history_requests(info, end_ms, WARM_BARS):
                    body, reason = await fetch(clients[venue], path)
                    if body is None:
                        self.warm_status[venue] = reason
                        break
                    recv_ms = self.now_ms()
                    self._record(recv_ms, venue, REST_PREFIX + path, body)
                    out.extend(parser.parse_rest(path, body, recv_ms))
            return out

        venues = list(self.specs)
        try:
            results = await asyncio.wait_for(
                asyncio.gather(*(one_venue(v) for v in venues), return_exceptions=True), WARM_TIMEOUT_S
            )
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
        self._apply_history(history)

    def _apply_history(self, history: list[Event]) -> None:
        """Split history events per symbol and hand them to each engine's warm start.

        Venues include the bar still in progress; it is dropped, because a bar's end is where the
        engine's clock lands after the warm start, and a clock ahead of the feed would hold every
        periodic update back until real time caught up.
        """
        # "Now" is when the last history response arrived: recorded, so a replay cuts the same bars.
        now_ms = max((e.recv_ms for e in history), default=self.now_ms())
        for symbol, engine in self.engines.items():
            bars = [e for e in history if isinstance(e, Bar) and e.symbol == symbol and e.ts_ms + e.interval_ms <= now_ms]
            ois = [e for e in history if isinstance(e, OpenInterest) and e.symbol == symbol]
            if not bars:
                continue
            bars.sort(key=lambda b: (b.ts_ms, b.venue))
            ois.sort(key=lambda o: (o.ts_ms, o.venue))
            try:
                engine.warm_start(bars, ois)
            except Exception as exc:
                self.engine_errors += 1
                self.last_engine_error = f"warm start: {type(exc).__name__}: {exc}"
                log.exception("warm start failed for %s", symbol)
        # Everything else (OKX's REST liquidation backfill) goes through the live path, oldest first,
        # after the engines hold the history it belongs to.
        rest = sorted((e for e in history if not isinstance(e, (Bar, OpenInterest))), key=lambda e: e.ts_ms)
        if rest:
            self.dispatch(rest)

    # ----------------------------------------------------------------- replay
    async def _replay(self) -> None:
        """Feed a recording through the parsers and engines, paced by `settings.speed` (0 = max)."""
        path = self.settings.source.path
        assert path is not None
        report = self.replay_report = ReadReport()
        speed = self.settings.speed
        # Per-venue bound methods, looked up once: this loop runs once per recorded frame.
        venues = {
            v: (self.parsers[v].parse, self.health_by_venue[v], self.health_by_venue[v].on_events)
            for v in self.specs
        }
        dispatch = self.dispatch
        warm: list[Event] | None = []
        first_ms: int | None = None
        wall0 = time.monotonic()
        n = 0
        try:
            for recv_ms, venue, stream, frame in read_recording(path, report):
                entry = venues.get(venue)
                if entry is None:
                    continue
                parse, health, on_events = entry
                self._replay_now_ms = recv_ms
                if stream == "market":
                    if warm is not None:
                        self._apply_history(warm)
                        warm = None
                        for h in self.health_by_venue.values():
                            h.on_connected(recv_ms)
                    health.frames += 1
                    health.last_msg_ms = recv_ms
                    health.frame_times.append(recv_ms)
                    events = parse(frame, recv_ms)
                elif stream.startswith(REST_PREFIX):
                    rest_path = stream[len(REST_PREFIX):]
                    events = self.parsers[venue].parse_rest(rest_path, frame, recv_ms)
                    if warm is not None:
                        # Before the first market frame every REST body belongs to the warm start.
                        warm.extend(events)
                        continue
                else:
                    continue
                if events:
                    on_events(events, recv_ms)
                    dispatch(events)
                n += 1
                if speed > 0:
                    if first_ms is None:
                        first_ms, wall0 = recv_ms, time.monotonic()
                    due = (recv_ms - first_ms) / 1000.0 / speed - (time.monotonic() - wall0)
                    if due > 0.002:
                        await asyncio.sleep(due)
                elif n % 5000 == 0:
                    await asyncio.sleep(0)  # let the UI and signals breathe during a max-speed replay
            if warm:
                self._apply_history(warm)
            if self._replay_now_ms is not None:
                for engine in self.engines.values():
                    engine.advance(self._replay_now_ms)
        finally:
            self.replay_done.set()

    # ----------------------------------------------------------------- views
    def view(self, symbol: str, heatmap: bool = True) -> Any:
        """The engine's read-only SymbolView for `symbol` at the runtime's current time."""
        return self.engines[symbol].view(self.now_ms(), heatmap=heatmap)

    def _sync_parser_stats(self) -> None:
        """Copy parser counters into health (done when read, not per frame: the read loop stays lean)."""
        for venue, parser in self.parsers.items():
            health = self.health_by_venue[venue]
            health.parse_errors = parser.stats.parse_errors
            if parser.stats.venue_errors:
                health.venue_errors = list(parser.stats.venue_errors)

    def health(self) -> dict[str, Any]:
        """`tnet health` JSON: per venue (contract keys) and per symbol."""
        self._sync_parser_stats()
        now = self.now_ms()
        venues = {v: h.report(now, self.symbols) for v, h in self.health_by_venue.items()}
        for v, status in self.warm_status.items():
            if v in venues:
                venues[v]["warm_start"] = status
        return {"ts_ms": now, "source": str(self.settings.source), "venues": venues}

    def stats(self) -> dict[str, Any]:
        """Counters for the UI's status line and `replay`'s summary."""
        self._sync_parser_stats()
        return {
            "events": self.events_total,
            "dropped": sum(h.dropped for h in self.health_by_venue.values()),
            "parse_errors": sum(h.parse_errors for h in self.health_by_venue.values()),
            "engine_errors": self.engine_errors,
            "last_engine_error": self.last_engine_error,
        }
