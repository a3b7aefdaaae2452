"""The headless commands (health, record, replay, snapshot), the TUI launchers, and their registration."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from tnet.cli.common import (
    FAILED_EXIT,
    NO_DATA_EXIT,
    BookOpt,
    ConfigOpt,
    ExchangesOpt,
    RuleOpt,
    SourceOpt,
    StateDirOpt,
    check_writable,
    dumps,
    exit_if_replay_damaged,
    fail,
    run_async,
    settings_and_symbols,
    venue_problems,
    warn,
)

SymbolsArg = Annotated[list[str] | None, typer.Argument(help="Short symbols: BTC ETH SOL ...", show_default=False)]


JsonOpt = Annotated[bool | None, typer.Option("--json/--no-json", envvar="TNET_JSON", help="JSON output (default when stdout is not a terminal).")]


def _want_json(json_out: bool | None) -> bool:
    """JSON when asked, or by default when stdout is not a terminal (a pipe, a file, cron)."""
    return json_out if json_out is not None else not sys.stdout.isatty()


def _all_down(report: dict[str, Any]) -> bool:
    venues = report.get("venues") or {}
    return bool(venues) and all(v.get("state") == "down" for v in venues.values())


def _live_settings(command: str, symbols: list[str] | None, allow: tuple[str, ...] = (), **options: Any) -> tuple[Any, list[Any]]:
    """Settings for a command that needs feeds (live or simulator; `allow` adds other source kinds)."""
    settings, infos = settings_and_symbols(symbols or ["BTC"], **options)
    if settings.source.kind not in ("live", "sim", *allow):
        kinds = ", ".join(("live", "sim", "sim@HOST:PORT", *(f"{k}:..." for k in allow)))
        fail(f"{command} cannot read from --source {settings.source}: use {kinds}")
    settings.save_state = False
    return settings, infos


# --------------------------------------------------------------------------- health
def health(
    symbols: SymbolsArg = None,
    seconds: Annotated[float, typer.Option("--seconds", envvar="TNET_SECONDS", min=1, help="How long to listen.")] = 5.0,
    json_out: Annotated[bool, typer.Option("--json", envvar="TNET_JSON", help="Print JSON instead of a table.")] = False,
    book: BookOpt = None,
    source: SourceOpt = None,
    exchanges: ExchangesOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Connect to every feed for N seconds and report per-venue health. Exit 0 all live, 1 degraded (flapped, errors), 2 any down."""
    settings, infos = _live_settings(
        "health", symbols, allow=("redis",), source=source, exchanges=exchanges, state_dir=state_dir, config=config,
        book=book,
    )
    settings.warm_start = False

    async def main() -> dict[str, Any]:
        from tnet.runtime import Runtime

        runtime = Runtime(infos, settings, engines=False)
        try:
            await runtime.start()
            await runtime.run(seconds, until_ready=runtime.source.carries_views)
            report = runtime.health()
        finally:
            await runtime.stop()
        for venue in report["venues"].values():
            if venue["state"] == "connecting" and not venue["reason"]:
                venue["state"] = "down"
                venue["reason"] = f"timeout: no data within {seconds:g}s"
        return report

    from tnet.connectors.health import overall_exit_code

    report = run_async(main)
    report["symbols"] = [i.short for i in infos]
    code = overall_exit_code(report["venues"])
    report["exit_code"] = code
    if json_out or not sys.stdout.isatty():
        typer.echo(dumps(report, pretty=json_out and sys.stdout.isatty()))
    else:
        _print_health_table(report)
    raise typer.Exit(code)


