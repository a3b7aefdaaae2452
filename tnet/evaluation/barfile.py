"""Reading real bars from CSV through a column mapping (`backtest --bars CSV --columns MAP`)."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import msgspec

from tnet.events import Bar

REQUIRED = ("ts", "open", "high", "low", "close", "oi_usd")
REALISED = ("liq_long_usd", "liq_short_usd")  # required for sweep skill; optional beside events
OPTIONAL = ("volume", "buy_volume", "venue", "symbol")  # venue / symbol keep one market of a file holding several
PRICE_REQUIRED = tuple(f for f in REQUIRED if f != "oi_usd")  # --price-bars: the scored venue's own candles


class BarFileError(ValueError):
    """A bars file or column mapping the backtest cannot use (message is one line for the user)."""


@dataclass(slots=True)
class RealBar:
    """One bar with its realised liquidations per side (NaN when the file has none)."""

    bar: Bar
    liq_long_usd: float
    liq_short_usd: float

    @property
    def realised(self) -> tuple[float, float] | None:
        """(long, short) realised liquidation USD, or None when the file does not carry them."""
        if math.isnan(self.liq_long_usd) or math.isnan(self.liq_short_usd):
            return None
        return self.liq_long_usd, self.liq_short_usd


def parse_columns(spec: str, realised: bool = True) -> dict[str, str]:
    """'ts=timestamp,open=price_open,...' -> {field: column}; every required field must be named
    (the realised liquidation columns only when `realised`)."""
    if realised:
        return parse_column_map(spec, REQUIRED + REALISED, OPTIONAL, "--columns")
    return parse_column_map(spec, REQUIRED, REALISED + OPTIONAL, "--columns")


def parse_price_columns(spec: str) -> dict[str, str]:
    """'ts=...,open=...,high=...,low=...,close=...[,venue=...,symbol=...]' for --price-columns."""
    return parse_column_map(spec, PRICE_REQUIRED, ("venue", "symbol"), "--price-columns")


def with_prices(rows: list[RealBar], prices: list[RealBar]) -> tuple[list[RealBar], int]:
    """`rows` with OHLC taken from the `prices` bar of the same open time (open interest and realised
    totals kept), and how many rows had no such bar (dropped: one price source, never two spliced).

    Used when the bars' price is another market's (the Coinglass files carry Binance spot) while the
    scored liquidations fired on a venue's perpetual, whose basis can put them on the wrong side.
    """
    if prices and prices[0].bar.interval_ms != rows[0].bar.interval_ms:
        raise BarFileError(f"--price-bars are {prices[0].bar.interval_ms // 60_000} min bars, "
                           f"--bars {rows[0].bar.interval_ms // 60_000} min: they must match")
    by_ts = {p.bar.ts_ms: p.bar for p in prices}
    out: list[RealBar] = []
    for r in rows:
        p = by_ts.get(r.bar.ts_ms)
        if p is not None:
            b = msgspec.structs.replace(r.bar, open=p.open, high=p.high, low=p.low, close=p.close)
            out.append(RealBar(b, r.liq_long_usd, r.liq_short_usd))
    return out, len(rows) - len(out)


def parse_column_map(spec: str, required: tuple[str, ...], optional: tuple[str, ...], option: str) -> dict[str, str]:
    """'field=column,...' -> {field: column} for `option`; unknown, empty or missing required fields are errors."""
    out: dict[str, str] = {}
    for part in (spec or "").split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise BarFileError(f"bad {option} entry {part!r}: expected field=column")
        key, col = (x.strip() for x in part.split("=", 1))
        if key not in required + optional:
            raise BarFileError(f"unknown field {key!r} in {option} (fields: {', '.join(required + optional)})")
        if not col:
            raise BarFileError(f"empty column name for {key!r} in {option}")
        out[key] = col
    missing = [k for k in required if k not in out]
    if missing:
        raise BarFileError(f"{option} is missing {', '.join(missing)}")
    return out


def parse_ts(text: str) -> int:
    """Milliseconds since epoch from ms/s epoch digits or an ISO 8601 time."""
    t = text.strip()
    try:
        v = float(t)
    except ValueError:
        try:
            dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
        except ValueError:
            raise BarFileError(f"timestamp {text!r} is neither epoch nor ISO 8601") from None
        return int(dt.timestamp() * 1000)
    if not math.isfinite(v):
        raise BarFileError(f"timestamp {text!r} is not finite")
    return int(v if v > 1e11 else v * 1000)


def same_symbol(value: str, symbol: str) -> bool:
    """'BTC', 'btc', 'BTCUSDT', 'BTC-USDT-SWAP' all name BTC."""
    v = value.strip().upper().replace("-", "").replace("_", "")
    s = symbol.upper()
    return v == s or v in (s + "USDT", s + "USDTSWAP", s + "USD", s + "USDC")


def csv_rows(path: Path, columns: dict[str, str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of a CSV whose header holds every mapped column; BarFileError otherwise."""
    try:
        fh = open(path, newline="", encoding="utf-8")
    except OSError as exc:
        raise BarFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    with fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        absent = [c for c in columns.values() if c not in header]
        if absent:
            raise BarFileError(f"{path}: no column {absent[0]!r} (have {', '.join(header[:12])}...)")
        yield from enumerate(reader, start=2)


