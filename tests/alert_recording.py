"""Frames of a hand-made recording (real Binance and Bybit wire formats) whose alert-worthy moments are known by construction."""

from __future__ import annotations

import json

T0 = 1_800_000_000_000  # recording clock origin (ms)
PRICE = 50_000.0
LIQ_PRICE = 49_990.0
LIQ_QTY = 1.2  # $59,988 per print: 3 prints $180k, 4 prints $240k
BURSTS_S = (50, 100, 250)  # each: five long liquidations, one a second
BYBIT_SILENT_S = (120, 160)  # Bybit sends nothing in [120, 160): stale from 125 s (its canary limit is 5 s)
OI_BASE = (1000.0, 1100.0)  # Binance open interest (BTC) before and from OI_STEP_S: +10 %, +5 % of the total
OI_STEP_S = 200
BYBIT_OI_USD = 50_000_000.0
END_S = 300


def ms(t_s: float) -> int:
    """Recording time of second `t_s`."""
    return T0 + int(round(t_s * 1000))


def burst_print_times() -> list[float]:
    """When each long liquidation is received (s)."""
    return [b + k + 0.3 for b in BURSTS_S for k in range(5)]


def alert_frames() -> list[tuple[int, str, str, str]]:
    """300 s of BTC marks on both venues, Binance OI polls, three bursts of long liquidations, a Bybit silence."""
    lines: list[tuple[int, str, str, str]] = [
        (ms(0), "tnet", "meta", json.dumps({"tnet": "recording/1", "symbols": ["BTC"], "exchanges": ["binance", "bybit"]}))]
    for t in range(END_S + 1):
        mark = {"stream": "btcusdt@markPrice@1s", "data": {
            "e": "markPriceUpdate", "E": ms(t) - 40, "s": "BTCUSDT", "p": f"{PRICE:.2f}", "P": f"{PRICE:.2f}",
            "i": f"{PRICE:.2f}", "r": "0.00010000", "T": ms(t) + 3_600_000}}
        lines.append((ms(t) + 500, "binance", "market", json.dumps(mark)))
        if t == 0:
            snap = {"topic": "tickers.BTCUSDT", "type": "snapshot", "cs": 1, "ts": ms(t) + 600, "data": {
                "symbol": "BTCUSDT", "lastPrice": f"{PRICE:.2f}", "markPrice": f"{PRICE:.2f}",
                "indexPrice": f"{PRICE:.2f}", "openInterest": f"{2 * BYBIT_OI_USD / PRICE:.3f}",  # both sides
                "openInterestValue": f"{2 * BYBIT_OI_USD:.2f}", "singleOpenInterest": f"{BYBIT_OI_USD / PRICE:.3f}",
                "singleOpenInterestValue": f"{BYBIT_OI_USD:.2f}", "fundingRate": "0.0001"}}
            lines.append((ms(t) + 700, "bybit", "market", json.dumps(snap)))
        elif not BYBIT_SILENT_S[0] <= t < BYBIT_SILENT_S[1]:
            delta = {"topic": "tickers.BTCUSDT", "type": "delta", "cs": 1 + t, "ts": ms(t) + 600, "data": {
                "symbol": "BTCUSDT", "markPrice": f"{PRICE:.2f}", "lastPrice": f"{PRICE:.2f}"}}
            lines.append((ms(t) + 700, "bybit", "market", json.dumps(delta)))
        if t % 5 == 2:
            base = OI_BASE[0] if t < OI_STEP_S else OI_BASE[1]
            body = {"openInterest": f"{base:.3f}", "symbol": "BTCUSDT", "time": ms(t)}
            lines.append((ms(t) + 800, "binance", "rest:/fapi/v1/openInterest?symbol=BTCUSDT", json.dumps(body)))
    for t in burst_print_times():
        order = {"stream": "!forceOrder@arr", "data": {"e": "forceOrder", "E": ms(t) - 20, "o": {
            "s": "BTCUSDT", "S": "SELL", "o": "LIMIT", "f": "IOC", "q": f"{LIQ_QTY:.3f}", "p": f"{LIQ_PRICE:.2f}",
            "ap": f"{LIQ_PRICE:.2f}", "X": "FILLED", "l": f"{LIQ_QTY:.3f}", "z": f"{LIQ_QTY:.3f}", "T": ms(t) - 30,
            "ps": "BTCUSDT", "st": 1}}}
        lines.append((ms(t), "binance", "market", json.dumps(order)))
    lines.sort(key=lambda line: line[0])
    return lines
