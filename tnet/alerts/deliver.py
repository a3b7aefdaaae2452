"""Alert delivery that never blocks the feed: a command with the JSON on stdin, a webhook POST."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

QUEUE_MAX = 1000  # alerts waiting for a slow sink; beyond it the oldest are dropped (and counted)
EXEC_TIMEOUT_S = 30.0
WEBHOOK_TIMEOUT_S = 5.0
WEBHOOK_ATTEMPTS = 4
BACKOFF_S = 0.5  # doubles per retry, with jitter


def redact_url(url: str) -> str:
    """`scheme://host[:port]/…`: webhook URLs carry their secret in the path, query or user info."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<webhook>"
    tail = "/…" if parts.path not in ("", "/") or parts.query else ""
    return f"{parts.scheme}://{host}{port}{tail}"


class QueueSink:
    """A bounded queue drained by one worker task; `submit` never waits."""

    name = "sink"

    def __init__(self, warn: Callable[[str], None]) -> None:
        self.warn = warn
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(QUEUE_MAX)
        self.delivered = 0
        self.failed = 0
        self.dropped = 0
        self.in_flight = False
        self._worker: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the worker on the running loop."""
        self._worker = asyncio.create_task(self._run(), name=self.name)

    def submit(self, payload: bytes) -> None:
        """Queue one alert's JSON; if the sink is far behind, drop the oldest waiting alert."""
        if self.queue.full():
            self.queue.get_nowait()
            self.queue.task_done()
            self.dropped += 1
        self.queue.put_nowait(payload)

    async def _run(self) -> None:
        while True:
            payload = await self.queue.get()
            self.in_flight = True
            try:
                await self.deliver(payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a sink bug must not stop later deliveries
                self.failed += 1
                self.warn(f"{self.name}: {type(exc).__name__}: {exc}")
            finally:
                self.in_flight = False
                self.queue.task_done()

    async def deliver(self, payload: bytes) -> None:
        """Deliver one alert (subclasses)."""
        raise NotImplementedError

    async def close(self, grace_s: float) -> None:
        """Give waiting alerts up to `grace_s` seconds, then stop; say what was not delivered."""
        if self._worker is None:
            return
        try:
            await asyncio.wait_for(self.queue.join(), grace_s)
        except asyncio.TimeoutError:
            pass
        left = self.queue.qsize() + self.in_flight
        self._worker.cancel()
        try:
            await self._worker
        except (asyncio.CancelledError, Exception):
            pass
        self._worker = None
        if left or self.dropped:
            self.warn(f"{self.name}: {left + self.dropped} alert(s) not delivered")


class ExecSink(QueueSink):
    """Runs a shell command per alert with the alert JSON (one line) on its stdin; its output goes to stderr."""

    def __init__(self, command: str, warn: Callable[[str], None]) -> None:
        super().__init__(warn)
        self.command = command
        self.name = "exec"

    async def deliver(self, payload: bytes) -> None:
        """One run of the command; a non-zero exit or a timeout is reported, not retried."""
        import sys

        proc = await asyncio.create_subprocess_shell(
            self.command, stdin=asyncio.subprocess.PIPE, stdout=sys.stderr.fileno(), stderr=None)
        try:
            await asyncio.wait_for(proc.communicate(payload + b"\n"), EXEC_TIMEOUT_S)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
            self.failed += 1
            self.warn(f"exec: command timed out after {EXEC_TIMEOUT_S:g}s and was killed")
            return
        except (BrokenPipeError, ConnectionResetError):
            await proc.wait()  # the command did not read its stdin: its exit status still counts
        if proc.returncode == 0:
            self.delivered += 1
        else:
            self.failed += 1
            self.warn(f"exec: command exited with status {proc.returncode}")


class WebhookSink(QueueSink):
    """POSTs each alert as JSON; retries connection errors, timeouts, 429 and 5xx with backoff."""

    def __init__(self, url: str, warn: Callable[[str], None], proxy: str | None = None,
                 timeout_s: float = WEBHOOK_TIMEOUT_S, attempts: int = WEBHOOK_ATTEMPTS, backoff_s: float = BACKOFF_S) -> None:
        super().__init__(warn)
        self.url = url
        self.name = f"webhook {redact_url(url)}"
        self.timeout_s, self.attempts, self.backoff_s = timeout_s, attempts, backoff_s
        self.proxy = proxy
        self._client: Any = None

    async def deliver(self, payload: bytes) -> None:
        """POST with retries; a final failure is reported (never with the URL's secret)."""
        import httpx

        if self._client is None:
            from tnet.connectors.proxy import proxy_for

            self._client = httpx.AsyncClient(
                proxy=proxy_for(self.url, self.proxy), trust_env=False,
                timeout=httpx.Timeout(self.timeout_s), headers={"User-Agent": "tnet/0.1"})
        why = ""
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1) * random.uniform(0.8, 1.2))
            try:
                resp = await self._client.post(self.url, content=payload,
                                               headers={"content-type": "application/json"})
            except httpx.TimeoutException:
                why = f"timed out after {self.timeout_s:g}s"
                continue
            except httpx.HTTPError as exc:
                why = type(exc).__name__  # the exception text can quote the URL
                continue
            if 200 <= resp.status_code < 300:
                self.delivered += 1
                return
            why = f"HTTP {resp.status_code}"
            if resp.status_code < 500 and resp.status_code not in (408, 429):
                break  # the server refused this alert: sending it again will not help
        self.failed += 1
        self.warn(f"{self.name}: alert not delivered ({why})")

    async def close(self, grace_s: float) -> None:
        """Stop the worker, then close the HTTP client."""
        await super().close(grace_s)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
