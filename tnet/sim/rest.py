"""The venues' REST endpoints the engine uses (klines, open interest, instruments), served from the Market."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tnet.events import Bar
from tnet.sim.wire import OKX_OTHER_INSTRUMENTS, contracts_str, num_str, okx_ct_val, price_str, qty_str

if TYPE_CHECKING:
    from tnet.sim.server import SimServer

Query = dict[str, list[str]]
Reply = tuple[int, Any]

BINANCE_INTERVALS = {"5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1h": 3_600_000, "2h": 7_200_000,
                     "4h": 14_400_000}
BYBIT_INTERVALS = {"5": 300_000, "15": 900_000, "30": 1_800_000, "60": 3_600_000, "120": 7_200_000,
                   "240": 14_400_000}
BYBIT_OI_INTERVALS = {"5min": 300_000, "15min": 900_000, "30min": 1_800_000, "1h": 3_600_000, "4h": 14_400_000}
OKX_BARS = {"5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1H": 3_600_000, "2H": 7_200_000, "4H": 14_400_000}
MAX_HISTORY_BARS = 3000
OKX_LIQ_HISTORY_MS = 86_400_000  # OKX serves the last 24 h of liquidations over REST


class BadParam(Exception):
    """A request parameter the venue would reject (message in the venue's words)."""


def _one(q: Query, name: str) -> str | None:
    vals = q.get(name)
    return vals[0] if vals else None


def _int(q: Query, name: str, default: int | None = None, lo: int | None = None, hi: int | None = None) -> int | None:
    raw = _one(q, name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParam(f"Parameter {name} is invalid: {raw!r}") from None
    if lo is not None and value < lo:
        raise BadParam(f"Parameter {name} must be >= {lo}")
    if hi is not None and value > hi:
        value = hi  # the venues clamp over-large limits
    return value


class RestApi:
    """Route table for every venue (the later ones bring their own routes); `handle` returns (HTTP status, JSON body)."""

    def __init__(self, server: SimServer) -> None:
        self.server = server
        self.market = server.market
        self.routes = {
            "/fapi/v1/openInterest": self.binance_open_interest,
            "/fapi/v1/klines": self.binance_klines,
            "/futures/data/openInterestHist": self.binance_oi_hist,
            "/fapi/v1/depth": self.binance_depth,
            "/v5/market/kline": self.bybit_kline,
            "/v5/market/open-interest": self.bybit_open_interest,
            "/v5/market/tickers": self.bybit_tickers,
            "/api/v5/public/instruments": self.okx_instruments,
            "/api/v5/public/open-interest": self.okx_open_interest,
            "/api/v5/market/history-candles": self.okx_history_candles,
            "/api/v5/rubik/stat/contracts/open-interest-history": self.okx_oi_history,
            "/api/v5/public/liquidation-orders": self.okx_liquidation_orders,
        }
        for wire in server.wires.values():  # venues whose protocol lives in tnet/sim/venues/<venue>.py
            self.routes.update({wire.base_path + path: handler for path, handler in wire.rest_routes().items()})

    def handle(self, path: str, query: Query) -> Reply:
        route = self.routes.get(path.rstrip("/") or "/")
        venue = next((name for name, wire in self.server.wires.items()
                      if wire.rest_prefix and path.startswith(wire.base_path + wire.rest_prefix)), _venue_of(path))
        try:
            if route is None:
                raise LookupError(path)
            return route(query)
        except LookupError:
            return 404, self._error(venue, f"Path {path}, Method GET is invalid", "not_found")
        except BadParam as exc:
            return 400, self._error(venue, str(exc), "param")
        except UnknownSymbol as exc:
            return 400, self._error(venue, str(exc), "symbol")

    def _now(self) -> int:
        return self.market.now_ms

    def _error(self, venue: str, msg: str, kind: str) -> Any:
        if venue in self.server.wires:
            return self.server.wires[venue].rest_error(msg, kind)
        if venue == "binance":
            code = {"not_found": -5000, "param": -1102, "symbol": -1121}[kind]
            return {"code": code, "msg": "Invalid symbol." if kind == "symbol" else msg}
        if venue == "bybit":
            code = {"not_found": 10404, "param": 10001, "symbol": 10001}[kind]
            text = "params error: symbol invalid" if kind == "symbol" else msg
            return {"retCode": code, "retMsg": text, "result": {}, "retExtInfo": {}, "time": self._now()}
        if venue == "okx":
            code = {"not_found": "50001", "param": "50014", "symbol": "51001"}[kind]
            return {"code": code, "msg": "Instrument ID does not exist" if kind == "symbol" else msg, "data": []}
        return {"error": msg}

    # ------------------------------------------------------------------ helpers

    def _symbol(self, raw: str | None, suffix: str) -> str:
        if not raw:
            raise BadParam("Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
        if not raw.endswith(suffix) or raw[: -len(suffix)] not in self.market.symbols:
            raise UnknownSymbol(raw)
        return raw[: -len(suffix)]

    def _bars(self, short: str, venue: str, interval_ms: int, end_ms: int | None, start_ms: int | None,
              limit: int, partial: bool) -> list[Bar]:
        """Bars by open time in [start_ms, end_ms], oldest first, at most `limit` (newest unless start given)."""
        now = self._now()
        end = now if end_ms is None else end_ms
        bars = self.market.history_bars(short, venue, min(end + interval_ms, now), MAX_HISTORY_BARS, interval_ms)
        if partial and interval_ms == 300_000:
            cur = self.market.current_bar(short, venue)
            if cur.ts_ms <= end and (not bars or cur.ts_ms > bars[-1].ts_ms):
                bars.append(cur)
        bars = [b for b in bars if b.ts_ms <= end and (start_ms is None or b.ts_ms >= start_ms)]
        return bars[:limit] if start_ms is not None and end_ms is None else bars[-limit:]

    # ------------------------------------------------------------------ Binance

    def binance_open_interest(self, q: Query) -> Reply:
        short = self._symbol(_one(q, "symbol"), "USDT")
        base, _usd = self.market.current_oi(short, "binance")
        return 200, {"openInterest": qty_str(base), "symbol": short + "USDT", "time": self._now()}

    def binance_depth(self, q: Query) -> Reply:
        short = self._symbol(_one(q, "symbol"), "USDT")
        limit = _int(q, "limit", default=500, lo=5, hi=1000)
        return 200, self.server.books.binance_snapshot(short, self.market.current_price(short), limit, self._now())

    def binance_klines(self, q: Query) -> Reply:
        short = self._symbol(_one(q, "symbol"), "USDT")
        interval = _one(q, "interval")
        if interval not in BINANCE_INTERVALS:
            raise BadParam("Invalid interval.")
        ms = BINANCE_INTERVALS[interval]
        limit = _int(q, "limit", 500, 1, 1500) or 500
        bars = self._bars(short, "binance", ms, _int(q, "endTime"), _int(q, "startTime"), limit, partial=True)
        rows = []
        for b in bars:
            typical = (b.high + b.low + b.close) / 3
            rows.append([b.ts_ms, price_str(b.open), price_str(b.high), price_str(b.low), price_str(b.close),
                         qty_str(b.volume), b.ts_ms + ms - 1, num_str(b.volume * typical, 4),
                         int(b.volume * 40 / max(typical / 1000, 0.001)) + 1, qty_str(b.buy_volume),
                         num_str(b.buy_volume * typical, 4), "0"])
        return 200, rows

    def binance_oi_hist(self, q: Query) -> Reply:
        short = self._symbol(_one(q, "symbol"), "USDT")
        period = _one(q, "period")
        if period not in BINANCE_INTERVALS:
            raise BadParam("Invalid period.")
        ms = BINANCE_INTERVALS[period]
        limit = _int(q, "limit", 30, 1, 500) or 30
        end = _int(q, "endTime")
        bars = self._bars(short, "binance", ms, None if end is None else end - ms, _int(q, "startTime"), limit,
                          partial=False)
        # one row per period boundary: open interest at the bar's close
        return 200, [{"symbol": short + "USDT", "sumOpenInterest": num_str(b.oi_usd / b.close, 8),
                      "sumOpenInterestValue": num_str(b.oi_usd, 8), "CMCCirculatingSupply": "19800000.000",
                      "timestamp": b.ts_ms + ms} for b in bars]

    # ------------------------------------------------------------------ Bybit

    def _bybit_ok(self, result: Any) -> Reply:
        return 200, {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": self._now()}

    def _bybit_category(self, q: Query) -> None:
        if _one(q, "category") != "linear":
            raise BadParam("Illegal category")

    def bybit_kline(self, q: Query) -> Reply:
        self._bybit_category(q)
        short = self._symbol(_one(q, "symbol"), "USDT")
        interval = _one(q, "interval")
        if interval not in BYBIT_INTERVALS:
            raise BadParam("Invalid period!")
        ms = BYBIT_INTERVALS[interval]
        limit = _int(q, "limit", 200, 1, 1000) or 200
        bars = self._bars(short, "bybit", ms, _int(q, "end"), _int(q, "start"), limit, partial=True)
        rows = [[str(b.ts_ms), price_str(b.open), price_str(b.high), price_str(b.low), price_str(b.close),
                 qty_str(b.volume), num_str(b.volume * b.close, 4)] for b in reversed(bars)]
        return self._bybit_ok({"symbol": short + "USDT", "category": "linear", "list": rows})

    def bybit_open_interest(self, q: Query) -> Reply:
        self._bybit_category(q)
        short = self._symbol(_one(q, "symbol"), "USDT")
        interval = _one(q, "intervalTime")
        if interval not in BYBIT_OI_INTERVALS:
            raise BadParam("Illegal intervalTime")
        ms = BYBIT_OI_INTERVALS[interval]
        limit = _int(q, "limit", 50, 1, 200) or 50
        end = _int(q, "endTime")
        cursor = _int(q, "cursor")  # our cursor: the oldest timestamp already returned
        if cursor is not None:
            end = cursor - 1 if end is None else min(end, cursor - 1)
        bars = self._bars(short, "bybit", ms, None if end is None else end - ms, _int(q, "startTime"), limit + 1,
                          partial=False)
        more = len(bars) > limit
        bars = bars[-limit:]
        rows = [{"openInterest": num_str(2 * b.oi_usd / b.close, 8), "singleOpenInterest": num_str(b.oi_usd / b.close, 8),
                 "timestamp": str(b.ts_ms + ms)} for b in reversed(bars)]
        cursor_out = rows[-1]["timestamp"] if more and rows else ""
        return self._bybit_ok({"symbol": short + "USDT", "category": "linear", "list": rows,
                               "nextPageCursor": cursor_out})

    def bybit_tickers(self, q: Query) -> Reply:
        self._bybit_category(q)
        raw = _one(q, "symbol")
        shorts = [self._symbol(raw, "USDT")] if raw else list(self.market.symbols)
        rows = []
        for short in shorts:
            snap = self.server.bybit.ticker_snapshot(short, self._now())
            if snap is not None:
                rows.append(snap["data"])
        return self._bybit_ok({"category": "linear", "list": rows})

    # ------------------------------------------------------------------ OKX

    @staticmethod
    def _okx_ok(data: list[Any]) -> Reply:
        return 200, {"code": "0", "msg": "", "data": data}

    def _okx_inst(self, raw: str | None) -> str:
        if not raw:
            raise BadParam("Parameter instId can not be empty")
        return self._symbol(raw, "-USDT-SWAP")

    def _okx_inst_type(self, q: Query) -> None:
        inst_type = _one(q, "instType")
        if not inst_type:
            raise BadParam("Parameter instType can not be empty")
        if inst_type != "SWAP":
            raise BadParam(f"Parameter instType error: {inst_type}")

    def okx_instruments(self, q: Query) -> Reply:
        self._okx_inst_type(q)
        wanted = _one(q, "instId")
        rows = []
        items = [(f"{s}-USDT-SWAP", okx_ct_val(s), self.market.current_price(s)) for s in self.market.symbols]
        items += [(inst, ct, px) for inst, px, ct in OKX_OTHER_INSTRUMENTS]
        for inst, ct, px in items:
            if wanted and inst != wanted:
                continue
            base = inst.split("-")[0]
            rows.append({"instType": "SWAP", "instId": inst, "uly": f"{base}-USDT", "instFamily": f"{base}-USDT",
                         "baseCcy": "", "quoteCcy": "", "settleCcy": "USDT", "ctVal": f"{ct:g}", "ctMult": "1",
                         "ctValCcy": base, "ctType": "linear", "lever": "100", "lotSz": "0.01", "minSz": "0.01",
                         "tickSz": price_str(px * 1e-5 if px < 1 else 0.1 if px >= 1000 else 0.01),
                         "state": "live", "listTime": "1611916800000", "expTime": "", "alias": "", "optType": "",
                         "stk": "", "category": "1"})
        if wanted and not rows:
            raise UnknownSymbol(wanted)
        return self._okx_ok(rows)

    def okx_open_interest(self, q: Query) -> Reply:
        self._okx_inst_type(q)
        raw = _one(q, "instId")
        shorts = [self._okx_inst(raw)] if raw else list(self.market.symbols)
        rows = []
        for short in shorts:
            base, usd = self.market.current_oi(short, "okx")
            rows.append({"instType": "SWAP", "instId": f"{short}-USDT-SWAP", "oi": num_str(base / okx_ct_val(short), 2),
                         "oiCcy": num_str(base, 4), "oiUsd": num_str(usd, 4), "ts": str(self._now())})
        return self._okx_ok(rows)

    def okx_history_candles(self, q: Query) -> Reply:
        short = self._okx_inst(_one(q, "instId"))
        bar = _one(q, "bar") or "5m"
        if bar not in OKX_BARS:
            raise BadParam(f"Parameter bar error: {bar}")
        ms = OKX_BARS[bar]
        limit = _int(q, "limit", 100, 1, 100) or 100
        after = _int(q, "after")  # records older than this ts
        before = _int(q, "before")  # records newer than this ts
        bars = self._bars(short, "okx", ms, None if after is None else after - 1, None, MAX_HISTORY_BARS, partial=False)
        if before is not None:
            bars = [b for b in bars if b.ts_ms > before]
        bars = bars[-limit:]
        ct = okx_ct_val(short)
        rows = [[str(b.ts_ms), price_str(b.open), price_str(b.high), price_str(b.low), price_str(b.close),
                 num_str(b.volume / ct, 2), num_str(b.volume, 4), num_str(b.volume * b.close, 4), "1"]
                for b in reversed(bars)]
        return self._okx_ok(rows)

    def okx_oi_history(self, q: Query) -> Reply:
        short = self._okx_inst(_one(q, "instId"))
        period = _one(q, "period") or "5m"
        if period not in OKX_BARS:
            raise BadParam(f"Parameter period error: {period}")
        ms = OKX_BARS[period]
        limit = _int(q, "limit", 100, 1, 100) or 100
        end = _int(q, "end")
        bars = self._bars(short, "okx", ms, None if end is None else end - ms, None, MAX_HISTORY_BARS, partial=False)
        begin = _int(q, "begin")
        if begin is not None:
            bars = [b for b in bars if b.ts_ms + ms >= begin]
        bars = bars[-limit:]
        ct = okx_ct_val(short)
        rows = [[str(b.ts_ms + ms), num_str(b.oi_usd / b.close / ct, 2), num_str(b.oi_usd / b.close, 4),
                 num_str(b.oi_usd, 4)] for b in reversed(bars)]
        return self._okx_ok(rows)


    def okx_liquidation_orders(self, q: Query) -> Reply:
        """Recent published OKX liquidations of one underlying (REST backfill), newest first, in contracts."""
        self._okx_inst_type(q)
        uly = _one(q, "uly") or ""
        short = self._symbol(uly, "-USDT")
        limit = _int(q, "limit", 100, 1, 100) or 100
        now = self._now()
        after = _int(q, "after")  # rows strictly earlier than this time (paging back)
        end = now if after is None else min(now, after - 1)
        recs = [r for r in self.market.liquidations_all(short, "okx", start_ms=now - OKX_LIQ_HISTORY_MS + 1, end_ms=end)
                if r.published and r.ts_ms > now - OKX_LIQ_HISTORY_MS][-limit:]
        details = [  # sizes as the WebSocket sends them: contracts, at least one lot
            {"bkLoss": "0", "bkPx": price_str(r.bankruptcy_price), "ccy": "", "posSide": r.side,
             "side": "sell" if r.side == "long" else "buy", "sz": contracts_str(r.qty, short), "ts": str(r.ts_ms)}
            for r in reversed(recs)
        ]
        return self._okx_ok([{"details": details, "instFamily": f"{short}-USDT", "instId": f"{short}-USDT-SWAP",
                              "instType": "SWAP", "totalLoss": "0", "uly": f"{short}-USDT"}])


class UnknownSymbol(Exception):
    """A symbol the simulator does not list."""


def _venue_of(path: str) -> str:
    if path.startswith(("/fapi/", "/futures/")):
        return "binance"
    if path.startswith("/v5/"):
        return "bybit"
    if path.startswith("/api/v5/"):
        return "okx"
    return ""
