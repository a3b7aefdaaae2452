"""Asyncio glue: drives one event source, feeds its events into per-symbol engines, serves views."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from tnet.config import Settings
from tnet.events import Bar, Event, OpenInterest
from tnet.sources import EventSource, SourceFailed, open_source
from tnet.sources.base import RecordFn, cancel_and_wait
from tnet.storage.recording import RecordingWriter
from tnet.symbols import SymbolInfo

log = logging.getLogger(__name__)


class RunFailed(Exception):
    """The run stopped early: a background task died, a hook or writer raised, or storage failed."""

    def __init__(self, message: str, storage: bool = False) -> None:
        super().__init__(message)
        self.storage = storage

ADVANCE_EVERY_S = 1.0
SAVE_EVERY_S = 60.0


class Runtime:
    """One runtime serves `watch`, `snapshot`, `health`, `record` and `replay`, whatever the source."""

    def __init__(
        self,
        symbols: list[SymbolInfo],
        settings: Settings,
        recorder: RecordingWriter | None = None,
        clock: Callable[[], float] = time.time,
        engines: bool = True,
    ) -> None:
        self.infos = symbols
        self.symbols = [s.short for s in symbols]
        self.settings = settings
        self.recorder = recorder
        self.record: RecordFn | None = recorder.write if recorder is not None else None
        self.clock = clock
        self.source: EventSource = open_source(symbols, settings)
        self.engines: dict[str, Any] = {}
        if engines and not self.source.carries_views:
            from tnet.engine.engine import SymbolEngine

            for info in symbols:
                venues = tuple(settings.exchanges)
                calibration = self._load_calibration(info.short)
                try:
                    self.engines[info.short] = SymbolEngine(info.short, venues=venues, calibration=calibration)
                except (TypeError, ValueError, KeyError, OverflowError) as exc:
                    # A saved state the checks let through but the calibrator rejects: start from the prior.
                    log.warning("saved calibration for %s is unusable (%s); starting from the prior", info.short, exc)
                    self.engines[info.short] = SymbolEngine(info.short, venues=venues)
        self._scaled_time = settings.source.scaled_time  # engines' clocks may run ahead of the wall clock
        self.events_total = 0
        self.engine_errors = 0
        self.last_engine_error = ""
        self.event_hooks: list[Callable[[list[Event]], None]] = []
        self.failure: RunFailed | None = None  # why the run stopped early, once it has
        self.storage_errors = 0  # state saves that failed (the run goes on; the count is shown)
        self._failed = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []
        self._started = False

    # ----------------------------------------------------------------- time and events
    def now_ms(self) -> int:
        """Wall-clock ms live; the recording's clock during a replay."""
        source_ms = self.source.now_ms()
        return source_ms if source_ms is not None else int(self.clock() * 1000)

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
                self._engine_failed(exc, f"engine error on {ev}")
        for hook in self.event_hooks:
            try:
                hook(events)
            except Exception as exc:  # an output that fails (a closed pipe, a bad value) ends the run, loudly
                self.fail(exc, "event hook")

    def advance(self, now_ms: int) -> None:
        """Move every engine's clock to `now_ms` (quiet periods, the end of a replay), then check its invariants."""
        for symbol, engine in self.engines.items():
            try:
                engine.advance(now_ms)
                repaired = engine.self_check(now_ms, max_ahead_ms=None) if self._scaled_time else engine.self_check(now_ms)
            except Exception as exc:
                self._engine_failed(exc, "engine advance failed")
                continue
            if repaired:
                # The engine recovered by itself; counted and shown like an engine error, never silent.
                self.engine_errors += len(repaired)
                self.last_engine_error = f"{symbol}: repaired: {'; '.join(repaired)}"
                log.warning("engine %s", self.last_engine_error)

    def fail(self, exc: BaseException, where: str) -> None:
        """Record why the run must stop (the first reason wins); `run()` raises it as RunFailed."""
        if self.failure is not None:
            return
        from tnet.storage.recording import StorageError

        storage = isinstance(exc, StorageError)
        if storage:
            message = f"storage error: {exc}"
        elif isinstance(exc, BrokenPipeError):  # `replay --events | head`: what was written is not the whole
            message = "output closed: the reader went away before the end (what it got is incomplete)"
        else:
            message = f"{where} failed: {type(exc).__name__}: {exc}"
        self.failure = RunFailed(message, storage=storage)
        self._failed.set()
        log.debug("%s", message, exc_info=exc)  # the traceback only for debugging; users get one line

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        """A background task ended: if it died of an exception, the run cannot go on without it."""
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.fail(exc, f"task {task.get_name()}")

    def _engine_failed(self, exc: Exception, what: str, prefix: str = "") -> None:
        self.engine_errors += 1
        self.last_engine_error = f"{prefix}{type(exc).__name__}: {exc}"
        log.exception(what)

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
                # A storage error, not a crash: the run goes on from memory; one warning per run.
                self.storage_errors += 1
                if self.storage_errors == 1:
                    log.warning("storage error: could not save calibration for %s in %s: %s",
                                symbol, self.settings.state_dir, exc.strerror or exc)

    # ----------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        """Start the source (it warm-starts the engines through `apply_history`), then the housekeeping."""
        if self._started:
            return
        self._started = True
        await self.source.start(self)
        if not self.source.finite:
            self._tasks.append(asyncio.create_task(self._housekeeping(), name="housekeeping"))
        for task in (*self.source.tasks, *self._tasks):
            task.add_done_callback(self._task_done)

    @property
    def finished(self) -> bool:
        """True once a finite source (a recording) has been played to its end."""
        return self.source.finite and self.source.done.is_set()

    async def run(self, seconds: float | None = None, until_ready: bool = False) -> None:
        """Wait until a finite source (a recording) is exhausted, else for `seconds` (None = until cancelled).

        `until_ready` returns early once the source holds a complete picture (a collector's
        checkpoints). Raises RunFailed as soon as the run cannot go on (a task died, a hook or the
        recording failed), SourceFailed if the source stops for good (e.g. Redis refused us).
        """
        source = self.source
        if source.finite:
            waiter: Any = source.done.wait()
        elif until_ready:
            waiter = asyncio.wait_for(source.ready.wait(), seconds)
        elif seconds is None:
            waiter = asyncio.Event().wait()
        else:
            waiter = asyncio.sleep(seconds)
        waits = [asyncio.ensure_future(w) for w in (waiter, self._failed.wait(), source.failed.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
            await asyncio.gather(*waits, return_exceptions=True)
        if self.failure is not None:
            raise self.failure
        if source.failure:
            raise SourceFailed(source.failure)

    async def stop(self) -> None:
        """Stop the source and every task, save state, flush the recording (a failure is kept in `failure`)."""
        tasks, self._tasks = self._tasks, []
        await cancel_and_wait(tasks)  # a task's failure was recorded by _task_done
        await self.source.stop()
        self.save_state()
        if self.recorder is not None:
            try:
                self.recorder.flush()
            except Exception as exc:
                self.fail(exc, "recording")

    async def _housekeeping(self) -> None:
        """Advance engines through quiet periods, flush the recording, save state now and then."""
        last_save = self.clock()
        while True:
            await asyncio.sleep(ADVANCE_EVERY_S)
            self.advance(self.now_ms())
            if self.recorder is not None:
                self.recorder.flush()
            if self.clock() - last_save > SAVE_EVERY_S:
                last_save = self.clock()
                self.save_state()

    # ----------------------------------------------------------------- warm start
    def apply_history(self, history: list[Event]) -> None:
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
                self._engine_failed(exc, f"warm start failed for {symbol}", prefix="warm start: ")
        # Everything else (OKX's REST liquidation backfill) goes through the live path, oldest first,
        # after the engines hold the history it belongs to. Venues' backfills arrive concurrently, so ties
        # are broken by venue: a replay of the recording then dispatches them in the live order.
        rest = sorted((e for e in history if not isinstance(e, (Bar, OpenInterest))), key=lambda e: (e.ts_ms, e.venue))
        if rest:
            self.dispatch(rest)

    # ----------------------------------------------------------------- views
    def view(self, symbol: str, heatmap: bool = True, measure: str = "usd", tape_min_usd: float = 0.0) -> Any:
        """The read-only SymbolView for `symbol`, its heatmap in `measure` ("usd" or "hazard"), its tape the
        newest prints of at least `tape_min_usd` (a collector's views carry its newest prints of any size).

        It is taken at the market's time: the receive clock (`now_ms`), or the engine's clock where that
        runs ahead (a `tnet sim --speed N` simulator's exchange times), so the map's window, the tape's
        ages and the zones' ages end at the newest data rather than minutes before it. The book's
        freshness stays judged on the receive clock, the one its samples were taken on.
        """
        now = self.now_ms()
        if self.source.carries_views:
            from tnet.engine.hazard import view_in_measure

            return view_in_measure(self.source.view(symbol, now, heatmap), measure)
        engine = self.engines[symbol]
        return engine.view(max(now, engine.clock_ms), heatmap=heatmap, measure=measure, recv_ms=now,
                           tape_min_usd=tape_min_usd)

    def health(self) -> dict[str, Any]:
        """`tnet health` JSON: per venue (contract keys) and per symbol; `starting` while the source cannot
        connect yet (the TUI shows it; headless commands read health only after the start)."""
        now = self.now_ms()
        report = {"ts_ms": now, "source": str(self.source), "venues": self.source.venue_health(now)}
        if self.source.starting:
            report["starting"] = self.source.starting
        return report

    def stats(self) -> dict[str, Any]:
        """Counters for the UI's status line and `replay`'s summary."""
        return {
            "events": self.events_total,
            **self.source.counters(),
            "engine_errors": self.engine_errors,
            "last_engine_error": self.last_engine_error,
            "storage_errors": self.storage_errors,
        }
