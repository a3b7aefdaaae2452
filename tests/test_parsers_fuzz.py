"""Property tests: the three venue parsers never raise, count junk, and never count valid frames."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import msgspec
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tnet.connectors.venues import SPECS
from tnet.events import Liquidation, MarkPrice, OpenInterest, Trades
from tnet.symbols import resolve, resolve_all
from tnet.venues import RECORDS

FRAMES_DIR = Path(__file__).parent / "frames"
SYMBOLS = resolve_all(["BTC", "ETH", "IOST"]) + [
    resolve("ROSE", {"ROSE": 10.0})
]
SHORTS = {info.short for info in SYMBOLS}
FIXTURES: list[tuple[str, str, str]] = [
    (venue, *line.split("\t", 1))
    for venue in SPECS
    for line in (FRAMES_DIR / f"{venue}.tsv").read_text().splitlines()
]
JSON_FIXTURES = [item for item in FIXTURES if item[2] != "pong"]
# Keys that turn a JSON object into a control/error frame on some venue.
RESERVED = {"result", "id", "code", "msg", "error", "success", "op", "event", "topic", "data",
            "arg", "e", "stream"}
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

positive_floats = st.floats(min_value=1e-6, max_value=1e7, allow_nan=False)
timestamps = st.integers(min_value=1_500_000_000_000, max_value=2_000_000_000_000)
junk_values = st.one_of(
    st.sampled_from([None, "NaN", "nan", "inf", "-inf", "Infinity", "-1", "0", "", "abc", "1e999",
                     1e308, -5, 0, True, False, [], {}, [None], {"x": 1}, 2**70, "１２"]),
    st.text(max_size=6), st.floats(), st.integers(),
)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
json_junk = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8).filter(lambda k: k not in RESERVED), children,
                      max_size=4),
    max_leaves=12,
)


def fresh(venue: str) -> Any:
    return SPECS[venue].make_parser(SYMBOLS)


def assert_event_is_sane(event: Any) -> None:
    """Whatever the input, an emitted event is well formed and finite."""
    assert event.symbol in SHORTS
    assert type(event.ts_ms) is int
    if isinstance(event, Liquidation):
        assert event.side in ("long", "short")
        assert 0 < event.price < math.inf and 0 < event.qty < math.inf
        assert 0 < event.usd < math.inf
    elif isinstance(event, Trades):
        assert 0 < event.price < math.inf
        assert 0 <= event.buy_qty < math.inf and 0 <= event.sell_qty < math.inf
    elif isinstance(event, MarkPrice):
        assert 0 < event.price < math.inf
    else:
        assert isinstance(event, OpenInterest)
        assert 0 <= event.oi_base < math.inf and 0 <= event.oi_usd < math.inf


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path inside a decoded JSON document."""
    found = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else []
    for key, value in items:
        found.append(prefix + (key,))
        found.extend(_paths(value, prefix + (key,)))
    return found


@st.composite
def mutated_frames(draw: st.DrawFn) -> tuple[str, str]:
    venue, _name, frame = draw(st.sampled_from(JSON_FIXTURES))
    doc = orjson.loads(frame)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(draw(junk_values))  # samples are shared objects
    return venue, json.dumps(doc)  # stdlib: big ints and NaN tokens survive to the parser


@FAST
@given(st.sampled_from(list(SPECS)), st.one_of(st.binary(max_size=64), st.text(max_size=64)))
def test_arbitrary_bytes_and_text_are_counted_junk(venue: str, frame: bytes | str) -> None:
    parser = fresh(venue)
    if frame.strip() in ("pong", b"pong") and RECORDS[venue].heartbeat_frame == "ping":
        return  # the reply to a text keep-alive `ping` (OKX, Bitget) is legitimately the bare text `pong`
    assert parser.parse(frame, 1) == []
    assert (parser.stats.frames, parser.stats.parse_errors) == (1, 1)


