"""A venue's wire protocol in the simulator (SimVenue): WebSocket paths, control replies, frames, REST.

The server routes a connection by path to its venue, hands every client message to `control`, fans
the venue's `encode`d frames out to the connections subscribed to their keys, and serves `rest_routes`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from tnet.events import Event
    from tnet.sim.market import Market

Reply = tuple[int, Any]  # (HTTP status, JSON body)
Query = dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class WireLimits:
    """What one connection may do, like the venue itself (exchange-protocols.md §1.2, §2.1, §3.1)."""

    max_topics: int  # subscriptions held at once
    msgs_per_s: float  # inbound messages per second, sustained ...
    burst: int  # ... with this many at once


class SimVenue:
    """One venue's protocol over the simulated market. Subclasses fill in the venue's facts."""

    name = ""
    ws_paths: tuple[str, ...] = ()  # WebSocket paths this venue answers on
    base_path = ""  # prefix of its paths on the simulator's port, where a real path is another venue's
    rest_prefix = ""  # REST paths of this venue start so (its error format)
    limits = WireLimits(max_topics=1024, msgs_per_s=10.0, burst=20)
    idle_close_s: float | None = None  # the venue closes a connection that sent nothing for this long
    exempt: frozenset[str] = frozenset()  # client messages the rate limit does not count (keep-alives)

    def __init__(self, market: Market, rng: np.random.Generator) -> None:
        self.market = market
        self.rng = rng

    def control(self, subs: set[Any], text: str, now_ms: int, conn_id: str) -> tuple[list[Any], bool]:
        """Replies (dicts) to one client message, updating `subs`; True to close the socket."""
        raise NotImplementedError

    def over_rate(self, now_ms: int, conn_id: str) -> tuple[list[Any], bool]:
        """What the venue does with a message over the connection's rate: replies, close."""
        return [], True

    def snapshot(self, key: Any) -> list[Any]:
        """Frames a new subscriber to `key` receives at once (current state, replayed trades)."""
        return []

    def encode(self, events: list[Event], now_ms: int) -> list[tuple[Any, Any]]:
        """(subscription key, payload) frames of one market step's events of this venue."""
        raise NotImplementedError

    def extra(self, now_ms: int, dt_s: float) -> list[tuple[Any, Any]]:
        """Frames unrelated to the watched symbols (other instruments on whole-market channels)."""
        return []

    def rest_routes(self) -> dict[str, Callable[[Query], Reply]]:
        return {}

    def rest_error(self, message: str, kind: str) -> Any:
        """The venue's REST error body; kind is "not_found", "param" or "symbol"."""
        return {"error": message}
