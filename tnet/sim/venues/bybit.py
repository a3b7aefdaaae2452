"""Bybit in the simulator: its market (SimParams)."""

from tnet.sim.venues.params import SimParams

SIM = SimParams(
    btc_oi_usd=3.28e9,  # open_interest_BTC.csv, 2026-03-07T10:49Z
    risk_mix={"isolated": 0.028, "cross": 0.522, "hedged": 0.18, "low_leverage": 0.15, "top_up": 0.12},
    leverage_mix={2: 0.08, 3: 0.10, 5: 0.18, 10: 0.22, 20: 0.15, 25: 0.10, 50: 0.08, 75: 0.04, 100: 0.04, 125: 0.01},
    mark_ms=500, oi_ms=1000, live_mark_ms=100, live_oi_ms=1000,  # tickers push every 100 ms
)
