"""NDJSON on stdout for `tnet stream` and `tnet alert`, and the run loop those long-running commands share."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Iterable
from typing import Any


class NdjsonOut:
    """One JSON object per line on stdout, flushed per batch; a closed pipe (`| head`) ends the command cleanly."""

    def __init__(self) -> None:
        import orjson

        from tnet.cli.common import json_ready

        self._dumps = orjson.dumps
        self._ready = json_ready  # the same numbers every other command prints
        self._buffer = sys.stdout.buffer
        self.lines = 0
        self.closed = asyncio.Event()

    def write(self, objects: Iterable[dict[str, Any]]) -> None:
        """Write and flush a batch; after the reader went away, do nothing."""
        if self.closed.is_set():
            return
        data = b"".join(self._dumps(self._ready(o)) + b"\n" for o in objects)
        if not data:
            return
        try:
            self._buffer.write(data)
            self._buffer.flush()
        except (BrokenPipeError, ConnectionResetError):
            # Point stdout at /dev/null so the interpreter's last flush at exit cannot fail again.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            self.closed.set()
            return
        self.lines += data.count(b"\n")


async def run_runtime(runtime: Any, out: NdjsonOut, seconds: float,
                      tasks: Iterable[Callable[[], Awaitable[None]]] = (),
                      finish: Callable[[], None] | None = None) -> None:
    """Run until a recording ends, `seconds` pass (0 = no limit), or the reader closes the pipe.

    `tasks` run beside the runtime; `finish` runs once at the end while the runtime's state is intact.
    """
    side_tasks: list[asyncio.Task[None]] = []
    try:
        await runtime.start()
        side_tasks = [asyncio.create_task(t()) for t in tasks]
        run = asyncio.create_task(runtime.run(seconds if seconds > 0 else None))
        closed = asyncio.create_task(out.closed.wait())
        try:
            await asyncio.wait([run, closed], return_when=asyncio.FIRST_COMPLETED)
        finally:
            run.cancel()
            closed.cancel()
        if run.done() and not run.cancelled() and run.exception() is not None:
            raise run.exception()  # type: ignore[misc]  # RunFailed: one line and exit 3 (run_async)
        if finish is not None and not out.closed.is_set():
            finish()
    finally:
        for t in side_tasks:
            t.cancel()
        await asyncio.gather(*side_tasks, return_exceptions=True)
        await runtime.stop()
