"""Header, health bar, zones table and calibration panel as lists of Strips."""

from __future__ import annotations

import math
from typing import Any

from rich.cells import cell_len
from textual.strip import Strip

from tnet.engine.views import CalibrationView, SymbolView, Zone
from tnet.ui.render.palette import Palette
from tnet.ui.render.scale import format_age, format_price, format_usd, price_decimals
from tnet.ui.render.text import Part, fit, line
from tnet.ui.render.tape import venue_abbr
from tnet.venues import quality

_SPARK = " ▁▂▃▄▅▆▇█"
NO_DATA_HINT = "no data — try `tnet demo`"
_LIVE_ZONE_STATES = ("active", "reinforced")
ZONES_FULL_W = 45  # narrower zone tables drop the age column and abbreviate the state
_SHORT_STATE = {"active": "act", "reinforced": "reinf", "swept": "swept", "expired": "exp", "merged": "mrgd"}


_BRAND = " tnet "
_HEADER_SETTINGS = ("window", "zoom", "layer", "measure", "filter", "theme")  # in the header's order
# Left out first when the header is too narrow: what the screen also says elsewhere (the tape's title, the
# legend) before the windows the map fills exactly, which the header labels (README "The screen").
_HEADER_DROP_ORDER = ("theme", "filter", "measure", "layer", "zoom", "window")


def _tab(i: int, sym: str) -> str:
    return f" {i + 1}:{sym} "


def tab_at(symbols: list[str], x: int) -> int | None:
    """Index of the symbol tab drawn at header column `x` (mouse clicks), or None."""
    pos = len(_BRAND) + 1
    for i, sym in enumerate(symbols):
        width = len(_tab(i, sym))
        if pos <= x < pos + width:
            return i
        pos += width + 1
    return None


def header_line(
    symbols: list[str], current: str, view: SymbolView | None, status: dict[str, str], width: int, palette: Palette,
    stale: str = "",
) -> Strip:
    """Top line: symbol tabs, price, open interest and the active settings (window, zoom, layer, measure, filter, theme).

    `stale` (e.g. "data 42s old") dims the price and says how old it is. Settings that do not fit are
    left out whole, from the right (never cut mid-word); PAUSED always shows.
    """
    parts: list[Part] = [(_BRAND, palette.accent_reverse), (" ", palette.text)]
    for i, sym in enumerate(symbols):
        style = palette.accent_reverse if sym == current else palette.muted
        parts += [(_tab(i, sym), style), (" ", palette.text)]
    if view is not None and view.price > 0:
        price_style = palette.muted if stale else palette.accent
        parts += [("│ ", palette.muted), (format_price(view.price, price_decimals(view.price / 1e5)), price_style)]
        if stale:
            parts.append((f" {stale}", palette.state["stale"]))
        total = view.oi.get("total_usd", math.nan)
        if math.isfinite(total) and total > 0:
            parts.append((f"  OI {format_usd(total)}", palette.text))
        if not view.warm:
            parts.append(("  warming up", palette.state["connecting"]))
    paused: list[Part] = [("  ", palette.text), (" PAUSED ", palette.accent_reverse)] if status.get("paused") else []
    shown = [key for key in _HEADER_SETTINGS if status.get(key)]
    room = width - sum(cell_len(text) for text, _ in parts + paused)
    sep = "  │ "
    if sum(cell_len(status[k]) + len(sep) for k in shown) > room:
        sep = " │ "  # narrow: tighter separators first, then whole settings left out
        for key in _HEADER_DROP_ORDER:
            if sum(cell_len(status[k]) + len(sep) for k in shown) <= room:
                break
            if key in shown:
                shown.remove(key)
    for key in shown:
        parts += [(sep, palette.muted), (status[key], palette.text)]
    return line(parts + paused, width, palette.text)


def _num(value: Any, default: float = 0.0) -> float:
    try:
        return float(value) if value is not None else default
    except (TypeError, ValueError):
        return default


REPLAY_FINISHED = "replay finished — no live feeds"
RECONNECTING = "source lost — reconnecting…"


def health_line(health: dict[str, Any], width: int, palette: Palette, had_data: bool = False, finished: bool = False) -> Strip:
    """One indicator per venue: state dot, msgs/s, latency p50, reconnects; a down venue shows its reason.

    Every venue stays on the line: when it does not fit, the line sheds in turn the venue notes (known
    limits), full names (for the records' three letters) and the no-data hint (the chart shows it too),
    latencies and reconnect counts, then shortens down reasons and drops the word "live" (the dot's
    colour says it). After data has arrived, every venue down means "reconnecting", not "try the
    demo"; a replay that reached its end says so instead of showing its last (frozen) rates as live.
    """
    if finished:
        return line([("■ ", palette.state["stale"]), (REPLAY_FINISHED, palette.state["stale"]), ("  · q quits", palette.muted)], width, palette.text)
    if health.get("starting"):  # not connecting yet: say what it is doing instead of every venue CONNECTING
        style = palette.state["connecting"]
        return line([("◌ ", style), (f"starting: {health['starting']}…", style)], width, palette.text)
    venues = health.get("venues") or {}
    all_down = bool(venues) and all(str((v or {}).get("state")) == "down" for v in venues.values())
    head: list[Part] = []
    hint: list[Part] = []
    if not venues:
        hint = [("connecting…", palette.state["connecting"])]
    elif all_down and had_data:  # mid-session: first thing on the line, the reasons follow
        head = [(RECONNECTING, palette.accent), ("  ", palette.text)]
    elif all_down:
        hint = [("   ", palette.text), (NO_DATA_HINT, palette.accent)]

    def block(name: str, info: dict[str, Any], level: int) -> list[Part]:
        """One venue at detail `level` (0 everything ... 5 the least)."""
        state = str(info.get("state", "connecting"))
        style = palette.state.get(state, palette.state["connecting"])
        parts: list[Part] = [("● ", style), (name if level < 2 else venue_abbr(name), palette.text)]
        if state != "live" or level < 5:
            parts.append((" " + (state.upper() if state != "live" else "live"), style))
        if state == "down":
            reason = str(info.get("reason") or "down")
            cut = (None, None, None, None, 16, 8)[level]
            if cut is not None and len(reason) > cut:
                reason = reason[: cut - 1] + "…"
            parts.append((f": {reason}", palette.state["down"]))
        else:
            parts.append((f" {_num(info.get('msgs_per_s')):.0f}/s", palette.text))
            if info.get("latency_ms_p50") is not None and level < 3:
                parts.append((f" {_num(info.get('latency_ms_p50')):.0f}ms", palette.text))
        reconnects = int(_num(info.get("reconnects")))
        if reconnects and level < 3:
            parts.append((f" ↻{reconnects}", palette.state["stale"]))
        note = str(info.get("note") or "")
        if level == 0 and note and state != "down":
            parts.append((f" ({note})", palette.muted))
        return parts

    parts: list[Part] = []
    for level in range(6):
        parts = list(head)
        for i, (name, info) in enumerate(venues.items()):
            if i:
                parts.append(("  │ " if level < 2 else " │ ", palette.muted))
            parts += block(name, info or {}, level)
        if level < 2 or not venues:
            parts += hint
        if sum(len(text) for text, _ in parts) <= width:
            break
    return line(parts, width, palette.text)


