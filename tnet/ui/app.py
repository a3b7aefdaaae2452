"""TnetApp: wires runtime views to the panels on a steady timer; rendering lives in tnet.ui.render."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.theme import Theme
from textual.timer import Timer
from textual.widgets import Footer, Static

from tnet.engine.views import HeatmapView, SymbolView
from tnet.ui.commands import palette_commands
from tnet.ui.controls import Controls
from tnet.ui.freshness import Freshness, freshness
from tnet.ui.protocol import RuntimeLike
from tnet.ui.render import panels
from tnet.ui.render.axes import price_marker
from tnet.ui.render.chart import ChartSettings, ChartState, chart_lines
from tnet.ui.render.palette import Palette
from tnet.ui.render.scale import price_decimals
from tnet.ui.render.tape import tape_lines
from tnet.ui.screens.alerts import AlertFeed, AlertsScreen
from tnet.ui.screens.help import HelpScreen
from tnet.ui.themes import ThemeSpec, available_themes, load_theme
from tnet.ui.widgets.lines import LinesWidget

log = logging.getLogger(__name__)

MIN_SIZE = (80, 24)  # below this the layout cannot show a readable heatmap
WIDE_WIDTH = 200  # and wider: the side column widens so the tape also shows the venue's reported price
NARROW_WIDTH = 120
COMPACT_WIDTH = 100
BASIC_COLOURS_HINT = ("This terminal reports 16 colours, so the map uses a basic ramp. "
                      "For the full map use 256 colours: TERM=xterm-256color (PuTTY: Connection > Data > Terminal-type string).")
TAPE_MAX_HZ = 2.0
HEATMAP_PULL_S = 1.0  # the heatmap history is the costly part of a view


class TnetApp(App[None]):
    """The `tnet watch` screen. Pulls `runtime.view()` at `refresh_hz`; never repaints per message."""

    CSS_PATH = str(Path(__file__).with_name("tnet.tcss"))  # absolute: subclasses elsewhere (bench) find it too
    TITLE = "tnet"
    ENABLE_COMMAND_PALETTE = True  # ctrl+p: every action by name (tnet's own commands, see get_system_commands)
    # Footer order is priority order: on a narrow terminal the footer is cut from the right,
    # so help and quit come first.
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit_app", "Quit"),
        Binding("tab", "next_symbol", "Symbol", priority=True),
        Binding("plus,equals_sign", "zoom_in", "Zoom+", key_display="+"),  # Textual names the '+' key "plus"
        Binding("hyphen_minus,minus", "zoom_out", "Zoom-", key_display="-"),
        Binding("left_square_bracket", "shorter_window", "Window-", key_display="["),
        Binding("right_square_bracket", "longer_window", "Window+", key_display="]"),
        Binding("space,p", "pause", "Pause", key_display="space"),
        Binding("f", "filter", "Min size"),
        Binding("s", "side", "Side"),
        Binding("h", "measure", "Hazard/USD"),
        Binding("b", "layer", "Layer"),
        Binding("t", "cycle_theme", "Theme"),
        Binding("a", "alerts", "Alerts", show=False),  # listed under ? and in ctrl+p: the footer is full
        Binding("ctrl+c", "quit_app", "Quit", show=False, priority=True),
    ] + [Binding(str(n), f"select_symbol({n})", show=False) for n in range(1, 10)]

    def __init__(
        self, runtime: RuntimeLike, theme: str | None = None, min_usd: float = 0.0,
        refresh_hz: float = 4.0, start_runtime: bool = True, color_depth: int | None = None,
        alerts: Any = None, bell: bool = False,
    ) -> None:
        super().__init__()
        self.runtime = runtime
        self.alerts = AlertFeed(alerts, bell)  # alerts: a tnet.alerts.monitor.AlertMonitor, or None
        names = available_themes()
        first = load_theme(theme)  # raises ThemeError for an unknown name (the CLI checks first)
        if first.name not in names:
            names.insert(0, first.name)
        self._specs: dict[str, ThemeSpec] = {first.name: first}
        self._palettes: dict[tuple[str, int, bool], Palette] = {}
        self.color_depth = color_depth or 256  # None: 16 on a basic terminal (TERM=xterm), found on mount
        self._detect_colors = color_depth is None
        self._had_data = False
        self._fresh = self._fresh_drawn = Freshness()
        self.controls = Controls(symbols=list(runtime.symbols), themes=names, min_usd=max(0.0, min_usd))
        self.controls.theme_index = names.index(first.name)
        self.refresh_hz = refresh_hz
        self._start_runtime = start_runtime
        self._chart_state = ChartState()
        self._chart_settings_key: tuple[Any, ...] = ()
        self._view: SymbolView | None = None
        self._view_key: tuple[str, int] | None = None
        self._health: dict[str, Any] = {}
        self._start_error = ""
        self._failure_told = False
        self._timer: Timer | None = None
        self._stopping = False
        self.panels: dict[str, LinesWidget] = {}
        self._tape_drawn_s = 0.0
        self._tape_behind = False  # a redraw skipped the (throttled) tape
        self._chart_key_drawn: tuple[Any, ...] = ()
        self._hm: HeatmapView | None = None  # last heatmap pulled (see _pull_view)
        self._hm_symbol = ""
        self._hm_pulled_s = 0.0
        self._hm_version = 0
        self.ticks = 0  # timer ticks run (tests, benchmarks)
        self.redraws = 0  # data redraws (ticks that found a new view)

    # ----- composition and lifecycle -------------------------------------------------------
    def compose(self) -> ComposeResult:
        """Header, health bar, chart and the side column, footer; plus the too-small message."""
        # kept by name: the timer must reach them even while the help screen is on top
        self.panels = {name: LinesWidget(id=name) for name in ("header", "health", "chart", "tape", "zones", "calib")}
        yield self.panels["header"]
        yield self.panels["health"]
        with Horizontal(id="body"):
            yield self.panels["chart"]
            with Vertical(id="side"):
                yield self.panels["tape"]
                yield self.panels["zones"]
                yield self.panels["calib"]
        yield Static(id="too-small")
        yield Footer()

    def on_mount(self) -> None:
        """Apply the theme, show 'connecting', start the runtime in the background and the timer."""
        if self._detect_colors and self.console.color_system in ("standard", "windows"):
            self.color_depth = 16
        if self.color_depth <= 16:
            self.notify(BASIC_COLOURS_HINT, title="16 colours", timeout=15)
        self._apply_theme()
        self._check_size()
        self._tick()
        if self._start_runtime:
            self.run_worker(self._run_start(), name="runtime-start", group="runtime", exit_on_error=False)
            if self.alerts.monitor is not None:
                self.run_worker(self.alerts.monitor.run(), name="alerts", group="runtime", exit_on_error=False)
        self._timer = self.set_interval(1 / self.refresh_hz, self._tick, name="tnet-refresh")

    async def _run_start(self) -> None:
        try:
            await self.runtime.start()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failed start is shown, never a traceback
            log.exception("runtime start failed")
            self._start_error = f"start failed: {exc}"
            self.notify(self._start_error, severity="error", timeout=10)

    async def action_quit_app(self) -> None:
        """q: stop the timer, stop the runtime (bounded wait), exit."""
        if self._stopping:
            return
        self._stopping = True
        if self._timer is not None:
            self._timer.stop()
        self.workers.cancel_group(self, "runtime")
        try:
            await asyncio.wait_for(self.runtime.stop(), timeout=5.0)
        except Exception:  # stopping must never keep the terminal hostage
            log.exception("runtime stop failed")
        self.exit()

    async def action_quit(self) -> None:
        """Textual's own quit (ctrl+q) also stops the runtime, so state is saved."""
        await self.action_quit_app()

    # ----- the steady refresh ---------------------------------------------------------------
    def _tick(self) -> None:
        """Pull health and (unless paused) the current symbol's view; redraw only what changed."""
        self.ticks += 1
        self.alerts.announce(self)
        failure = getattr(self.runtime, "failure", None)  # a dead task, a full disk: said once, loudly
        if failure is not None and not self._failure_told:
            self._failure_told = True
            self.notify(f"{failure} (restart tnet)", severity="error", timeout=60)
        self._health = self._safe(self.runtime.health) or {}
        finished = bool(getattr(self.runtime, "finished", False))
        self._fresh = freshness(self._health, self._had_data, finished)
        palette = self.palette
        health, had_data = self._health, self._had_data
        self.panels["health"].show(lambda w, h: [panels.health_line(health, w, palette, had_data, finished)], palette.text)
        fresh_changed = self._fresh != self._fresh_drawn
        self._fresh_drawn = self._fresh
        if not self.controls.paused or fresh_changed:
            view = self._pull_view() if not self.controls.paused else self._view
            key = (self.controls.symbol, view.ts_ms) if view is not None else None
            if key is None or key != self._view_key or fresh_changed:
                self._view, self._view_key = view, key
                self._redraw(from_timer=True)
                return
        if self._tape_behind and time.monotonic() - self._tape_drawn_s >= 1 / TAPE_MAX_HZ:
            self._redraw(from_timer=True)  # the last data change came while the tape was throttled
            return
        self._draw_header()

    def _pull_view(self, force_heatmap: bool = False) -> SymbolView | None:
        """The current symbol's view; the (costly) heatmap history only every HEATMAP_PULL_S.

        Between heatmap pulls the last HeatmapView is reused with the fresh price, tape and zones:
        its columns are a minute wide, so a 1 s old copy looks the same.
        """
        symbol = self.controls.symbol
        now_s = time.monotonic()
        measure = self.controls.measure
        want = (force_heatmap or self._hm is None or self._hm_symbol != symbol or self._hm.measure != measure
                or now_s - self._hm_pulled_s >= HEATMAP_PULL_S)
        min_usd = self.controls.min_usd  # filtered before the view's bound: older large prints stay findable
        view: SymbolView | None = self._safe(
            lambda: self.runtime.view(symbol, heatmap=want, measure=measure, tape_min_usd=min_usd))
        if view is None:
            return None
        self._had_data = self._had_data or view.price > 0
        if view.heatmap is not None:
            self._hm, self._hm_symbol, self._hm_pulled_s = view.heatmap, symbol, now_s
            self._hm_version += 1
        elif self._hm is not None and self._hm_symbol == symbol and view.price > 0:
            view = dataclasses.replace(view, heatmap=self._hm)
        return view

    def _safe(self, fn: Any) -> Any:
        """Call a runtime accessor; a runtime error becomes 'no data' rather than a crash."""
        try:
            return fn()
        except Exception:
            return None

    def _redraw(self, from_timer: bool = False) -> None:
        """Re-render every data panel from the held view (data, settings or theme changed).

        On timer ticks the tape is redrawn at most TAPE_MAX_HZ: a busy tape shifts every row on
        each new print, which is the most expensive thing to send over SSH.
        """
        self.redraws += 1
        now_s = time.monotonic()
        draw_tape = not from_timer or now_s - self._tape_drawn_s >= 1 / TAPE_MAX_HZ
        palette = self.palette
        map_palette = self.palette_for(dim=self._fresh.stale)
        banner = self._fresh.banner
        view = self._view
        c = self.controls
        settings = ChartSettings(c.half_range_pct, c.window[1], c.side, c.layer)
        message = self._no_data_message()
        state = self._chart_state
        chart_key = self._chart_key(view, settings, map_palette, message) + (banner,)
        with self.batch_update():
            self._draw_header()
            if not from_timer or chart_key != self._chart_key_drawn:
                self._chart_key_drawn = chart_key
                self.panels["chart"].show(
                    lambda w, h: chart_lines(view, settings, state, map_palette, w, h, message, banner), palette.text)
            now = view.ts_ms if view is not None else 0
            events = view.tape.events if view is not None else []
            tape_count = view.tape.count if view is not None else None
            tape_window_s = view.tape.window_s if view is not None else 0
            price = view.price if view is not None else 0.0
            min_usd = c.min_usd
            self._tape_behind = not draw_tape
            if draw_tape:
                self._tape_drawn_s = now_s
                self.panels["tape"].show(
                    lambda w, h: tape_lines(events, now, w, h, min_usd, palette, price, tape_window_s, tape_count),
                    palette.text)
            zones = view.zones if view is not None else []
            decimals = price_decimals(price / 1e4) if price > 0 else 2
            self.panels["zones"].show(
                lambda w, h: panels.zone_lines(zones, now, w, h, palette, decimals), palette.text)
            calibration = view.calibration if view is not None else {}
            self.panels["calib"].show(
                lambda w, h: panels.calibration_lines(calibration, w, h, palette), palette.text)

    def _chart_key(self, view: SymbolView | None, settings: ChartSettings, palette: Palette, message: str) -> tuple[Any, ...]:
        """What the chart looks like depends on: the heatmap object, the price's cell row and marker text,
        settings, theme.

        Between heatmap pulls only the price moves; while it stays in the same cell row and its marker
        reads the same, the chart would come out identical, so the timer skips recomputing it (a new
        marker text changes one span of one line: the map's rows are cached Strips).
        """
        if view is None or view.heatmap is None:
            return (None, message, palette.name)
        window = self._chart_state.price_window
        price_row = ((math.floor((window[0] - view.price) / (2 * window[1])), price_marker(window[1], view.price))
                     if window else view.price)
        heatmap_id = self._hm_version if view.heatmap is self._hm else id(view.heatmap)
        return (heatmap_id, price_row, settings.half_range_pct, settings.window_ms, settings.side, settings.layer, palette.name)

    def _draw_header(self) -> None:
        palette, c, view = self.palette, self.controls, self._view
        status = c.status()
        tag = self._fresh.tag
        self.panels["header"].show(
            lambda w, h: [panels.header_line(c.symbols, c.symbol, view, status, w, palette, tag)], palette.text)

    def _no_data_message(self) -> str:
        if self._start_error:
            return self._start_error
        if panels.all_venues_down(self._health):
            return "every venue is down — " + panels.NO_DATA_HINT
        return "connecting…"

    # ----- theme and size -------------------------------------------------------------------
    @property
    def palette(self) -> Palette:
        """The Palette of the current theme at the terminal's colour depth."""
        return self.palette_for(dim=False)

    def palette_for(self, dim: bool) -> Palette:
        """The current theme's Palette, dimmed for stale data when asked (each built once)."""
        name = self.controls.theme
        key = (name, self.color_depth, dim)
        if key not in self._palettes:
            if name not in self._specs:
                self._specs[name] = load_theme(name)
            self._palettes[key] = Palette(self._specs[name], colors=self.color_depth, dim=dim)
        return self._palettes[key]

    def _apply_theme(self) -> None:
        """Register the current theme with Textual so footer and borders follow it."""
        spec = self.palette.theme
        textual_name = f"tnet-{spec.name}"
        if textual_name not in self.available_themes:
            c = spec.colors
            self.register_theme(Theme(
                name=textual_name, primary=c["accent"], secondary=c["short"], accent=c["accent"],
                warning=c["warning"], error=c["error"], success=c["ok"], foreground=c["foreground"],
                background=c["background"], surface=c["surface"], panel=c["surface"], dark=True,
            ))
        self.theme = textual_name

    def on_resize(self, event: events.Resize) -> None:
        """Re-check the minimum size; the widgets re-render themselves at their new size."""
        self._check_size(event.size.width, event.size.height)

    def _check_size(self, width: int | None = None, height: int | None = None) -> None:
        if width is None or height is None:
            width, height = self.size
        too_small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        self.screen.set_class(too_small, "-too-small")
        # The layout plan (README "The screen"): from WIDE_WIDTH the side column widens; below
        # NARROW_WIDTH the calibration panel goes and the
        # side column narrows; below COMPACT_WIDTH it narrows again (tape clock, zone age go) and the
        # chart's axis and profile shrink, so the heatmap keeps its columns.
        self.screen.set_class(width >= WIDE_WIDTH, "-wide")
        self.screen.set_class(width < NARROW_WIDTH, "-narrow")
        self.screen.set_class(width < COMPACT_WIDTH, "-compact")
        if too_small:
            self.query_one("#too-small", Static).update(
                f"tnet needs at least {MIN_SIZE[0]}x{MIN_SIZE[1]} characters; this terminal is {width}x{height}.\n"
                "Enlarge the window (or the font smaller) — q quits.")

    # ----- key actions ----------------------------------------------------------------------
    def _settings_changed(self, reset_scale: bool = False) -> None:
        if reset_scale:
            self._chart_state = ChartState()
        self._redraw()

    def action_next_symbol(self) -> None:
        """tab: next symbol."""
        self.controls.next_symbol()
        self._symbol_changed()

    def action_select_symbol(self, number: int) -> None:
        """1-9: that symbol."""
        if self.controls.select_symbol(number):
            self._symbol_changed()

    def _symbol_changed(self) -> None:
        self._chart_state = ChartState()
        self._view = self._pull_view(force_heatmap=True)
        self._view_key = (self.controls.symbol, self._view.ts_ms) if self._view is not None else None
        self._redraw()

    def action_zoom_in(self) -> None:
        """+: narrower price range."""
        self.controls.zoom_in()
        self._settings_changed(reset_scale=True)

    def action_zoom_out(self) -> None:
        """-: wider price range."""
        self.controls.zoom_out()
        self._settings_changed(reset_scale=True)

    def action_shorter_window(self) -> None:
        """[: shorter time window."""
        self.controls.shorter_window()
        self._settings_changed(reset_scale=True)

    def action_longer_window(self) -> None:
        """]: longer time window."""
        self.controls.longer_window()
        self._settings_changed(reset_scale=True)

    def action_measure(self) -> None:
        """h: colour the map by 1 h hazard or by liquidation USD."""
        self.controls.cycle_measure()
        self._view = self._pull_view(force_heatmap=True)
        self._settings_changed(reset_scale=True)

    def action_layer(self) -> None:
        """b: show liquidations, the resting order book, or both."""
        self.controls.cycle_layer()
        self._settings_changed(reset_scale=True)

    def action_side(self) -> None:
        """s: colour both sides / longs / shorts."""
        self.controls.cycle_side()
        self._settings_changed(reset_scale=True)

    def action_pause(self) -> None:
        """space / p: freeze the data panels (health keeps updating)."""
        self.controls.toggle_pause()
        self._draw_header()

    def action_filter(self) -> None:
        """f: next minimum print size on the tape."""
        self.controls.cycle_filter()
        if not self.controls.paused:  # the view's tape was filtered at the old size: pull it at the new one
            self._view = self._pull_view()
        self._settings_changed()

    def action_cycle_theme(self) -> None:
        """t: next theme."""
        self.controls.cycle_theme()
        self._apply_theme()
        self._settings_changed()

    def action_alerts(self) -> None:
        """a: recent alerts."""
        if not isinstance(self.screen, AlertsScreen):
            self.push_screen(AlertsScreen(self.alerts))

    def action_help(self) -> None:
        """?: the help screen."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_set_theme(self, name: str) -> None:
        """Command palette: switch to theme `name`."""
        if name in self.controls.themes:
            self.controls.theme_index = self.controls.themes.index(name)
            self._apply_theme()
            self._settings_changed()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p) lists tnet's own actions, not Textual's theme picker."""
        yield from palette_commands(self)

    def on_click(self, event: events.Click) -> None:
        """A click on a symbol tab in the header selects that symbol."""
        if event.widget is not self.panels.get("header"):
            return
        index = panels.tab_at(self.controls.symbols, event.x)
        if index is not None:
            self.action_select_symbol(index + 1)


def run_tui(runtime: RuntimeLike, theme: str | None = None, min_usd: float = 0.0, refresh_hz: float = 4.0,
            alerts: Any = None, bell: bool = False) -> None:
    """Run the TUI on `runtime` until the user quits (`tnet watch` / `tnet demo`).

    Raises tnet.ui.themes.ThemeError before touching the terminal if `theme` is unknown.
    """
    app = TnetApp(runtime, theme=theme, min_usd=min_usd, refresh_hz=refresh_hz, alerts=alerts, bell=bell)
    app.run()
