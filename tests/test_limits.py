"""Size limits: a recording line, a REST body and a state file can be far larger than anything tnet needs;
each is refused without being held in memory."""

from __future__ import annotations

import asyncio
import gzip
import subprocess
import sys
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from tnet.connectors.supervisor import fetch, make_http_client
from tnet.storage.recording import MAX_LINE_BYTES, ReadReport, read_recording

T0 = 1_791_565_600_000


def _line(k: int) -> bytes:
    frame = orjson.dumps({"topic": "tickers.BTCUSDT", "type": "snapshot", "ts": T0 + k, "cs": k,
                          "data": {"symbol": "BTCUSDT", "markPrice": "82650.0"}}).decode()
    return orjson.dumps({"recv_ms": T0 + k + 5, "venue": "bybit", "stream": "market", "frame": frame}) + b"\n"


def _bomb(path: Path, line_mib: int) -> None:
    """A small gzip holding a good line, one line of `line_mib` MiB, and another good line."""
    comp = zlib.compressobj(1, zlib.DEFLATED, 31)  # gzip container
    with open(path, "wb") as fh:
        fh.write(comp.compress(_line(0)))
        fh.write(comp.compress(b'{"recv_ms": 1, "venue": "bybit", "stream": "market", "frame": "'))
        chunk = b"a" * (1 << 20)
        for _ in range(line_mib):
            fh.write(comp.compress(chunk))
        fh.write(comp.compress(b'"}\n' + _line(1000)))
        fh.write(comp.flush())


def test_a_huge_line_in_a_small_gzip_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.jsonl.gz"
    _bomb(path, 256)
    assert path.stat().st_size < 2 << 20  # a small file ...
    # ... read in a child whose peak memory is measured: it holds at most MAX_LINE_BYTES of the line.
    # (VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent, a big test worker)
    code = (
        "import sys\n"
        "from tnet.storage.recording import ReadReport, read_recording\n"
        "r = ReadReport()\n"
        "recs = list(read_recording(sys.argv[1], r))\n"
        "hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
        "print(len(recs), len(r.bad_lines), r.bad_lines[0], int(hwm.split()[1]) // 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    n, n_bad, bad, peak_mib = (int(x) for x in out.stdout.split())
    assert (n, n_bad, bad) == (2, 1, 2), out.stdout  # both good lines read, the huge one numbered as bad
    assert peak_mib < 200, f"peak {peak_mib} MiB reading a 256 MiB line"


def test_lines_up_to_the_limit_still_read(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl.gz"
    frame = "x" * (MAX_LINE_BYTES - 200)
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.write(orjson.dumps({"recv_ms": 1, "venue": "okx", "stream": "market", "frame": frame}) + b"\n")
        fh.write(_line(1))
    report = ReadReport()
    recs = list(read_recording(path, report))
    assert report.ok and len(recs) == 2 and len(recs[0].frame) == len(frame)


@pytest.fixture
async def http_body() -> AsyncIterator[tuple[int, list[bytes]]]:
    """A loopback HTTP server answering every request with the body (and headers) set in the list."""
    replies: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        try:
            writer.write(replies[0])
            await writer.drain()
        except ConnectionError:
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], replies
    finally:
        server.close()


async def test_rest_bodies_over_the_limit_are_refused(http_body: tuple[int, list[bytes]]) -> None:
    port, replies = http_body
    client = make_http_client(None, f"http://127.0.0.1:{port}")
    try:
        replies[:] = [b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"]
        assert await fetch(client, "/x") == ('{"ok":true}', "")
        # 20 MiB sent as ~20 KB of gzip: refused after decompression passes the limit
        bomb = gzip.compress(b" " * (20 << 20), compresslevel=9)
        replies[:] = [b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(bomb) + bomb]
        body, reason = await fetch(client, "/fapi/v1/klines?symbol=BTCUSDT")
        assert body is None and reason == "response over 8 MiB for /fapi/v1/klines"
    finally:
        await client.aclose()  # type: ignore[attr-defined]
