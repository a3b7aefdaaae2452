"""Liquidation tape rows: newest first, venue, side (colour and sign), size, price, age; big prints stand out.

The price is where the liquidation fired (the map's dots and zones use it too); a venue that reports
the bankruptcy price (Bybit, OKX, Gate) has it shown beside, as `bk`, when the panel is wide enough.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from textual.strip import Strip

from tnet.venues import RECORDS

from tnet.ui.render.palette import Palette
from tnet.ui.render.scale import format_age, format_price, format_usd, price_decimals
from tnet.ui.render.text import fit, line

BIG_USD = 100_000.0  # bold
REPORTED_MIN_WIDTH = 55  # the full row (41 columns) plus " bk " and a 10-column price
HUGE_USD = 1_000_000.0  # reverse video: readable from across the desk
MIN_USD_STEPS: tuple[float, ...] = (0.0, 1_000.0, 10_000.0, 100_000.0, 1_000_000.0)


def venue_abbr(venue: str) -> str:
    """Three letters for `venue`: its record's abbreviation, else its first three letters."""
    rec = RECORDS.get(venue)
    return rec.abbr if rec is not None else venue[:3].upper()


def next_min_usd(current: float, steps: tuple[float, ...] = MIN_USD_STEPS) -> float:
    """The next filter threshold after `current`, wrapping to the first (a custom value joins the cycle)."""
    higher = [s for s in steps if s > current]
    return higher[0] if higher else steps[0]


def filter_prints(events: list[dict[str, Any]], min_usd: float) -> list[dict[str, Any]]:
    """Prints of at least `min_usd` notional, order kept."""
    if min_usd <= 0:
        return list(events)
    return [e for e in events if float(e.get("usd", 0.0)) >= min_usd]


def signed_size(event: dict[str, Any]) -> str:
    """'-1.25M' for a long liquidated (a forced sell), '+1.25M' for a short liquidated (a forced buy)."""
    usd = abs(float(event.get("usd", 0.0)))
    return format_usd(-usd if event.get("side") == "long" else usd, signed=True)


def tape_row(event: dict[str, Any], now_ms: int, width: int, palette: Palette, decimals: int) -> Strip:
    """One tape row; the clock time is dropped first, then the venue, when the panel is narrow."""
    side = "long" if event.get("side") == "long" else "short"
    usd = abs(float(event.get("usd", 0.0)))
    if usd >= HUGE_USD:
        strong = palette.side_reverse[side]
    elif usd >= BIG_USD:
        strong = palette.side_bold[side]
    else:
        strong = palette.side[side]
    ts = int(event.get("ts_ms", now_ms))
    parts = []
    if width >= 41:
        clock = datetime.fromtimestamp(ts / 1000, tz=timezone.utc).strftime("%H:%M:%S")
        parts.append((clock + " ", palette.muted))
    if width >= 32:
        venue = str(event.get("venue", "?"))
        parts.append((fit(venue_abbr(venue), 3) + " ", palette.muted))
    reported = float(event.get("price", 0.0))
    fired = float(event.get("fire") or reported)
    parts += [
        (fit("LONG" if side == "long" else "SHORT", 5) + " ", palette.side[side]),
        (fit(signed_size(event), 7, ">"), strong),
        (" " + fit(format_price(fired, decimals), 10, ">"), palette.text),
    ]
    if width >= REPORTED_MIN_WIDTH and format_price(reported, decimals) != format_price(fired, decimals):
        parts.append((" bk " + fit(format_price(reported, decimals), 10, ">"), palette.muted))
    parts.append((" " + fit(format_age((now_ms - ts) / 1000), 3, ">"), palette.muted))
    return line(parts, width, palette.text)


def tape_lines(
    events: list[dict[str, Any]], now_ms: int, width: int, height: int, min_usd: float,
    palette: Palette, price_hint: float = 0.0, window_s: int = 0, count: int | None = None,
) -> list[Strip]:
    """The whole tape panel: a title line then up to height-1 rows, newest first.

    `window_s` is how far back `events` reach: an empty tape says "none in the last hour", not "none yet",
    once a view says so (a warm start may have counted older prints in the calibration panel). `count` is
    how many prints that window holds of any size (`events` may already be filtered; default their number).
    """
    shown = filter_prints(events, min_usd)
    decimals = price_decimals(price_hint / 1e5) if price_hint > 0 else 2
    title = f"TAPE  ≥{format_usd(min_usd)}  {len(shown)}/{len(events) if count is None else count} prints"
    out = [line([(fit(title, width), palette.title)], width, palette.text)]
    for event in shown[: max(0, height - 1)]:
        out.append(tape_row(event, now_ms, width, palette, decimals))
    if not shown and height > 1:
        if events or count:
            note = f"no prints ≥{format_usd(min_usd)} (f: filter)"
        else:
            note = f"no prints in the last {format_age(window_s)}" if window_s > 0 else "no prints yet"
        out.append(line([(note, palette.muted)], width, palette.text))
    while len(out) < height:
        out.append(line([], width, palette.text))
    return out[:height]
