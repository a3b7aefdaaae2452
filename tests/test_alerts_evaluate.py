"""Pure rule evaluation: hand-built views, prints and health in; which alerts come out, and when."""

from __future__ import annotations

from typing import Any

import pytest

from tnet.alerts.evaluate import AlertEngine
from tnet.alerts.rules import parse_rules
from tnet.engine.views import SymbolView, TapeView, Zone
from tnet.events import Liquidation

T = 1_800_000_000_000


def view(price: float, zones: list[Zone] = (), oi: dict[str, float] | None = None, symbol: str = "BTC") -> SymbolView:  # type: ignore[assignment]
    tape = TapeView(events=[], clusters=[], long_usd=0.0, short_usd=0.0, window_s=3600)
    oi = dict(oi or {})
    oi["total_usd"] = sum(oi.values())
    return SymbolView(symbol, T, price, 10.0, [], list(zones), tape, {}, oi)


def zone(zid: int, side: str, low: float, high: float, usd: float) -> Zone:
    return Zone(id=zid, side=side, price_low=low, price_high=high, usd=usd, state="active", created_ms=T,
                touches=0, distance_pct=0.0)


def engine(*rules: str) -> AlertEngine:
    return AlertEngine(parse_rules([], list(rules)))


def at(eng: AlertEngine, s: float, views: dict[str, SymbolView] | None = None, health: dict[str, Any] | None = None) -> list[str]:
    return [a.key for a in eng.evaluate(T + int(s * 1000), views or {}, health or {})]


def test_zone_fires_once_rearms_when_price_leaves_and_respects_the_cooldown() -> None:
    eng = engine("zone:within_pct=0.5,min_usd=1M,cooldown=60s")
    near = zone(1, "short", 50_200, 50_300, 2e6)  # 0.4 % above 50,000
    small = zone(2, "short", 50_100, 50_150, 0.5e6)  # near but too small
    far = zone(3, "long", 48_000, 48_500, 9e6)  # 3 % below
    zones = [near, small, far]
    assert at(eng, 0, {"BTC": view(50_000, zones)}) == ["BTC:zone:short:50200:50300"]
    assert at(eng, 1, {"BTC": view(50_000, zones)}) == []  # same episode: a duplicate
    assert at(eng, 5, {"BTC": view(49_000, zones)}) == []  # price left (2.4 % away): re-armed
    assert at(eng, 10, {"BTC": view(50_010, zones)}) == []  # back near, but inside the 60 s cooldown
    assert at(eng, 61, {"BTC": view(50_010, zones)}) == ["BTC:zone:short:50200:50300"]  # cooldown over, still near


def test_a_zone_that_ends_and_reforms_over_the_same_prices_is_the_same_zone() -> None:
    eng = engine("zone:within_pct=0.5,min_usd=1M")
    assert len(at(eng, 0, {"BTC": view(50_000, [zone(1, "short", 50_200, 50_300, 2e6)])})) == 1
    assert at(eng, 1, {"BTC": view(50_000, [zone(7, "short", 50_250, 50_350, 2e6)])}) == []
    assert len(at(eng, 2, {"BTC": view(50_000, [zone(8, "long", 49_800, 49_900, 2e6)])})) == 1  # other side: new


def test_zone_within_buckets_and_side() -> None:
    eng = engine("zone:within_buckets=5,min_usd=1M,side=long")
    zones = [zone(1, "long", 49_940, 49_960, 3e6), zone(2, "short", 50_020, 50_040, 3e6), zone(3, "long", 49_800, 49_900, 3e6)]
    # 40 $ = 4 buckets of $10 below: fires; the short zone is the wrong side; 10 buckets is too far.
    assert at(eng, 0, {"BTC": view(50_000, zones)}) == ["BTC:zone:long:49940:49960"]


def liq(s: float, side: str, usd: float, venue: str = "binance", ts_lag_s: float = 0.1) -> Liquidation:
    recv = T + int(s * 1000)
    return Liquidation(venue, "BTC", recv - int(ts_lag_s * 1000), recv, side, 50_000.0, usd / 50_000.0, usd)


