"""Feed-health bookkeeping: states from canary age, rates, latency percentiles, exit codes."""

from __future__ import annotations

from tnet.connectors.health import VenueHealth, overall_exit_code
from tnet.events import MarkPrice, Trades


def mark(symbol: str, ts: int) -> MarkPrice:
    return MarkPrice("binance", symbol, ts, ts, 1.0)


def trade(symbol: str, ts: int) -> Trades:
    return Trades("binance", symbol, ts, ts, 1.0, 1.0, 0.0)


def test_states_follow_the_canary() -> None:
    h = VenueHealth("binance", stale_after_s=5.0)
    assert h.state(0, ["BTC"]) == ("connecting", "")
    h.on_down("DNS failure (no route to the venue?)")
    assert h.state(0, ["BTC"]) == ("down", "DNS failure (no route to the venue?)")
    h.on_connected(10_000)
    assert h.state(10_500, ["BTC"])[0] == "connecting"  # subscribed, no data yet
    h.on_events([mark("BTC", 10_900)], 11_000)
    assert h.state(12_000, ["BTC"]) == ("live", "")
    # A non-canary event does not keep the feed alive.
    h.on_events([trade("BTC", 16_900)], 17_000)
    state, reason = h.state(17_000, ["BTC"])
    assert state == "stale" and "BTC" in reason and "6s" in reason
    # One stale symbol degrades the venue even if another is live.
    h.on_events([mark("ETH", 16_990)], 17_000)
    assert h.state(17_000, ["BTC", "ETH"])[0] == "stale"
    assert h.state(17_000, ["ETH"])[0] == "live"


def test_reconnects_count_only_after_the_first_connection() -> None:
    h = VenueHealth("okx", stale_after_s=15.0)
    h.on_connected(0)
    h.on_down("connection lost")
    h.on_connected(1_000)
    h.on_connected(2_000)
    assert h.reconnects == 2


def test_latency_percentiles_over_the_last_200_events() -> None:
    h = VenueHealth("bybit", stale_after_s=5.0)
    h.on_connected(0)
    for i in range(300):
        # The first 100 events are slow (1000 ms) and fall out of the 200-event window.
        lat = 1000 if i < 100 else (i - 100) % 100 + 1  # 1..100 twice
        h.on_events([mark("BTC", 50_000 - lat)], 50_000)
    rep = h.report(50_000, ["BTC"])
    assert rep["latency_ms_p50"] in (50.0, 51.0)
    assert rep["latency_ms_p99"] in (99.0, 100.0)


def test_message_rate_uses_the_recent_window() -> None:
    h = VenueHealth("binance", stale_after_s=5.0)
    h.on_connected(0)
    for t in range(0, 20_000, 100):  # 10 frames/s for 20 s
        h.on_frame(t)
    assert abs(h.msgs_per_s(20_000) - 10.0) < 0.2
    assert h.msgs_per_s(40_000) == 0.0


def test_report_has_the_contract_keys() -> None:
    h = VenueHealth("binance", stale_after_s=5.0, note="≤1 liquidation/s")
    rep = h.report(0, ["BTC"])
    for key in ("state", "last_msg_age_s", "msgs_per_s", "latency_ms_p50", "latency_ms_p99",
                "reconnects", "parse_errors", "reason"):
        assert key in rep
    assert rep["note"] == "≤1 liquidation/s"


def test_exit_codes() -> None:
    live = {"state": "live"}
    assert overall_exit_code({"a": live, "b": live}) == 0
    assert overall_exit_code({"a": live, "b": {"state": "stale"}}) == 1
    assert overall_exit_code({"a": {"state": "stale"}, "b": {"state": "down"}}) == 2


def test_exit_code_is_degraded_for_a_flapping_or_noisy_venue_and_down_only_at_the_end() -> None:
    live = {"state": "live", "live_share": 1.0, "flaps": 0, "reconnects": 0, "parse_errors": 0, "junk": 0}
    assert overall_exit_code({"a": live}) == 0
    # Live 93 % of the run but dropped now and then: degraded, not down.
    assert overall_exit_code({"a": live, "b": {**live, "live_share": 0.93, "flaps": 4, "reconnects": 4}}) == 1
    assert overall_exit_code({"a": {**live, "parse_errors": 2}}) == 1
    assert overall_exit_code({"a": {**live, "junk": 1}}) == 1
    # Down at the end, or never came up: down.
    assert overall_exit_code({"a": live, "b": {**live, "state": "down", "live_share": 0.9}}) == 2
    assert overall_exit_code({"a": live, "b": {**live, "state": "connecting", "live_share": 0.0}}) == 2
