"""A recording as a source: frames go through the same read path as live ones, on the recording's clock."""

from __future__ import annotations

import asyncio
import time

from tnet.connectors.supervisor import FramePath
from tnet.events import Event
from tnet.sources.base import Feed, VenueFrames
from tnet.storage.recording import REST_PREFIX, ReadReport, read_recording


class ReplaySource(VenueFrames):
    """Feeds a recording through the parsers, paced by `settings.speed` (0 = as fast as possible)."""

    finite = True

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.report = ReadReport()
        self._now_ms: int | None = None

    def now_ms(self) -> int | None:
        return self._now_ms

    async def start(self, feed: Feed) -> None:
        self._tasks.append(asyncio.create_task(self._run(feed), name="replay"))

    async def _run(self, feed: Feed) -> None:
        path = self.settings.source.path
        assert path is not None
        speed = self.settings.speed
        paths = {
            v: FramePath(v, self.parsers[v], self.health_by_venue[v], feed.dispatch, guard=self.guard) for v in self.specs
        }
        warm: list[Event] | None = []
        first_ms: int | None = None
        wall0 = time.monotonic()
        n = 0
        try:
            for recv_ms, venue, stream, frame in read_recording(path, self.report):
                frames = paths.get(venue)
                if frames is None:
                    continue
                self._now_ms = recv_ms
                if stream == "market":
                    if warm is not None:
                        # Before the first market frame every REST body belonged to the warm start.
                        feed.apply_history(warm)
                        warm = None
                        for h in self.health_by_venue.values():
                            h.on_connected(recv_ms)
                    frames.market(recv_ms, frame)
                elif stream.startswith(REST_PREFIX):
                    events = frames.rest(recv_ms, stream[len(REST_PREFIX):], frame)
                    if warm is not None:
                        warm.extend(events)
                        continue
                    if events:
                        feed.dispatch(events)
                else:
                    continue
                n += 1
                if speed > 0:
                    if first_ms is None:
                        first_ms, wall0 = recv_ms, time.monotonic()
                    due = (recv_ms - first_ms) / 1000.0 / speed - (time.monotonic() - wall0)
                    if due > 0.002:
                        await asyncio.sleep(due)
                elif n % 5000 == 0:
                    await asyncio.sleep(0)  # let the UI and signals breathe during a max-speed replay
            if warm:
                feed.apply_history(warm)
            if self._now_ms is not None:
                feed.advance(self._now_ms)
        finally:
            self.ready.set()
            self.done.set()