def test_burst_per_side_and_venue_and_backfill_does_not_count() -> None:
    eng = engine("burst:name=all,min_usd=100k,window=10s", "burst:name=okx,min_usd=100k,window=10s,venue=okx")
    eng.observe([liq(0, "long", 60e3), liq(1, "short", 60e3), liq(2, "long", 30e3, venue="okx")])
    # OKX's REST backfill: received now, liquidated an hour ago; it belongs to no window.
    eng.observe([liq(3, "long", 500e3, venue="okx", ts_lag_s=3600)])
    assert at(eng, 3, {"BTC": view(50_000)}) == []  # longs $90k, shorts $60k
    eng.observe([liq(4, "long", 20e3, venue="bybit")])
    alerts = eng.evaluate(T + 4000, {"BTC": view(50_000)}, {})
    assert [(a.rule, a.key) for a in alerts] == [("all", "BTC:burst:long:all")]
    assert alerts[0].data["usd"] == 110e3 and alerts[0].data["count"] == 3
    # where they fired: Binance's fill at 50,000; Bybit reports the bankruptcy price, a long fires above it
    # by its 0.5 % maintenance margin: 50,000 / 0.995 = 50,251.26 (the reported 50,000 is not a price it traded)
    assert alerts[0].data["price_low"] == 50_000.0
    assert alerts[0].data["price_high"] == pytest.approx(50_000.0 / 0.995)
    assert at(eng, 11, {"BTC": view(50_000)}) == []  # the first print left the window: $50k, re-armed


def test_cluster_forms_once_and_its_drift_is_the_same_cluster() -> None:
    eng = engine("cluster:min_usd=100k,window=60s,cooldown=0s")
    eng.observe([liq(0, "long", 40e3), liq(1, "long", 40e3)])
    assert at(eng, 1, {"BTC": view(50_000)}) == []  # two prints are not a cluster
    eng.observe([liq(2, "long", 40e3)])
    keys = at(eng, 2, {"BTC": view(50_000)})
    assert len(keys) == 1 and keys[0].startswith("BTC:cluster:")
    # A print 0.04 % higher moves the USD-weighted price: still the same cluster, no second alert.
    eng.observe([Liquidation("bybit", "BTC", T + 3000, T + 3000, "long", 50_020.0, 1.0, 50_020.0)])
    assert at(eng, 3, {"BTC": view(50_000)}) == []


def test_oi_change_ignores_a_venue_first_reporting() -> None:
    eng = engine("oi:change_pct=5,window=60s")
    assert at(eng, 0, {"BTC": view(50_000, oi={"binance": 100e6})}) == []
    # Bybit's first report doubles the total; it is not a change in open interest.
    assert at(eng, 1, {"BTC": view(50_000, oi={"binance": 100e6, "bybit": 100e6})}) == []
    assert at(eng, 2, {"BTC": view(50_000, oi={"binance": 104e6, "bybit": 100e6})}) == []  # +2 %
    assert at(eng, 3, {"BTC": view(50_000, oi={"binance": 112e6, "bybit": 100e6})}) == ["BTC:oi:up:all"]  # +6 %
    assert at(eng, 70, {"BTC": view(50_000, oi={"binance": 112e6, "bybit": 100e6})}) == []


def test_oi_down_only_and_window() -> None:
    eng = engine("oi:change_pct=5,window=10s,direction=down")
    at(eng, 0, {"BTC": view(50_000, oi={"okx": 100e6})})
    assert at(eng, 5, {"BTC": view(50_000, oi={"okx": 120e6})}) == []  # up: not this rule
    assert at(eng, 30, {"BTC": view(50_000, oi={"okx": 110e6})}) == []  # -8 % but over 25 s > window
    assert at(eng, 35, {"BTC": view(50_000, oi={"okx": 100e6})}) == ["BTC:oi:down:all"]


def health(**states: str) -> dict[str, Any]:
    return {"venues": {v: {"state": s, "reason": "connection refused" if s == "down" else ""} for v, s in states.items()}}


