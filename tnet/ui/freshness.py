"""Is what the screen shows current? Data age, lost sources and finished replays (pure; no Textual)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tnet.ui.render.panels import RECONNECTING, all_venues_down
from tnet.ui.render.scale import format_age

QUIET_AFTER_S = 10.0  # no frame from any venue for this long: the picture is stale


@dataclass(frozen=True, slots=True)
class Freshness:
    """`stale` dims the price and map; `tag` goes beside the price, `banner` replaces the legend."""

    stale: bool = False
    tag: str = ""
    banner: str = ""


def data_age_s(health: dict[str, Any]) -> float | None:
    """Seconds since the newest frame from any venue (None when no venue ever sent one)."""
    ages = [v.get("last_msg_age_s") for v in (health.get("venues") or {}).values() if v]
    known = [float(a) for a in ages if isinstance(a, (int, float))]
    return min(known) if known else None


def freshness(health: dict[str, Any], had_data: bool, finished: bool) -> Freshness:
    """What to tell the user about the age of the data on screen."""
    if finished:
        return Freshness(True, "replay finished", "replay finished — showing the recording's last state · q quits")
    if not had_data:
        return Freshness()  # nothing on screen yet: the "connecting…" / "no data" messages say it
    age = data_age_s(health)
    old = f"data {format_age(age)} old" if age is not None else "data old"
    if all_venues_down(health):
        return Freshness(True, old, f"{RECONNECTING} {old}")
    if age is not None and age > QUIET_AFTER_S:
        return Freshness(True, old, f"no new data for {format_age(age)} — feeds quiet (see health)")
    return Freshness()
