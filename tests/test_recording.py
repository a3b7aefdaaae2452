"""Recordings: round trip, gzip, damaged lines and files cut short are read up to the damage."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import orjson

from tnet.storage.recording import ReadReport, RecordingWriter, describe, read_recording

if TYPE_CHECKING:
    from conftest import Recording


def _frames(n: int) -> Iterator[tuple[int, str, str, str | bytes]]:
    """n market frames, then one REST body given as bytes."""
    for i in range(n):
        yield 1_000 + i, "bybit", "market", '{"topic":"tickers.BTCUSDT","i":%d}' % i
    yield 5_000, "binance", "rest:/fapi/v1/openInterest?symbol=BTCUSDT", b'{"openInterest":"1"}'


def test_round_trip_plain_and_gzip(recording: Recording) -> None:
    paths = [recording(_frames(50), name) for name in ("a.jsonl", "a.jsonl.gz")]
    for path in paths:
        report = ReadReport()
        recs = list(read_recording(path, report))
        assert report.ok and report.lines == 51
        assert [r.recv_ms for r in recs[:3]] == [1000, 1001, 1002]
        assert orjson.loads(recs[7].frame)["i"] == 7
        assert recs[-1].stream == "rest:/fapi/v1/openInterest?symbol=BTCUSDT"
        assert recs[-1].frame == '{"openInterest":"1"}'
    assert paths[1].read_bytes()[:2] == b"\x1f\x8b"


def test_each_line_has_the_documented_keys(recording: Recording) -> None:
    path = recording(_frames(1), "a.jsonl")
    first = orjson.loads(path.read_bytes().splitlines()[0])
    assert set(first) == {"recv_ms", "venue", "stream", "frame"}


def test_bad_lines_are_skipped_and_numbered(recording: Recording) -> None:
    path = recording(_frames(5), "a.jsonl")
    lines = path.read_bytes().splitlines(keepends=True)
    lines[1] = b"{garbage\n"
    lines[3] = b'{"recv_ms": 1, "venue": "x"}\n'  # missing keys
    path.write_bytes(b"".join(lines))
    report = ReadReport()
    recs = list(read_recording(path, report))
    assert report.bad_lines == [2, 4]
    assert len(recs) == 4
    assert "2, 4" in describe(report, path)


def test_truncated_plain_file_stops_at_the_damage(recording: Recording) -> None:
    path = recording(_frames(10), "a.jsonl")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 15])  # cut inside the last line
    report = ReadReport()
    recs = list(read_recording(path, report))
    assert len(recs) == 10 and report.bad_lines == [11]
    assert "incomplete" in report.truncated


def test_truncated_gzip_reads_what_is_there(recording: Recording) -> None:
    path = recording(_frames(2000), "a.jsonl.gz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    report = ReadReport()
    recs = list(read_recording(path, report))
    assert 0 < len(recs) < 2001
    assert report.truncated
    # Everything that was returned is intact and in order.
    assert [r.recv_ms for r in recs[:100]] == list(range(1000, 1100))


def test_blank_lines_are_ignored(recording: Recording) -> None:
    path = recording(_frames(2), "a.jsonl")
    path.write_bytes(path.read_bytes() + b"\n\n")
    report = ReadReport()
    assert len(list(read_recording(path, report))) == 3 and report.ok


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(frames=st.lists(st.text(), min_size=1, max_size=5), venue=st.text(min_size=1, max_size=8),
       stream=st.text(min_size=1, max_size=12))
def test_any_frame_text_round_trips(tmp_path_factory: object, frames: list[str], venue: str, stream: str) -> None:
    # Quotes, backslashes, control characters, '","frame":"' inside the frame, non-ASCII: a frame
    # comes back exactly as it was written.
    path = tmp_path_factory.mktemp("rt") / "a.jsonl"  # type: ignore[attr-defined]
    w = RecordingWriter(path)
    for i, f in enumerate(frames):
        w.write(i, venue, stream, f)
    w.close()
    report = ReadReport()
    got = list(read_recording(path, report))
    assert report.ok
    assert [(r.recv_ms, r.venue, r.stream, r.frame) for r in got] == [(i, venue, stream, f) for i, f in enumerate(frames)]

