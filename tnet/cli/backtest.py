"""`tnet backtest`: prediction skill on the simulator (--sim), real bars (--bars) or real liquidation events (--events)."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

import typer

from tnet.venues import NAMES as VENUES


def _fail(message: str) -> None:
    typer.echo(f"tnet: error: {message}", err=True)
    raise typer.Exit(2)


def _span(first_ms: int, last_ms: int) -> str:
    """'2026-03-04T23:00Z → 2026-03-05T11:00Z' for an error message."""
    def iso(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
    return f"{iso(first_ms)} → {iso(last_ms)}"


def parse_mix(text: str) -> dict[str, dict[int, float]]:
    """A leverage mix from JSON text or file: per venue {"bybit": {"10": 0.5, ...}} or one flat {"10": 0.5, ...} for all."""
    import json
    import os

    raw = text.strip()
    if not raw.startswith("{") and os.path.isfile(raw):
        try:
            raw = Path(raw).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read leverage mix file {text!r}: {exc.strerror}") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"leverage mix is not valid JSON: {exc.msg}") from None
    if isinstance(data, dict) and data and all(str(k).strip().isdigit() for k in data):
        data = {v: data for v in VENUES}  # one flat mix for every venue
    try:
        from tnet.sim.faults import (
            load_leverage_mix,  # the simulator's validator when present
        )
    except ImportError:  # pragma: no cover - depends on the sim package
        load_leverage_mix = None
    if load_leverage_mix is not None:
        return load_leverage_mix(json.dumps(data))
    from tnet.sim.market import normalize_mix

    return {v: w for v, w in normalize_mix(data).items() if v in data}


def backtest(
    sim: Annotated[bool, typer.Option("--sim", envvar="TNET_SIM", help="Evaluate on the simulator (ground truth known).")] = False,
    bars: Annotated[Path | None, typer.Option("--bars", envvar="TNET_BARS", help="CSV of real bars to evaluate sweep skill on.")] = None,
    columns: Annotated[str | None, typer.Option(
        "--columns", envvar="TNET_COLUMNS", help="Column map: ts=...,open=...,high=...,low=...,close=...,oi_usd=...,liq_long_usd=...,liq_short_usd=... "
        "(the liq_ columns optional with --events), optionally volume, buy_volume, venue, symbol.")] = None,
    seed: Annotated[int, typer.Option("--seed", envvar="TNET_SEED", help="Simulator seed.")] = 0,
    hours: Annotated[float, typer.Option("--hours", envvar="TNET_HOURS", min=2.0, help="Simulated hours (--sim).")] = 36.0,
    leverage_mix: Annotated[str | None, typer.Option(
        "--leverage-mix", envvar="TNET_LEVERAGE_MIX", help="Hidden mix (JSON or file; per venue or one flat mix). Default: mostly 3x-10x.")] = None,
    shift_at: Annotated[float | None, typer.Option("--shift-at", envvar="TNET_SHIFT_AT", help="Hour at which the hidden mix shifts.")] = None,
    shift_mix: Annotated[str | None, typer.Option("--shift-mix", envvar="TNET_SHIFT_MIX", help="Mix after the shift (JSON or file).")] = None,
    symbol: Annotated[str, typer.Option("--symbol", envvar="TNET_SYMBOL", help="Symbol to simulate / label the bars with.")] = "BTC",
    events: Annotated[Path | None, typer.Option(
        "--events", envvar="TNET_EVENTS", help="CSV of real liquidation events to score the map on (needs --bars).")] = None,
    event_columns: Annotated[str | None, typer.Option(
        "--event-columns", envvar="TNET_EVENT_COLUMNS", help="Event column map: ts=...,side=...,price=...,usd=...[,venue=...,symbol=...]")] = None,
    price_bars: Annotated[Path | None, typer.Option(
        "--price-bars", envvar="TNET_PRICE_BARS", help="With --events: the scored venue's own candles; their OHLC replaces the "
        "--bars price (e.g. Coinglass bars carry Binance spot), open interest and totals stay.")] = None,
    price_columns: Annotated[str | None, typer.Option(
        "--price-columns", envvar="TNET_PRICE_COLUMNS", help="Column map of --price-bars: ts=...,open=...,high=...,low=...,close=...[,venue=...,symbol=...]")] = None,
    usd_scale: Annotated[float, typer.Option(
        "--usd-scale", envvar="TNET_USD_SCALE", help="Multiply the events' usd column (e.g. 0.01: OKX BTC contracts recorded as USD).")] = 1.0,
    side_means: Annotated[str, typer.Option(
        "--side-means", envvar="TNET_SIDE_MEANS", help="buy/sell in the events are the forced 'order' side (OKX, Binance) or the 'position' (Bybit).")] = "order",
    venue: Annotated[str | None, typer.Option("--venue", envvar="TNET_VENUE", help="Keep only this venue's events (and bars, when --columns names a venue column).")] = None,
    since: Annotated[str | None, typer.Option("--since", envvar="TNET_SINCE", help="Score events from this time (ISO 8601 or epoch).")] = None,
    until: Annotated[str | None, typer.Option("--until", envvar="TNET_UNTIL", help="Score events before this time.")] = None,
    json_out: Annotated[bool, typer.Option("--json", envvar="TNET_JSON", help="Print the tnet.backtest/1 JSON.")] = False,
) -> None:
    """Evaluate prediction skill: --sim (the simulator's truth), --bars CSV (sweep skill) or --events CSV --bars CSV (real liquidations)."""
    if events is not None and bars is None:
        _fail("--events needs --bars CSV (the bars the map is built from) and --columns")
    if sim == (bars is not None):
        _fail("choose exactly one of --sim or --bars CSV")
    if price_bars is not None and events is None:
        _fail("--price-bars goes with --events (the candles of the venue whose liquidations are scored)")
    if price_bars is not None and not price_columns:
        _fail("--price-bars needs --price-columns (e.g. ts=open_time_ms,open=o,high=h,low=l,close=c,venue=venue,symbol=coin)")
    if events is not None:
        report = _events(events, event_columns, bars, columns, symbol, usd_scale, side_means, venue, since, until,
                         price_bars, price_columns)
    elif bars is not None:
        report = _bars(bars, columns, symbol, venue.lower() if venue else None)
    else:
        report = _sim(seed, hours, leverage_mix, shift_at, shift_mix, symbol, quiet=json_out)
    if json_out or not sys.stdout.isatty():
        from tnet.cli.common import dumps

        typer.echo(dumps(report, pretty=json_out))
    else:
        _print_rich(report)


def _bars(path: Path, columns: str | None, symbol: str, venue: str | None) -> dict[str, Any]:
    from tnet.evaluation.barfile import BarFileError, load_bars, parse_columns
    from tnet.evaluation.bars import run_bars

    if not columns:
        _fail("--bars needs --columns (e.g. ts=timestamp,open=price_open,high=price_high,low=price_low,"
              "close=price_close,oi_usd=oi_close,liq_long_usd=liquidation_long_usd,liq_short_usd=liquidation_short_usd)")
    try:
        rows = load_bars(path, parse_columns(columns or ""), symbol=symbol.upper(), keep_venue=venue)
    except BarFileError as exc:
        _fail(str(exc))
    report = run_bars(rows, symbol=symbol.upper())
    report["file"] = str(path)
    return report


def _events(path: Path, event_columns: str | None, bars: Path | None, columns: str | None, symbol: str,
            usd_scale: float, side_means: str, venue: str | None, since: str | None, until: str | None,
            price_bars: Path | None = None, price_columns: str | None = None) -> dict[str, Any]:
    from tnet.evaluation.barfile import BarFileError, load_bars, parse_columns, parse_price_columns, parse_ts, with_prices
    from tnet.evaluation.eventfile import load_events, parse_event_columns
    from tnet.evaluation.events import MAX_MARKET_GAP, market_gap, run_events

    if not event_columns:
        _fail("--events needs --event-columns (e.g. ts=timestamp_ms,side=side,price=price,usd=size_usd,venue=venue,symbol=coin)")
    if not columns:
        _fail("--bars needs --columns")
    sym = symbol.upper()
    try:
        evs = load_events(path, parse_event_columns(event_columns or ""), symbol=sym, venue=venue.lower() if venue else None,
                          usd_scale=usd_scale, side_means=side_means)
        # realised totals are optional here (without them only the prints variant learns the at-risk level)
        rows = load_bars(bars, parse_columns(columns or "", realised=False), symbol=sym,  # type: ignore[arg-type]
                         keep_venue=venue.lower() if venue else None)
        since_ms = parse_ts(since) if since else None
        until_ms = parse_ts(until) if until else None
        unpriced = None
        if price_bars is not None:  # --price-columns was checked with the other options, before any file is read
            prices = load_bars(price_bars, parse_price_columns(price_columns or ""), symbol=sym,
                               keep_venue=venue.lower() if venue else None)
            rows, unpriced = with_prices(rows, prices)
    except BarFileError as exc:
        _fail(str(exc))
    lo, hi = (since_ms or evs[0].ts_ms), (until_ms or evs[-1].ts_ms + 1)
    # every bar before the events teaches the map, as a collector that had been running would have
    # learned from them (the at-risk level and tier mix learn over days); none after the last origin
    rows = [r for r in rows if r.bar.ts_ms <= hi + 3_600_000]
    inside = [e for e in evs if lo <= e.ts_ms < hi]
    if not inside:
        _fail("no events inside --since/--until")
    gap = market_gap(inside, rows)
    if gap is None:
        bars_span = _span(rows[0].bar.ts_ms, rows[-1].bar.ts_ms) if rows else "none"
        _fail(f"the bars ({bars_span}) cover none of the events' hours ({_span(inside[0].ts_ms, inside[-1].ts_ms)})")
    elif gap[2] > MAX_MARKET_GAP:
        _fail(f"the events' prices (median {gap[0]:,.6g}) are {gap[2]:.0%} from the bars' closes at the same hours "
              f"(median {gap[1]:,.6g}): the events and the bars are different markets (--symbol picks the events' coin)")
    try:
        report = run_events(evs, rows, symbol=sym, since_ms=lo, until_ms=hi)
    except ValueError as exc:
        _fail(f"{exc} (the bars must cover a day before the events)")
    report["file"] = str(path)
    report["bars_file"] = str(bars)
    if price_bars is not None:
        report["price_bars"] = {"file": str(price_bars), "bars_without_price": unpriced}
    return report


def _sim(seed: int, hours: float, mix_text: str | None, shift_at: float | None, shift_text: str | None,
         symbol: str, quiet: bool) -> dict[str, Any]:
    from tnet.evaluation.sim import DEFAULT_SHIFT_MIX, DEFAULT_TEST_MIX, run_sim

    try:
        mix = parse_mix(mix_text) if mix_text else {v: dict(DEFAULT_TEST_MIX) for v in VENUES}
        shifted = parse_mix(shift_text) if shift_text else {v: dict(DEFAULT_SHIFT_MIX) for v in VENUES}
    except ValueError as exc:
        _fail(str(exc))
    if shift_at is not None and not 0 < shift_at < hours:
        _fail(f"--shift-at must lie inside the run (0 < hour < {hours:g})")
    progress = None
    if not quiet and sys.stderr.isatty():
        def progress(row: dict) -> None:
            typer.echo(f"\rsimulating hour {row['hour']:.0f}/{hours:g}", err=True, nl=False)
    try:
        from tnet.symbols import normalize_short

        return run_sim(seed=seed, hours=hours, leverage_mix=mix, shift_at=shift_at,
                       shift_mix=shifted if shift_at is not None else None, symbol=normalize_short(symbol),
                       progress=progress)
    except (KeyError, ValueError) as exc:
        _fail(str(exc).strip("'\""))
    finally:
        if progress is not None:
            typer.echo("\r\x1b[K", err=True, nl=False)  # clear the progress line before the tables
    raise AssertionError("unreachable")


def _cell(value: Any, digits: int = 3) -> str:
    """A table cell: numbers rounded, unknown as '-' (never 'None')."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _print_rich(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if report["mode"] == "events":
        _print_scores(console, report["prints"], f"real events ({report['venue']} {report['symbol']}), "
                      "map learning from bars and earlier prints")
        _print_scores(console, report["bars"], "map learning from bars only")
        if report.get("price_bars"):
            pb = report["price_bars"]
            n = pb["bars_without_price"]
            console.print(f"price from {pb['file']} ({n} bar{'' if n == 1 else 's'} without a candle left out)")
        return
    if report["mode"] == "bars":
        t = Table(title=f"sweep skill (Spearman) over {report['bars']} bars")
        for col in ("side", "model", "baseline", "point map only"):
            t.add_column(col, justify="right")
        for side in ("long", "short"):
            s = report["sweep_spearman"][side]
            t.add_row(side, _cell(s["model"]), _cell(s["baseline"]), _cell(s.get("point_map_only")))
        console.print(t)
        return
    _print_scores(console, report["scores"], f"simulator (seed {report['seed']}, {report['hours']:g} h)")
    cap = report["capture_at_10pct"]
    t = Table(title=f"capture@10% inside the traded range, both sides ({report['origins']} origins)")
    for k in cap:
        t.add_column(k, justify="right")
    t.add_row(*[_cell(v) for v in cap.values()])
    console.print(t)
    c = Table(title="calibration (total variation distance learned vs hidden mix)")
    for col in ("venue", "tvd start", "tvd 24h", "tvd end", "tvd after shift", "prints"):
        c.add_column(col, justify="right")
    for venue, e in report["calibration"].items():
        c.add_row(venue, _cell(e["tvd_start"]), _cell(e.get("tvd_24h")), _cell(e["tvd_end"]),
                  _cell(e.get("tvd_after_shift")), _cell(e["prints"]))
    console.print(c)
    z = report["zones"]
    zt = Table(title="zones")
    zt.add_column("median lifespan", justify="right")
    zt.add_column("swept rate", justify="right")
    zt.add_column("strong gone before touch", justify="right")
    zt.add_row(f"{_cell(z.get('median_lifespan_min'), 1)} min", _cell(z.get("swept_rate")),
               _cell(z.get("strong_gone_before_touch")))
    console.print(zt)
    counters = z.get("counters") or {}
    if counters:
        console.print("zone events: " + ", ".join(f"{k} {v}" for k, v in counters.items()), highlight=False)


def _fmt(cell: dict[str, Any]) -> str:
    v, ci = cell["value"], cell["ci95"]
    if v is None:
        return "-"
    return f"{v:.3f}" + (f" [{ci[0]:.2f}-{ci[1]:.2f}]" if ci else "")


def _print_scores(console: Any, scores: dict[str, Any], title: str) -> None:
    """One table per window: per ranking, rank percentile and capture@10 % per side (95 % intervals)."""
    from rich.table import Table

    for wname, label in (("fixed", "±3 % window"), ("traded", "inside the traded range")):
        w = scores["windows"].get(wname)
        if not w:
            continue
        t = Table(title=f"{title}: {label}, {scores['origins']} origins "
                        f"({w['long']['events']} long / {w['short']['events']} short events)")
        for col in ("ranking", "long rank pct", "long capture@10%", "short rank pct", "short capture@10%"):
            t.add_column(col)
        for name in w["long"]["rank_pct"]:
            t.add_row(name, _fmt(w["long"]["rank_pct"][name]), _fmt(w["long"]["capture_at_10pct"][name]),
                      _fmt(w["short"]["rank_pct"][name]), _fmt(w["short"]["capture_at_10pct"][name]))
        console.print(t)
