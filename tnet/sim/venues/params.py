"""What the simulator assumes about one venue's market (hidden truth, cadences): its SimParams."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SimParams:
    """The simulated market of one venue. Truth the model must not share: it is tuned to real data."""

    btc_oi_usd: float  # BTC open interest, USD (other symbols scale it)
    risk_mix: dict[str, float]  # default OI shares by how positions are held (tnet.sim.market.RISK_KINDS)
    leverage_mix: dict[int, float]  # default hidden leverage mix over LEVERAGE_TIERS
    mark_ms: int  # mark-price interval in evaluation runs (coarse: a 36 h backtest stays fast)
    oi_ms: int | None  # open-interest interval in evaluation runs (None: not published)
    live_mark_ms: int  # ... and when served in real time
    live_oi_ms: int | None
    published_share: float = 1.0  # share of liquidations a partial feed really publishes
    oi_every_interval: bool = False  # open interest is published even when unchanged (a REST poll answers)
