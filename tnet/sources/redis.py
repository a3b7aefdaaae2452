"""A `tnet collect` collector as a source: views and events read from Redis, no exchange access needed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson

from tnet.broker import layout
from tnet.broker.client import BrokerDenied, connect, denial, reason
from tnet.broker.codec import columns_from_bytes, view_from_dict
from tnet.connectors.health import LATENCY_WINDOW, RATE_WINDOW_S, _percentile
from tnet.engine.history import HeatmapHistory
from tnet.engine.tape import MAX_RECENT
from tnet.engine.views import SymbolView, TapeView
from tnet.events import Event, event_from_dict
from tnet.sources.base import EventSource, Feed

log = logging.getLogger(__name__)

READ_BLOCK_MS = 1000
READ_COUNT = 1000
BEHIND_MS = 1000  # an events position older than this is checked for trimmed entries at each read
EVENTS_PREFIX = layout.events_key("")


@dataclass(slots=True)
class _Symbol:
    """What a reader holds for one symbol: the newest view, the heatmap history and prints, stream positions."""

    view: SymbolView | None = None
    health: dict[str, Any] = field(default_factory=dict)
    history: HeatmapHistory = field(default_factory=HeatmapHistory)
    prints: deque[tuple[int, float, str, float]] = field(default_factory=lambda: deque(maxlen=MAX_RECENT))
    loaded: bool = False  # a checkpoint is in; views entries after it apply on top
    collector: int = 0  # started_ms of the collector the state came from
    view_id: str = "0-0"
    event_id: str | None = None  # None until positioned at the stream's end
    event_offset: int = 0  # events entries ever added up to event_id (XINFO entries-added): finds trimmed gaps


class RedisSource(EventSource):
    """Draws a collector's views and relays its events; resumes by stream ID; shows its own link in health."""

    carries_views = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.url = self.settings.source.url or ""
        self.state = {s: _Symbol() for s in self.symbols}
        self.connected = False
        self.ever_connected = False
        self.reason = "connecting"
        self.reconnects = 0
        self.gaps = 0
        self.last_gap = ""
        self.heartbeat: dict[str, Any] | None = None
        self.heartbeat_polled = False
        self.entries = 0
        self.decode_errors = 0
        self.entry_times: deque[int] = deque(maxlen=20_000)
        self.lag_ms: deque[int] = deque(maxlen=LATENCY_WINDOW)
        self.ping_ms: deque[float] = deque(maxlen=50)
        self._redis: Any = None
        self._stopping = False
        self._backlog = False  # the last read returned a full batch: more is waiting

    # ----------------------------------------------------------------- lifecycle
    async def start(self, feed: Feed) -> None:
        self._redis = connect(self.url)
        try:
            await self._redis.ping()
            self._on_connected()
            # Checkpoints before the first frame: a reader that joins late draws the full picture at once.
            await self._position()
            await self._watch_once()
            self._check_ready()
        except Exception as exc:
            why = denial(exc, self.url)
            if why:
                await self._redis.aclose()
                self._redis = None
                raise BrokerDenied(why) from None
            self.reason = reason(exc)
        self._tasks.append(asyncio.create_task(self._read_loop(feed), name="redis-read"))
        self._tasks.append(asyncio.create_task(self._watch_loop(), name="redis-watch"))

    async def stop(self) -> None:
        # A cancelled blocking XREAD can sit on its socket: cancel, then close the connections under it.
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=1.0)
        if self._redis is not None:
            await self._redis.aclose(close_connection_pool=True)
            self._redis = None
        await super().stop()

    def _on_connected(self) -> None:
        if self.ever_connected and not self.connected:
            self.reconnects += 1
        self.connected = self.ever_connected = True
        self.reason = ""

    def _on_error(self, exc: BaseException) -> bool:
        """Record a failure; True when it is final (credentials, ACL): the source stops."""
        why = denial(exc, self.url)
        if why:
            self.reason = why
            self.connected = False
            self.fail(why)
            return True
        if self.connected and not self._stopping:
            log.warning("redis %s: %s", self, reason(exc))
        self.connected = False
        self.reason = reason(exc)
        return False

    # ----------------------------------------------------------------- reading
    async def _read_loop(self, feed: Feed) -> None:
        delay = 0.2
        while True:
            try:
                await self._position()
                streams: dict[str, str] = {}
                for sym, st in self.state.items():
                    if st.event_id is not None:
                        streams[layout.events_key(sym)] = st.event_id
                    streams[layout.views_key(sym)] = st.view_id
                resp = await self._read(streams)
                self._on_connected()
                delay = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._on_error(exc):
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            events_prefix, views_prefix = layout.events_key(""), layout.views_key("")
            self._backlog = any(len(entries) >= READ_COUNT for _, entries in resp or [])
            for key, entries in resp or []:
                key = key.decode() if isinstance(key, bytes) else key
                if key.startswith(events_prefix):
                    self._on_event_entries(key[len(events_prefix):], entries, feed)
                elif key.startswith(views_prefix):
                    self._on_view_entries(key[len(views_prefix):], entries)
            self._check_ready()

    async def _read(self, streams: dict[str, str]) -> Any:
        """XREAD from `streams`. An events position more than a second old or after a full batch (a reader
        that stalled or fell behind) is read together with XINFO in one MULTI, so a trimmed hole is seen
        before the read that jumps over it (checking now and then would race: the jump hides the hole)."""
        now_ms = int(time.time() * 1000)
        behind = [k for k, pos in streams.items()
                  if k.startswith(EVENTS_PREFIX) and (self._backlog or now_ms - layout.parse_id(pos)[0] > BEHIND_MS)]
        if behind:
            pipe = self._redis.pipeline(transaction=True)
            for key in behind:
                pipe.xinfo_stream(key)
            pipe.xread(streams, count=READ_COUNT)  # never blocks inside MULTI
            res = await pipe.execute(raise_on_error=False)
            for key, info in zip(behind, res[:-1]):
                self._check_trimmed(key, streams[key], info)
            if isinstance(res[-1], Exception):
                raise res[-1]
            if res[-1]:
                return res[-1]
        return await self._redis.xread(streams, count=READ_COUNT, block=READ_BLOCK_MS)

    def _check_trimmed(self, key: str, pos: str, info: Any) -> None:
        """Entries trimmed (MAXLEN) beyond what this reader has read are a gap: count and show it.

        Trimming does not move XINFO's max-deleted-entry-id; `entries-added - length` (entries ever
        removed) against how many this reader has passed (`event_offset`) is exact.
        """
        if isinstance(info, Exception):
            if "no such key" in str(info):
                return
            raise info
        st = self.state[key[len(EVENTS_PREFIX):]]
        added = int(info["entries-added"])
        removed = added - int(info["length"])
        if added < st.event_offset:  # the stream was deleted and begun again: count from its start
            st.event_offset = removed
        elif removed > st.event_offset:
            first = info.get("first-entry")
            upto = first[0].decode() if first else "the end"
            self._note_gap(f"{key}: {removed - st.event_offset} entries after {pos} (up to {upto}) were trimmed "
                           "before this reader read them")
            st.event_offset = removed

    def _note_gap(self, what: str) -> None:
        self.gaps += 1
        self.last_gap = what
        log.warning("%s", what)

    def _check_ready(self) -> None:
        """Every symbol has its full picture: a snapshot or health can answer now."""
        if all(st.loaded for st in self.state.values()):
            self.ready.set()

    async def _position(self) -> None:
        """Load missing checkpoints and put new readers at the end of each events stream."""
        for sym, st in self.state.items():
            if st.event_id is None:
                pipe = self._redis.pipeline(transaction=True)
                pipe.xrevrange(layout.events_key(sym), count=1)
                pipe.xinfo_stream(layout.events_key(sym))
                top, info = await pipe.execute(raise_on_error=False)
                if isinstance(top, Exception):
                    raise top
                st.event_id = top[0][0].decode() if top else "0-0"
                st.event_offset = int(info["entries-added"]) if top and not isinstance(info, Exception) else 0
            if not st.loaded:
                await self._load_checkpoint(sym, st)

    async def _load_checkpoint(self, sym: str, st: _Symbol) -> None:
        cp = await self._redis.hgetall(layout.checkpoint_key(sym))
        if not cp or b"v" not in cp or b"id" not in cp:
            return  # the collector has not written one yet (or does not collect this symbol)
        try:
            body = orjson.loads(cp[b"v"])
            history = HeatmapHistory()
            if b"hmh" in cp and b"hm" in cp:
                history.put(*columns_from_bytes(orjson.loads(cp[b"hmh"]), cp[b"hm"]))
            prints = [tuple(p) for p in orjson.loads(cp[b"p"])] if b"p" in cp else []
            view = view_from_dict(body)
        except (ValueError, KeyError, TypeError) as exc:
            self.decode_errors += 1
            log.warning("bad checkpoint for %s: %s", sym, exc)
            return
        st.history = history
        st.prints.clear()
        st.prints.extend(prints)  # type: ignore[arg-type]
        st.view, st.health = view, body.get("health", {})
        st.collector = int(body.get("collector", 0))
        st.view_id = cp[b"id"].decode()
        st.loaded = True

    def _on_event_entries(self, sym: str, entries: list[Any], feed: Feed) -> None:
        st = self.state[sym]
        now_ms = int(time.time() * 1000)
        events: list[Event] = []
        for sid, fields in entries:
            st.event_id = sid.decode()
            try:
                ev = event_from_dict(orjson.loads(fields[b"e"]))
            except (ValueError, KeyError, TypeError):
                self.decode_errors += 1
                continue
            events.append(ev)
            self.lag_ms.append(now_ms - ev.recv_ms)
        st.event_offset += len(entries)
        self.entries += len(entries)
        self.entry_times.extend([now_ms] * len(entries))
        if events:
            feed.dispatch(events)

    def _on_view_entries(self, sym: str, entries: list[Any]) -> None:
        st = self.state[sym]
        now_ms = int(time.time() * 1000)
        self.entries += len(entries)
        self.entry_times.extend([now_ms] * len(entries))
        for sid, fields in entries:
            if not st.loaded:
                return  # wait for the checkpoint (reloaded on the next round)
            try:
                body = orjson.loads(fields[b"v"])
                if int(body.get("collector", 0)) != st.collector:
                    st.loaded = False  # a restarted collector: its history numbering starts over
                    return
                head = body.get("hm")
                if head is not None:
                    cols = columns_from_bytes(head, fields[b"hm"])
                    if cols[0] > st.history.count:
                        # views entries trimmed before we read them: the next checkpoint fills the picture
                        self._note_gap(f"{layout.views_key(sym)}: heatmap columns {st.history.count}.."
                                       f"{cols[0] - 1} were trimmed before this reader read them; reloading the checkpoint")
                        st.loaded = False
                        return
                    st.history.put(*cols)
                st.prints.extend(tuple(p) for p in body.get("prints", ()))  # type: ignore[misc]
                st.view, st.health = view_from_dict(body), body.get("health", {})
            except (ValueError, KeyError, TypeError) as exc:
                self.decode_errors += 1
                log.warning("bad views entry for %s: %s", sym, exc)
            st.view_id = sid.decode()

    async def _watch_loop(self) -> None:
        """Every few seconds: the collector's heartbeat and our round-trip time."""
        while True:
            await asyncio.sleep(layout.HEARTBEAT_EVERY_S)
            try:
                await self._watch_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._on_error(exc):
                    return

    async def _watch_once(self) -> None:
        t0 = time.perf_counter()
        raw = await self._redis.get(layout.HEARTBEAT_KEY)
        self.ping_ms.append((time.perf_counter() - t0) * 1000)
        self._on_connected()
        self.heartbeat = orjson.loads(raw) if raw is not None else None
        self.heartbeat_polled = True

    # ----------------------------------------------------------------- views and health
    def view(self, symbol: str, now_ms: int, heatmap: bool) -> SymbolView:
        st = self.state[symbol]
        view = st.view
        if view is None:
            empty = TapeView(events=[], clusters=[], long_usd=0.0, short_usd=0.0, window_s=0)
            return SymbolView(symbol, now_ms, 0.0, 0.0, [], [], empty, {}, {})
        if not heatmap or not view.bucket_usd > 0:
            return view
        import dataclasses

        return dataclasses.replace(view, heatmap=st.history.view(view.price, view.bucket_usd, list(st.prints)))

    def collector_health(self) -> dict[str, Any]:
        """The newest health document any symbol's views carried (the collector's venues and publisher)."""
        newest: dict[str, Any] = {}
        for st in self.state.values():
            if st.health and st.health.get("ts_ms", 0) >= newest.get("ts_ms", 0):
                newest = st.health
        return newest

    def venue_health(self, now_ms: int) -> dict[str, dict[str, Any]]:
        doc = self.collector_health()
        venues: dict[str, dict[str, Any]] = {}
        gone = self.connected and self.heartbeat_polled and self.heartbeat is None
        for name, h in (doc.get("venues") or {}).items():
            h = dict(h)
            if not self.connected:
                h["state"], h["reason"] = "down", f"redis {self.reason}"
            elif gone:
                h["state"], h["reason"] = "down", "collector gone: no heartbeat"
            venues[name] = h
        venues["redis"] = self._link_health(now_ms, gone)
        return venues

    def _link_health(self, now_ms: int, gone: bool) -> dict[str, Any]:
        """This reader's own link: to Redis, and through it to the collector."""
        lag = list(self.lag_ms)
        horizon = now_ms - int(RATE_WINDOW_S * 1000)
        while self.entry_times and self.entry_times[0] < horizon:
            self.entry_times.popleft()
        if not self.connected:
            state, why = ("down" if self.ever_connected or self.reason != "connecting" else "connecting"), self.reason
        elif gone:
            state, why = "down", "collector gone: its heartbeat key expired"
        elif not all(st.loaded for st in self.state.values()):
            missing = [s for s, st in self.state.items() if not st.loaded]
            state, why = "connecting", f"waiting for the collector's checkpoint of {', '.join(missing)}"
        else:
            state, why = "live", ""
        views_ts = max((st.view.ts_ms for st in self.state.values() if st.view is not None), default=0)
        publisher = (self.heartbeat or {}).get("publisher") or self.collector_health().get("publisher") or {}
        return {
            "state": state,
            "last_msg_age_s": round((now_ms - views_ts) / 1000.0, 3) if views_ts else None,
            "msgs_per_s": round(len(self.entry_times) / RATE_WINDOW_S, 2),
            "latency_ms_p50": _percentile(lag, 0.50),
            "latency_ms_p99": _percentile(lag, 0.99),
            "reconnects": self.reconnects,
            "parse_errors": self.decode_errors,
            "dropped": 0,
            "rest_errors": 0,
            "reason": why,
            "venue_errors": [],
            "note": f"{self} (lag: collector receive -> this reader)",
            "ping_ms": round(sorted(self.ping_ms)[len(self.ping_ms) // 2], 2) if self.ping_ms else None,
            "gaps": self.gaps,
            "last_gap": self.last_gap,
            "collector": {
                "alive": self.heartbeat is not None,
                "host": (self.heartbeat or {}).get("host"),
                "buffered": publisher.get("buffered"),
                "dropped": publisher.get("dropped"),
                "redis_connected": publisher.get("connected"),
            },
            "symbols": {s: {"state": state if st.loaded else "connecting", "reason": why} for s, st in self.state.items()},
        }

    def counters(self) -> dict[str, int]:
        return {"dropped": 0, "parse_errors": self.decode_errors}