def test_venue_down_for_t_seconds_fires_once_per_episode() -> None:
    eng = engine("venue:for=10s,cooldown=0s", "venue:name=okx-stale,for=5s,venue=okx,states=stale")
    assert at(eng, 0, health=health(binance="connecting", okx="live")) == []
    assert at(eng, 1, health=health(binance="down", okx="stale")) == []
    assert at(eng, 6, health=health(binance="down", okx="stale")) == ["venue:okx"]
    assert at(eng, 11, health=health(binance="down", okx="down")) == ["venue:binance", "venue:okx"]
    assert at(eng, 30, health=health(binance="down", okx="down")) == []  # still down: no repeat
    assert at(eng, 31, health=health(binance="live", okx="live")) == []
    assert at(eng, 35, health=health(binance="stale", okx="live")) == []  # a new episode, only 0 s
    assert at(eng, 45, health=health(binance="stale", okx="live")) == ["venue:binance"]


def test_symbols_filter_and_alert_json() -> None:
    eng = engine("zone:within_pct=1,min_usd=1M,symbols=ETH")
    views = {"BTC": view(50_000, [zone(1, "long", 49_900, 49_950, 5e6)]),
             "ETH": view(3_000, [zone(2, "long", 2_990, 2_995, 5e6)], symbol="ETH")}
    [alert] = eng.evaluate(T, views, {})
    d = alert.to_dict()
    assert d["schema"] == "tnet.alert/1" and d["symbol"] == "ETH" and d["rule"] == "zone-1" and d["kind"] == "zone"
    assert d["data"]["zone"]["usd"] == 5e6 and d["data"]["gap_pct"] == round(5 / 3000 * 100, 4)
    assert "ETH 3,000.00: long liquidation zone 2,990.00–2,995.00 holding $5M is 0.17% below price" == d["message"]


def test_zone_by_hazard_ranks_by_the_chance_of_being_reached() -> None:
    from dataclasses import replace

    eng = engine("zone:within_pct=2,min_usd=100k,by=hazard")
    big_unlikely = replace(zone(1, "short", 50_800, 50_900, 9e6), hazard_usd=50e3)
    small_likely = replace(zone(2, "long", 49_800, 49_900, 0.4e6), hazard_usd=150e3)
    [alert] = eng.evaluate(T, {"BTC": view(50_000, [big_unlikely, small_likely])}, {})
    assert alert.key == "BTC:zone:long:49800:49900" and alert.data["value_usd"] == 150e3
    assert "holding $400k (hazard $150k)" in alert.message


def usd_fields(obj: Any, path: str = "") -> dict[str, Any]:
    """Every value whose key is `usd` or ends in `_usd`, anywhere in `obj`, by its path."""
    out: dict[str, Any] = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "usd" or k.endswith("_usd"):
                out[f"{path}.{k}"] = v
            out.update(usd_fields(v, f"{path}.{k}"))
    return out


def test_alert_json_gives_usd_to_the_cent_like_the_snapshot() -> None:
    from dataclasses import replace

    eng = engine("zone:within_pct=1,min_usd=1M", "zone:name=hz,within_pct=1,min_usd=100k,by=hazard",
                 "burst:min_usd=100k,window=60s,side=long", "cluster:min_usd=100k,window=300s",
                 "oi:change_pct=5,window=60s")
    z = replace(zone(1, "long", 49_900, 49_950, 1_234_567.8912345), hazard_usd=345_678.123456)
    at(eng, 0, {"BTC": view(50_000, oi={"binance": 100_000_000.3333})})
    eng.observe([liq(1, "long", 60_000.123456), liq(2, "long", 60_000.123456), liq(3, "long", 60_000.004)])
    alerts = eng.evaluate(T + 3000, {"BTC": view(50_000, [z], oi={"binance": 110_000_000.6666})}, {})
    got = {a.kind + ("-" + a.rule if a.rule == "hz" else ""): usd_fields(a.to_dict()["data"]) for a in alerts}
    assert got == {
        "zone": {".zone.usd": 1_234_567.89, ".zone.hazard_usd": 345_678.12, ".value_usd": 1_234_567.89},
        "zone-hz": {".zone.usd": 1_234_567.89, ".zone.hazard_usd": 345_678.12, ".value_usd": 345_678.12},
        "burst": {".usd": 180_000.25, ".largest_usd": 60_000.12},
        "cluster": {".usd": 180_000.25},
        "oi": {".from_usd": 100_000_000.33, ".to_usd": 110_000_000.67},
    }
