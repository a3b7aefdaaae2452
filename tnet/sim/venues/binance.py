"""Binance in the simulator: its market (SimParams)."""

from tnet.sim.venues.params import SimParams

# BTC open interest from the only per-venue snapshot in the shared data:
# ../shared/data/okx-hl-liq-0xknxwledge/open_interest_BTC.csv at 2026-03-07T10:49Z.
# Risk mix: tuned so published hourly liquidation USD per OI straddles the Coinglass 30-minute regime
# file's median and p90 (README "Simulator realism"); Binance defaults to cross margin.
SIM = SimParams(
    btc_oi_usd=5.73e9,
    risk_mix={"isolated": 0.024, "cross": 0.536, "hedged": 0.20, "low_leverage": 0.14, "top_up": 0.10},
    leverage_mix={2: 0.10, 3: 0.12, 5: 0.20, 10: 0.22, 20: 0.14, 25: 0.08, 50: 0.07, 75: 0.03, 100: 0.03, 125: 0.01},
    mark_ms=1000, oi_ms=5000, live_mark_ms=1000,
    live_oi_ms=None,  # open interest is REST only (the server answers polls from the market)
    oi_every_interval=True,
)
