"""OKX in the simulator: its market (SimParams)."""

from tnet.sim.venues.params import SimParams

SIM = SimParams(
    btc_oi_usd=2.05e9,  # open_interest_BTC.csv, 2026-03-07T10:49Z
    risk_mix={"isolated": 0.036, "cross": 0.494, "hedged": 0.20, "low_leverage": 0.15, "top_up": 0.12},
    leverage_mix={2: 0.12, 3: 0.14, 5: 0.22, 10: 0.22, 20: 0.12, 25: 0.07, 50: 0.06, 75: 0.02, 100: 0.02, 125: 0.01},
    mark_ms=500, oi_ms=3000, live_mark_ms=200, live_oi_ms=3000,
    published_share=0.4,  # liquidation-orders carries a subset (the model's prior is its record's coverage)
)
