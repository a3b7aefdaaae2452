"""Alerts in the TUI: a notification and a bell per new alert, the `a` screen listing them."""

from __future__ import annotations

from typing import Any

from tnet.alerts.monitor import AlertMonitor
from tnet.alerts.rules import parse_rules
from tnet.events import MarkPrice
from tnet.ui.app import TnetApp
from tnet.ui.fake import FakeRuntime
from tnet.ui.screens.alerts import NO_RULES, AlertsScreen

SIZE = (100, 30)


class _Clocked:
    """The fake runtime with the hook and clock the monitor reads."""

    def __init__(self, fake: FakeRuntime) -> None:
        self.fake, self.symbols, self.event_hooks = fake, fake.symbols, []

    def now_ms(self) -> int:
        return self.fake.now_ms

    def view(self, symbol: str, heatmap: bool = True) -> Any:
        return self.fake.view(symbol, heatmap)

    def health(self) -> dict[str, Any]:
        return self.fake.health()

    def first_live_price(self) -> None:
        """A feed's first mark price through the hooks: the monitor judges a symbol only after one."""
        for symbol in self.symbols:
            view = self.fake.view(symbol, False)
            for hook in self.event_hooks:
                hook([MarkPrice("binance", symbol, self.fake.now_ms, self.fake.now_ms, view.price)])


def _screen_text(app: TnetApp) -> str:
    return str(app.screen.query_one("#alerts-text").render())


async def test_new_alerts_notify_ring_and_list_on_the_alerts_screen(wait_until: Any) -> None:
    fake = FakeRuntime(symbols=["BTC"])
    clocked = _Clocked(fake)
    monitor = AlertMonitor(clocked, parse_rules([], ["zone:name=near,within_pct=50,min_usd=1"]))
    app = TnetApp(fake, refresh_hz=20.0, alerts=monitor, bell=True)
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        clocked.first_live_price()  # the hook evaluates at once (nothing is judged on history before it)
        monitor.evaluate()  # what the monitor's timer does each second (on a slow machine it may have already)
        fired = list(monitor.recent)
        assert fired

        def messages() -> list[str]:
            return [n.message for n in app._notifications if n.title.startswith("alert")]

        # the app announces on its next refresh tick, which a loaded CI machine may delay well past 0.3 s
        await wait_until(lambda: bool(messages()), 10.0, "the alert notification")
        assert fired[-1].message in messages() or any("more — press a" in m for m in messages())
        assert bells == [1]  # one ring per tick with new alerts, not one per alert
        await pilot.press("a")
        await pilot.pause(0.1)
        assert isinstance(app.screen, AlertsScreen)
        text = _screen_text(app)
        assert "rules: near" in text and fired[-1].message[:40] in text.replace("\n", " ")
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, AlertsScreen)
        monitor.evaluate()  # same zones, same episode: nothing new
        await pilot.pause(0.2)
        assert bells == [1]


async def test_alerts_screen_without_rules_says_how_to_add_them() -> None:
    app = TnetApp(FakeRuntime(symbols=["BTC"]), refresh_hz=20.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        [entry] = [c for c in app.get_system_commands(app.screen) if c.title == "Alerts"]  # ctrl+p lists it too
        entry.callback()
        await pilot.pause(0.1)
        assert isinstance(app.screen, AlertsScreen)
        assert _screen_text(app) == NO_RULES
