"""Recordings: every raw frame as one JSON line `{"recv_ms","venue","stream","frame"}` (gzip if *.gz)."""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NamedTuple

import msgspec
import orjson

REST_PREFIX = "rest:"
# The longest line a reader accepts: a frame (<= 8 MiB, the WebSocket and REST limits) JSON-escaped.
# Longer lines are skipped without being held in memory (a small gzip can hold a 1 GiB line).
MAX_LINE_BYTES = 24 << 20


class Record(NamedTuple):
    """One recorded frame: a WebSocket message (`stream` "market") or a REST body (`rest:<path>`)."""

    recv_ms: int
    venue: str
    stream: str
    frame: str


class StorageError(Exception):
    """Writing to disk failed (disk full, quota, read-only): a storage problem, never a feed outage."""


class RecordingWriter:
    """Appends records to a file; buffered, flushed periodically and on close.

    A failed write (disk full...) raises StorageError once and leaves the file as it was up to the
    error (readers stop at a cut-off last line or gzip member); later writes raise it again.

    `staged=True` writes to a hidden sibling that `commit()` renames over `path` and `discard()`
    deletes, so `path` only ever changes to a finished recording.
    """

    def __init__(self, path: Path, staged: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.staged_path = self.path.with_name(f".{self.path.name}.{os.getpid()}.part") if staged else None
        target = self.staged_path or self.path
        raw: IO[bytes]
        if self.path.suffix == ".gz":
            raw = gzip.open(target, "wb", compresslevel=6)
        else:
            raw = open(target, "wb")
        self._fh = raw
        self.records = 0
        self.bytes = 0
        self.error = ""  # why writing failed, once it has

    def _failed(self, exc: OSError) -> StorageError:
        if not self.error:
            self.error = f"cannot write {str(self.path)!r}: {exc.strerror or exc}"
        return StorageError(self.error)

    def write(self, recv_ms: int, venue: str, stream: str, frame: str | bytes) -> None:
        """Write one frame exactly as received (bytes are decoded as UTF-8, invalid bytes replaced)."""
        if self.error:
            raise StorageError(self.error)
        if isinstance(frame, (bytes, bytearray, memoryview)):
            frame = bytes(frame).decode("utf-8", errors="replace")
        line = orjson.dumps({"recv_ms": recv_ms, "venue": venue, "stream": stream, "frame": frame}) + b"\n"
        try:
            self._fh.write(line)
        except OSError as exc:
            raise self._failed(exc) from exc
        self.records += 1
        self.bytes += len(line)

    def flush(self) -> None:
        """Push buffered lines to the OS (a crash loses at most the unflushed tail)."""
        if self.error:
            raise StorageError(self.error)
        try:
            self._fh.flush()
        except OSError as exc:
            raise self._failed(exc) from exc

    def close(self) -> None:
        """Flush and close; safe to call twice. Never raises: a failure is kept in `error`."""
        if not self._fh.closed:
            try:
                self._fh.close()
            except OSError as exc:
                self._failed(exc)
                try:  # the buffered tail cannot be written; release the descriptor anyway
                    self._fh.close()
                except OSError:
                    pass

    def commit(self) -> None:
        """Close and, when staged, move the finished recording onto `path`."""
        self.close()
        if self.staged_path is not None and self.staged_path.exists():
            os.replace(self.staged_path, self.path)

    def discard(self) -> None:
        """Close and delete the staged file (`path` is left as it was)."""
        self.close()
        if self.staged_path is not None:
            self.staged_path.unlink(missing_ok=True)


@dataclass(slots=True)
class ReadReport:
    """What reading a recording found wrong: bad line numbers and whether the file was cut short."""

    lines: int = 0
    bad_lines: list[int] = field(default_factory=list)
    truncated: str = ""  # non-empty when the file ends mid-stream (e.g. a gzip cut short)

    @property
    def ok(self) -> bool:
        return not self.bad_lines and not self.truncated


_new = tuple.__new__


class _Line(msgspec.Struct, array_like=False):
    """The wire shape of one recording line (typed decoding is ~2x faster than a dict)."""

    recv_ms: int
    venue: str
    stream: str
    frame: str


_decode_line = msgspec.json.Decoder(_Line).decode


def _open_lines(path: Path) -> IO[bytes]:
    fh = open(path, "rb")
    magic = fh.read(2)
    fh.seek(0)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=fh)  # type: ignore[return-value]
    return fh


def read_recording(path: Path, report: ReadReport) -> Iterator[Record]:
    """Yield records in file order; bad lines are skipped and numbered in `report`, a cut-off file stops cleanly."""
    fh = _open_lines(Path(path))
    try:
        lineno = 0
        while True:
            try:
                line = fh.readline(MAX_LINE_BYTES)
                oversize = len(line) == MAX_LINE_BYTES and not line.endswith(b"\n")
                while oversize and (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
                    pass  # skip the rest of the line, a chunk at a time
            except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
                report.truncated = f"file ends mid-stream after line {lineno}: {exc}"
                return
            if not line:
                return
            lineno += 1
            report.lines = lineno
            if oversize:
                report.bad_lines.append(lineno)
                continue
            try:
                obj = _decode_line(line)
            except msgspec.ValidationError:
                report.bad_lines.append(lineno)  # valid JSON, wrong shape (missing key, wrong type)
                continue
            except msgspec.DecodeError:
                if not line.strip():
                    continue
                report.bad_lines.append(lineno)
                if not line.endswith(b"\n"):
                    # A last line without its newline is what a killed writer leaves behind.
                    report.truncated = f"last line {lineno} is incomplete"
                    return
                continue
            # tuple.__new__ skips NamedTuple's Python-level constructor: this loop is the replay hot path.
            rec = _new(Record, (obj.recv_ms, obj.venue, obj.stream, obj.frame))
            yield rec
    finally:
        fh.close()


def describe(report: ReadReport, path: Path) -> str:
    """One line for stderr summarising damage, or '' when the file was clean."""
    parts = []
    if report.bad_lines:
        shown = ", ".join(str(n) for n in report.bad_lines[:10])
        more = f" (+{len(report.bad_lines) - 10} more)" if len(report.bad_lines) > 10 else ""
        parts.append(f"skipped {len(report.bad_lines)} bad line(s): {shown}{more}")
    if report.truncated:
        parts.append(report.truncated)
    if not parts:
        return ""
    return f"warning: {path}: " + "; ".join(parts)