@FAST
@given(st.sampled_from(list(SPECS)), json_junk)
def test_json_shaped_junk_is_counted(venue: str, doc: Any) -> None:
    parser = fresh(venue)
    assert parser.parse(orjson.dumps(doc), 1) == []
    assert (parser.stats.frames, parser.stats.parse_errors) == (1, 1)
    assert parser.stats.venue_errors == []


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_frames())
def test_mutated_real_frames_never_raise(item: tuple[str, str]) -> None:
    venue, frame = item
    parser = fresh(venue)
    events = parser.parse(frame, 1)
    assert isinstance(events, list)
    for event in events:
        assert_event_is_sane(event)
    assert parser.stats.frames == 1 and parser.stats.parse_errors <= 1
    if parser.stats.parse_errors:
        assert events == []


def test_every_fixture_frame_parses_without_error() -> None:
    for venue, name, frame in FIXTURES:
        parser = fresh(venue)
        for event in parser.parse(frame, 1):
            assert_event_is_sane(event)
        assert parser.stats.parse_errors == 0, (venue, name)


@FAST
@given(st.sampled_from(list(SPECS)), st.integers(0, 3),
       st.one_of(st.binary(max_size=64), st.text(max_size=64), json_junk.map(orjson.dumps)))
def test_rest_parsers_never_raise(venue: str, which: int, body: Any) -> None:
    spec = SPECS[venue]
    paths = ([p.path for p in spec.rest_polls(SYMBOLS)] + spec.metadata_requests(SYMBOLS)
             + spec.history_requests(SYMBOLS[0], 1_791_565_800_000, 300))
    if not paths:
        return  # a venue that asks nothing over REST
    parser = fresh(venue)
    events = parser.parse_rest(paths[which % len(paths)], body, 1)
    assert isinstance(events, list)


# Valid frames generated from the documented layouts: never an error, values carried exactly.

@FAST
@given(positive_floats, positive_floats, st.booleans(), timestamps)
def test_binance_valid_agg_trades(price: float, qty: float, maker: bool, ts: int) -> None:
    parser = fresh("binance")
    frame = {"stream": "ethusdt@aggTrade", "data": {"e": "aggTrade", "E": ts, "s": "ETHUSDT",
             "a": 1, "p": repr(price), "q": repr(qty), "f": 1, "l": 2, "T": ts, "m": maker}}
    [trades] = parser.parse(orjson.dumps(frame), 1)
    assert (trades.symbol, trades.price, trades.ts_ms) == ("ETH", price, ts)
    assert (trades.buy_qty, trades.sell_qty) == ((0.0, qty) if maker else (qty, 0.0))
    assert parser.stats.parse_errors == 0


@FAST
@given(positive_floats, positive_floats, st.sampled_from(["BUY", "SELL"]), timestamps)
def test_binance_valid_force_orders(price: float, qty: float, side: str, ts: int) -> None:
    parser = fresh("binance")
    order = {"s": "BTCUSDT", "S": side, "o": "LIMIT", "f": "IOC", "q": repr(qty), "p": "1",
             "ap": repr(price), "X": "FILLED", "l": repr(qty), "z": repr(qty), "T": ts, "st": 1}
    [liq] = parser.parse(orjson.dumps({"e": "forceOrder", "E": ts, "o": order}), 1)
    assert liq.side == ("long" if side == "SELL" else "short")
    assert (liq.qty, liq.price, liq.usd) == (qty, price, qty * price)
    assert parser.stats.parse_errors == 0


@FAST
@given(st.lists(st.tuples(positive_floats, positive_floats, st.sampled_from(["Buy", "Sell"])),
                min_size=1, max_size=6), timestamps)
def test_bybit_valid_trades_and_liquidations(rows: list, ts: int) -> None:
    parser = fresh("bybit")
    data = [{"T": ts + i, "s": "BTCUSDT", "S": side, "v": repr(qty), "p": repr(price)}
            for i, (price, qty, side) in enumerate(rows)]
    [trades] = parser.parse(orjson.dumps(
        {"topic": "publicTrade.BTCUSDT", "type": "snapshot", "ts": ts, "data": data}), 1)
    assert trades.buy_qty == sum(q for _, q, s in rows if s == "Buy")
    assert trades.sell_qty == sum(q for _, q, s in rows if s == "Sell")
    assert (trades.price, trades.ts_ms) == (rows[-1][0], ts + len(rows) - 1)
    liqs = parser.parse(orjson.dumps(
        {"topic": "allLiquidation.BTCUSDT", "type": "snapshot", "ts": ts, "data": data}), 1)
    assert [liq.side for liq in liqs] == ["long" if s == "Buy" else "short" for _, _, s in rows]
    assert [liq.usd for liq in liqs] == [q * p for p, q, _ in rows]
    assert parser.stats.parse_errors == 0


