"""Key and stream names, sizes and timings of the Redis layout (documented in the README: keep both true)."""

from __future__ import annotations

PREFIX = "tnet"
HEARTBEAT_KEY = f"{PREFIX}:collector"  # JSON, SET with a TTL: gone = the collector stopped or lost Redis
HEARTBEAT_EVERY_S = 2.0
HEARTBEAT_TTL_S = 10
VIEWS_EVERY_S = 1.0
VIEWS_MAXLEN = 300  # five minutes of 1 Hz views per symbol (~50 kB each); a reader further behind reloads the checkpoint
CHECKPOINT_EVERY_S = 5.0
BUFFER_MAX = 200_000  # entries held while Redis is unreachable; beyond that the oldest are dropped (counted)


def events_key(symbol: str) -> str:
    """Stream of every normalized event of one symbol (field `e`: the `replay --events` JSON)."""
    return f"{PREFIX}:events:{symbol}"


def views_key(symbol: str) -> str:
    """Stream of the engine's views of one symbol at 1 Hz (fields `v` JSON, `hm` new heatmap columns)."""
    return f"{PREFIX}:views:{symbol}"


def checkpoint_key(symbol: str) -> str:
    """Hash: the full picture of one symbol for readers that join late (fields `v`, `id`, `hm`, `p`)."""
    return f"{PREFIX}:checkpoint:{symbol}"


def next_id(last: tuple[int, int], now_ms: int) -> tuple[int, int]:
    """The next explicit stream ID after `last`: (ms, seq), never going back even if the clock does.

    Explicit IDs make a retried XADD a no-op (Redis refuses an ID at or below the top), so an
    ambiguous failure can be resent without duplicating an entry.
    """
    ms, seq = last
    return (now_ms, 0) if now_ms > ms else (ms, seq + 1)


def parse_id(text: str | bytes) -> tuple[int, int]:
    """`"1791565603100-3"` -> (1791565603100, 3)."""
    if isinstance(text, bytes):
        text = text.decode()
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def format_id(sid: tuple[int, int]) -> str:
    """(ms, seq) -> `"ms-seq"`."""
    return f"{sid[0]}-{sid[1]}"
