"""Book sync state machines (Binance, Bybit, OKX, Hyperliquid, Bitget, Gate) on real and documented frames, and on made sequences
with gaps, duplicates and stale snapshots (tests/frames/books.tsv says where each frame comes from)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tnet.connectors.books.binance import BinanceBooks, snapshot_path
from tnet.connectors.books.book import LocalBook
from tnet.connectors.books.bitget import BitgetBookSpec, BitgetBooks
from tnet.connectors.books.bybit import BybitBooks
from tnet.connectors.books.gate import GateBookSpec, GateBooks
from tnet.connectors.books.hyperliquid import HyperliquidBookSpec, HyperliquidBooks
from tnet.connectors.books.okx import OkxBooks, checksum
from tnet.connectors.books.sync import Fetch, Send
from tnet.events import BookDepth
from tnet.symbols import resolve

FRAMES = dict(
    line.split("\t", 1)
    for line in (Path(__file__).parent / "frames" / "books.tsv").read_text().splitlines()
    if line.strip()
)
BTC = resolve("BTC")
T0 = 1_790_000_000_000


# ---------------------------------------------------------------------------------------------- Binance

def binance_diff(first: int, last: int, prev: int, bids=(), asks=(), sym: str = "BTCUSDT") -> str:
    return orjson.dumps({"stream": f"{sym.lower()}@depth@100ms", "data": {
        "e": "depthUpdate", "E": T0 + last, "T": T0 + last, "s": sym, "U": first, "u": last, "pu": prev,
        "b": [[str(p), str(q)] for p, q in bids], "a": [[str(p), str(q)] for p, q in asks]}}).decode()


def binance_snapshot(last_id: int, bids, asks) -> str:
    return orjson.dumps({"lastUpdateId": last_id, "E": T0, "T": T0,
                         "bids": [[str(p), str(q)] for p, q in bids],
                         "asks": [[str(p), str(q)] for p, q in asks]}).decode()


PATH = snapshot_path("BTCUSDT")


def test_binance_real_diff_covers_real_snapshot() -> None:
    feed = BinanceBooks([BTC])
    assert feed.parse(FRAMES["real_binance_depth_2026"], T0) == []
    assert feed.take_actions() == [Fetch("BTC", "/fapi/v1/depth?symbol=BTCUSDT&limit=1000")]
    out = feed.parse_rest(PATH, FRAMES["real_binance_snapshot_2026"], T0 + 50)
    sb = feed.by_venue_symbol["BTCUSDT"]
    # snapshot: bid 84249.3 0.492, ask 84249.4 1.154 (84250.0 at 0 is no level); then the diff
    # (U=...3009 <= lastUpdateId=...3983 <= u=...5321) sets 84249.3 0.492, 84248.5 0.083, 84249.4 1.154
    assert (sb.state, sb.seq) == ("synced", 577800765321)
    assert sb.book.bids == {84249.3: 0.492, 84248.5: 0.083}
    assert sb.book.asks == {84249.4: 1.154}
    assert len(out) == 1 and isinstance(out[0], BookDepth)
    assert out[0].bids == [(84249.3, 0.492), (84248.5, 0.083)] and out[0].asks == [(84249.4, 1.154)]
    assert (out[0].venue, out[0].symbol, out[0].recv_ms) == ("binance", "BTC", T0 + 50)


def test_binance_official_diff_after_a_covering_snapshot() -> None:
    feed = BinanceBooks([BTC])
    feed.parse(FRAMES["official_binance_depth"], T0)
    feed.parse_rest(PATH, binance_snapshot(158, [(0.0023, 5)], [(0.0026, 1)]), T0)
    sb = feed.by_venue_symbol["BTCUSDT"]
    assert sb.book.bids == {0.0023: 5.0, 0.0024: 10.0} and sb.book.asks == {0.0026: 100.0}
    assert sb.seq == 160 and sb.desyncs == 0


def synced_binance() -> BinanceBooks:
    """A BTC book synced at u=110: snapshot 105, buffered diffs 100-104 (dropped), 104-110."""
    feed = BinanceBooks([BTC])
    feed.parse(binance_diff(100, 104, 99, bids=[(99.0, 1)]), T0)
    feed.parse(binance_diff(105, 110, 104, bids=[(99.5, 2)], asks=[(100.5, 3)]), T0)
    feed.take_actions()
    feed.parse_rest(PATH, binance_snapshot(106, [(99.0, 7), (98.0, 1)], [(100.5, 1), (101.0, 4)]), T0)
    return feed


def test_binance_drops_old_diffs_and_applies_the_covering_one() -> None:
    feed = synced_binance()
    sb = feed.by_venue_symbol["BTCUSDT"]
    assert sb.state == "synced" and sb.seq == 110
    # diff 100-104 (u < 106) dropped: 99.0 keeps the snapshot's 7
    assert sb.book.bids == {99.0: 7.0, 98.0: 1.0, 99.5: 2.0}
    assert sb.book.asks == {100.5: 3.0, 101.0: 4.0}


def test_binance_gap_desyncs_refetches_and_heals() -> None:
    feed = synced_binance()
    sb = feed.by_venue_symbol["BTCUSDT"]
    feed.parse(binance_diff(111, 115, 110, asks=[(100.5, 0)]), T0 + 100)
    assert sb.book.asks == {101.0: 4.0}
    feed.parse(binance_diff(118, 120, 117, bids=[(99.0, 0)]), T0 + 200)  # 116-117 lost
    assert (sb.state, sb.desyncs) == ("fetching", 1)
    assert "gap" in sb.last_desync
    assert feed.take_actions() == [Fetch("BTC", PATH)]
    assert len(sb.book) == 0  # a broken book is never sampled
    feed.parse(binance_diff(121, 125, 120, bids=[(97.0, 1)]), T0 + 300)
    feed.parse_rest(PATH, binance_snapshot(122, [(99.0, 2)], [(101.0, 5)]), T0 + 400)
    assert (sb.state, sb.resyncs, sb.seq) == ("synced", 1, 125)
    assert sb.book.bids == {99.0: 2.0, 97.0: 1.0}


def test_binance_duplicate_is_dropped_not_a_desync() -> None:
    feed = synced_binance()
    sb = feed.by_venue_symbol["BTCUSDT"]
    frame = binance_diff(111, 115, 110, bids=[(99.5, 9)])
    feed.parse(frame, T0)
    feed.parse(frame, T0)
    feed.parse(binance_diff(105, 110, 104, bids=[(99.5, 2)]), T0)  # an older one, again
    assert (sb.duplicates, sb.desyncs, sb.seq, sb.book.bids[99.5]) == (2, 0, 115, 9.0)
    feed.parse(binance_diff(116, 118, 115), T0)
    assert sb.state == "synced" and sb.seq == 118


def test_binance_snapshot_older_than_the_first_diff_is_refetched() -> None:
    feed = BinanceBooks([BTC])
    sb = feed.by_venue_symbol["BTCUSDT"]
    feed.parse(binance_diff(200, 205, 199, bids=[(99.0, 1)]), T0)
    assert feed.take_actions() == [Fetch("BTC", PATH)]
    feed.parse_rest(PATH, binance_snapshot(150, [(99.0, 3)], [(101.0, 1)]), T0)  # 151..199 unknown
    assert (sb.state, sb.stale_snapshots, sb.desyncs) == ("fetching", 1, 1)
    assert feed.take_actions() == [Fetch("BTC", PATH)]
    feed.parse(binance_diff(206, 210, 205, asks=[(101.0, 2)]), T0)
    feed.parse_rest(PATH, binance_snapshot(207, [(99.0, 4)], [(101.0, 9)]), T0)
    assert (sb.state, sb.seq, sb.book.asks, sb.book.bids) == ("synced", 210, {101.0: 2.0}, {99.0: 4.0})


def test_binance_malformed_diff_is_counted_then_the_chain_resyncs() -> None:
    feed = synced_binance()
    sb = feed.by_venue_symbol["BTCUSDT"]
    feed.parse(binance_diff(111, 115, 110, bids=[("NaN", 1)]), T0)
    feed.parse(binance_diff(111, 115, 110)[:40], T0)
    assert feed.stats.parse_errors == 2 and sb.state == "synced"
    feed.parse(binance_diff(116, 118, 115), T0)  # the lost 111-115 shows as a gap
    assert sb.desyncs == 1 and sb.state == "fetching"


def test_binance_control_frames() -> None:
    feed = BinanceBooks([BTC])
    feed.parse('{"result":null,"id":1}', T0)
    feed.parse('{"error":{"code":2,"msg":"Invalid request"},"id":1}', T0)
    assert feed.stats.parse_errors == 0 and feed.stats.venue_errors == ["2: Invalid request"]
    feed.parse_rest(PATH, '{"code":-1121,"msg":"Invalid symbol."}', T0)
    assert feed.stats.venue_errors[-1] == "-1121: Invalid symbol."


def test_samples_at_most_once_per_interval() -> None:
    feed = synced_binance()  # sampled once on sync at T0
    samples = [e for i in range(20) for e in feed.parse(binance_diff(111 + i, 111 + i, 110 + i), T0 + 100 * (i + 1))]
    assert [s.recv_ms for s in samples] == [T0 + 1000, T0 + 2000]


# ---------------------------------------------------------------------------------------------- Bybit

def bybit_frame(kind: str, u: int, bids=(), asks=(), sym: str = "BTCUSDT") -> str:
    return orjson.dumps({"topic": f"orderbook.200.{sym}", "type": kind, "ts": T0 + u, "data": {
        "s": sym, "b": [[str(p), str(q)] for p, q in bids], "a": [[str(p), str(q)] for p, q in asks],
        "u": u, "seq": 1000 + u}, "cts": T0 + u}).decode()


def test_bybit_real_snapshot_then_delta() -> None:
    feed = BybitBooks([BTC])
    first = feed.parse(FRAMES["real_bybit_ob200_snapshot_2026"], T0)
    feed.parse(FRAMES["real_bybit_ob200_delta_2026"], T0 + 100)
    sb = feed.by_venue_symbol["BTCUSDT"]
    assert (sb.state, sb.seq, sb.desyncs) == ("synced", 23732350, 0)
    assert sb.book.bids == {69305.0: 5.04} and sb.book.asks == {69305.1: 1.586}
    assert first[0].bids == [(69305.0, 2.895)] and first[0].ts_ms == 1787184000129


def test_bybit_delta_before_snapshot_is_ignored_and_acks_are_silent() -> None:
    feed = BybitBooks([BTC])
    feed.parse(FRAMES["official_bybit_ack"], T0)
    feed.parse(FRAMES["real_bybit_ob200_delta_2026"], T0)
    feed.parse('{"success":false,"ret_msg":"Invalid symbol :[orderbook.200.XUSDT]","op":"subscribe"}', T0)
    sb = feed.by_venue_symbol["BTCUSDT"]
    assert sb.state == "waiting" and len(sb.book) == 0
    assert feed.stats.parse_errors == 0 and "Invalid symbol" in feed.stats.venue_errors[0]


def test_bybit_gap_resubscribes_and_heals() -> None:
    feed = BybitBooks([BTC])
    sb = feed.by_venue_symbol["BTCUSDT"]
    feed.parse(bybit_frame("snapshot", 10, [(99.0, 1)], [(101.0, 1)]), T0)
    feed.parse(bybit_frame("delta", 11, [(99.0, 2)]), T0)
    feed.parse(bybit_frame("delta", 13, [(98.0, 2)]), T0)  # 12 lost
    assert (sb.state, sb.desyncs) == ("waiting", 1)
    actions = feed.take_actions()
    assert [orjson.loads(a.frame)["op"] for a in actions if isinstance(a, Send)] == ["unsubscribe", "subscribe"]
    assert all(orjson.loads(a.frame)["args"] == ["orderbook.200.BTCUSDT"] for a in actions)
    feed.parse(bybit_frame("delta", 14, [(97.0, 2)]), T0)  # still the old subscription: ignored
    feed.parse(bybit_frame("snapshot", 20, [(99.0, 5)], [(101.0, 6)]), T0)
    assert (sb.state, sb.resyncs, sb.book.bids) == ("synced", 1, {99.0: 5.0})


def test_bybit_duplicates_and_venue_resets() -> None:
    feed = BybitBooks([BTC])
    sb = feed.by_venue_symbol["BTCUSDT"]
    feed.parse(bybit_frame("snapshot", 10, [(99.0, 1)], [(101.0, 1)]), T0)
    feed.parse(bybit_frame("delta", 11, [(99.0, 2)]), T0)
    feed.parse(bybit_frame("delta", 11, [(99.0, 2)]), T0)
    assert (sb.duplicates, sb.desyncs) == (1, 0)
    feed.parse(bybit_frame("delta", 1, [(50.0, 1)], [(150.0, 1)]), T0)  # u=1: service restart
    assert sb.book.bids == {50.0: 1.0} and (sb.seq, sb.resets, sb.desyncs) == (1, 1, 0)
    feed.parse(bybit_frame("delta", 2, [(51.0, 1)]), T0)
    feed.parse(bybit_frame("snapshot", 40, [(60.0, 1)], [(61.0, 1)]), T0)
    assert sb.book.bids == {60.0: 1.0} and sb.resets == 2 and sb.desyncs == 0


# ---------------------------------------------------------------------------------------------- OKX

def okx_frame(action: str, seq: int, prev: int, bids=(), asks=(), cs: int = 0, inst: str = "BTC-USDT-SWAP") -> str:
    return orjson.dumps({"arg": {"channel": "books", "instId": inst}, "action": action, "data": [{
        "asks": [[p, q, "0", "1"] for p, q in asks], "bids": [[p, q, "0", "1"] for p, q in bids],
        "ts": str(T0 + seq), "checksum": cs, "prevSeqId": prev, "seqId": seq}]}).decode()


def test_okx_checksum_rule_matches_the_docs() -> None:
    assert checksum(["3366.1:7", "3366:6"], ["3366.8:9", "3368:8"]) == -1881014294
    assert checksum(["3366.1:7"], ["3366.8:9", "3368:8", "3372:8"]) == 831078360
    for name in ("official_okx_checksum_aligned", "official_okx_checksum_unaligned"):
        feed = OkxBooks([BTC])
        feed.parse(FRAMES[name], T0)
        sb = feed.by_venue_symbol["BTC-USDT-SWAP"]
        assert (sb.state, sb.checksum_errors) == ("synced", 0), name


def test_okx_checksum_mismatch_resubscribes() -> None:
    # The docs' push example shows 3 of the levels its checksum was computed over: a mismatch.
    feed = OkxBooks([resolve("BTC")])
    feed.by_venue_symbol["BTC-USDT"] = feed.by_venue_symbol.pop("BTC-USDT-SWAP")
    feed.parse(FRAMES["official_okx_books_snapshot"], T0)
    sb = feed.by_venue_symbol["BTC-USDT"]
    assert (sb.state, sb.checksum_errors, sb.desyncs) == ("waiting", 1, 1)
    assert [orjson.loads(a.frame)["op"] for a in feed.take_actions()] == ["unsubscribe", "subscribe"]


def test_okx_chain_keepalive_reset_gap_duplicate() -> None:
    feed = OkxBooks([BTC])
    sb = feed.by_venue_symbol["BTC-USDT-SWAP"]
    out = feed.parse(okx_frame("snapshot", 100, -1, [("99.5", "10")], [("100.5", "20")]), T0)
    # contracts x ctVal (BTC 0.01) = base coin
    assert out[0].bids == [(99.5, 0.1)] and out[0].asks == [(100.5, 0.2)]
    update = okx_frame("update", 101, 100, [("99.5", "0"), ("99.4", "3")])
    feed.parse(update, T0)
    feed.parse(update, T0)  # the same frame again
    assert (sb.duplicates, sb.desyncs, sb.book.bids) == (1, 0, {99.4: 3.0})
    feed.parse(okx_frame("update", 101, 101), T0)  # keep-alive: empty, prevSeqId == seqId
    feed.parse(okx_frame("update", 50, 101, asks=[("100.6", "4")]), T0)  # sequence reset: lower seqId, chained
    assert (sb.seq, sb.desyncs, sb.book.bids, sb.book.asks) == (50, 0, {99.4: 3.0}, {100.5: 20.0, 100.6: 4.0})
    feed.parse(okx_frame("update", 53, 52, [("99.3", "1")]), T0)  # 51..52 lost
    assert (sb.state, sb.desyncs) == ("waiting", 1)
    feed.take_actions()
    feed.parse(okx_frame("snapshot", 60, -1, [("99.0", "1")], [("101", "1")]), T0)
    assert (sb.state, sb.resyncs) == ("synced", 1)


def test_okx_checksum_follows_updates() -> None:
    feed = OkxBooks([BTC])
    sb = feed.by_venue_symbol["BTC-USDT-SWAP"]
    bids = [("3366.1", "7"), ("3366", "6")]
    asks = [("3366.8", "9"), ("3368", "8")]
    feed.parse(okx_frame("snapshot", 1, -1, bids, asks, cs=-1881014294), T0)
    # removing 3366 leaves the docs' second example once 3372 is added on the ask side
    feed.parse(okx_frame("update", 2, 1, [("3366", "0")], [("3372", "8")], cs=831078360), T0 + 1000)
    assert (sb.state, sb.checksum_errors) == ("synced", 0)
    feed.parse(okx_frame("update", 3, 2, [("3366.1", "8")], cs=831078360), T0 + 1500)  # no sample due: not checked
    assert (sb.checksum_errors, sb.state) == (0, "synced")
    feed.parse(okx_frame("update", 4, 3, [("3366.1", "9")], cs=831078360), T0 + 2000)  # stale checksum, sample due
    assert (sb.checksum_errors, sb.state) == (1, "waiting")


def test_okx_other_channels_and_junk() -> None:
    feed = OkxBooks([BTC])
    feed.parse(FRAMES["real_okx_books_l2_update_2022"], T0)
    feed.parse('{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT-SWAP"},"connId":"a"}', T0)
    feed.parse("pong", T0)
    assert feed.stats.parse_errors == 0
    feed.parse(okx_frame("snapshot", 1, -1, [("-1", "1")]), T0)
    feed.parse('{"event":"error","code":"60018","msg":"Wrong URL or channel"}', T0)
    assert feed.stats.parse_errors == 1 and feed.stats.venue_errors == ["60018: Wrong URL or channel"]


# ---------------------------------------------------------------------------------------------- Hyperliquid

def hl_book(time: int, bids=(), asks=(), coin: str = "BTC") -> str:
    return orjson.dumps({"channel": "l2Book", "data": {"coin": coin, "time": time, "levels": [
        [{"px": str(p), "sz": str(q), "n": 1} for p, q in side] for side in (bids, asks)]}}).decode()


def test_hyperliquid_real_pushes_each_replace_the_book() -> None:
    feed = HyperliquidBooks([BTC])
    sb = feed.by_venue_symbol["BTC"]
    out = feed.parse(FRAMES["real_hyperliquid_l2book_fast_btc_1"], T0)
    assert (sb.state, sb.seq, sb.ts_ms) == ("synced", 1785251521889, 1785251521889)
    assert sb.book.bids == {63460.0: 0.02666, 63457.0: 0.00028, 63454.0: 0.02659, 63441.0: 0.04944, 63429.0: 0.00046}
    assert sb.book.asks == {63488.0: 0.01246, 63495.0: 0.01263, 63496.0: 0.00019, 63507.0: 0.02357, 63516.0: 0.02619}
    assert len(out) == 1 and (out[0].venue, out[0].symbol, out[0].ts_ms) == ("hyperliquid", "BTC", 1785251521889)
    assert out[0].bids[0] == (63460.0, 0.02666) and out[0].asks[0] == (63488.0, 0.01246)
    feed.parse(FRAMES["real_hyperliquid_bbo_btc_2"], T0 + 200)  # another channel: not a book, not an error
    feed.parse(FRAMES["real_hyperliquid_l2book_fast_btc_3"], T0 + 500)
    # the second capture: 63460 was taken, 63423 came in at the deep end; nothing of the first push lingers
    assert sb.book.bids == {63457.0: 0.00028, 63454.0: 0.02659, 63441.0: 0.04944, 63429.0: 0.00046, 63423.0: 0.00019}
    assert (sb.seq, sb.updates, sb.desyncs, feed.stats.parse_errors) == (1785251522402, 1, 0, 1)


def test_hyperliquid_stale_push_is_dropped() -> None:
    feed = HyperliquidBooks([BTC])
    sb = feed.by_venue_symbol["BTC"]
    feed.parse(FRAMES["real_hyperliquid_l2book_fast_btc_3"], T0)
    feed.parse(FRAMES["real_hyperliquid_l2book_fast_btc_1"], T0 + 100)  # older: arrived late
    feed.parse(FRAMES["real_hyperliquid_l2book_fast_btc_3"], T0 + 200)  # the same push again
    assert (sb.duplicates, sb.desyncs, sb.seq) == (2, 0, 1785251522402)
    assert 63460.0 not in sb.book.bids and 63423.0 in sb.book.bids


def test_hyperliquid_crossed_push_resubscribes_and_the_next_heals() -> None:
    feed = HyperliquidBooks([BTC])
    sb = feed.by_venue_symbol["BTC"]
    feed.parse(hl_book(T0, [(100.0, 1)], [(101.0, 1)]), T0)
    assert feed.parse(hl_book(T0 + 1000, [(102.0, 1)], [(101.0, 1)]), T0 + 1000) == []  # bid above the ask
    assert (sb.state, sb.desyncs, len(sb.book)) == ("waiting", 1, 0)
    assert "crossed" in sb.last_desync
    assert [orjson.loads(a.frame) for a in feed.take_actions()] == [
        {"method": op, "subscription": {"type": "l2Book", "coin": "BTC"}} for op in ("unsubscribe", "subscribe")]
    out = feed.parse(hl_book(T0 + 1500, [(100.5, 2)], [(101.0, 1)]), T0 + 1500)
    assert (sb.state, sb.resyncs, sb.book.bids) == ("synced", 1, {100.5: 2.0})
    assert len(out) == 1


def test_hyperliquid_per_thousand_coins_are_base_units() -> None:
    pepe = resolve("PEPE")
    feed = HyperliquidBooks([pepe])
    out = feed.parse(FRAMES["made_hyperliquid_l2book_kpepe"], T0)
    # kPEPE quotes 1,000 PEPE: 0.010499 per kPEPE is 0.000010499 per PEPE, 120000 kPEPE are 1.2e8 PEPE
    assert out[0].symbol == "PEPE"
    assert out[0].bids[0] == pytest.approx((0.000010499, 1.2e8)) and out[0].asks[0] == pytest.approx((0.000010501, 9.5e7))


def test_hyperliquid_subscribes_listed_coins_one_per_message() -> None:
    spec = HyperliquidBookSpec()
    infos = [BTC, resolve("PEPE"), resolve("FET")]  # FET is not listed there: subscribing would close the socket
    assert spec.subscribe_frames(infos) == [
        '{"method":"subscribe","subscription":{"type":"l2Book","coin":"BTC"}}',
        '{"method":"subscribe","subscription":{"type":"l2Book","coin":"kPEPE"}}']
    assert set(spec.make_parser(infos).by_venue_symbol) == {"BTC", "kPEPE"}


def test_hyperliquid_control_frames_and_junk() -> None:
    feed = HyperliquidBooks([BTC])
    feed.parse('{"channel":"pong"}', T0)
    feed.parse('{"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":{"type":"l2Book","coin":"BTC"}}}', T0)
    feed.parse(hl_book(T0, [(100.0, 1)], [(101.0, 1)], coin="ETH"), T0)  # a coin not watched
    assert feed.stats.parse_errors == 0 and feed.stats.venue_errors == []
    feed.parse('{"channel":"error","data":"Invalid subscription"}', T0)
    assert feed.stats.venue_errors == ["error: Invalid subscription"]
    feed.parse(hl_book(T0, [("NaN", 1)], [(101.0, 1)]), T0)
    feed.parse(hl_book(T0, [(100.0, -1)], [(101.0, 1)]), T0)
    feed.parse(hl_book(T0, [(100.0, 1)], [(101.0, 1)])[:30], T0)
    assert feed.stats.parse_errors == 3 and feed.by_venue_symbol["BTC"].state == "waiting"


# ---------------------------------------------------------------------------------------------- Bitget

def bitget_frame(action: str, seq: int, pseq: int, bids=(), asks=(), sym: str = "BTCUSDT") -> str:
    return orjson.dumps({"action": action, "arg": {"instType": "usdt-futures", "topic": "books", "symbol": sym},
                         "data": [{"a": [[str(p), str(q)] for p, q in asks], "b": [[str(p), str(q)] for p, q in bids],
                                   "seq": seq, "pseq": pseq, "ts": str(T0 + seq), "maxdepth": "1000"}],
                         "ts": T0 + seq + 1}).decode()


def test_bitget_real_update_chains_on_its_snapshot() -> None:
    feed = BitgetBooks([resolve("MAV", {"MAV": 1.0})])  # MAV: a listed perp tnet does not know by name
    sb = feed.by_venue_symbol["MAVUSDT"]
    out = feed.parse(FRAMES["made_bitget_books_snapshot_mav"], T0)
    assert (sb.state, sb.seq, sb.ts_ms) == ("synced", 427583461144, 1789456510736)
    assert sb.book.bids == {0.01038: 4311.15, 0.01037: 175152.28} and sb.book.asks == {0.01039: 4499.23, 0.0104: 116536.86}
    assert len(out) == 1 and out[0].venue == "bitget" and out[0].symbol == "MAV"
    feed.parse(FRAMES["real_bitget_books_update_mav_v3"], T0 + 100)  # pseq = the snapshot's seq
    assert (sb.state, sb.seq, sb.updates, sb.desyncs) == ("synced", 427583480559, 1, 0)
    assert sb.book.bids == {0.01038: 4311.15, 0.01037: 175152.28, 0.00519: 30828.52}
    assert sb.ts_ms == 1789456512452


def test_bitget_update_before_snapshot_is_ignored_and_acks_are_silent() -> None:
    feed = BitgetBooks([BTC])
    sb = feed.by_venue_symbol["BTCUSDT"]
    feed.parse(bitget_frame("update", 11, 10, bids=[(99.0, 1)]), T0)
    feed.parse('{"event":"subscribe","arg":{"instType":"usdt-futures","topic":"books","symbol":"BTCUSDT"},"connId":"x"}', T0)
    feed.parse("pong", T0)
    assert (sb.state, len(sb.book), feed.stats.parse_errors) == ("waiting", 0, 0)
    feed.parse(FRAMES["real_bitget_error_unknown_symbol_v3"], T0)
    assert feed.stats.venue_errors == [
        'error 30001: {"instType":"usdt-futures","symbol":"NOPEUSDT","topic":"books"} doesn\'t exist']


def synced_bitget() -> BitgetBooks:
    feed = BitgetBooks([BTC])
    feed.parse(bitget_frame("snapshot", 100, 0, bids=[(99.0, 1), (98.0, 2)], asks=[(101.0, 1)]), T0)
    return feed


def test_bitget_gap_resubscribes_and_heals() -> None:
    feed = synced_bitget()
    sb = feed.by_venue_symbol["BTCUSDT"]
    feed.parse(bitget_frame("update", 105, 100, bids=[(99.0, 0)], asks=[(100.5, 3)]), T0 + 100)
    assert sb.book.bids == {98.0: 2.0} and sb.book.asks == {101.0: 1.0, 100.5: 3.0}
    feed.parse(bitget_frame("update", 120, 110, bids=[(97.0, 1)]), T0 + 200)  # 105 -> 110 lost
    assert (sb.state, sb.desyncs, len(sb.book)) == ("waiting", 1, 0) and "gap" in sb.last_desync
    assert [orjson.loads(a.frame) for a in feed.take_actions()] == [
        {"op": op, "args": [{"instType": "usdt-futures", "topic": "books", "symbol": "BTCUSDT"}]}
        for op in ("unsubscribe", "subscribe")]
    feed.parse(bitget_frame("update", 125, 120), T0 + 300)  # the old subscription's tail: ignored
    feed.parse(bitget_frame("snapshot", 130, 0, bids=[(99.5, 4)], asks=[(100.5, 1)]), T0 + 400)
    assert (sb.state, sb.resyncs, sb.seq, sb.book.bids) == ("synced", 1, 130, {99.5: 4.0})


def test_bitget_duplicate_is_dropped_and_a_sequence_reset_resyncs() -> None:
    feed = synced_bitget()
    sb = feed.by_venue_symbol["BTCUSDT"]
    frame = bitget_frame("update", 105, 100, bids=[(99.0, 5)])
    feed.parse(frame, T0)
    feed.parse(frame, T0)
    assert (sb.duplicates, sb.desyncs, sb.book.bids[99.0]) == (1, 0, 5.0)
    feed.parse(bitget_frame("update", 3, 0, bids=[(99.0, 6)]), T0)  # pseq 0: the venue restarted its numbering
    assert (sb.state, sb.desyncs, sb.last_desync) == ("waiting", 1, "sequence reset: update seq=3 with pseq=0")


def test_bitget_subscribes_at_most_ten_symbols_a_frame() -> None:
    infos = [resolve(s) for s in ("BTC", "ETH", "SOL", "XRP", "DOGE", "ADA", "BNB", "LTC", "AVAX", "LINK", "DOT")]
    frames = [orjson.loads(f) for f in BitgetBookSpec().subscribe_frames(infos)]
    assert [len(f["args"]) for f in frames] == [10, 1]
    assert frames[1] == {"op": "subscribe", "args": [{"instType": "usdt-futures", "topic": "books", "symbol": "DOTUSDT"}]}


def test_bitget_bad_levels_are_counted() -> None:
    feed = synced_bitget()
    feed.parse(bitget_frame("update", 105, 100, bids=[("NaN", 1)]), T0)
    feed.parse(bitget_frame("update", 105, 100, bids=[(99.0, -2)]), T0)
    feed.parse(bitget_frame("update", 105, 100)[:50], T0)
    assert feed.stats.parse_errors == 3 and feed.by_venue_symbol["BTCUSDT"].seq == 100


# ---------------------------------------------------------------------------------------------- Gate

def gate_frame(first: int, last: int, bids=(), asks=(), full: bool = False, contract: str = "BTC_USDT") -> str:
    return orjson.dumps({"time": 1, "time_ms": T0 + last, "channel": "futures.order_book_update", "event": "update",
                         "result": {"t": T0 + last, **({"full": True} if full else {}), "s": contract, "U": first,
                                    "u": last, "b": [{"p": str(p), "s": q} for p, q in bids],
                                    "a": [{"p": str(p), "s": q} for p, q in asks], "l": "100"}}).decode()


def gate_sub(op: str, contract: str = "BTC_USDT") -> dict:
    return {"time": 123456, "channel": "futures.order_book_update", "event": op, "payload": [contract, "100ms", "100"]}


def test_gate_real_delta_chains_on_the_full_book() -> None:
    feed = GateBooks([BTC])
    sb = feed.by_venue_symbol["BTC_USDT"]
    feed.parse(FRAMES["real_gate_book_update_btc_2026"], T0)  # a delta before the full book: ignored
    assert (sb.state, len(sb.book)) == ("waiting", 0)
    out = feed.parse(FRAMES["made_gate_book_full_btc"], T0 + 10)
    assert (sb.state, sb.seq) == ("synced", 120900607896)
    # sizes stay contracts in the book; a sample is in BTC: 20884 contracts x 0.0001 BTC
    assert out[0].bids[0] == pytest.approx((62914.2, 2.0884)) and out[0].asks[0] == pytest.approx((62914.3, 3.3644))
    feed.parse(FRAMES["real_gate_book_update_btc_2026"], T0 + 20)  # U = the full book's u + 1
    assert (sb.seq, sb.ts_ms, sb.updates, sb.desyncs) == (120900607901, 1785548245213, 1, 0)
    assert sb.book.bids == {62914.2: 21129.0, 62914.1: 512.0}


def test_gate_gap_resubscribes_and_heals() -> None:
    feed = GateBooks([BTC])
    sb = feed.by_venue_symbol["BTC_USDT"]
    feed.parse(gate_frame(90, 100, bids=[(99.0, 5)], asks=[(101.0, 3)], full=True), T0)
    feed.parse(gate_frame(101, 104, bids=[(99.0, 0), (98.5, "7.5")]), T0 + 100)  # decimal sizes come as text
    assert sb.book.bids == {98.5: 7.5}
    feed.parse(gate_frame(107, 110, asks=[(101.0, 0)]), T0 + 200)  # 105-106 lost
    assert (sb.state, sb.desyncs, len(sb.book)) == ("waiting", 1, 0) and sb.last_desync == "gap: U=107 but the last u=104"
    assert [orjson.loads(a.frame) for a in feed.take_actions()] == [gate_sub("unsubscribe"), gate_sub("subscribe")]
    feed.parse(gate_frame(111, 112, bids=[(97.0, 1)]), T0 + 300)  # the old subscription's tail
    feed.parse(gate_frame(100, 130, bids=[(99.5, 2)], asks=[(100.5, 1)], full=True), T0 + 400)
    assert (sb.state, sb.resyncs, sb.seq, sb.book.bids) == ("synced", 1, 130, {99.5: 2.0})


def test_gate_duplicate_is_dropped() -> None:
    feed = GateBooks([BTC])
    sb = feed.by_venue_symbol["BTC_USDT"]
    feed.parse(gate_frame(90, 100, bids=[(99.0, 5)], asks=[(101.0, 3)], full=True), T0)
    frame = gate_frame(101, 104, bids=[(99.0, 6)])
    feed.parse(frame, T0)
    feed.parse(frame, T0)
    assert (sb.duplicates, sb.desyncs, sb.seq, sb.book.bids) == (1, 0, 104, {99.0: 6.0})


def test_gate_subscribes_one_known_contract_a_frame() -> None:
    infos = [BTC, resolve("ETH"), resolve("WIF")]  # WIF: contract size unknown offline, so no book
    assert [orjson.loads(f) for f in GateBookSpec().subscribe_frames(infos)] == [gate_sub("subscribe"),
                                                                                gate_sub("subscribe", "ETH_USDT")]
    assert set(GateBookSpec().make_parser(infos).by_venue_symbol) == {"BTC_USDT", "ETH_USDT"}


def test_gate_control_frames_and_junk() -> None:
    feed = GateBooks([BTC])
    feed.parse('{"time":1,"time_ms":1,"conn_id":"c","channel":"futures.order_book_update","event":"subscribe",'
               '"payload":["BTC_USDT","100ms","100"],"result":{"status":"success"}}', T0)
    feed.parse('{"time":1,"time_ms":1,"conn_id":"c","channel":"futures.pong","event":"","result":null}', T0)
    assert feed.stats.parse_errors == 0 and feed.stats.venue_errors == []
    feed.parse('{"time":1,"channel":"futures.order_book_update","event":"subscribe","error":{"code":2,'
               '"message":"unknown currency pair: NOPE_USDT"},"result":{"status":"fail"}}', T0)
    assert feed.stats.venue_errors == ["futures.order_book_update 2: unknown currency pair: NOPE_USDT"]
    feed.parse(gate_frame(1, 2, bids=[("NaN", 1)], full=True), T0)
    feed.parse('{"channel":"x","event":"update","result":7}', T0)
    assert feed.stats.parse_errors == 2 and feed.by_venue_symbol["BTC_USDT"].state == "waiting"


# ---------------------------------------------------------------------------------------------- bounds and properties

def test_book_memory_is_bounded() -> None:
    book = LocalBook(max_levels=100)
    book.replace([(1000.0 - i, 1.0) for i in range(500)], [(1001.0 + i, 1.0) for i in range(500)])
    assert len(book.bids) == len(book.asks) == 100
    assert max(book.bids) == 1000.0 and min(book.asks) == 1001.0  # the best levels stay
    for i in range(1000):
        book.update([(500.0 - i * 0.01, 1.0)], [(2000.0 + i, 1.0)])
    assert len(book.bids) <= 125 and len(book.asks) <= 125 and max(book.bids) == 1000.0


def test_sample_keeps_the_band_and_the_best_levels() -> None:
    book = LocalBook()
    book.replace([(100.0, 1.0), (95.0, 2.0), (80.0, 9.0)], [(101.0, 1.0), (130.0, 5.0)])
    bids, asks = book.levels(band=0.10)
    assert bids == [(100.0, 1.0), (95.0, 2.0)] and asks == [(101.0, 1.0)]


_updates = st.lists(st.lists(st.tuples(st.integers(0, 30), st.sampled_from([0.0, 0.5, 1.0, 2.0])), max_size=4),
                    min_size=1, max_size=40)
_faults = st.lists(st.sampled_from(["ok", "ok", "ok", "drop", "dup"]), min_size=40, max_size=40)


def venue_updates(updates, faults, first_id: int, frame):
    """The venue's side of a property test: per update, (id, rows, frames the client receives, book after).

    `frame(id, rows)` encodes one update; a "drop" fault never sends it, a "dup" also resends the last one.
    """
    truth: dict[float, float] = {}
    last = None
    for i, rows in enumerate(updates):
        u = first_id + i
        levels = [(90.0 + k, q) for k, q in rows]
        for price, q in levels:
            if q:
                truth[price] = q
            else:
                truth.pop(price, None)
        sent = frame(u, levels)
        delivered = [] if faults[i] == "drop" else [sent]
        if faults[i] == "dup" and last is not None:
            delivered.append(last)
        last = sent
        yield u, delivered, dict(truth)


@settings(max_examples=60, deadline=None)
@given(_updates, _faults)
def test_binance_book_equals_the_venue_whenever_synced(updates, faults) -> None:
    """Whatever is lost or repeated, a synced book equals the venue's book at the same update id."""
    history: dict[int, dict[float, float]] = {0: {}}
    feed = BinanceBooks([BTC])
    sb = feed.by_venue_symbol["BTCUSDT"]
    for u, frames, truth in venue_updates(updates, faults, 1, lambda u, rows: binance_diff(u, u, u - 1, bids=rows)):
        history[u] = truth
        for frame in frames:
            feed.parse(frame, T0 + u)
        for action in feed.take_actions():
            assert isinstance(action, Fetch)
            feed.parse_rest(action.path, binance_snapshot(u, list(truth.items()), [(200.0, 1.0)]), T0 + u)
        if sb.state == "synced" and not sb.covering:
            assert sb.book.bids == history[sb.seq]


@settings(max_examples=60, deadline=None)
@given(_updates, _faults)
def test_bybit_book_equals_the_venue_whenever_synced(updates, faults) -> None:
    history: dict[int, dict[float, float]] = {1: {}}
    feed = BybitBooks([BTC])
    sb = feed.by_venue_symbol["BTCUSDT"]
    feed.parse(bybit_frame("snapshot", 1, [], [(200.0, 1.0)]), T0)
    for u, frames, truth in venue_updates(updates, faults, 2, lambda u, rows: bybit_frame("delta", u, rows)):
        history[u] = truth
        for frame in frames:
            feed.parse(frame, T0)
        if feed.take_actions():  # resubscribed: the venue sends a fresh snapshot
            feed.parse(bybit_frame("snapshot", u, list(truth.items()), [(200.0, 1.0)]), T0)
        if sb.state == "synced":
            assert sb.book.bids == history[sb.seq]
