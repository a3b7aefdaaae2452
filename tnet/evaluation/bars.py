"""`backtest --bars`: sweep skill on real bars (predicted swept USD vs realised liquidation USD per side)."""

from __future__ import annotations

from typing import Any

from tnet.engine.engine import SymbolEngine
from tnet.evaluation.metrics import SCHEMA, spearman


def run_bars(rows: list[Any], symbol: str = "BTC", warmup_bars: int = 24) -> dict[str, Any]:
    """Sweep skill on real bars: predicted USD swept per bar (before the bar's update) vs realised, per side."""
    from tnet.engine.bars import diffuse_sweep

    engine = SymbolEngine(symbol, ("binance",))
    pred_l, pred_s, base_l, base_s, real_l, real_s, point_l, point_s = ([] for _ in range(8))
    prev_oi = None
    for k, r in enumerate(rows):
        b = r.bar
        oi = prev_oi if prev_oi is not None else b.oi_usd  # only what was known at the bar's open
        # the bar's realised totals are known once it closes: they teach the at-risk share for later bars
        sw_l, sw_s = engine.ingest_bar_group([b], realised=(r.liq_long_usd, r.liq_short_usd))
        prev_oi = b.oi_usd
        if k < warmup_bars:
            continue
        down = max(b.open - b.low, 0.0) / b.open
        up = max(b.high - b.open, 0.0) / b.open
        point_l.append(sw_l)
        point_s.append(sw_s)
        pred_l.append(sw_l + diffuse_sweep(oi, down))
        pred_s.append(sw_s + diffuse_sweep(oi, up))
        base_l.append(down * oi)
        base_s.append(up * oi)
        real_l.append(r.liq_long_usd)
        real_s.append(r.liq_short_usd)

    def rnd(v: float | None) -> float | None:
        return None if v is None else round(v, 4)

    return {
        "schema": SCHEMA,
        "mode": "bars",
        "bars": len(real_l),
        "warmup_bars": warmup_bars,
        "swept_usd": {"long": round(float(sum(point_l))), "short": round(float(sum(point_s)))},
        "realised_usd": {"long": round(float(sum(real_l))), "short": round(float(sum(real_s)))},
        "at_risk": round(float(engine.calibrator.per_venue[0].at_risk), 5),
        "sweep_spearman": {
            "long": {"model": rnd(spearman(pred_l, real_l)), "baseline": rnd(spearman(base_l, real_l)),
                     "point_map_only": rnd(spearman(point_l, real_l))},
            "short": {"model": rnd(spearman(pred_s, real_s)), "baseline": rnd(spearman(base_s, real_s)),
                      "point_map_only": rnd(spearman(point_s, real_s))},
        },
    }
