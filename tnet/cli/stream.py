"""`tnet stream`: normalized events, zone changes and periodic level summaries as NDJSON for scripts."""

from __future__ import annotations

import math
from typing import Annotated, Any

import typer

from tnet.cli.common import (
    ConfigOpt,
    ExchangesOpt,
    SourceOpt,
    StateDirOpt,
    exit_if_nothing_heard,
    exit_if_replay_damaged,
    fail,
    run_async,
    settings_and_symbols,
)

EVENT_TYPES = ("liquidation", "open_interest", "mark_price", "trades", "feed_status")
DERIVED_TYPES = ("zone", "levels")
DEFAULT_TYPES = "liquidation,open_interest,mark_price,feed_status,zone,levels"
# How long a symbol's first level summary waits for the open interest of every venue that is not down:
# Binance's comes from a REST poll every 5 s, the others push theirs within seconds of subscribing.
OI_WAIT_MS = 15_000


def parse_types(text: str) -> set[str]:
    """`--types a,b` or `all`; ValueError naming the unknown type."""
    known = EVENT_TYPES + DERIVED_TYPES
    if text.strip().lower() == "all":
        return set(known)
    names = {t.strip().lower() for t in text.split(",") if t.strip()}
    unknown = sorted(names - set(known))
    if unknown:
        raise ValueError(f"bad --types: unknown type {unknown[0]!r} (choose from {', '.join(known)}, or all)")
    if not names:
        raise ValueError("bad --types: empty")
    return names


def zone_changes(symbol: str, before: dict[int, Any] | None, view: Any, prev_price: float) -> list[dict[str, Any]]:
    """Lines for zones created, changing state, or gone since `before` (id -> Zone; None at the first look,
    when every zone is reported as `existing`).

    A zone that disappeared is `swept` when price reached its range since the last look (the
    engine ends touched zones), otherwise `ended` (it expired, faded, or merged into another).
    """
    from tnet.cli.snapshot_schema import zone_dict

    out: list[dict[str, Any]] = []
    now = {z.id: z for z in view.zones}
    price = view.price
    first = before is None
    before = before or {}
    for zid, z in now.items():
        old = before.get(zid)
        if old is None or old.state != z.state:
            change = "existing" if first else "created" if old is None else z.state
            out.append({"type": "zone", "symbol": symbol, "ts_ms": view.ts_ms, "change": change,
                        "price": price, "zone": zone_dict(z)})
    lo, hi = (min(prev_price, price), max(prev_price, price)) if prev_price > 0 else (price, price)
    for zid, z in before.items():
        if zid in now:
            continue
        touched = price > 0 and z.price_low <= hi and lo <= z.price_high
        out.append({"type": "zone", "symbol": symbol, "ts_ms": view.ts_ms, "change": "swept" if touched else "ended",
                    "price": price, "zone": zone_dict(z)})
    return out


def feed_changes(before: dict[str, str], health: dict[str, Any]) -> list[dict[str, Any]]:
    """`feed_status` lines for each venue whose state differs from `before` (every venue at the first
    look), with the health report's reason; `before` (venue -> state) is updated in place.

    A connection's state lives in the health report, not in the event flow, so the stream reads it
    there: a script learns that a feed went down instead of seeing the last levels repeated.
    """
    from tnet.events import FeedStatus, event_to_dict

    ts = int(health.get("ts_ms", 0))
    out: list[dict[str, Any]] = []
    for venue, entry in health.get("venues", {}).items():
        state = str(entry.get("state", ""))
        if before.get(venue) != state:
            before[venue] = state
            out.append(event_to_dict(FeedStatus(venue, "", ts, ts, state, str(entry.get("reason") or ""))))
    return out


def oi_missing(view: Any) -> list[str]:
    """Venues whose open interest has not arrived: the summary's `oi_usd` and the map leave them out."""
    return sorted(v for v, usd in view.oi.items() if v != "total_usd" and (usd is None or math.isnan(usd)))


def levels_line(view: Any) -> dict[str, Any]:
    """The periodic summary of one symbol: price, open interest (and whose is missing), profile totals and
    the level rows."""
    from tnet.cli.snapshot_schema import level_dict
    from tnet.jsonnum import cents, num

    return {
        "type": "levels", "symbol": view.symbol, "ts_ms": view.ts_ms, "price": num(view.price),
        "bucket_usd": num(view.bucket_usd), "oi_usd": cents(view.oi.get("total_usd", math.nan)),
        "oi_missing": oi_missing(view),
        "long_usd": cents(sum(lv.long_usd for lv in view.levels)),
        "short_usd": cents(sum(lv.short_usd for lv in view.levels)),
        "zones": len(view.zones), "levels": [level_dict(lv) for lv in view.levels],
    }


