"""The headless commands (health, record, replay, snapshot), the TUI launchers, and their registration."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from tnet.cli.common import (
    ConfigOpt,
    ExchangesOpt,
    SourceOpt,
    StateDirOpt,
    fail,
    run_async,
    settings_and_symbols,
    warn,
)

SymbolsArg = Annotated[list[str] | None, typer.Argument(help="Short symbols: BTC ETH SOL ...", show_default=False)]


def _dumps(obj: Any, pretty: bool = False) -> str:
    import orjson

    opts = orjson.OPT_SERIALIZE_NUMPY | (orjson.OPT_INDENT_2 if pretty else 0)
    return orjson.dumps(obj, option=opts).decode()


def _live_settings(command: str, symbols: list[str] | None, **options: Any) -> tuple[Any, list[Any]]:
    """Settings for a command that needs feeds (live or simulator), never a recording."""
    settings, infos = settings_and_symbols(symbols or ["BTC"], **options)
    if settings.source.kind == "replay":
        fail(f"{command} needs live feeds or a simulator: use --source live, sim or sim@HOST:PORT")
    settings.save_state = False
    return settings, infos


# --------------------------------------------------------------------------- health
def health(
    symbols: SymbolsArg = None,
    seconds: Annotated[float, typer.Option("--seconds", envvar="TNET_SECONDS", min=1, help="How long to listen.")] = 5.0,
    json_out: Annotated[bool, typer.Option("--json", envvar="TNET_JSON", help="Print JSON instead of a table.")] = False,
    source: SourceOpt = None,
    exchanges: ExchangesOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Connect to every feed for N seconds and report per-venue health. Exit 0 all live, 1 degraded, 2 any down."""
    settings, infos = _live_settings(
        "health", symbols, source=source, exchanges=exchanges, state_dir=state_dir, config=config
    )
    settings.warm_start = False

    async def main() -> dict[str, Any]:
        from tnet.runtime import Runtime

        runtime = Runtime(infos, settings, engines=False)
        try:
            await runtime.start()
            await runtime.run(seconds)
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
        typer.echo(_dumps(report, pretty=json_out and sys.stdout.isatty()))
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
    table.add_column("errors", justify="right", no_wrap=True)
    fmt = lambda x: "-" if x is None else f"{x:g}"  # noqa: E731
    for name, v in report["venues"].items():
        colour = colours.get(v["state"], "white")
        table.add_row(
            name, f"[{colour}]{v['state']}[/]", fmt(v["msgs_per_s"]), fmt(v["last_msg_age_s"]),
            f"{fmt(v['latency_ms_p50'])}/{fmt(v['latency_ms_p99'])}", str(v["reconnects"]),
            str(v["parse_errors"]),
        )
    console = Console()
    console.print(table)
    for name, v in report["venues"].items():
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
    source: SourceOpt = None,
    exchanges: ExchangesOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Write every raw frame (and REST response) received to a JSON Lines file."""
    settings, infos = _live_settings(
        "record", symbols, source=source, exchanges=exchanges, state_dir=state_dir, config=config
    )
    from tnet.storage.recording import RecordingWriter

    try:
        writer = RecordingWriter(out)
    except OSError as exc:
        fail(f"cannot write {str(out)!r}: {exc.strerror}")
    import orjson

    meta = {"tnet": "recording/1", "symbols": [i.short for i in infos], "exchanges": list(settings.exchanges)}
    writer.write(int(time.time() * 1000), "tnet", "meta", orjson.dumps(meta).decode())

    async def main() -> None:
        from tnet.runtime import Runtime

        runtime = Runtime(infos, settings, recorder=writer, engines=False)
        try:
            await runtime.start()
            await runtime.run(seconds or None)
        finally:
            await runtime.stop()

    try:
        run_async(main)
    finally:
        writer.close()
        warn(f"recorded {writer.records} frames ({writer.bytes / 1e6:.2f} MB) to {out}")


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
    heatmap: Annotated[bool, typer.Option("--heatmap", envvar="TNET_HEATMAP", help="Include the heatmap matrix in the final snapshots.")] = False,
    exchanges: ExchangesOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Feed a recording through the normalizers and engine, headless; print events or a final snapshot."""
    if not file.is_file():
        fail(f"recording {str(file)!r} is not a readable file")
    names = symbols.split(",") if symbols else (_recording_symbols(file) or ["BTC", "ETH", "SOL"])
    settings, infos = settings_and_symbols(
        names, source=f"replay:{file}", exchanges=exchanges, state_dir=state_dir, config=config, speed=speed
    )
    settings.save_state = False  # a replay never overwrites the live calibrator state
    out = sys.stdout

    async def main() -> Any:
        from tnet.runtime import Runtime

        runtime = Runtime(infos, settings, engines=not events)
        if events:
            import orjson

            from tnet.events import event_to_dict

            write = out.buffer.write if hasattr(out, "buffer") else (lambda b: out.write(b.decode()))

            def emit(evs: list[Any]) -> None:
                for ev in evs:
                    write(orjson.dumps(event_to_dict(ev)) + b"\n")

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
    from tnet.storage.recording import describe

    damage = describe(report, file)
    if events:
        out.flush()
    else:
        from tnet.cli.snapshot_schema import snapshot_dict

        health_report = runtime.health()
        summary = {
            "schema": "tnet.replay/1",
            "file": str(file),
            "lines": report.lines,
            "bad_lines": report.bad_lines,
            "truncated": report.truncated,
            "events": runtime.events_total,
            "elapsed_s": round(elapsed, 3),
            "stats": runtime.stats(),
            "snapshots": {
                s: snapshot_dict(runtime.view(s, heatmap=heatmap), health_report, heatmap=heatmap)
                for s in runtime.symbols
            },
        }
        typer.echo(_dumps(summary, pretty=sys.stdout.isatty()))
    if damage:
        warn(damage)
        raise typer.Exit(1)


