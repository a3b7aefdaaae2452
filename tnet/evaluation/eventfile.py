"""Reading real liquidation events from CSV through a column mapping (`backtest --events FILE --event-columns MAP`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from tnet.evaluation.barfile import BarFileError, csv_rows, parse_column_map, parse_ts, same_symbol
from tnet.margin import firing_price

EVENT_REQUIRED = ("ts", "side", "price", "usd")
EVENT_OPTIONAL = ("venue", "symbol")
ORDER_SIDES = {"sell": "long", "buy": "short"}  # the forced order's side: a sell closes a long
POSITION_SIDES = {"long": "long", "short": "short", "buy": "long", "sell": "short"}


@dataclass(slots=True)
class RealEvent:
    """One real liquidation: `price` as reported, `fire` where it fired (the map's levels are trigger prices)."""

    ts_ms: int
    side: str  # position liquidated: "long" | "short"
    price: float
    fire: float
    usd: float
    venue: str


def parse_event_columns(spec: str) -> dict[str, str]:
    """'ts=timestamp_ms,side=side,...' -> {field: column}; ts, side, price and usd must be named."""
    return parse_column_map(spec, EVENT_REQUIRED, EVENT_OPTIONAL, "--event-columns")


def load_events(path: Path, columns: dict[str, str], symbol: str | None = None, venue: str | None = None,
                usd_scale: float = 1.0, side_means: str = "order", default_venue: str = "binance") -> list[RealEvent]:
    """Read, filter (symbol, venue) and normalise events; raises BarFileError naming the first problem.

    `side_means` says how buy/sell values read: "order" (the forced order: sell = a long liquidated, as
    OKX and Binance report) or "position" (Bybit). long/short values are always positions. The firing
    price follows each venue's reporting rule (`tnet.margin.firing_price`).
    """
    if side_means not in ("order", "position"):
        raise BarFileError("--side-means must be order or position")
    if not (usd_scale > 0 and math.isfinite(usd_scale)):
        raise BarFileError("--usd-scale must be a positive number")
    sides = ORDER_SIDES | {"long": "long", "short": "short"} if side_means == "order" else POSITION_SIDES
    out: list[RealEvent] = []
    for line, row in csv_rows(path, columns):
        if symbol and "symbol" in columns and not same_symbol(row[columns["symbol"]], symbol):
            continue
        ev_venue = row[columns["venue"]].strip().lower() if "venue" in columns else default_venue
        if venue and ev_venue != venue:
            continue
        side = sides.get(row[columns["side"]].strip().lower())
        if side is None:
            raise BarFileError(f"{path}:{line}: side {row[columns['side']]!r} is not buy/sell/long/short")
        try:
            ts = parse_ts(row[columns["ts"]])
            price = float(row[columns["price"]])
            usd = float(row[columns["usd"]]) * usd_scale
        except BarFileError as exc:
            raise BarFileError(f"{path}:{line}: {exc}") from None
        except (TypeError, ValueError):
            raise BarFileError(f"{path}:{line}: price or usd is not a number") from None
        if not (price > 0 and usd > 0 and math.isfinite(price) and math.isfinite(usd)):
            raise BarFileError(f"{path}:{line}: price and usd must be positive and finite")
        out.append(RealEvent(ts, side, price, firing_price(ev_venue, side, price, usd), usd, ev_venue))
    if not out:
        raise BarFileError(f"{path}: no events left after the symbol/venue filter")
    out.sort(key=lambda e: e.ts_ms)
    return out