class StreamWriter:
    """Turns runtime events and views into stream lines; views are read once per runtime second."""

    def __init__(self, runtime: Any, out: Any, types: set[str], levels_every_s: float) -> None:
        self.runtime, self.out, self.types = runtime, out, types
        self.levels_every_ms = int(levels_every_s * 1000)
        self._zones: dict[str, dict[int, Any]] = {}
        self._prices: dict[str, float] = {}
        self._feeds: dict[str, str] = {}  # venue -> last state written
        self._due_ms = 0
        self._levels_due: dict[str, int] = {}  # symbol -> when its next level summary is due (none yet: absent)
        self._start_ms: int | None = None
        from tnet.events import event_to_dict

        self._to_dict = event_to_dict
        runtime.event_hooks.append(self.on_events)

    def on_events(self, events: list[Any]) -> None:
        """Hook: write the wanted events, then the derived lines when due."""
        types = self.types
        self.out.write(self._to_dict(e) for e in events if e.type in types)
        self.tick()

    def tick(self, force: bool = False) -> None:
        """Feed state changes and zone changes every runtime second; level summaries every `levels_every_s`."""
        now = self.runtime.now_ms()
        if self._start_ms is None:
            self._start_ms = now
        if not force and now < self._due_ms:
            return
        self._due_ms = now + 1000
        lines: list[dict[str, Any]] = []
        symbols = self.runtime.symbols
        want_zones = "zone" in self.types
        levels_due = "levels" in self.types and (force or any(now >= self._levels_due.get(s, 0) for s in symbols))
        health = self.runtime.health() if "feed_status" in self.types or levels_due else {}
        if "feed_status" in self.types:
            lines += feed_changes(self._feeds, health)
        if not (want_zones or levels_due):
            self.out.write(lines)
            return
        for symbol in symbols:
            view = self.runtime.view(symbol, heatmap=False)
            if not view.price > 0:
                continue  # no mark price yet: nothing true to say
            if want_zones:
                lines += zone_changes(symbol, self._zones.get(symbol), view, self._prices.get(symbol, 0.0))
                self._zones[symbol] = {z.id: z for z in view.zones}
                self._prices[symbol] = view.price
            if levels_due and (force or now >= self._levels_due.get(symbol, 0)):
                if force or symbol in self._levels_due or not self._waiting_for_oi(view, health, now):
                    self._levels_due[symbol] = now + self.levels_every_ms
                    lines.append(levels_line(view))
        self.out.write(lines)

    def _waiting_for_oi(self, view: Any, health: dict[str, Any], now: int) -> bool:
        """Whether a symbol's first summary still waits (at most OI_WAIT_MS) for the open interest of a venue
        that is not down: a total over the venues heard so far would understate the market."""
        venues = health.get("venues", {})
        return now - (self._start_ms or now) < OI_WAIT_MS and any(
            venues.get(v, {}).get("state") != "down" for v in oi_missing(view))

    async def run(self) -> None:
        """Keep the derived lines coming while the feed is quiet."""
        import asyncio

        while True:
            await asyncio.sleep(1.0)
            self.tick()


def stream(
    symbols: Annotated[list[str], typer.Argument(help="Short symbols: BTC ETH SOL ...")],
    types: Annotated[str, typer.Option("--types", envvar="TNET_TYPES", help=f"Comma-separated line types: {', '.join(EVENT_TYPES + DERIVED_TYPES)}, or all.")] = DEFAULT_TYPES,
    levels_every: Annotated[float, typer.Option("--levels-every", envvar="TNET_LEVELS_EVERY", min=1, help="Seconds between level summaries.")] = 10.0,
    seconds: Annotated[float, typer.Option("--seconds", envvar="TNET_SECONDS", min=0, help="Stop after N seconds (0 = until Ctrl-C or the replay ends).")] = 0.0,
    speed: Annotated[str, typer.Option("--speed", envvar="TNET_SPEED", help="Replay speed with --source replay:FILE (or 'max').")] = "1",
    source: SourceOpt = None,
    exchanges: ExchangesOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Stream normalized events, zone changes and level summaries as NDJSON (one JSON object per line)."""
    try:
        wanted = parse_types(types)
    except ValueError as exc:
        fail(str(exc))
    settings, infos = settings_and_symbols(
        symbols, source=source, exchanges=exchanges, state_dir=state_dir, config=config, speed=speed,
        book=False)  # no depth: stream has no book lines

    async def main() -> Any:
        from tnet.cli.ndjson import NdjsonOut, run_runtime
        from tnet.runtime import Runtime

        out = NdjsonOut()
        runtime = Runtime(infos, settings)
        writer = StreamWriter(runtime, out, wanted, levels_every)
        await run_runtime(runtime, out, seconds, tasks=[writer.run], finish=lambda: writer.tick(force=True))
        return runtime, out.closed.is_set()

    runtime, reader_gone = run_async(main)
    exit_if_replay_damaged(runtime)
    exit_if_nothing_heard(runtime, reader_gone)
