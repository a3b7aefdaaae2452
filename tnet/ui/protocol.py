"""What the TUI needs from a runtime (tnet.runtime.Runtime satisfies it; tests pass small fakes)."""

from __future__ import annotations

from typing import Any, Protocol

from tnet.engine.views import SymbolView


class RuntimeLike(Protocol):
    """Read-only views plus start/stop; `view` must be cheap enough to call at 4-10 Hz."""

    symbols: list[str]
    finished: bool  # a recording played to its end (live sources never finish)

    async def start(self) -> None:
        """Start feeds (or the in-process simulator); may take a while, the UI is already up."""

    async def stop(self) -> None:
        """Stop feeds and save state."""

    def view(self, symbol: str, heatmap: bool = True, measure: str = "usd", tape_min_usd: float = 0.0) -> SymbolView:
        """Snapshot of one symbol; its tape holds the newest prints of at least `tape_min_usd`."""

    def health(self) -> dict[str, Any]:
        """{"venues": {name: {"state", "msgs_per_s", "latency_ms_p50", "reconnects", "reason", ...}}}."""

    def stats(self) -> dict[str, Any]:
        """Counters such as {"events": int, "dropped": int}."""