# --------------------------------------------------------------------------- snapshot
def snapshot(
    symbol: Annotated[str, typer.Argument(help="Short symbol, e.g. BTC.")],
    seconds: Annotated[float, typer.Option("--seconds", envvar="TNET_SECONDS", min=0, help="Collect for N seconds before the snapshot.")] = 20.0,
    json_out: Annotated[bool | None, typer.Option("--json/--no-json", envvar="TNET_JSON", help="JSON output (default when stdout is not a terminal).")] = None,
    table: Annotated[bool, typer.Option("--table", envvar="TNET_TABLE", help="Rich tables (default on a terminal).")] = False,
    svg: Annotated[Path | None, typer.Option("--svg", envvar="TNET_SVG", help="Write a picture of the heatmap to this SVG file.")] = None,
    heatmap: Annotated[bool, typer.Option("--heatmap", envvar="TNET_HEATMAP", help="Include the time x price matrix in JSON.")] = False,
    speed: Annotated[str, typer.Option("--speed", envvar="TNET_SPEED", help="Replay speed when --source replay:FILE.")] = "max",
    source: SourceOpt = None,
    exchanges: ExchangesOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Collect for --seconds (or replay a recording) and print one snapshot of SYMBOL."""
    settings, infos = settings_and_symbols(
        [symbol], source=source, exchanges=exchanges, state_dir=state_dir, config=config, speed=speed
    )
    if settings.source.kind == "replay":
        settings.save_state = False

    async def main() -> tuple[Any, dict[str, Any]]:
        from tnet.runtime import Runtime

        runtime = Runtime(infos, settings)
        try:
            await runtime.start()
            await runtime.run(seconds)
            view = runtime.view(infos[0].short, heatmap=heatmap or svg is not None)
            return view, runtime.health()
        finally:
            await runtime.stop()

    view, health_report = run_async(main)
    from tnet.cli.snapshot_schema import snapshot_dict, snapshot_tables

    snap = snapshot_dict(view, health_report, heatmap=heatmap)
    if svg is not None:
        from tnet.cli.heatmap_svg import write_heatmap_svg

        try:
            write_heatmap_svg(view, svg)
        except OSError as exc:
            fail(f"cannot write {str(svg)!r}: {exc.strerror}")
        warn(f"wrote heatmap picture to {svg}")
    # JSON when asked or when piped; on a terminal the tables, unless only a picture was asked for.
    want_json = json_out if json_out is not None else not sys.stdout.isatty()
    if want_json and not table:
        typer.echo(_dumps(snap, pretty=sys.stdout.isatty()))
    elif table or svg is None:
        from rich.console import Console

        console = Console()
        for renderable in snapshot_tables(snap):
            console.print(renderable)


# --------------------------------------------------------------------------- TUI
def _run_tui(symbols: list[str], settings_kwargs: dict[str, Any], min_usd: float, seed: int | None = None) -> None:
    settings, infos = settings_and_symbols(symbols, **settings_kwargs)
    if seed is not None:
        settings.sim_seed = seed
    from tnet.ui.themes import ThemeError, load_theme

    try:
        load_theme(settings.theme)
    except ThemeError as exc:
        fail(str(exc))
    if not sys.stdout.isatty():
        fail("the TUI needs a terminal; for scripts use `tnet snapshot SYMBOL --json`")
    from tnet.runtime import Runtime
    from tnet.ui.app import run_tui

    run_tui(Runtime(infos, settings), theme=settings.theme, min_usd=min_usd)


def watch(
    symbols: Annotated[list[str], typer.Argument(help="Short symbols: BTC ETH SOL ...")],
    theme: Annotated[str | None, typer.Option("--theme", envvar="TNET_THEME", help="Theme name (see themes/).")] = None,
    min_usd: Annotated[float, typer.Option("--min-usd", envvar="TNET_MIN_USD", min=0, help="Hide tape prints below this USD size.")] = 0.0,
    speed: Annotated[str, typer.Option("--speed", envvar="TNET_SPEED", help="Replay speed with --source replay:FILE (or 'max').")] = "1",
    source: SourceOpt = None,
    exchanges: ExchangesOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """The terminal UI: liquidation heatmap, tape, zones, feed health, calibration."""
    _run_tui(
        symbols,
        dict(source=source, exchanges=exchanges, state_dir=state_dir, config=config, theme=theme, speed=speed),
        min_usd,
    )


def demo(
    theme: Annotated[str | None, typer.Option("--theme", envvar="TNET_THEME", help="Theme name (see themes/).")] = None,
    seed: Annotated[int, typer.Option("--seed", envvar="TNET_SEED", help="Simulator seed.")] = 0,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """`watch BTC ETH SOL` against the built-in simulator: works with no network."""
    import tempfile

    # The demo learns into a throwaway state dir unless one is given: it must not touch live calibration.
    sd = state_dir or Path(tempfile.mkdtemp(prefix="tnet-demo-"))
    _run_tui(
        ["BTC", "ETH", "SOL"],
        dict(source="sim", exchanges=None, state_dir=sd, config=config, theme=theme),
        0.0,
        seed=seed,
    )


def register(app: typer.Typer) -> None:
    """Attach every command to the Typer app (each imports its heavy modules only when run)."""
    from tnet.cli.backtest import backtest
    from tnet.sim.cli import sim

    app.command()(watch)
    app.command()(demo)
    app.command()(snapshot)
    app.command()(health)
    app.command()(record)
    app.command()(replay)
    app.command()(sim)
    app.command()(backtest)
