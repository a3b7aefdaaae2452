"""Crash-safe file writes (temp file, fsync, rename) and quarantine of corrupt state files."""

from __future__ import annotations

import logging
import os
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger(__name__)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so a reader (or a kill -9) only ever sees the old or the new file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; give the file the permissions a plain open() would (umask applies).
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    # fsync the directory so the rename itself survives a power cut.
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def atomic_write_json(path: Path, obj: Any) -> None:
    """Serialize `obj` with orjson and write it atomically."""
    atomic_write_bytes(path, orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))


MAX_STATE_BYTES = 16 << 20  # a calibration file is a few KB; anything near this is not ours


def quarantine(path: Path, why: str) -> Path | None:
    """Move a corrupt state file aside (never silently reuse it) with one warning; if it cannot be
    moved (read-only folder, not a regular file), ignore it with one warning instead."""
    path = Path(path)
    dest = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
    try:
        mode = os.lstat(path).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
            raise OSError(f"not a regular file (mode {stat.filemode(mode)})")
        os.replace(path, dest)
    except OSError as exc:
        log.warning("state file %s is unusable (%s) and cannot be moved aside (%s); ignoring it",
                    path, why, getattr(exc, "strerror", None) or exc)
        return None
    log.warning("state file %s is unusable (%s); moved aside to %s", path, why, dest)
    return dest


def read_json_or_quarantine(path: Path, max_bytes: int = MAX_STATE_BYTES) -> Any | None:
    """Load JSON state from `path`; None if missing. Anything unusable (invalid JSON, too large, a
    directory, unreadable) is moved aside or ignored with one warning, and None returned."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                quarantine(path, "not a regular file")
                return None
            raw = fh.read(max_bytes + 1)  # bounded: a path pointing at /dev/zero must not grow us
    except FileNotFoundError:
        return None
    except OSError as exc:
        quarantine(path, f"unreadable: {exc.strerror or exc}")
        return None
    if len(raw) > max_bytes:
        quarantine(path, f"larger than {max_bytes} bytes")
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        quarantine(path, f"invalid JSON: {exc}")
        return None


def remove_leftover_temps(path: Path) -> int:
    """Delete temp files a killed `atomic_write_bytes` for `path` left behind; returns how many."""
    path = Path(path)
    removed = 0
    try:
        leftovers = list(path.parent.glob(f".{path.name}.*.tmp"))
    except OSError:
        return 0
    for tmp in leftovers:
        try:
            tmp.unlink()
            removed += 1
        except OSError:
            pass
    return removed