def all_venues_down(health: dict[str, Any]) -> bool:
    """True when there is at least one venue and every one is down."""
    venues = health.get("venues") or {}
    return bool(venues) and all((v or {}).get("state") == "down" for v in venues.values())


def _zone_order(zone: Zone) -> tuple[int, float]:
    return (0 if zone.state in _LIVE_ZONE_STATES else 1, abs(zone.distance_pct))


def zone_lines(zones: list[Zone], now_ms: int, width: int, height: int, palette: Palette, decimals: int) -> list[Strip]:
    """ZONES table: live zones nearest to price first; side, range, USD, distance, age, state."""
    with_age = width >= ZONES_FULL_W  # the age column is dropped first on a narrow panel
    out = [line([("ZONES", palette.title), (f"  {sum(z.state in _LIVE_ZONE_STATES for z in zones)} live", palette.muted)], width, palette.text)]
    rng_w = 15 if with_age else 14
    head = fit("S range", rng_w + 2) + fit("USD", 6, ">") + fit("dist", 7, ">") + (fit("age", 4, ">") if with_age else "") + " state"
    out.append(line([(head, palette.muted)], width, palette.text))
    for zone in sorted(zones, key=_zone_order)[: max(0, height - 2)]:
        live = zone.state in _LIVE_ZONE_STATES
        side_style = palette.side_bold[zone.side] if live else palette.side.get(zone.side, palette.muted)
        rng = f"{format_price(zone.price_low, decimals)}–{format_price(zone.price_high, decimals)}"
        parts = [
            ("L " if zone.side == "long" else "S ", side_style),
            (fit(rng, rng_w), palette.text if live else palette.muted),
            (fit(format_usd(zone.usd), 6, ">"), side_style),
            (fit(f"{zone.distance_pct:+.1f}%", 7, ">"), palette.text),
        ]
        if with_age:
            parts.append((fit(format_age((now_ms - zone.created_ms) / 1000), 4, ">"), palette.muted))
        state = zone.state if with_age else _SHORT_STATE.get(zone.state, zone.state)
        parts.append((" " + state, palette.text if live else palette.muted))
        out.append(line(parts, width, palette.text))
    if not zones and height > 2:
        out.append(line([("no zones yet", palette.muted)], width, palette.text))
    while len(out) < height:
        out.append(line([], width, palette.text))
    return out[:height]


def _tier_width(tier: int) -> int:
    """Columns for one tier: its label plus a space."""
    return len(str(tier)) + 1


def spark(weight: float, top: float) -> str:
    """Block character for `weight` relative to `top` (at least '▁' for any positive weight)."""
    if top <= 0 or weight <= 0:
        return " "
    idx = max(1, min(8, round(weight / top * 8)))
    return _SPARK[idx]


def calibration_lines(calibration: dict[str, CalibrationView], width: int, height: int, palette: Palette) -> list[Strip]:
    """Per-venue leverage weights as bars over the tiers, with the number of prints learned from.

    A venue without a public liquidation feed learns nothing: it keeps the prior and says "no feed".
    """
    out = [line([("CALIBRATION", palette.title), ("  leverage weights", palette.muted)], width, palette.text)]
    tiers = next((c.tiers for c in calibration.values()), [])
    if tiers:
        out.append(line([("lev" + "".join(fit(str(t), _tier_width(t), ">") for t in tiers) + "  prints", palette.muted)], width, palette.text))
    for venue, cal in calibration.items():
        top = max(cal.weights) if cal.weights else 0.0
        bars = "".join(" " * (_tier_width(t) - 1) + spark(w, top) for t, w in zip(cal.tiers, cal.weights))
        prints = str(cal.events) if quality(venue).liquidations else "no feed"
        out.append(line([(fit(venue_abbr(venue), 3), palette.text), (bars, palette.accent), (fit(prints, 8, ">"), palette.muted)], width, palette.text))
    if not calibration and height > 1:
        out.append(line([("no calibration yet", palette.muted)], width, palette.text))
    while len(out) < height:
        out.append(line([], width, palette.text))
    return out[:height]