@FAST
@given(st.lists(st.tuples(positive_floats, st.integers(1, 10**6),
                          st.sampled_from(["long", "short", "net"]),
                          st.sampled_from(["buy", "sell"])), min_size=1, max_size=5), timestamps)
def test_okx_valid_liquidations(rows: list, ts: int) -> None:
    parser = fresh("okx")
    details = [{"bkLoss": "0", "bkPx": repr(price), "ccy": "", "posSide": pos, "side": side,
                "sz": str(size), "ts": str(ts)} for price, size, pos, side in rows]
    frame = {"arg": {"channel": "liquidation-orders", "instType": "SWAP"},
             "data": [{"details": details, "instId": "ETH-USDT-SWAP", "instType": "SWAP"}]}
    liqs = parser.parse(orjson.dumps(frame), 1)
    expected_sides = [pos if pos != "net" else ("long" if side == "sell" else "short")
                      for _, _, pos, side in rows]
    assert [liq.side for liq in liqs] == expected_sides
    assert [liq.qty for liq in liqs] == [size * 0.1 for _, size, _, _ in rows]  # ETH ctVal 0.1
    assert parser.stats.parse_errors == 0


JUNK_SAMPLES = ["NaN", "nan", "inf", "-inf", "Infinity", "-1", "0", "-0", "", "abc", "1e999", "1e3",
                " 12", "１２", "007", "1_0", None, True, False, 0, -5, 1.5, 1e308, 2**64, 2**70,
                -(2**63) - 1, [], {}, [None], {"x": 1}, "true", "Buy", "sell", "net", "long"]


def _single_mutations(doc: Any) -> list[str]:
    """The document with each key path deleted or set to each junk sample, one at a time."""
    out = []
    for path in _paths(doc):
        for junk in [...] + JUNK_SAMPLES:  # Ellipsis stands for "delete the key"
            mutated = copy.deepcopy(doc)
            parent = mutated
            for key in path[:-1]:
                parent = parent[key]
            if junk is ...:
                if not isinstance(parent, dict):
                    continue
                del parent[path[-1]]
            else:
                parent[path[-1]] = copy.deepcopy(junk)
            out.append(json.dumps(mutated))
    return out


def test_every_single_field_mutation_is_parsed_or_counted_once() -> None:
    """Each real frame with one field deleted or set to junk: sane events and no error, or nothing and
    exactly one count (parse error or remembered venue error); a valid frame after it still parses."""
    for venue in SPECS:
        parser = fresh(venue)
        valid = [frame for v, _name, frame in JSON_FIXTURES if v == venue]
        for frame in valid:
            for mutated in _single_mutations(orjson.loads(frame)):
                errors, remembered = parser.stats.parse_errors, len(parser.stats.venue_errors)
                events = parser.parse(mutated, 1)
                for event in events:
                    assert_event_is_sane(event)
                counted = parser.stats.parse_errors - errors
                assert counted <= 1, mutated
                if counted:
                    assert events == [] and len(parser.stats.venue_errors) == remembered, mutated
                errors = parser.stats.parse_errors
                for event in parser.parse(frame, 1):
                    assert_event_is_sane(event)
                assert parser.stats.parse_errors == errors, (mutated, frame)


def test_raw_json_frames_parse_like_text() -> None:
    """A frame handed over as msgspec.Raw (embedded raw JSON) gives the same result as its text."""
    for venue in SPECS:
        as_text, as_raw = fresh(venue), fresh(venue)
        for _v, name, frame in [item for item in JSON_FIXTURES if item[0] == venue]:
            raw = msgspec.json.decode(b'{"f":%s}' % frame.encode(), type=dict[str, msgspec.Raw])["f"]
            assert as_raw.parse(raw, 1) == as_text.parse(frame, 1), name
        assert as_raw.stats == as_text.stats
        assert as_raw.stats.frames > 0
