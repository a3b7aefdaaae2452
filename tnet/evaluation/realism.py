"""Simulator realism: the simulator's liquidation rates, distances and open interest beside the real data's.

`python -m tnet.evaluation.realism` prints the table the README's "Simulator realism" section shows
(`--json` for the figures). Targets come from the shared third-party data in ../shared/data
(skipped, with a note, when absent):

- hourly liquidation USD per open interest (median, p90): Coinglass Binance+Bybit+OKX aggregate.
  The 30-minute regime file is the tuning target; the 1-hour regime file is reported only.
- distance of OKX liquidation events from the hourly open, |price - open| / open (USD-weighted
  median and p90): the OKX BTC events. Those events are the project's held-out test set for the
  model; the simulator takes only these two coarse marginal figures from them.
- open interest per venue: the 2026-03-07 snapshot.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from tnet.events import Liquidation

HOUR_MS = 3_600_000
COINGLASS = "coinglass-agg-ismethanhtung"
OKX = "okx-hl-liq-0xknxwledge"
TUNE_FILE = "regime_30m_BN-BB-OKX_2026-05-21_2026-06-08.csv"
REPORT_FILE = "regime_1h_BN-BB-OKX_2025-12-04_2026-06-02.csv"
OKX_BTC_CT_VAL = 0.01  # the OKX file's size is contracts x bkPx; BTC-USDT-SWAP contracts are 0.01 BTC
# The Coinglass regime files' OI column is Binance BTCUSDT alone: it equals Binance's own
# sumOpenInterestValue in binance_BTCUSDT_5m_price_oi_2026-05-25_2026-06-08.csv to 1e-3. The three
# venues' OI is that times (5.73 + 3.28 + 2.05) / 5.73 (the 2026-03-07 snapshot in open_interest_BTC.csv).
THREE_VENUES_PER_BINANCE_OI = (5.73 + 3.28 + 2.05) / 5.73
DATA_VENUES = ("binance", "bybit", "okx")  # the venues the Coinglass files aggregate


def default_data_dir() -> Path | None:
    """../shared/data next to the checkout (or the working directory's parent); None when absent."""
    for base in (Path(__file__).resolve().parents[2].parent, Path.cwd().parent):
        d = base / "shared" / "data"
        if d.is_dir():
            return d
    return None


def _quantiles(x: np.ndarray, w: np.ndarray | None = None) -> dict[str, float | None]:
    """Median and p90 (weighted by `w` when given); None when there is nothing to measure."""
    if len(x) == 0:
        return {"median": None, "p90": None}
    if w is None:
        return {"median": float(np.median(x)), "p90": float(np.percentile(x, 90))}
    order = np.argsort(x)
    cum = np.cumsum(w[order]) / w.sum()
    pick = lambda q: float(x[order][min(int(np.searchsorted(cum, q)), len(x) - 1)])  # noqa: E731
    return {"median": pick(0.5), "p90": pick(0.9)}


# ------------------------------------------------------------------ the simulator


def measure_sim(seeds: tuple[int, ...] = (0, 1, 2, 3), hours: int = 36, symbol: str = "BTC",
                step_ms: int = 10_000) -> dict[str, Any]:
    """Step fresh markets `hours` whole clock hours per seed; measure what the venues published.

    Per clock hour: published liquidation USD (every venue, at each venue's reported price, as
    Coinglass sees the feeds) over the three venues' OI at the hour's open; every OKX print's
    |price - hourly open| / open, USD-weighted; OI per venue at the hour's open.
    """
    from tnet.sim.market import Market

    ratios: list[float] = []
    all_ratios: list[float] = []
    dist: list[float] = []
    dist_w: list[float] = []
    ranges: list[float] = []
    oi: dict[str, list[float]] = defaultdict(list)
    at_risk: dict[str, list[float]] = defaultdict(list)
    for seed in seeds:
        # the venues the tuning data aggregate (Coinglass: Binance, Bybit, OKX)
        m = Market([symbol], seed=seed, venues=DATA_VENUES, mark_ms={v: 60_000 for v in DATA_VENUES})
        t = (m.start_ms // HOUR_MS + 1) * HOUR_MS
        m.step(t)
        for _ in range(hours):
            open_px = m.current_price(symbol)
            venue_oi = {v: m.current_oi(symbol, v)[1] for v in m.venues}
            for v, x in venue_oi.items():
                oi[v].append(x)
            for v, x in m.truth_at_risk_share(symbol).items():
                at_risk[v].append(x)
            total_oi = sum(venue_oi.values())
            published = 0.0
            hi = lo = open_px
            for now in range(t + step_ms, t + HOUR_MS + 1, step_ms):
                for ev in m.step(now):
                    if isinstance(ev, Liquidation):
                        published += ev.usd
                        if ev.venue == "okx":
                            dist.append(abs(ev.price - open_px) / open_px)
                            dist_w.append(ev.usd)
                px = m.current_price(symbol)
                hi, lo = max(hi, px), min(lo, px)
            happened = sum(r.qty * r.mark for r in m.liquidations_all(symbol, start_ms=t + 1, end_ms=t + HOUR_MS))
            ratios.append(published / total_oi)
            all_ratios.append(happened / total_oi)
            ranges.append((hi - lo) / open_px)
            t += HOUR_MS
    return {
        "source": f"simulator {symbol}, seeds {list(seeds)}, {hours} h each",
        "hours": len(ratios),
        "liq_per_oi_hourly": _quantiles(np.array(ratios)),
        "liq_per_oi_hourly_all": _quantiles(np.array(all_ratios)),
        "okx_distance_from_hourly_open": {**_quantiles(np.array(dist), np.array(dist_w)), "events": len(dist)},
        "hourly_range": _quantiles(np.array(ranges)),
        "oi_usd": {v: float(np.mean(x)) for v, x in oi.items()},
        "at_risk_share": {v: float(np.mean(x)) for v, x in at_risk.items()},
    }


# ------------------------------------------------------------------ the real data


def coinglass_hourly(path: Path) -> dict[str, Any]:
    """Hourly liquidation USD / three-venue OI and hourly range from a Coinglass regime file.

    30-minute rows are summed per clock hour (hours with both halves only); OI is the hour's open.
    """
    hours: dict[int, list[dict[str, str]]] = defaultdict(list)
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            hours[int(row["timestamp"]) // HOUR_MS].append(row)
    ratios, ranges = [], []
    for rows in hours.values():
        rows.sort(key=lambda r: int(r["timestamp"]))
        span = int(rows[-1]["timestamp"]) - int(rows[0]["timestamp"])
        if len(rows) > 1 and span != HOUR_MS - HOUR_MS // len(rows):
            continue
        if len(rows) == 1 and int(rows[0]["timestamp"]) % HOUR_MS:
            continue  # a lone half hour
        oi = float(rows[0]["oi_open"]) * THREE_VENUES_PER_BINANCE_OI
        if not oi > 0:
            continue
        liq = sum(float(r["liquidation_total_usd"]) for r in rows)
        o = float(rows[0]["price_open"])
        ratios.append(liq / oi)
        ranges.append((max(float(r["price_high"]) for r in rows) - min(float(r["price_low"]) for r in rows)) / o)
    return {"source": f"{COINGLASS}/{path.name}", "hours": len(ratios),
            "liq_per_oi_hourly": _quantiles(np.array(ratios)), "hourly_range": _quantiles(np.array(ranges))}


def okx_distances(events: Path, candles: Path) -> dict[str, Any]:
    """USD-weighted |bkPx - hourly open| / open of the OKX BTC events (OKX candle, Binance where missing)."""
    opens: dict[int, float] = {}
    with candles.open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["coin"] == "BTC" and row["venue"] in ("okx", "binance"):
                h = int(row["open_time_ms"]) // HOUR_MS
                if row["venue"] == "okx" or h not in opens:
                    opens[h] = float(row["o"])
    dist, w = [], []
    with events.open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["venue"] != "okx" or row["coin"] != "BTC":
                continue
            o = opens.get(int(row["timestamp_ms"]) // HOUR_MS)
            if o is None:
                continue
            dist.append(abs(float(row["price"]) - o) / o)
            w.append(float(row["size_usd_as_recorded"]) * OKX_BTC_CT_VAL)
    return {"source": f"{OKX}/{events.name} (BTC)", **_quantiles(np.array(dist), np.array(w)), "events": len(dist)}


def oi_snapshot(path: Path) -> dict[str, float]:
    """BTC OI USD per venue (Binance, Bybit, OKX) from the one snapshot in open_interest_BTC.csv."""
    out: dict[str, float] = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["venue"] in DATA_VENUES and row["coin"] == "BTC":
                out[row["venue"]] = float(row["oi_usd"])
    return out


def measure_data(data_dir: Path | None = None) -> dict[str, Any] | None:
    """The real targets, or None when ../shared/data is absent."""
    d = data_dir or default_data_dir()
    if d is None or not (d / COINGLASS / TUNE_FILE).is_file():
        return None
    out: dict[str, Any] = {"tune": coinglass_hourly(d / COINGLASS / TUNE_FILE)}
    if (d / COINGLASS / REPORT_FILE).is_file():
        out["report"] = coinglass_hourly(d / COINGLASS / REPORT_FILE)
    if (d / OKX / "liquidations_events.csv").is_file():
        out["okx_distance_from_hourly_open"] = okx_distances(d / OKX / "liquidations_events.csv",
                                                             d / OKX / "candles_1h_BTC.csv")
        out["oi_usd"] = oi_snapshot(d / OKX / "open_interest_BTC.csv")
    return out


def measure(seeds: tuple[int, ...] = (0, 1, 2, 3), hours: int = 36, data_dir: Path | None = None) -> dict[str, Any]:
    """Simulator and real figures side by side."""
    return {"schema": "tnet.realism/1", "sim": measure_sim(seeds, hours), "data": measure_data(data_dir)}


def _fmt(x: float | None, pct: bool = False) -> str:
    if x is None:
        return "n/a"
    return f"{x * 100:.2f} %" if pct else f"{x:.2e}"


def table(r: dict[str, Any]) -> str:
    """The README's markdown table (sim beside targets)."""
    s, d = r["sim"], r["data"] or {}
    tune, rep = d.get("tune", {}), d.get("report", {})
    okx = d.get("okx_distance_from_hourly_open", {})
    ds = s["okx_distance_from_hourly_open"]

    def q(block: dict[str, Any], key: str, part: str, pct: bool = False) -> str:
        return _fmt((block.get(key) or {}).get(part), pct)

    rows = [
        ("hourly liquidation USD / OI, median", q(s, "liq_per_oi_hourly", "median"),
         q(tune, "liq_per_oi_hourly", "median"), q(rep, "liq_per_oi_hourly", "median")),
        ("hourly liquidation USD / OI, p90", q(s, "liq_per_oi_hourly", "p90"),
         q(tune, "liq_per_oi_hourly", "p90"), q(rep, "liq_per_oi_hourly", "p90")),
        ("OKX print distance from hourly open, USD-median", _fmt(ds["median"], True), _fmt(okx.get("median"), True), ""),
        ("OKX print distance from hourly open, USD-p90", _fmt(ds["p90"], True), _fmt(okx.get("p90"), True), ""),
        ("hourly price range, median", q(s, "hourly_range", "median", True), q(tune, "hourly_range", "median", True),
         q(rep, "hourly_range", "median", True)),
    ]
    for v in DATA_VENUES:
        real = d.get("oi_usd", {}).get(v)
        rows.append((f"BTC open interest {v}, USD", f"{s['oi_usd'][v] / 1e9:.2f} B",
                     f"{real / 1e9:.2f} B" if real else "n/a", ""))
    lines = ["| figure | simulator | target (tuning data) | 1-hour file (report only) |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {e} |" for a, b, c, e in rows]
    note = (f"Simulator: {s['source']} ({s['hours']} hours, {ds['events']} OKX prints); at-risk share of OI "
            + ", ".join(f"{v} {x * 100:.0f} %" for v, x in s["at_risk_share"].items())
            + f"; all liquidations (published or not) / OI: median {_fmt(s['liq_per_oi_hourly_all']['median'])},"
            f" p90 {_fmt(s['liq_per_oi_hourly_all']['p90'])}.")
    if not r["data"]:
        note += " Real data not found (../shared/data): targets not shown."
    return "\n".join(lines) + "\n\n" + note


def main(argv: list[str] | None = None) -> int:
    """`python -m tnet.evaluation.realism [--json] [--seeds 0,1,2,3] [--hours 36] [--data DIR]`."""
    ap = argparse.ArgumentParser(prog="python -m tnet.evaluation.realism", description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--seeds", default="0,1,2,3", help="comma-separated simulator seeds")
    ap.add_argument("--hours", type=int, default=36, help="whole clock hours per seed")
    ap.add_argument("--data", type=Path, default=None, help="the shared data directory (default ../shared/data)")
    a = ap.parse_args(argv)
    try:
        seeds = tuple(int(x) for x in a.seeds.split(",") if x.strip())
    except ValueError:
        print(f"realism: --seeds {a.seeds!r} is not a comma-separated list of integers", file=sys.stderr)
        return 2
    if not seeds or not 1 <= a.hours <= 24 * 30:
        print("realism: need at least one seed and --hours between 1 and 720", file=sys.stderr)
        return 2
    if a.data is not None and not a.data.is_dir():
        print(f"realism: --data {a.data} is not a directory", file=sys.stderr)
        return 2
    r = measure(seeds, a.hours, a.data)
    print(json.dumps(r, indent=2) if a.json else table(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
