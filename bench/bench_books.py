"""Cost of keeping books in sync: parse + apply + sample per depth frame vs bare orjson.loads of the same frames.

Frames come from the simulator's books (three venues x BTC ETH SOL, 100 ms updates, a minute of
market), played through fresh book feeds each round. Also prints the CPU share of a core the full
100 ms rate costs, and the cost per level, to scale to busier live books.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import orjson

from tnet.connectors.books import BOOK_SPECS
from tnet.connectors.books.sync import Fetch
from tnet.sim.book import SimBooks
from tnet.sim.faults import Faults
from tnet.symbols import resolve_all

SYMBOLS = ["BTC", "ETH", "SOL"]
INFOS = resolve_all(SYMBOLS)
VENUES = ("binance", "bybit", "okx")
ROWS = (*VENUES, "okx-no-checksum")  # OKX as it went live in 2026: checksum 0, no level texts kept
STEPS = 600  # 60 s of 100 ms updates
ROUNDS = 7
T0 = 1_790_000_000_000


def script() -> dict[str, list[tuple[str, str, bytes, int]]]:
    """Per venue: what a client receives, in order: ("ws", "", frame, recv_ms) or ("rest", path, body, recv_ms)."""
    books = SimBooks(SYMBOLS, np.random.default_rng(1), Faults())
    price = {"BTC": 95_000.0, "ETH": 3_500.0, "SOL": 150.0}
    wanted = {(v, SimBooks.topic(v, s)) for v in VENUES for s in SYMBOLS}
    feeds = {v: BOOK_SPECS[v].make_parser(INFOS) for v in VENUES}
    out: dict[str, list[tuple[str, str, bytes, int]]] = {v: [] for v in ROWS}

    def add_okx_copy(payload: dict, now: int) -> None:
        payload["data"][0]["checksum"] = 0
        out["okx-no-checksum"].append(("ws", "", orjson.dumps(payload), now))

    for venue in ("bybit", "okx"):
        for s in SYMBOLS:
            snap = books.snapshot_frame(venue, s, price[s], T0)
            out[venue].append(("ws", "", orjson.dumps(snap), T0))
            if venue == "okx":
                add_okx_copy(snap, T0)
    rng = np.random.default_rng(2)
    for i in range(1, STEPS + 1):
        now = T0 + 100 * i
        for s in price:
            price[s] *= float(np.exp(rng.normal(0, 0.00005)))
        for venue, _topic, payload in books.frames(now, price, wanted):
            frame = orjson.dumps(payload)
            out[venue].append(("ws", "", frame, now))
            if venue == "okx":
                add_okx_copy(payload, now)
            feeds[venue].parse(frame, now)
            for action in feeds[venue].take_actions():
                if isinstance(action, Fetch):
                    body = orjson.dumps(books.binance_snapshot(action.symbol, price[action.symbol], 1000, now))
                    out[venue].append(("rest", action.path, body, now))
                    feeds[venue].parse_rest(action.path, body, now)
    return out


def time_parse(row: str, items: list[tuple[str, str, bytes, int]]) -> float:
    feed = BOOK_SPECS[row.split("-")[0]].make_parser(INFOS)
    parse, parse_rest = feed.parse, feed.parse_rest
    t = time.perf_counter()
    for kind, path, frame, recv_ms in items:
        if kind == "ws":
            parse(frame, recv_ms)
        else:
            parse_rest(path, frame, recv_ms)
    elapsed = time.perf_counter() - t
    assert all(sb.state == "synced" for sb in feed.by_venue_symbol.values()), row
    assert feed.report(T0)["desyncs"] == 0, row
    return elapsed


def time_loads(items: list[tuple[str, str, bytes, int]]) -> float:
    loads = orjson.loads
    t = time.perf_counter()
    for _kind, _path, frame, _recv in items:
        loads(frame)
    return time.perf_counter() - t


def levels_of(frame: bytes) -> int:
    msg = orjson.loads(frame)
    data = msg.get("data", msg)
    if isinstance(data, list):
        data = data[0]
    return sum(len(data.get(k, ())) for k in ("b", "a", "bids", "asks"))


def main() -> None:
    frames = script()
    print(f"{STEPS / 10:.0f} s of simulated depth, {len(SYMBOLS)} symbols per venue; best of {ROUNDS} rounds")
    print(f"{'venue':16} {'frames':>7} {'levels/frame':>13} {'loads µs':>9} {'sync µs':>8} {'ratio':>6} "
          f"{'ns/level':>9} {'% core at 100 ms':>17}")
    total_share = 0.0
    for venue in ROWS:
        items = frames[venue]
        ws = [f for k, _, f, _ in items if k == "ws"]
        best_parse = min(time_parse(venue, items) for _ in range(ROUNDS))
        best_loads = min(time_loads(items) for _ in range(ROUNDS))
        n = len(items)
        levels = sum(levels_of(f) for f in ws) / len(ws)
        per_frame = best_parse / n * 1e6
        share = per_frame * 1e-6 * 10 * len(SYMBOLS) * 100  # 10 frames/s per symbol
        if venue in VENUES:
            total_share += share
        print(f"{venue:16} {n:7d} {levels:13.1f} {best_loads / n * 1e6:9.1f} {per_frame:8.1f} "
              f"{best_loads / best_parse:6.2f} {best_parse / n / max(levels, 1) * 1e9:9.0f} {share:16.2f}%")
    print(f"all three venues x {len(SYMBOLS)} symbols at full rate: {total_share:.2f} % of one core")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
