"""Encoders from normalized sim events to each venue's real WebSocket frames (numbers as strings).

Every encoder returns (topic, payload) pairs: `topic` is the venue's subscription key (Binance stream
name, Bybit topic, OKX (channel, instId-or-instType)); the payload is a dict the server serialises,
wrapping it for Binance combined streams.
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np

from tnet.events import Event, Liquidation, MarkPrice, OpenInterest, Trades
from tnet.venues import okx as okx_record

FUNDING_MS = 8 * 3_600_000  # funding every 8 h (next funding time field)
FUNDING_RATE = "0.00010000"

# Instruments OKX's whole-instType liquidation channel also carries (clients must filter them out).
OKX_OTHER_INSTRUMENTS: tuple[tuple[str, float, float], ...] = (
    ("CELO-USDT-SWAP", 0.09583, 1.0),
    ("IOST-USDT-SWAP", 0.007831, 1000.0),
    ("DOGE-USDT-SWAP", 0.18, 1000.0),
)


def price_str(x: float) -> str:
    """Price with the precision the venues use for an instrument of that magnitude."""
    if x >= 1000:
        return f"{x:.2f}"
    if x >= 10:
        return f"{x:.3f}"
    if x >= 1:
        return f"{x:.4f}"
    return f"{x:.6f}"


def qty_str(x: float) -> str:
    """Base quantity with three decimals (Binance BTCUSDT lot size) or more for tiny sizes."""
    return f"{x:.3f}" if x >= 0.01 else f"{x:.6f}"


def num_str(x: float, decimals: int = 8) -> str:
    """Generic decimal string (OI, turnover...)."""
    return f"{x:.{decimals}f}"


def okx_ct_val(symbol: str) -> float:
    """OKX contract value (base coin per contract) of a simulated symbol."""
    return okx_record.RECORD.contract_size(symbol)


def contracts_str(qty: float, symbol: str) -> str:
    """OKX size in contracts (lot 0.01), at least one lot."""
    return f"{max(round(qty / okx_ct_val(symbol), 2), 0.01):.2f}"


# ------------------------------------------------------------------ Binance


class BinanceEncoder:
    """USDⓈ-M market streams: forceOrder, markPriceUpdate, aggTrade."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.agg_id = 1_000_000_000
        self.trade_id = 5_000_000_000

    def encode(self, ev: Event) -> list[tuple[str, dict[str, Any]]]:
        sym = ev.symbol + "USDT"
        low = sym.lower()
        if isinstance(ev, Liquidation):
            # order price: the limit the engine sends, a little through the fill (observed in real frames)
            order_px = ev.price * (0.996 if ev.side == "long" else 1.004)
            q = qty_str(ev.qty)
            data = {"e": "forceOrder", "E": ev.ts_ms + 5, "o": {
                "s": sym, "S": "SELL" if ev.side == "long" else "BUY", "o": "LIMIT", "f": "IOC", "q": q,
                "p": price_str(order_px), "ap": price_str(ev.price), "X": "FILLED", "l": q, "z": q,
                "T": ev.ts_ms, "ps": sym, "st": 1}}
            out = [("!forceOrder@arr", data), (f"{low}@forceOrder", data)]
            if self.rng.random() < 0.15:
                out.append(("!forceOrder@arr", self._coin_m(ev)))
            return out
        if isinstance(ev, MarkPrice):
            data = {"e": "markPriceUpdate", "E": ev.ts_ms, "s": sym, "p": price_str(ev.price),
                    "ap": price_str(ev.price), "P": price_str(ev.price * 1.0001), "i": price_str(ev.price * 0.9999),
                    "r": FUNDING_RATE, "T": (ev.ts_ms // FUNDING_MS + 1) * FUNDING_MS}
            out = [(f"{low}@markPrice@1s", data)]
            if ev.ts_ms % 3000 == 0:
                out.append((f"{low}@markPrice", data))
            return out
        if isinstance(ev, Trades):
            out = []
            for qty, buyer_maker in ((ev.buy_qty, False), (ev.sell_qty, True)):
                if qty <= 0:
                    continue
                n = int(self.rng.integers(1, 40))
                self.agg_id += 1
                data = {"e": "aggTrade", "E": ev.ts_ms + 2, "a": self.agg_id, "s": sym, "p": price_str(ev.price),
                        "q": qty_str(qty), "nq": qty_str(qty), "f": self.trade_id + 1, "l": self.trade_id + n,
                        "T": ev.ts_ms, "m": buyer_maker}
                self.trade_id += n
                out.append((f"{low}@aggTrade", data))
            return out
        return []

    def _coin_m(self, ev: Liquidation) -> dict[str, Any]:
        """A COIN-M liquidation on the merged !forceOrder@arr stream (size in USD contracts)."""
        contracts = str(max(int(ev.usd / 100 * self.rng.random()), 1))
        return {"e": "forceOrder", "E": ev.ts_ms + 7, "o": {
            "s": f"{ev.symbol}USD_PERP", "S": "BUY" if self.rng.random() < 0.5 else "SELL", "o": "LIMIT",
            "f": "IOC", "q": contracts, "p": price_str(ev.price * 0.995), "ap": price_str(ev.price), "X": "FILLED",
            "l": contracts, "z": contracts, "T": ev.ts_ms + 3, "ps": f"{ev.symbol}USD", "st": 2}}


# ------------------------------------------------------------------ Bybit


class BybitEncoder:
    """v5 linear: allLiquidation (500 ms batches), tickers (snapshot + deltas), publicTrade."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.tickers: dict[str, dict[str, str]] = {}  # full current ticker per symbol
        self.cs = 100_000_000_000
        self.seq = 200_000_000_000

    def ticker_snapshot(self, symbol: str, ts_ms: int) -> dict[str, Any] | None:
        """The 'snapshot' message a new tickers.<SYM> subscriber receives first."""
        sym = symbol + "USDT"
        data = self.tickers.get(sym)
        if data is None:
            return None
        self.cs += 1
        return {"topic": f"tickers.{sym}", "type": "snapshot", "data": dict(data), "cs": self.cs, "ts": ts_ms}

    def seed_ticker(self, symbol: str, price: float, oi_base: float, ts_ms: int) -> None:
        """Full ticker state before any event (so a snapshot is available at once)."""
        sym = symbol + "USDT"
        self.tickers[sym] = {
            "symbol": sym, "tickDirection": "PlusTick", "price24hPcnt": "0.012", "lastPrice": price_str(price),
            "prevPrice24h": price_str(price * 0.99), "highPrice24h": price_str(price * 1.02),
            "lowPrice24h": price_str(price * 0.97), "prevPrice1h": price_str(price), "markPrice": price_str(price),
            "indexPrice": price_str(price * 0.9999), "openInterest": num_str(2 * oi_base, 3),
            "openInterestValue": num_str(2 * oi_base * price, 2), "singleOpenInterest": num_str(oi_base, 3),
            "singleOpenInterestValue": num_str(oi_base * price, 2), "turnover24h": num_str(oi_base * price * 2, 4),
            "volume24h": num_str(oi_base * 2, 4), "nextFundingTime": str((ts_ms // FUNDING_MS + 1) * FUNDING_MS),
            "fundingRate": "0.0001", "bid1Price": price_str(price * 0.99999), "bid1Size": "3.2",
            "ask1Price": price_str(price * 1.00001), "ask1Size": "1.7"}

    def _delta(self, sym: str, changes: dict[str, str], ts_ms: int) -> list[tuple[str, dict[str, Any]]]:
        full = self.tickers.setdefault(sym, {"symbol": sym})
        diff = {k: v for k, v in changes.items() if full.get(k) != v}
        if not diff:
            return []
        full.update(diff)
        self.cs += 1
        return [(f"tickers.{sym}", {"topic": f"tickers.{sym}", "type": "delta", "data": {"symbol": sym, **diff},
                                    "cs": self.cs, "ts": ts_ms})]

    def encode_liquidations(self, evs: list[Liquidation]) -> list[tuple[str, dict[str, Any]]]:
        """One frame per (symbol, 500 ms batch), data lists every liquidation of the batch."""
        groups: dict[tuple[str, int], list[Liquidation]] = {}
        for ev in evs:
            groups.setdefault((ev.symbol, ev.ts_ms // 500), []).append(ev)
        out = []
        for (symbol, batch), items in groups.items():
            sym = symbol + "USDT"
            data = [{"T": e.ts_ms, "s": sym, "S": "Buy" if e.side == "long" else "Sell", "v": qty_str(e.qty),
                     "p": price_str(e.price)} for e in items]
            out.append((f"allLiquidation.{sym}",
                        {"topic": f"allLiquidation.{sym}", "type": "snapshot", "ts": (batch + 1) * 500, "data": data}))
        return out

    def encode(self, ev: Event) -> list[tuple[str, dict[str, Any]]]:
        sym = ev.symbol + "USDT"
        if isinstance(ev, MarkPrice):
            px = price_str(ev.price)
            return self._delta(sym, {"markPrice": px, "lastPrice": price_str(ev.price * (1 + 0.00005 * (self.rng.random() - 0.5))),
                                     "indexPrice": price_str(ev.price * 0.9999)}, ev.ts_ms)
        if isinstance(ev, OpenInterest):
            # openInterest is both sides (2026-06 doc); singleOpenInterest is the one-sided figure
            return self._delta(sym, {"openInterest": num_str(2 * ev.oi_base, 3),
                                     "openInterestValue": num_str(2 * ev.oi_usd, 2),
                                     "singleOpenInterest": num_str(ev.oi_base, 3),
                                     "singleOpenInterestValue": num_str(ev.oi_usd, 2)}, ev.ts_ms)
        if isinstance(ev, Trades):
            data = []
            for qty, side in ((ev.buy_qty, "Buy"), (ev.sell_qty, "Sell")):
                if qty <= 0:
                    continue
                self.seq += 1
                data.append({"T": ev.ts_ms, "s": sym, "S": side, "v": qty_str(qty), "p": price_str(ev.price),
                             "L": "PlusTick" if side == "Buy" else "MinusTick", "i": str(uuid.UUID(int=self.seq)),
                             "BT": False, "RPI": False, "seq": self.seq})
            if not data:
                return []
            return [(f"publicTrade.{sym}", {"topic": f"publicTrade.{sym}", "type": "snapshot", "ts": ev.ts_ms + 1,
                                            "data": data})]
        return []


# ------------------------------------------------------------------ OKX


class OkxEncoder:
    """v5 public: liquidation-orders (whole SWAP type, contracts), open-interest, mark-price, trades."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.trade_id = 700_000_000

    @staticmethod
    def inst(symbol: str) -> str:
        return f"{symbol}-USDT-SWAP"

    def liquidation_payload(self, inst_id: str, side: str, bk_px: float, sz: str, ts_ms: int) -> dict[str, Any]:
        family = inst_id[: -len("-SWAP")]
        if self.rng.random() < 0.3:
            pos_side, order_side = "net", "sell" if side == "long" else "buy"
        else:
            pos_side, order_side = side, "sell" if side == "long" else "buy"
        return {"arg": {"channel": "liquidation-orders", "instType": "SWAP"}, "data": [{
            "details": [{"bkLoss": "0", "bkPx": price_str(bk_px), "ccy": "", "posSide": pos_side, "side": order_side,
                         "sz": sz, "ts": str(ts_ms)}],
            "instFamily": family, "instId": inst_id, "instType": "SWAP", "uly": family}]}

    def other_instrument_liquidation(self, ts_ms: int) -> tuple[tuple[str, str], dict[str, Any]]:
        """A liquidation of an instrument nobody watches (the channel carries all of them)."""
        inst_id, px, _ct = OKX_OTHER_INSTRUMENTS[int(self.rng.integers(len(OKX_OTHER_INSTRUMENTS)))]
        side = "long" if self.rng.random() < 0.5 else "short"
        sz = str(int(self.rng.integers(1, 20_000)))
        return ("liquidation-orders", "SWAP"), self.liquidation_payload(inst_id, side, px, sz, ts_ms)

    def encode(self, ev: Event) -> list[tuple[tuple[str, str], dict[str, Any]]]:
        inst = self.inst(ev.symbol)
        if isinstance(ev, Liquidation):
            payload = self.liquidation_payload(inst, ev.side, ev.price, contracts_str(ev.qty, ev.symbol), ev.ts_ms)
            return [(("liquidation-orders", "SWAP"), payload)]
        if isinstance(ev, MarkPrice):
            return [(("mark-price", inst), {"arg": {"channel": "mark-price", "instId": inst}, "data": [
                {"instId": inst, "instType": "SWAP", "markPx": price_str(ev.price), "ts": str(ev.ts_ms)}]})]
        if isinstance(ev, OpenInterest):
            ct = okx_ct_val(ev.symbol)
            return [(("open-interest", inst), {"arg": {"channel": "open-interest", "instId": inst}, "data": [
                {"instId": inst, "instType": "SWAP", "oi": num_str(ev.oi_base / ct, 2), "oiCcy": num_str(ev.oi_base, 4),
                 "oiUsd": num_str(ev.oi_usd, 4), "ts": str(ev.ts_ms)}]})]
        if isinstance(ev, Trades):
            data = []
            for qty, side in ((ev.buy_qty, "buy"), (ev.sell_qty, "sell")):
                if qty <= 0:
                    continue
                self.trade_id += 1
                data.append({"instId": inst, "tradeId": str(self.trade_id), "px": price_str(ev.price),
                             "sz": contracts_str(qty, ev.symbol), "side": side, "ts": str(ev.ts_ms),
                             "count": str(int(self.rng.integers(1, 30)))})
            if not data:
                return []
            return [(("trades", inst), {"arg": {"channel": "trades", "instId": inst}, "data": data})]
        return []