def load_bars(path: Path, columns: dict[str, str], symbol: str = "BTC", venue: str = "binance",
              keep_venue: str | None = None) -> list[RealBar]:
    """Read and validate bars; raises BarFileError naming the first problem.

    With a `symbol` column only `symbol`'s rows are kept; with a `venue` column only `keep_venue`'s
    (required then: one market's bars, never several venues' interleaved).
    """
    if "venue" in columns and not keep_venue:
        raise BarFileError("the bars name a venue column: say which venue's bars to use with --venue")
    numeric = {k: c for k, c in columns.items() if k not in ("ts", "venue", "symbol")}  # oi_usd NaN when unmapped
    out: list[RealBar] = []
    for line, row in csv_rows(path, columns):
        if "symbol" in columns and not same_symbol(row[columns["symbol"]], symbol):
            continue
        if "venue" in columns and row[columns["venue"]].strip().lower() != keep_venue:
            continue
        try:
            vals = {k: float(row[c]) for k, c in numeric.items()}
            ts = parse_ts(row[columns["ts"]])
        except (TypeError, ValueError) as exc:
            if isinstance(exc, BarFileError):
                raise BarFileError(f"{path}:{line}: {exc}") from None
            raise BarFileError(f"{path}:{line}: a mapped value is not a number") from None
        o, h, lo, c = vals["open"], vals["high"], vals["low"], vals["close"]
        if not (h >= max(o, c) and lo <= min(o, c) and lo > 0) or not all(map(math.isfinite, vals.values())):
            raise BarFileError(f"{path}:{line}: inconsistent OHLC ({o}, {h}, {lo}, {c})")
        out.append(RealBar(Bar(venue, symbol, ts, ts, 0, o, h, lo, c, vals.get("volume", math.nan),
                               vals.get("buy_volume", math.nan), vals.get("oi_usd", math.nan)),
                           vals.get("liq_long_usd", math.nan), vals.get("liq_short_usd", math.nan)))
    if len(out) < 10:
        kept = [f"{k} {v}" for k, v in (("symbol", symbol), ("venue", keep_venue)) if k in columns]
        of = f" of {', '.join(kept)}" if kept else ""
        raise BarFileError(f"{path}: only {len(out)} bars{of}; need at least 10")
    out.sort(key=lambda r: r.bar.ts_ms)
    steps = sorted(b.bar.ts_ms - a.bar.ts_ms for a, b in zip(out, out[1:]))
    if steps[0] == 0:  # even one: two rows for the same time would be two markets interleaved
        dup = next(a.bar.ts_ms for a, b in zip(out, out[1:]) if a.bar.ts_ms == b.bar.ts_ms)
        raise BarFileError(f"{path}: two rows for {dup} (rows of several markets? map their venue= / symbol= "
                           "columns and choose one with --venue / --symbol)")
    interval = steps[len(steps) // 2]
    for r in out:
        r.bar.interval_ms = interval
    return out