def _print_health_table(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    colours = {"live": "green", "stale": "yellow", "down": "red", "connecting": "cyan"}
    table = Table(title=f"tnet health ({report['source']}, {', '.join(report['symbols'])})")
    table.add_column("venue", no_wrap=True)
    table.add_column("state", no_wrap=True)
    table.add_column("msg/s", justify="right", no_wrap=True)
    table.add_column("age s", justify="right", no_wrap=True)
    table.add_column("lat ms p50/p99", justify="right", no_wrap=True)
    table.add_column("reconn", justify="right", no_wrap=True)
    table.add_column("live %", justify="right", no_wrap=True)
    table.add_column("gap s", justify="right", no_wrap=True)
    table.add_column("errors", justify="right", no_wrap=True)
    fmt = lambda x: "-" if x is None else f"{x:g}"  # noqa: E731
    for name, v in report["venues"].items():
        colour = colours.get(v["state"], "white")
        table.add_row(
            name, f"[{colour}]{v['state']}[/]", fmt(v["msgs_per_s"]), fmt(v["last_msg_age_s"]),
            f"{fmt(v['latency_ms_p50'])}/{fmt(v['latency_ms_p99'])}", str(v["reconnects"]),
            "-" if v["live_share"] is None else f"{100 * v['live_share']:.0f}", fmt(v["worst_gap_s"]),
            str(v["parse_errors"] + v["junk"]),
        )
    console = Console()
    console.print(table)
    for name, v in report["venues"].items():
        book = v.get("book")
        if book:  # a line, not a column: the table already fills 80 columns
            why = f" — {book['reason']}" if book["reason"] else ""
            console.print(f"{name} book: {book['state']} (desyncs {book['desyncs']}, resyncs {book['resyncs']}){why}",
                          highlight=False)
        if v["reason"]:
            console.print(f"[bold]{name}[/]: {v['state']} — {v['reason']}", highlight=False)
        elif v.get("note"):
            console.print(f"[dim]{name}: {v['note']}[/]", highlight=False)
    if any(v["state"] == "down" for v in report["venues"].values()):
        Console(stderr=True).print("No route to a venue? Try `tnet demo` (simulator) or set a proxy (HTTPS_PROXY / ALL_PROXY or `proxy` in the config).")


# --------------------------------------------------------------------------- record
def record(
    out: Annotated[Path, typer.Argument(help="Output file (.jsonl, or .jsonl.gz to compress).")],
    symbols: SymbolsArg = None,
    seconds: Annotated[float, typer.Option("--seconds", envvar="TNET_SECONDS", min=0, help="Stop after N seconds (0 = until Ctrl-C).")] = 0.0,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists (only once something was recorded).")] = False,
    source: SourceOpt = None,
    exchanges: ExchangesOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Write every raw frame (and REST response) received to a JSON Lines file."""
    settings, infos = _live_settings(
        "record", symbols, source=source, exchanges=exchanges, state_dir=state_dir, config=config,
        book=False,  # depth frames are not recorded: they would dwarf every other stream
    )
    check_writable(out, "recording")  # first: a directory is not a file --force could replace
    if out.exists() and not force:
        fail(f"{str(out)!r} exists; add --force to replace it (or choose another name)")
    from tnet.storage.recording import RecordingWriter

    try:
        # Written beside OUT and renamed over it only once a frame arrived: an existing file is
        # never lost to a run that recorded nothing (no network, Ctrl-C at once).
        writer = RecordingWriter(out, staged=True)
    except OSError as exc:
        fail(f"cannot write {str(out)!r}: {exc.strerror}")
    import orjson

    meta = {"tnet": "recording/1", "symbols": [i.short for i in infos], "exchanges": list(settings.exchanges)}
    from tnet.storage.recording import StorageError

    try:
        writer.write(int(time.time() * 1000), "tnet", "meta", orjson.dumps(meta).decode())
        writer.flush()
    except StorageError as exc:
        writer.discard()
        fail(f"storage error: {exc}", FAILED_EXIT)

    async def main() -> dict[str, Any]:
        from tnet.runtime import Runtime

        runtime = Runtime(infos, settings, recorder=writer, engines=False)
        try:
            await runtime.start()
            await runtime.run(seconds or None)
        finally:
            await runtime.stop()
            report = runtime.health()
        return report

    report: dict[str, Any] = {}
    try:
        report = run_async(main)
    finally:
        frames = writer.records - 1  # the meta line is not a frame
        if frames > 0:
            writer.commit()
            # After a storage error the file holds what fit: readers stop at the cut-off last line.
            upto = " (up to the storage error)" if writer.error else ""
            warn(f"recorded {frames} frames ({out.stat().st_size / 1e6:.2f} MB) to {out}{upto}")  # on disk (.gz: compressed)
        else:
            writer.discard()
    if frames <= 0:
        kept = " (the existing file is unchanged)" if out.exists() else ""
        fail(f"recorded nothing{kept}: {venue_problems(report) or 'no frames arrived'}", NO_DATA_EXIT)


# --------------------------------------------------------------------------- replay
def _recording_symbols(path: Path) -> list[str] | None:
    """Symbols named by a recording's meta line (written by `tnet record`), if any."""
    import orjson

    from tnet.storage.recording import ReadReport, read_recording

    for rec in read_recording(path, ReadReport()):
        if rec.stream == "meta":
            try:
                return [str(s) for s in orjson.loads(rec.frame)["symbols"]]
            except (orjson.JSONDecodeError, KeyError, TypeError):
                return None
        return None
    return None


def replay(
    file: Annotated[Path, typer.Argument(help="A recording made by `tnet record`.")],
    speed: Annotated[str, typer.Option("--speed", envvar="TNET_SPEED", help="Playback speed multiplier, or 'max'.")] = "max",
    events: Annotated[bool, typer.Option("--events", envvar="TNET_EVENTS", help="Print normalized events as JSON Lines.")] = False,
    symbols: Annotated[str | None, typer.Option("--symbols", envvar="TNET_SYMBOLS", help="Comma-separated symbols (default: from the recording).")] = None,
    json_out: JsonOpt = None,
    heatmap: Annotated[bool, typer.Option("--heatmap", envvar="TNET_HEATMAP", help="Include the heatmap matrix in the final snapshots.")] = False,
    exchanges: ExchangesOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Feed a recording through the normalizers and engine, headless; print events or a final summary."""
    if not file.is_file():
        fail(f"recording {str(file)!r} is not a readable file")
    recorded = _recording_symbols(file)
    names = symbols.split(",") if symbols else (recorded or ["BTC", "ETH", "SOL"])
    settings, infos = settings_and_symbols(
        names, source=f"replay:{file}", exchanges=exchanges, state_dir=state_dir, config=config, speed=speed
    )
    out = sys.stdout

    async def main() -> Any:
        from tnet.runtime import Runtime

        runtime = Runtime(infos, settings, engines=not events)
        if events:
            from tnet.events import event_to_dict

            def emit(evs: list[Any]) -> None:
                out.write("".join(dumps(event_to_dict(ev)) + "\n" for ev in evs))

            runtime.event_hooks.append(emit)
        t0 = time.perf_counter()
        try:
            await runtime.start()
            await runtime.run()
        finally:
            await runtime.stop()
        return runtime, time.perf_counter() - t0

    runtime, elapsed = run_async(main)
    report = runtime.source.report
    if events:
        out.flush()
        if runtime.events_total == 0:
            fail(f"no events in {str(file)!r}{_holds(recorded)}", NO_DATA_EXIT)
    else:
        from tnet.cli.snapshot_schema import snapshot_dict

        health_report = runtime.health()
        snaps = {s: snapshot_dict(runtime.view(s, heatmap=heatmap), health_report, heatmap=heatmap) for s in runtime.symbols}
        empty = [s for s, snap in snaps.items() if snap["price"] is None]
        if len(empty) == len(snaps):
            fail(f"no data for {', '.join(empty)} in {str(file)!r}{_holds(recorded)}", NO_DATA_EXIT)
        summary = {
            "schema": "tnet.replay/1",
            "file": str(file),
            "lines": report.lines,
            "bad_lines": report.bad_lines,
            "truncated": report.truncated or None,  # why the file ends early; null when it was whole
            "events": runtime.events_total,
            "elapsed_s": round(elapsed, 3),
            "stats": runtime.stats(),
            "snapshots": snaps,
        }
        if _want_json(json_out):
            typer.echo(dumps(summary, pretty=sys.stdout.isatty()))
        else:
            _print_replay_tables(summary)
        if empty:
            warn(f"no data for {', '.join(empty)} in {file}{_holds(recorded)}")
    exit_if_replay_damaged(runtime)


def _holds(recorded: list[str] | None) -> str:
    """' (it holds BTC, ETH)' when the recording says which symbols it has."""
    return f" (it holds {', '.join(recorded)})" if recorded else ""


def _print_replay_tables(summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from tnet.cli.snapshot_schema import snapshot_tables

    console = Console()
    head = Table(title=f"replay of {summary['file']}")
    for col in ("lines", "events", "bad lines", "parse errors", "seconds"):
        head.add_column(col, justify="right")
    head.add_row(str(summary["lines"]), str(summary["events"]), str(len(summary["bad_lines"])),
                 str(summary["stats"]["parse_errors"]), f"{summary['elapsed_s']:.2f}")
    console.print(head)
    for snap in summary["snapshots"].values():
        if snap["price"] is not None:
            for renderable in snapshot_tables(snap):
                console.print(renderable)


# --------------------------------------------------------------------------- snapshot
async def _collect(runtime: Any, seconds: float) -> None:
    """Collect for `seconds` (a recording: to its end), or stop early once every venue is down."""
    import asyncio

    from tnet.sources import SourceFailed

    if runtime.source.finite:
        await runtime.run()
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    source = runtime.source
    while (left := deadline - loop.time()) > 0 and not source.ready.is_set():  # a collector's checkpoint: done
        await asyncio.sleep(min(0.25, left))
        if runtime.failure is not None:
            raise runtime.failure
        if source.failure:
            raise SourceFailed(source.failure)
        if _all_down(runtime.health()):
            return


def snapshot(
    symbol: Annotated[str, typer.Argument(help="Short symbol, e.g. BTC.")],
    seconds: Annotated[float, typer.Option("--seconds", envvar="TNET_SECONDS", min=0, help="Collect for N seconds before the snapshot.")] = 20.0,
    json_out: JsonOpt = None,
    table: Annotated[bool, typer.Option("--table", envvar="TNET_TABLE", help="Rich tables (default on a terminal).")] = False,
    svg: Annotated[Path | None, typer.Option("--svg", envvar="TNET_SVG", help="Write a picture of the heatmap to this SVG file.")] = None,
    layer: Annotated[str, typer.Option("--layer", envvar="TNET_LAYER", help="What --svg draws: liquidations, book (resting order book) or both.")] = "liquidations",
    heatmap: Annotated[bool, typer.Option("--heatmap", envvar="TNET_HEATMAP", help="Include the time x price matrix in JSON.")] = False,
    speed: Annotated[str, typer.Option("--speed", envvar="TNET_SPEED", help="Replay speed when --source replay:FILE.")] = "max",
    book: BookOpt = None,
    source: SourceOpt = None,
    exchanges: ExchangesOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Collect for --seconds (or replay a recording) and print one snapshot of SYMBOL; exit 1 when no data came."""
    settings, infos = settings_and_symbols(
        [symbol], source=source, exchanges=exchanges, state_dir=state_dir, config=config, speed=speed, book=book
    )
    from tnet.cli.heatmap_svg import LAYERS

    if layer not in LAYERS:
        fail(f"unknown --layer {layer!r}: use one of {', '.join(LAYERS)}")
    if svg is not None:
        check_writable(svg, "picture")

    async def main() -> tuple[Any, dict[str, Any], Any]:
        from tnet.runtime import Runtime

        runtime = Runtime(infos, settings)
        try:
            await runtime.start()
            await _collect(runtime, seconds)
            view = runtime.view(infos[0].short, heatmap=heatmap or svg is not None)
            return view, runtime.health(), runtime
        finally:
            await runtime.stop()

    view, health_report, runtime = run_async(main)
    from tnet.cli.snapshot_schema import heard_from, snapshot_dict, snapshot_tables

    snap = snapshot_dict(view, health_report, heatmap=heatmap)
    if snap["price"] is None:
        src = settings.source
        if src.kind == "replay":
            assert src.path is not None
            where = f"in {str(src.path)!r}{_holds(_recording_symbols(src.path))}"
        else:
            where = f"from {src}: {venue_problems(health_report)}"
        fail(f"no data for {infos[0].short} {where}", NO_DATA_EXIT)
    if svg is not None:
        from tnet.cli.heatmap_svg import write_heatmap_svg

        try:
            write_heatmap_svg(view, svg, layer)
        except OSError as exc:
            fail(f"cannot write {str(svg)!r}: {exc.strerror}")
        warn(f"wrote {'heatmap' if layer == 'liquidations' else layer + ' layer'} picture to {svg}")
        if layer != "liquidations" and snap["book"] is None:
            warn(f"no order book data for {infos[0].short}: the picture says so")
    # JSON when asked or when piped; on a terminal the tables, unless only a picture was asked for.
    if _want_json(json_out) and not table:
        typer.echo(dumps(snap, pretty=sys.stdout.isatty()))
    elif table or svg is None:
        from rich.console import Console

        console = Console()
        for renderable in snapshot_tables(snap):
            console.print(renderable)
    exit_if_replay_damaged(runtime)
    if runtime.source.finite:
        return
    # What came is printed, but it is not a current snapshot: a script must not take it for one.
    if not heard_from(health_report):
        fail(f"no live data for {infos[0].short} yet from {settings.source} ({venue_problems(health_report)}): "
             "the snapshot holds only the warm start's history", NO_DATA_EXIT)
    if _all_down(health_report):
        fail(f"every venue went down during the collection ({venue_problems(health_report)}): "
             "the snapshot holds the data from before", NO_DATA_EXIT)


# --------------------------------------------------------------------------- TUI
def _run_tui(symbols: list[str], settings_kwargs: dict[str, Any], min_usd: float, seed: int | None = None,
             rules: list[str] | None = None, bell: bool = False) -> None:
    if not symbols:  # `tnet watch` alone: the config's list, else BTC
        from tnet.cli.common import load_settings

        symbols = list(load_settings(**settings_kwargs).watch) or ["BTC"]
    settings, infos = settings_and_symbols(symbols, **settings_kwargs)
    if seed is not None:
        settings.sim_seed = seed
    from tnet.cli.alert import rules_for

    alert_rules = rules_for(settings, rules)
    from tnet.ui.themes import ThemeError, load_theme

    try:
        load_theme(settings.theme)
    except ThemeError as exc:
        fail(str(exc))
    if settings.source.kind == "redis":  # a wrong password is one line here, not a failure inside the TUI
        from tnet.broker.client import check_access

        url = settings.source.url or ""
        run_async(lambda: check_access(url))
    if not sys.stdout.isatty():
        fail("the TUI needs a terminal; for scripts use `tnet snapshot SYMBOL --json`")
    from tnet.runtime import Runtime
    from tnet.ui.app import run_tui

    runtime = Runtime(infos, settings)
    monitor = None
    if alert_rules:
        from tnet.alerts.monitor import AlertMonitor

        monitor = AlertMonitor(runtime, alert_rules)
    run_tui(runtime, theme=settings.theme, min_usd=min_usd, alerts=monitor, bell=bell or settings.bell)


def watch(
    symbols: Annotated[list[str] | None, typer.Argument(help="Short symbols: BTC ETH SOL ... (default: `watch` in the config, else BTC).", show_default=False)] = None,
    theme: Annotated[str | None, typer.Option("--theme", envvar="TNET_THEME", help="Theme name (see themes/).")] = None,
    min_usd: Annotated[float, typer.Option("--min-usd", envvar="TNET_MIN_USD", min=0, help="Hide tape prints below this USD size.")] = 0.0,
    speed: Annotated[str, typer.Option("--speed", envvar="TNET_SPEED", help="Replay speed with --source replay:FILE (or 'max').")] = "1",
    rule: RuleOpt = None,
    bell: Annotated[bool, typer.Option("--bell", envvar="TNET_BELL", help="Ring the terminal bell on each alert.")] = False,
    book: BookOpt = None,
    source: SourceOpt = None,
    exchanges: ExchangesOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """The terminal UI: liquidation heatmap, tape, zones, feed health, calibration, alerts."""
    _run_tui(
        symbols or [],
        dict(source=source, exchanges=exchanges, state_dir=state_dir, config=config, theme=theme, speed=speed,
             book=book),
        min_usd, rules=rule, bell=bell,
    )


# The simulated market is bursty like the real one: at activity 30, BTC's first print comes anywhere from
# 0 s to over 5 min in, depending on the seed (seeds 0-13, scratch runs). The demo opens on BTC, so its
# default is a seed whose first minutes hold prints on all three symbols; evaluations choose their own seeds.
DEMO_SEED = 2


def demo(
    theme: Annotated[str | None, typer.Option("--theme", envvar="TNET_THEME", help="Theme name (see themes/).")] = None,
    seed: Annotated[int, typer.Option("--seed", envvar="TNET_SEED", help="Simulator seed.")] = DEMO_SEED,
    book: BookOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """`watch BTC ETH SOL` against the built-in simulator: works with no network."""
    # A simulator run keeps no calibrator state unless --state-dir is given (tnet.config).
    _run_tui(
        ["BTC", "ETH", "SOL"],
        dict(source="sim", exchanges=None, state_dir=state_dir, config=config, theme=theme, book=book),
        0.0,
        seed=seed,
    )


def register(app: typer.Typer) -> None:
    """Attach every command to the Typer app (each imports its heavy modules only when run)."""
    from tnet.cli.alert import alert
    from tnet.cli.backtest import backtest
    from tnet.cli.collect import collect
    from tnet.cli.stream import stream
    from tnet.sim.cli import sim

    app.command()(watch)
    app.command()(demo)
    app.command()(snapshot)
    app.command()(health)
    app.command()(record)
    app.command()(collect)
    app.command()(replay)
    app.command()(stream)
    app.command()(alert)
    app.command()(sim)
    app.command()(backtest)
