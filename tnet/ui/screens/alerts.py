"""Alerts in the TUI: a notification (and optional bell) per new alert, and the `a` screen listing recent ones."""

from __future__ import annotations

import time
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

NO_RULES = ("No alert rules. Add [[alerts]] tables to the config or start with\n"
            "`tnet watch BTC --rule zone:within_pct=0.5,min_usd=5M` (see the README's Alerts section).")
NOTIFY_AT_MOST = 3  # per refresh tick: a burst of alerts must not bury the screen in toasts


class AlertFeed:
    """What the app knows about alerts: the monitor (or None) and how many it has announced."""

    def __init__(self, monitor: Any | None, bell: bool) -> None:
        self.monitor = monitor
        self.bell = bell
        self.announced = monitor.fired if monitor is not None else 0

    def recent(self) -> list[Any]:
        """Recent alerts, newest first."""
        return list(reversed(self.monitor.recent)) if self.monitor is not None else []

    def announce(self, app: App[Any]) -> None:
        """Notify (and ring) for alerts fired since the last call."""
        if self.monitor is None or self.monitor.fired == self.announced:
            return
        new = min(self.monitor.fired - self.announced, len(self.monitor.recent))
        self.announced = self.monitor.fired
        fresh = list(self.monitor.recent)[-new:]
        for alert in fresh[-NOTIFY_AT_MOST:]:
            app.notify(alert.message, title=f"alert: {alert.rule}", severity="warning", timeout=8)
        if len(fresh) > NOTIFY_AT_MOST:
            app.notify(f"{len(fresh) - NOTIFY_AT_MOST} more — press a", title="alerts", severity="warning", timeout=8)
        if self.bell and fresh:
            app.bell()


def alert_lines(alerts: list[Any]) -> str:
    """One line per alert: UTC time, rule, message."""
    if not alerts:
        return "No alerts yet."
    return "\n".join(f"{time.strftime('%H:%M:%S', time.gmtime(a.ts_ms / 1000))}  {a.rule:<14} {a.message}"
                     for a in alerts)


class AlertsScreen(ModalScreen[None]):
    """Recent alerts, newest first; escape, q or a closes it."""

    DEFAULT_CSS = """
    AlertsScreen { align: center middle; }
    AlertsScreen > VerticalScroll { width: 90%; max-height: 90%; height: auto; border: round $warning;
                                    background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,a", "close", "Close")]

    def __init__(self, feed: AlertFeed) -> None:
        super().__init__()
        self.feed = feed

    def compose(self) -> ComposeResult:
        """The list (or how to add rules)."""
        monitor = self.feed.monitor
        if monitor is None:
            text = NO_RULES
        else:
            rules = ", ".join(r.name for r in monitor.engine.rules)
            text = f"ALERTS (rules: {rules}) — newest first\n\n" + alert_lines(self.feed.recent())
        with VerticalScroll():
            yield Static(text, id="alerts-text", markup=False)

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss()
