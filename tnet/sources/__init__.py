"""Where events come from (live venues, the simulator, a recording, a Redis collector): one interface the runtime drives."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tnet.sources.base import EventSource, Feed, SourceFailed

if TYPE_CHECKING:
    from tnet.config import Settings
    from tnet.symbols import SymbolInfo

__all__ = ["EventSource", "Feed", "SourceFailed", "open_source"]


def open_source(symbols: list[SymbolInfo], settings: Settings) -> EventSource:
    """The source `settings.source` names (nothing starts until the runtime calls `start`)."""
    kind = settings.source.kind
    if kind == "redis":
        from tnet.sources.redis import RedisSource

        return RedisSource(symbols, settings)
    if kind == "replay":
        from tnet.sources.replay import ReplaySource

        return ReplaySource(symbols, settings)
    from tnet.sources.venues import VenueSource

    return VenueSource(symbols, settings)
