"""`tnet.snapshot/1`: a SymbolView (+ feed health) as plain JSON-able data, and as Rich tables."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import numpy as np

from tnet.engine.hazard import reachable
from tnet.jsonnum import cents, num
from tnet.ui.render.scale import format_age

SCHEMA = "tnet.snapshot/1"


def level_dict(lv: Any) -> dict[str, Any]:
    """One row of the level profile: `{price, long_usd, short_usd, long_hazard_usd, short_hazard_usd}`."""
    return {"price": num(lv.price), "long_usd": cents(lv.long_usd), "short_usd": cents(lv.short_usd),
            "long_hazard_usd": cents(lv.long_hazard_usd), "short_hazard_usd": cents(lv.short_hazard_usd)}


def zone_dict(z: Any) -> dict[str, Any]:
    """One zone: `{id, side, price_low, price_high, usd, hazard_usd, state, created_ms, touches, distance_pct}`."""
    return {
        "id": z.id,
        "side": z.side,
        "price_low": num(z.price_low),
        "price_high": num(z.price_high),
        "usd": cents(z.usd),
        "hazard_usd": cents(z.hazard_usd),
        "state": z.state,
        "created_ms": z.created_ms,
        "touches": z.touches,
        "distance_pct": num(z.distance_pct),
    }


def book_dict(book: Any) -> dict[str, Any] | None:
    """The resting book: `{ts_ms, venues, bid_usd, ask_usd, levels: [{price, bid_usd, ask_usd}]}` (the
    rows of `levels`); None when no venue has a fresh book (no data, never zeros)."""
    if book is None:
        return None
    return {
        "ts_ms": book.ts_ms,
        "venues": list(book.venues),
        "bid_usd": cents(book.bid_usd),
        "ask_usd": cents(book.ask_usd),
        "levels": [{"price": num(lv.price), "bid_usd": cents(lv.bid_usd), "ask_usd": cents(lv.ask_usd)}
                   for lv in book.levels],
    }


def _book_columns(matrix: Any) -> list[list[float] | None] | None:
    """A book matrix as JSON: one list per column, null for a column without a book sample."""
    if matrix is None:
        return None
    return [None if np.isnan(col).all() else [cents(v) for v in col] for col in matrix]


def heard_from(health: dict[str, Any]) -> bool:
    """True when some venue was live during the run (a `tnet health` report's `live_share`): a feed listened."""
    return any(v.get("live_share") for v in (health.get("venues") or {}).values())


def snapshot_dict(view: Any, health: dict[str, Any], heatmap: bool = False) -> dict[str, Any]:
    """The documented snapshot object for one symbol."""
    # An empty tape is "nothing liquidated" only if a feed was listening; before that it is unknown.
    tape_known = bool(view.tape.events) or heard_from(health)
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "symbol": view.symbol,
        "ts_ms": view.ts_ms,
        "price": num(view.price) if view.price > 0 else None,  # 0.0 means no mark price yet
        "bucket_usd": num(view.bucket_usd),
        "warm": view.warm,
        "levels": [level_dict(lv) for lv in view.levels],
        "zones": [zone_dict(z) for z in view.zones],
        "tape": {
            "events": view.tape.events,
            "clusters": [
                {"price": num(c.price), "usd": cents(c.usd), "count": c.count, "share": num(c.share)}
                for c in view.tape.clusters
            ],
            "long_usd": cents(view.tape.long_usd) if tape_known else None,
            "short_usd": cents(view.tape.short_usd) if tape_known else None,
            "window_s": view.tape.window_s,
        },
        "calibration": {
            venue: {"tiers": list(c.tiers), "weights": [num(w) for w in c.weights], "events": c.events,
                    "at_risk": num(view.at_risk[venue]) if venue in view.at_risk else None}
            for venue, c in view.calibration.items()
        },
        "health": health,
        "oi": {k: cents(v) for k, v in view.oi.items()},
        "book": book_dict(view.book),
    }
    if heatmap and view.heatmap is not None:
        hm = view.heatmap
        out["heatmap"] = {
            "t0_ms": hm.t0_ms,
            "col_ms": hm.col_ms,
            "price_lo": num(hm.price_lo),
            "bucket_usd": num(hm.bucket_usd),
            "rows": int(hm.long_usd.shape[1]) if hm.long_usd.ndim == 2 else 0,
            "cols": int(hm.long_usd.shape[0]) if hm.long_usd.ndim == 2 else 0,
            "long_usd": [[cents(v) for v in col] for col in hm.long_usd],
            "short_usd": [[cents(v) for v in col] for col in hm.short_usd],
            "price_path": [num(p) for p in hm.price_path],
            "bid_usd": _book_columns(hm.bid_usd),
            "ask_usd": _book_columns(hm.ask_usd),
        }
    return out


def _usd(x: float | None) -> str:
    if x is None:
        return "-"
    for unit, div in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= div:
            return f"${x / div:,.2f}{unit}"
    return f"${x:,.0f}"


