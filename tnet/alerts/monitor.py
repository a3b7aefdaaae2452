"""Runs the pure alert evaluation on a live runtime: prints from its event hook, views once per runtime second."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from tnet.alerts.evaluate import Alert, AlertEngine
from tnet.alerts.rules import Rule

log = logging.getLogger(__name__)

EVALUATE_EVERY_MS = 1000
KEEP_RECENT = 200
PRICE_EVENTS = frozenset({"mark_price", "trades"})  # a live price: a symbol's views describe the market now


class AlertMonitor:
    """Evaluates rules once per second of the runtime's clock (the recording's during a replay).

    Evaluation is driven from the runtime's event hook, so a max-speed replay is evaluated at every
    recorded second, and from `run()`'s timer, so a silent feed (a venue down) is noticed too. A symbol's
    rules wait for its first live price: until then its view is the warm start's history, and a zone
    "near price" there is near a price minutes old.
    """

    def __init__(self, runtime: Any, rules: list[Rule], every_ms: int = EVALUATE_EVERY_MS) -> None:
        self.runtime = runtime
        self.engine = AlertEngine(rules)
        self.every_ms = every_ms
        self.recent: deque[Alert] = deque(maxlen=KEEP_RECENT)
        self.listeners: list[Callable[[Alert], None]] = []
        self.on_error: Callable[[str], None] | None = None  # told about each failure (`tnet alert`: stderr)
        self.fired = 0
        self.errors = 0
        self.last_error = ""
        self._due_ms = 0
        self._symbols = [s for s in runtime.symbols if any(r.kind != "venue" and r.applies_to(s) for r in rules)]
        self._needs_health = any(r.kind == "venue" for r in rules)
        self._priced: set[str] = set()  # symbols that have had a live price
        runtime.event_hooks.append(self._on_events)

    def _on_events(self, events: list[Any]) -> None:
        if len(self._priced) < len(self._symbols):
            self._priced.update(e.symbol for e in events if e.type in PRICE_EVENTS)
        self.engine.observe(events)
        if self.runtime.now_ms() >= self._due_ms:
            self.evaluate()

    def evaluate(self) -> list[Alert]:
        """Evaluate now (a rule error is counted and logged, never raised into the feed)."""
        now_ms = self.runtime.now_ms()
        self._due_ms = now_ms + self.every_ms
        try:
            views = {s: self.runtime.view(s, heatmap=False) for s in self._symbols if s in self._priced}
            health = self.runtime.health() if self._needs_health else {}
            alerts = self.engine.evaluate(now_ms, views, health)
        except Exception as exc:  # a rule bug must not stop the feed (or the TUI): counted and told
            self._failed("alert evaluation", exc)
            return []
        for alert in alerts:
            self.fired += 1
            self.recent.append(alert)
            for listener in self.listeners:
                try:
                    listener(alert)
                except Exception as exc:
                    self._failed("alert delivery", exc)
        return alerts

    def _failed(self, what: str, exc: Exception) -> None:
        self.errors += 1
        self.last_error = f"{what}: {type(exc).__name__}: {exc}"
        log.debug("%s failed", what, exc_info=exc)
        if self.on_error is not None:
            self.on_error(self.last_error)

    async def run(self) -> None:
        """Evaluate through quiet periods (no events), until cancelled."""
        while True:
            await asyncio.sleep(self.every_ms / 1000.0)
            if self.runtime.now_ms() >= self._due_ms:
                self.evaluate()
