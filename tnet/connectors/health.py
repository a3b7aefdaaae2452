"""Feed health bookkeeping per venue and per (venue, symbol); time is passed in, no I/O."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from tnet.connectors.guard import Junk

LATENCY_WINDOW = 200  # events, as DESIGN.md §3 asks
RATE_WINDOW_S = 10.0


def _percentile(values: list[int], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))
    return float(ordered[idx])


@dataclass(slots=True)
class SymbolHealth:
    """Canary (mark price) freshness of one symbol on one venue."""

    last_canary_ms: int = 0


@dataclass(slots=True)
class VenueHealth:
    """Counters and state of one venue's connection(s)."""

    venue: str
    stale_after_s: float
    note: str = ""
    connected: bool = False
    ever_connected: bool = False
    state_reason: str = ""  # why the venue is down (DNS failure, refused, HTTP 451 ...)
    connected_since_ms: int = 0
    attempts: int = 0
    reconnects: int = 0
    frames: int = 0
    parse_errors: int = 0
    dropped: int = 0
    rest_errors: int = 0
    junk: Junk = field(default_factory=Junk)  # parsed but implausible events, by reason (never reach the engine)
    venue_errors: list[str] = field(default_factory=list)
    last_msg_ms: int = 0
    latency_ms: deque[int] = field(default_factory=lambda: deque(maxlen=LATENCY_WINDOW))
    frame_times: deque[int] = field(default_factory=lambda: deque(maxlen=20_000))
    symbols: dict[str, SymbolHealth] = field(default_factory=dict)
    # Availability over the run: live = connected with the canary (any symbol's mark price) fresh.
    started_ms: int = 0  # first connection attempt
    first_live_ms: int = 0
    live_ms: int = 0  # closed live segments
    live_since_ms: int = 0  # start of the open live segment (0 = none)
    last_canary_ms: int = 0
    gap_since_ms: int = 0  # end of the last live segment
    worst_gap_ms: int = 0  # longest closed gap after the venue first came up
    flaps: int = 0  # times it stopped being live after being live

    def on_attempt(self, now_ms: int) -> None:
        """A connection attempt starts (the first one starts the run's clock)."""
        self.attempts += 1
        if not self.started_ms:
            self.started_ms = now_ms

    def on_connected(self, now_ms: int) -> None:
        """A connection is open and subscribed."""
        if self.ever_connected:
            self.reconnects += 1
        if not self.started_ms:
            self.started_ms = now_ms
        self.connected = True
        self.ever_connected = True
        self.connected_since_ms = now_ms
        self.state_reason = ""
        if self.last_canary_ms and now_ms <= self._live_until():
            self._begin_live(now_ms)  # resubscribed while the last mark is fresh: live again, as `state` says

    def on_down(self, reason: str, now_ms: int | None = None) -> None:
        """The connection closed or could not open (at `now_ms`, if known)."""
        self.connected = False
        self.state_reason = reason
        if self.live_since_ms:
            end = self._live_until()
            self._end_live(end if now_ms is None else min(end, now_ms))

    def _live_until(self) -> int:
        return self.last_canary_ms + int(self.stale_after_s * 1000)

    def _begin_live(self, at_ms: int) -> None:
        if self.first_live_ms:
            self.worst_gap_ms = max(self.worst_gap_ms, at_ms - self.gap_since_ms)
        else:
            self.first_live_ms = at_ms
        self.live_since_ms = at_ms

    def _end_live(self, end_ms: int) -> None:
        end_ms = max(end_ms, self.live_since_ms)
        self.live_ms += end_ms - self.live_since_ms
        self.live_since_ms = 0
        self.gap_since_ms = end_ms
        self.flaps += 1

    def _canary(self, recv_ms: int) -> None:
        """A mark price arrived: the venue is live from now on (a long silence before it was a gap)."""
        if self.live_since_ms and recv_ms > self._live_until():
            self._end_live(self._live_until())
        if not self.live_since_ms:
            self._begin_live(recv_ms)
        self.last_canary_ms = recv_ms

    def availability(self, now_ms: int) -> tuple[float | None, float | None]:
        """(share of the run live, worst gap in s after first coming up, the current one included)."""
        if not self.started_ms or now_ms <= self.started_ms:
            return None, None
        live, gap_from = self.live_ms, self.gap_since_ms
        if self.live_since_ms:
            end = max(self.live_since_ms, min(now_ms, self._live_until()))
            live += end - self.live_since_ms
            gap_from = end if end < now_ms else now_ms
        share = min(1.0, live / (now_ms - self.started_ms))
        if not self.first_live_ms:
            return share, round((now_ms - self.started_ms) / 1000.0, 3)
        return share, round(max(self.worst_gap_ms, now_ms - gap_from) / 1000.0, 3)

    def on_frame(self, recv_ms: int) -> None:
        """Any frame arrived (counts towards msgs/s and message age)."""
        self.frames += 1
        self.last_msg_ms = recv_ms
        self.frame_times.append(recv_ms)

    def on_events(self, events: list, recv_ms: int) -> None:  # type: ignore[type-arg]
        """Every event of one frame (hot path: one call per frame, not per event)."""
        append = self.latency_ms.append
        canary = False
        for ev in events:
            append(recv_ms - ev.ts_ms)
            if ev.type == "mark_price":
                canary = True
                sym = self.symbols.get(ev.symbol)
                if sym is None:
                    sym = self.symbols[ev.symbol] = SymbolHealth()
                sym.last_canary_ms = recv_ms
        if canary and self.connected:
            self._canary(recv_ms)

    def msgs_per_s(self, now_ms: int) -> float:
        """Frames per second over the last RATE_WINDOW_S (or since connecting, if shorter)."""
        horizon = now_ms - int(RATE_WINDOW_S * 1000)
        while self.frame_times and self.frame_times[0] < horizon:
            self.frame_times.popleft()
        span_s = RATE_WINDOW_S
        if self.connected_since_ms and now_ms - self.connected_since_ms < RATE_WINDOW_S * 1000:
            span_s = max((now_ms - self.connected_since_ms) / 1000.0, 1.0)
        return len(self.frame_times) / span_s

    def symbol_state(self, symbol: str, now_ms: int) -> tuple[str, str]:
        """(state, reason) of one symbol on this venue."""
        if not self.connected:
            return ("down" if self.state_reason else "connecting"), self.state_reason
        sym = self.symbols.get(symbol)
        last = sym.last_canary_ms if sym else 0
        since = last or self.connected_since_ms
        age_s = (now_ms - since) / 1000.0
        if age_s > self.stale_after_s:
            return "stale", f"no mark price for {age_s:.0f}s"
        if not last:
            return "connecting", "subscribed, waiting for data"
        return "live", ""

    def state(self, now_ms: int, watched: list[str]) -> tuple[str, str]:
        """Worst state over the watched symbols: down > stale > connecting > live."""
        if not self.connected:
            return ("down" if self.state_reason else "connecting"), self.state_reason
        rank = {"live": 0, "connecting": 1, "stale": 2, "down": 3}
        worst, why = "live", ""
        for symbol in watched:
            st, reason = self.symbol_state(symbol, now_ms)
            if rank[st] > rank[worst]:
                worst, why = st, f"{symbol}: {reason}" if reason else ""
        return worst, why

    def report(self, now_ms: int, watched: list[str]) -> dict[str, object]:
        """The per-venue JSON object of `tnet health` (keys are a contract)."""
        state, reason = self.state(now_ms, watched)
        lat = list(self.latency_ms)
        p50 = _percentile(lat, 0.50)
        p99 = _percentile(lat, 0.99)
        live_share, worst_gap_s = self.availability(now_ms)
        return {
            "state": state,
            "last_msg_age_s": round((now_ms - self.last_msg_ms) / 1000.0, 3) if self.last_msg_ms else None,
            "msgs_per_s": round(self.msgs_per_s(now_ms), 2),
            "latency_ms_p50": p50,
            "latency_ms_p99": p99,
            "reconnects": self.reconnects,
            "live_share": None if live_share is None else round(live_share, 4),
            "worst_gap_s": worst_gap_s,
            "flaps": self.flaps,
            "parse_errors": self.parse_errors,
            "junk": self.junk.total,
            "junk_reasons": dict(self.junk.reasons),
            "dropped": self.dropped,
            "rest_errors": self.rest_errors,
            "reason": reason,
            "venue_errors": self.venue_errors[-5:],
            "note": self.note,
            "symbols": {
                s: dict(zip(("state", "reason"), self.symbol_state(s, now_ms))) for s in watched
            },
        }


def overall_exit_code(venues: dict[str, dict[str, object]]) -> int:
    """`tnet health` exit status: 2 a venue is down at the end or never came up; 1 degraded (not live
    at the end, flapped during the run, or sent unparseable or implausible data); 0 all live throughout."""
    if any(v["state"] == "down" or v.get("live_share") == 0 for v in venues.values()):
        return 2
    for v in venues.values():
        if v["state"] != "live" or v.get("flaps") or v.get("reconnects") or v.get("parse_errors") or v.get("junk"):
            return 1
    return 0
