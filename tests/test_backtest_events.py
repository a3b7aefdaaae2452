"""Event-level evaluation: the scores by hand, the events file and CLI, and the real OKX events when present."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from tnet.cli.backtest import backtest
from tnet.engine.calibrator import AT_RISK_PRIOR
from tnet.evaluation.barfile import BarFileError
from tnet.evaluation.eventfile import load_events, parse_event_columns
from tnet.evaluation.metrics import capture_top, rank_percentiles

app = typer.Typer()
app.command()(backtest)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OKX = DATA / "okx-hl-liq-0xknxwledge" / "liquidations_events.csv"
REGIME_1H = DATA / "coinglass-agg-ismethanhtung" / "regime_1h_BN-BB-OKX_2025-12-04_2026-06-02.csv"
BAR_COLS = ("ts=timestamp,open=price_open,high=price_high,low=price_low,close=price_close,oi_usd=oi_close,"
            "liq_long_usd=liquidation_long_usd,liq_short_usd=liquidation_short_usd")
EVENT_COLS = "ts=timestamp_ms,side=side,price=price,usd=size_usd_as_recorded,venue=venue,symbol=coin"


def test_rank_percentile_by_hand() -> None:
    score = np.array([1.0, 2.0, 3.0, 3.0])
    # bucket 2 (3.0): two below, one tie besides itself -> (2 + 0.5) / 3; bucket 0: nothing below -> 0
    assert rank_percentiles(score, np.array([2, 0, 1])) == pytest.approx([2.5 / 3, 0.0, 1 / 3])
    assert rank_percentiles(np.zeros(7), np.array([0, 6])) == pytest.approx([0.5, 0.5])  # flat = random


def test_capture_top_by_hand_with_ties_pro_rata() -> None:
    realised = np.array([5.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 4.0])
    score = np.arange(10.0)[::-1]  # bucket 0 ranks first, bucket 1 second
    assert capture_top(score, realised, 0.2) == pytest.approx(5.0)
    # a flat map captures exactly the share (expected value of a random tie-break): 0.2 x 10
    assert capture_top(np.zeros(10), realised, 0.2) == pytest.approx(2.0)
    # top one is bucket 9; the next slot is shared by buckets 0 and 2 (tied): half of 5 + 1
    tied = np.array([1.0, 0.0, 1.0, 0, 0, 0, 0, 0, 0, 2.0])
    assert capture_top(tied, realised, 0.2) == pytest.approx(4.0 + 0.5 * 6.0)


def _write_events(path: Path, rows: list[tuple[int, str, float, float]]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["timestamp_ms", "timestamp_utc", "venue", "coin", "side", "size_usd_as_recorded", "price"])
        for ts, side, usd, price in rows:
            w.writerow([ts, "", "okx", "BTC", side, usd, price])


def test_events_file_sides_units_and_firing_price(tmp_path: Path) -> None:
    f = tmp_path / "ev.csv"
    _write_events(f, [(1_772_700_000_000, "sell", 1_000_000.0, 70_000.0), (1_772_700_001_000, "buy", 500_000.0, 71_000.0)])
    evs = load_events(f, parse_event_columns(EVENT_COLS), symbol="BTC", venue="okx", usd_scale=0.01)
    assert [e.side for e in evs] == ["long", "short"]  # OKX order side: a sell closes a long
    assert evs[0].usd == pytest.approx(10_000.0)  # contracts x price recorded as USD, x ctVal 0.01
    assert evs[0].price == 70_000.0 and evs[0].fire == pytest.approx(70_000.0 / 0.996)  # bkPx moved back by 0.4 %
    assert evs[1].fire == pytest.approx(71_000.0 / 1.004)
    with pytest.raises(BarFileError, match="missing usd"):
        parse_event_columns("ts=timestamp_ms,side=side,price=price")
    _write_events(f, [(1_772_700_000_000, "hold", 1.0, 70_000.0)])
    with pytest.raises(BarFileError, match="not buy/sell/long/short"):
        load_events(f, parse_event_columns(EVENT_COLS))


def _write_bars(path: Path, start_ms: int, n: int) -> list[tuple[int, float, float]]:
    rng = np.random.default_rng(3)
    lines = ["timestamp,price_open,price_high,price_low,price_close,oi_close,liquidation_long_usd,liquidation_short_usd"]
    price, out = 70_000.0, []
    for k in range(n):
        o = price
        c = o * float(np.exp(rng.normal(0, 0.004)))
        h, lo = max(o, c) * 1.002, min(o, c) * 0.998
        ts = start_ms + k * 3_600_000
        lines.append(f"{ts},{o},{h},{lo},{c},{8e9 * (1 + 0.001 * k)},{2e6},{1e6}")
        out.append((ts, lo, h))
        price = c
    path.write_text("\n".join(lines) + "\n")
    return out


def test_events_cli_scores_every_ranking_against_uniform(tmp_path: Path) -> None:
    start = 1_772_000_000_000 // 3_600_000 * 3_600_000
    bars = _write_bars(tmp_path / "bars.csv", start, 40)
    rng = np.random.default_rng(5)
    rows = []
    for ts, lo, hi in bars[26:36]:  # events inside each hour's range, after a day of bars
        for _ in range(20):
            side = "sell" if rng.random() < 0.5 else "buy"
            rows.append((ts + int(rng.integers(0, 3_600_000)), side, float(rng.uniform(1e5, 1e6)), float(rng.uniform(lo, hi))))
    rows.sort()
    _write_events(tmp_path / "ev.csv", rows)
    res = CliRunner().invoke(app, ["--events", str(tmp_path / "ev.csv"), "--event-columns", EVENT_COLS,
                                   "--usd-scale", "0.01", "--bars", str(tmp_path / "bars.csv"), "--columns", BAR_COLS,
                                   "--json"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.output)
    assert rep["mode"] == "events" and rep["events"]["long"] + rep["events"]["short"] == len(rows)
    for variant in ("bars", "prints"):
        fixed = rep[variant]["windows"]["fixed"]
        for side in ("long", "short"):
            s = fixed[side]
            assert s["rank_pct"]["uniform"]["value"] == 0.5
            assert s["capture_at_10pct"]["uniform"]["value"] == pytest.approx(0.1, abs=0.005)  # k/n of 10 %
            for name in ("model", "hazard", "frozen", "distance", "distance_side", "recent_prints", "entry_profile"):
                assert 0.0 <= s["capture_at_10pct"][name]["value"] <= 1.0
            assert s["best_baseline"]["capture_at_10pct"] in ("uniform", "distance", "distance_side", "recent_prints",
                                                              "entry_profile")
        assert len(rep[variant]["mass_by_distance"]["long"]["map_share"]) == 5


def test_events_cli_reads_one_venue_of_a_mixed_bars_file_without_realised_totals(tmp_path: Path) -> None:
    start = 1_772_000_000_000 // 3_600_000 * 3_600_000
    bars = _write_bars(tmp_path / "okx.csv", start, 40)
    head, *rows = (tmp_path / "okx.csv").read_text().splitlines()
    cols = head.split(",")[:6]  # no realised liquidation columns: what candle + OI files look like
    mixed = ["venue,coin," + ",".join(cols)]
    for row in rows:
        vals = row.split(",")[:6]
        mixed.append("okx,BTC," + ",".join(vals))
        mixed.append("binance,BTC," + ",".join([vals[0], *(str(float(v) * 3) for v in vals[1:])]))  # another market
        mixed.append("okx,ETH," + ",".join([vals[0], *(str(float(v) / 20) for v in vals[1:])]))
    (tmp_path / "mixed.csv").write_text("\n".join(mixed) + "\n")
    rng = np.random.default_rng(6)
    events = sorted((ts + int(rng.integers(0, 3_600_000)), "sell" if rng.random() < 0.5 else "buy",
                     float(rng.uniform(1e5, 1e6)), float(rng.uniform(lo, hi))) for ts, lo, hi in bars[26:36] for _ in range(10))
    _write_events(tmp_path / "ev.csv", events)
    no_totals = "ts=timestamp,open=price_open,high=price_high,low=price_low,close=price_close,oi_usd=oi_close"
    common = ["--events", str(tmp_path / "ev.csv"), "--event-columns", EVENT_COLS, "--usd-scale", "0.01", "--json"]
    one = CliRunner().invoke(app, [*common, "--bars", str(tmp_path / "okx.csv"), "--columns", no_totals])
    assert one.exit_code == 0, one.output
    args = [*common, "--bars", str(tmp_path / "mixed.csv"), "--columns", no_totals + ",venue=venue,symbol=coin"]
    res = CliRunner().invoke(app, [*args, "--venue", "okx"])
    assert res.exit_code == 0, res.output
    rep, ref = json.loads(res.output), json.loads(one.output)
    assert rep["bars"] == ref["bars"] and rep["prints"] == ref["prints"]  # the other venue and coin were left out
    # without totals the bars-only variant has nothing to learn from; the prints variant still learns
    assert rep["bars"]["calibration"]["at_risk"] == AT_RISK_PRIOR != rep["prints"]["calibration"]["at_risk"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2 and "--venue" in res.output and "Traceback" not in res.output


def test_events_cli_one_line_errors(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["--events", str(tmp_path / "none.csv"), "--event-columns", EVENT_COLS])
    assert res.exit_code == 2 and "needs --bars" in res.output
    _write_bars(tmp_path / "bars.csv", 1_772_000_000_000, 30)
    res = CliRunner().invoke(app, ["--events", str(tmp_path / "none.csv"), "--event-columns", EVENT_COLS,
                                   "--bars", str(tmp_path / "bars.csv"), "--columns", BAR_COLS])
    assert res.exit_code == 2 and "cannot read" in res.output and "Traceback" not in res.output


def test_events_of_another_market_or_outside_the_bars_are_an_error_not_empty_scores(tmp_path: Path) -> None:
    start = 1_772_000_000_000 // 3_600_000 * 3_600_000
    bars = _write_bars(tmp_path / "bars.csv", start, 40)  # BTC near 70,000
    common = ["--event-columns", EVENT_COLS, "--usd-scale", "0.01", "--bars", str(tmp_path / "bars.csv"),
              "--columns", BAR_COLS, "--json"]
    # ETH-priced prints against BTC bars: nothing lands in any window; before, every figure was null and exit 0
    _write_events(tmp_path / "eth.csv", [(ts + 60_000, "sell", 1e6, 2_100.0) for ts, _, _ in bars[26:30]])
    res = CliRunner().invoke(app, ["--events", str(tmp_path / "eth.csv"), *common])
    assert res.exit_code == 2 and "different markets" in res.output and "median 2,100" in res.output
    assert "Traceback" not in res.output and "{" not in res.output
    # prints a day after the bars end: no hour of the bars covers them
    late = start + 60 * 3_600_000
    _write_events(tmp_path / "late.csv", [(late, "sell", 1e6, 70_000.0), (late + 5_000, "buy", 1e6, 70_100.0)])
    res = CliRunner().invoke(app, ["--events", str(tmp_path / "late.csv"), *common])
    assert res.exit_code == 2 and "cover none of the events' hours" in res.output


@pytest.mark.skipif(not (OKX.exists() and REGIME_1H.exists()), reason="shared real data absent")
def test_real_okx_events_are_read_as_documented() -> None:
    since, until = "2026-03-04T23:31:00Z", "2026-03-05T11:07:00Z"  # both sides complete (data README)
    res = CliRunner().invoke(app, ["--events", str(OKX), "--event-columns", EVENT_COLS, "--usd-scale", "0.01",
                                   "--venue", "okx", "--since", since, "--until", until,
                                   "--bars", str(REGIME_1H), "--columns", BAR_COLS, "--json"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.output)
    # counted independently from the CSV: OKX BTC rows in the window, sell = longs liquidated
    lo, hi = (int(datetime.fromisoformat(x.replace("Z", "+00:00")).timestamp() * 1000) for x in (since, until))
    with OKX.open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["venue"] == "okx" and r["coin"] == "BTC"
                and lo <= int(r["timestamp_ms"]) < hi]
    assert rep["events"]["long"] == sum(r["side"] == "sell" for r in rows)
    assert rep["events"]["short"] == sum(r["side"] == "buy" for r in rows)
    # the data README: raw bkPx lies inside the hour's range about half the time, moved back by 0.4 % almost always
    for side in ("long", "short"):
        inside = rep["inside_traded_range"][side]
        assert inside["fire"] > 0.9 > inside["reported"]


def test_simulated_stand_in_has_the_real_tests_shape() -> None:
    from tnet.evaluation.simevents import sim_event_dataset

    events, bars, truth = sim_event_dataset(seed=2, hours=2, activity=10, step_ms=5_000)
    assert events and all(e.venue == "okx" for e in events)
    # OKX publishes the bankruptcy price: a long fires above it, a short below (moved back by the MMR)
    assert all((e.fire > e.price) if e.side == "long" else (e.fire < e.price) for e in events)
    assert len(bars) >= 24 + 2 and all(b.bar.interval_ms == 3_600_000 for b in bars)
    assert [b.bar.ts_ms for b in bars] == sorted(b.bar.ts_ms for b in bars)
    assert sum(b.liq_long_usd + b.liq_short_usd for b in bars) > 0  # realised totals over every venue
    assert sum(truth["at_risk_mix"].values()) == pytest.approx(1.0) and 0 < truth["at_risk_share"] < 1


def test_price_bars_put_the_map_on_the_scored_venues_price(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # the aggregate bars carry another market's price (spot, +2 % here); the venue's own candles fix it
    start = 1_772_000_000_000 // 3_600_000 * 3_600_000
    venue_bars = _write_bars(tmp_path / "venue.csv", start, 40)
    head, *rows = (tmp_path / "venue.csv").read_text().splitlines()
    spot = [head]
    for row in rows:
        ts, *vals = row.split(",")
        spot.append(",".join([ts, *(f"{float(v) * 1.02}" for v in vals[:4]), *vals[4:]]))
    (tmp_path / "spot.csv").write_text("\n".join(spot[:-3]) + "\n")  # the aggregate ends before the candles
    candles = ["open_time_ms,venue,coin,o,h,l,c"] + [
        f"{r.split(',')[0]},okx,BTC,{','.join(r.split(',')[1:5])}" for r in rows]
    candles.insert(5, f"{start + 4 * 3_600_000},binance,BTC,1,1,1,1")  # another venue's row is left out
    (tmp_path / "candles.csv").write_text("\n".join(candles[:3] + candles[4:]) + "\n")  # hour 2 has no candle
    rng = np.random.default_rng(7)
    events = sorted((ts + int(rng.integers(0, 3_600_000)), "sell" if rng.random() < 0.5 else "buy",
                     float(rng.uniform(1e5, 1e6)), float(rng.uniform(lo, hi))) for ts, lo, hi in venue_bars[26:36] for _ in range(10))
    _write_events(tmp_path / "ev.csv", events)
    common = ["--events", str(tmp_path / "ev.csv"), "--event-columns", EVENT_COLS, "--usd-scale", "0.01",
              "--venue", "okx", "--bars", str(tmp_path / "spot.csv"), "--columns", BAR_COLS, "--json"]
    price_args = ["--price-bars", str(tmp_path / "candles.csv"),
                  "--price-columns", "ts=open_time_ms,open=o,high=h,low=l,close=c,venue=venue,symbol=coin"]
    plain = CliRunner().invoke(app, common)
    fixed = CliRunner().invoke(app, [*common, *price_args])
    assert plain.exit_code == 0 and fixed.exit_code == 0, plain.output + fixed.output
    a, b = json.loads(plain.output), json.loads(fixed.output)
    # on the spot price every event lies 2 % below its hour's range; on the venue's candles inside it
    # (the firing price moves OKX's bankruptcy price back by 0.4 %, so a few land just outside)
    assert a["inside_traded_range"]["long"]["reported"] == 0.0
    assert b["inside_traded_range"]["long"]["reported"] == 1.0 and b["inside_traded_range"]["short"]["reported"] == 1.0
    assert b["price_bars"]["bars_without_price"] == 1 and "price_bars" not in a  # hour 2 dropped, not spliced
    assert b["events"] == a["events"]
    from tnet.cli.backtest import _print_rich

    # wide enough that the temporary path (its length varies from run to run) does not wrap the line
    monkeypatch.setenv("COLUMNS", "400")
    _print_rich(b)  # the tables a terminal gets say where the price came from
    assert "candles.csv (1 bar without a candle left out)" in capsys.readouterr().out
    res = CliRunner().invoke(app, [*common, price_args[0], price_args[1], "--price-columns",
                                   "ts=open_time_ms,open=o,high=h,low=l,close=c"])  # two venues' rows, no venue column
    assert res.exit_code == 2 and "(rows of several markets?" in res.output
    res = CliRunner().invoke(app, [*common[:-1], price_args[0], price_args[1]])
    assert res.exit_code == 2 and "--price-columns" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(app, ["--bars", str(tmp_path / "spot.csv"), "--columns", BAR_COLS, *price_args])
    assert res.exit_code == 2 and "goes with --events" in res.output
    half_hourly = ["open_time_ms,venue,coin,o,h,l,c"] + [
        f"{start + k * 1_800_000},okx,BTC,70000,70100,69900,70050" for k in range(80)]
    (tmp_path / "candles30.csv").write_text("\n".join(half_hourly) + "\n")
    res = CliRunner().invoke(app, [*common[:-1], price_args[0], str(tmp_path / "candles30.csv"), *price_args[2:]])
    assert res.exit_code == 2 and "30 min bars, --bars 60 min" in res.output and "Traceback" not in res.output
