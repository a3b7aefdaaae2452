"""The collector side: every event, 1 Hz views, checkpoints and a heartbeat, written to Redis with bounded buffering."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections import deque
from typing import Any

from tnet.broker import layout
from tnet.broker.client import BrokerDenied, connect, denial, reason
from tnet.broker.codec import columns_to_bytes, dumps, view_to_dict
from tnet.config import redact_url
from tnet.events import Event, event_to_dict
from tnet.sources.base import SourceFailed

log = logging.getLogger(__name__)

BATCH = 2000  # entries per pipeline round trip


class _Checkpoint:
    """A checkpoint waiting in the buffer; a newer one for the same symbol supersedes it."""

    __slots__ = ("symbol", "fields", "superseded")

    def __init__(self, symbol: str, fields: dict[str, bytes]) -> None:
        self.symbol = symbol
        self.fields = fields
        self.superseded = False


class Publisher:
    """Publishes one runtime's events and views to Redis; never blocks the runtime, whatever Redis does.

    Events go into a bounded buffer from the runtime's event hook (synchronous, O(1)); one task
    drains it in pipelined batches. While Redis is unreachable the buffer holds up to
    `layout.BUFFER_MAX` entries (the oldest beyond that are dropped and counted) and drains when
    Redis is back. Readers only ever read from Redis, so a slow reader cannot slow this side.
    """

    def __init__(self, runtime: Any, url: str, maxlen: int, clock: Any = time.time) -> None:
        self.runtime = runtime
        self.url = url
        self.maxlen = maxlen
        self.clock = clock
        self.symbols: list[str] = list(runtime.symbols)
        self.buffer: deque[tuple[str, str, dict[str, bytes], int] | _Checkpoint] = deque()
        self.buffer_max = layout.BUFFER_MAX
        self.connected = False
        self.reason = "connecting"
        self.fatal: str | None = None
        self.published = 0
        self.duplicates = 0  # resent entries Redis already held (after an ambiguous failure)
        self.dropped = 0  # entries dropped because the buffer was full while Redis was unreachable
        self.reconnects = 0
        self.started_ms = int(clock() * 1000)
        self._ids: dict[str, tuple[int, int]] = {}
        self._cols_seen = dict.fromkeys(self.symbols, 0)
        self._prints_seen = dict.fromkeys(self.symbols, 0)
        self._cp_cols = dict.fromkeys(self.symbols, -1)
        self._cp_prints = dict.fromkeys(self.symbols, -1)
        self._cp_pending: dict[str, _Checkpoint] = {}
        self._cp_last: dict[str, dict[str, bytes]] = {}
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []
        self._redis: Any = None
        self.failed = asyncio.Event()  # set with `fatal` when Redis refuses us for good

    # ----------------------------------------------------------------- intake (synchronous, cheap)
    def on_events(self, events: list[Event]) -> None:
        """Runtime event hook: queue each event for its symbol's stream."""
        maxlen = self.maxlen
        for ev in events:
            key = layout.events_key(ev.symbol)
            self._push((key, self._next(key, ev.recv_ms), {"e": dumps(event_to_dict(ev))}, maxlen))
        self._wake.set()

    def _next(self, key: str, now_ms: int) -> str:
        sid = self._ids[key] = layout.next_id(self._ids.get(key, (0, -1)), now_ms)
        return layout.format_id(sid)

    def _push(self, item: tuple[str, str, dict[str, bytes], int] | _Checkpoint) -> None:
        if len(self.buffer) >= self.buffer_max:
            old = self.buffer.popleft()
            if not isinstance(old, _Checkpoint):
                self.dropped += 1
        self.buffer.append(item)

    # ----------------------------------------------------------------- views and checkpoints
    def publish_views(self, checkpoint: bool) -> None:
        """Queue one views entry per symbol (and a checkpoint consistent with it when asked)."""
        now_ms = self.runtime.now_ms()
        health = self.health_doc()
        for symbol in self.symbols:
            engine = self.runtime.engines[symbol]
            view = self.runtime.view(symbol, heatmap=False)
            body = view_to_dict(view)
            body["health"] = health
            body["collector"] = self.started_ms
            total, prints = engine.prints_since(self._prints_seen[symbol])
            self._prints_seen[symbol] = total
            body["prints"] = prints
            fields: dict[str, bytes] = {}
            cols = engine.history.columns_since(self._cols_seen[symbol])
            if len(cols[1]):
                head, blob = columns_to_bytes(cols)
                body["hm"] = head
                fields["hm"] = blob
                self._cols_seen[symbol] = head["first"] + head["n"]
            fields["v"] = dumps(body)
            key = layout.views_key(symbol)
            sid = self._next(key, now_ms)
            self._push((key, sid, fields, layout.VIEWS_MAXLEN))
            if checkpoint:
                self._queue_checkpoint(symbol, engine, body, sid)
        self._wake.set()

    def _queue_checkpoint(self, symbol: str, engine: Any, body: dict[str, Any], sid: str) -> None:
        """The whole picture at views entry `sid`; heavy parts re-encoded only when they changed."""
        fields = {"v": fields_v(body), "id": sid.encode()}
        count = engine.history.count
        if count != self._cp_cols[symbol]:
            head, blob = columns_to_bytes(engine.history.columns_since(0))
            fields["hmh"] = dumps(head)
            fields["hm"] = blob
            self._cp_cols[symbol] = count
        total, prints = engine.prints_since(0)
        if total != self._cp_prints[symbol]:
            fields["p"] = dumps(prints)
            self._cp_prints[symbol] = total
        old = self._cp_pending.get(symbol)
        if old is not None:
            # Heavy fields it never wrote carry over (only changed fields are written each time).
            old.superseded = True
            for name in ("hmh", "hm", "p"):
                if name in old.fields and name not in fields:
                    fields[name] = old.fields[name]
        cp = self._cp_pending[symbol] = _Checkpoint(symbol, fields)
        self._push(cp)

    def health_doc(self) -> dict[str, Any]:
        """The collector's health as readers see it: its venues plus its own link to Redis."""
        doc = self.runtime.health()
        doc["publisher"] = self.stats()
        return doc

    def stats(self) -> dict[str, Any]:
        """Counters of the link to Redis (shown in `tnet health` of the collector's readers)."""
        return {
            "redis": redact_url(self.url),
            "connected": self.connected,
            "reason": "" if self.connected else self.reason,
            "published": self.published,
            "buffered": len(self.buffer),
            "buffer_max": self.buffer_max,
            "dropped": self.dropped,
            "duplicates": self.duplicates,
            "reconnects": self.reconnects,
        }

    # ----------------------------------------------------------------- lifecycle
    async def preflight(self) -> None:
        """Connect once (bounded by the client's connect timeout) and check the credentials and permissions.

        Raises BrokerDenied when Redis refuses us, SourceFailed when it cannot be reached: a collector
        that starts into nothing would collect for hours and publish none of it. Once running, it buffers
        through outages instead (a Redis restart loses nothing).
        """
        redis = connect(self.url)
        try:
            await self._seed(redis)
            await redis.set(layout.HEARTBEAT_KEY, self._heartbeat_value(), ex=layout.HEARTBEAT_TTL_S)
        except Exception as exc:
            why = denial(exc, self.url)
            if why:
                raise BrokerDenied(why) from None
            raise SourceFailed(f"redis at {redact_url(self.url)}: {reason(exc)}") from None
        finally:
            await redis.aclose()

    async def start(self) -> None:
        """Start the flush, views and heartbeat tasks."""
        self._redis = connect(self.url)
        self._tasks = [
            asyncio.create_task(self._flush_loop(), name="redis-flush"),
            asyncio.create_task(self._views_loop(), name="redis-views"),
            asyncio.create_task(self._heartbeat_loop(), name="redis-heartbeat"),
        ]

    async def stop(self, drain_s: float = 2.0) -> None:
        """Try to drain what is buffered (briefly), then stop every task and close the client."""
        deadline = time.monotonic() + drain_s
        while self.buffer and self.connected and time.monotonic() < deadline and not self.fatal:
            self._wake.set()
            await asyncio.sleep(0.05)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self._tasks = []
        if self._redis is not None:
            try:
                await self._redis.delete(layout.HEARTBEAT_KEY)  # readers see "collector gone" at once
            except Exception:
                pass
            await self._redis.aclose()
            self._redis = None

    async def _seed(self, redis: Any) -> None:
        """Continue each stream's IDs after what Redis already holds (a restarted collector)."""
        keys = [layout.events_key(s) for s in self.symbols] + [layout.views_key(s) for s in self.symbols]
        for key in keys:
            top = await redis.xrevrange(key, count=1)
            if top:
                sid = layout.parse_id(top[0][0])
                if sid > self._ids.get(key, (0, -1)):
                    self._ids[key] = sid

    def _fail(self, why: str) -> None:
        self.fatal = why
        self.failed.set()

    async def _flush_loop(self) -> None:
        """Drain the buffer in pipelined batches; reconnect with backoff; keep order."""
        from redis.exceptions import ResponseError

        delay = 0.2
        while True:
            if not self.buffer:
                self._wake.clear()
                await self._wake.wait()
            batch = [self.buffer.popleft() for _ in range(min(BATCH, len(self.buffer)))]
            pipe = self._redis.pipeline(transaction=False)
            sent: list[Any] = []
            for item in batch:
                if isinstance(item, _Checkpoint):
                    if item.superseded:
                        continue
                    # one HSET is atomic: a reader never sees half a checkpoint
                    pipe.hset(layout.checkpoint_key(item.symbol), mapping=item.fields)
                    sent.append(item)
                else:
                    key, sid, fields, maxlen = item
                    pipe.xadd(key, fields, id=sid, maxlen=maxlen, approximate=True)
                    sent.append(item)
            try:
                if not sent:
                    continue
                results = await pipe.execute(raise_on_error=False)
            except Exception as exc:
                why = denial(exc, self.url)
                if why:
                    self._fail(why)
                    return
                self._requeue(batch)
                if self.connected:
                    self.reconnects += 1
                    log.warning("redis %s: %s (buffering)", redact_url(self.url), reason(exc))
                self.connected = False
                self.reason = reason(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            delay = 0.2
            self.connected, self.reason = True, ""
            for item, res in zip(sent, results):
                if isinstance(res, Exception):
                    why = denial(res, self.url)
                    if why:
                        self._fail(why)
                        return
                    if isinstance(res, ResponseError) and "equal or smaller" in str(res):
                        self.duplicates += 1
                    else:
                        log.warning("redis refused an entry: %s", res)
                elif isinstance(item, tuple):
                    self.published += 1
            for item in batch:
                if isinstance(item, _Checkpoint) and self._cp_pending.get(item.symbol) is item:
                    del self._cp_pending[item.symbol]

    def _requeue(self, batch: list[Any]) -> None:
        """Put a failed batch back at the front, dropping the oldest entries beyond the bound."""
        room = self.buffer_max - len(self.buffer)
        keep = batch[-room:] if room > 0 else []
        for item in batch[: len(batch) - len(keep)]:
            if not isinstance(item, _Checkpoint):
                self.dropped += 1
        self.buffer.extendleft(reversed(keep))

    async def _views_loop(self) -> None:
        last_cp = 0.0
        while True:
            await asyncio.sleep(layout.VIEWS_EVERY_S)
            now = time.monotonic()
            checkpoint = now - last_cp >= layout.CHECKPOINT_EVERY_S
            if checkpoint:
                last_cp = now
            try:
                self.publish_views(checkpoint)
            except Exception:  # an engine bug must not stop publishing events
                log.exception("publishing views failed")

    def _heartbeat_value(self) -> bytes:
        return dumps({
            "host": socket.gethostname(), "pid": os.getpid(), "symbols": self.symbols,
            "started_ms": self.started_ms, "ts_ms": int(self.clock() * 1000),
            "maxlen": self.maxlen, "publisher": self.stats(),
        })

    async def _heartbeat_loop(self) -> None:
        while True:
            try:
                await self._redis.set(layout.HEARTBEAT_KEY, self._heartbeat_value(), ex=layout.HEARTBEAT_TTL_S)
            except Exception as exc:
                why = denial(exc, self.url)
                if why:
                    self._fail(why)
                    return
            await asyncio.sleep(layout.HEARTBEAT_EVERY_S)


def fields_v(body: dict[str, Any]) -> bytes:
    """The checkpoint's view: the views entry body without its incremental parts."""
    return dumps({k: v for k, v in body.items() if k not in ("hm", "prints")})