def _row_inner(levels: list[dict[str, Any]], bucket_usd: float) -> float:
    """Distance from a level row's centre to its outermost bucket centres (rows are equal runs of buckets)."""
    prices = [lv["price"] for lv in levels if lv["price"] is not None]
    width = min((b - a for a, b in zip(prices, prices[1:]) if b > a), default=bucket_usd)
    return max(width - bucket_usd, 0.0) / 2


def _crossed(centre: float, inner: float, price: float) -> tuple[bool, bool]:
    """(longs crossed, shorts crossed) in the row at `centre`: a side counts as crossed only when every
    bucket of the row is (as the engine's hazard judges it), so the row holding the price shows both."""
    if not price > 0:
        return False, False
    return not reachable(centre - inner - price, 0), not reachable(centre + inner - price, 1)


def _fired(ev: dict[str, Any]) -> float:
    """Where a print fired (events from before `fire` existed: the reported price)."""
    return float(ev.get("fire") or ev["price"])


def _reported(ev: dict[str, Any]) -> str:
    """`bk 67,123.40` when the venue reported another price than where the print fired (as the TUI tape)."""
    return f"bk {ev['price']:,.2f}" if f"{ev['price']:,.2f}" != f"{_fired(ev):,.2f}" else ""


def snapshot_tables(snap: dict[str, Any]) -> list[Any]:
    """Rich renderables for `snapshot --table`: summary, nearby levels, zones, tape, health."""
    from rich.table import Table

    out: list[Any] = []
    price_text = "unknown" if snap["price"] is None else f"{snap['price']:,.2f}"
    head = Table(title=f"{snap['symbol']}  price {price_text}  bucket ${snap['bucket_usd'] or 0:g}")
    head.add_column("venue")
    head.add_column("open interest", justify="right")
    head.add_column("health")
    head.add_column("learned from", justify="right")
    for venue, h in snap["health"].get("venues", {}).items():
        cal = snap["calibration"].get(venue, {})
        state = h["state"] + (f" ({h['reason']})" if h.get("reason") else "")
        head.add_row(venue, _usd(snap["oi"].get(venue)), state, str(cal.get("events", 0)))
    head.add_row("total", _usd(snap["oi"].get("total_usd")), "", "")
    out.append(head)

    price = snap["price"] or 0.0
    levels = sorted(snap["levels"], key=lambda lv: abs((lv["price"] or 0) - price))[:20]
    inner = _row_inner(snap["levels"], snap["bucket_usd"] or 0.0)
    lv_table = Table(title="Predicted liquidation levels (nearest 20)",
                     caption="blank: side price already crossed")
    lv_table.add_column("price", justify="right")
    lv_table.add_column("long liq", justify="right", style="red")
    lv_table.add_column("short liq", justify="right", style="green")
    book = {bl["price"]: bl for bl in snap["book"]["levels"]} if snap.get("book") else None
    if book is not None:
        lv_table.add_column("resting bids", justify="right")
        lv_table.add_column("resting asks", justify="right")
    for lv in sorted(levels, key=lambda lv: -(lv["price"] or 0)):
        long_crossed, short_crossed = _crossed(lv["price"] or 0.0, inner, price)
        row = [f"{lv['price']:,.2f}", "" if long_crossed else _usd(lv["long_usd"]),
               "" if short_crossed else _usd(lv["short_usd"])]
        if book is not None:
            bl = book.get(lv["price"], {})
            row += [_usd(bl.get("bid_usd")), _usd(bl.get("ask_usd"))]
        lv_table.add_row(*row)
    out.append(lv_table)

    zones = Table(title="Zones")
    for col in ("side", "range", "usd", "dist %", "state", "touches"):
        zones.add_column(col, justify="right" if col != "side" else "left")
    for z in snap["zones"]:
        zones.add_row(
            z["side"], f"{z['price_low']:,.2f}-{z['price_high']:,.2f}", _usd(z["usd"]),
            f"{z['distance_pct']:+.2f}", z["state"], str(z["touches"]),
        )
    out.append(zones)

    tape = Table(title=f"Tape (last {snap['tape']['window_s']}s: longs {_usd(snap['tape']['long_usd'])}, shorts {_usd(snap['tape']['short_usd'])})")
    shown = snap["tape"]["events"][:15]
    reported = [_reported(ev) for ev in shown]
    for col in ("time UTC", "age", "venue", "side", "usd", "fired at") + (("reported",) if any(reported) else ()):
        tape.add_column(col, justify="left" if col in ("time UTC", "venue", "side") else "right")
    for ev, bk in zip(shown, reported):
        ts = datetime.fromtimestamp(ev["ts_ms"] / 1000, tz=timezone.utc)
        row = [ts.strftime("%H:%M:%S"), format_age((snap["ts_ms"] - ev["ts_ms"]) / 1000),
               ev["venue"], ev["side"], _usd(ev["usd"]), f"{_fired(ev):,.2f}"]
        tape.add_row(*row, *((bk,) if any(reported) else ()))
    out.append(tape)
    return out
