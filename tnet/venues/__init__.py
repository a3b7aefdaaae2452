"""Registry of venue records: the one list of venues every layer reads (see docs/venues.md).

Adding a venue: a record module here (one line below), its connector (`record.connector`), its
simulator module (tnet/sim/venues/) and its tests.
"""

from __future__ import annotations

from tnet.venues import binance, bitget, bybit, gate, hyperliquid, okx
from tnet.venues.record import Bracket, Chunking, Paging, Quality, VenueRecord

__all__ = ["RECORDS", "NAMES", "Bracket", "Chunking", "Paging", "Quality", "VenueRecord", "get", "quality"]

RECORDS: dict[str, VenueRecord] = {r.name: r for r in (binance.RECORD, bybit.RECORD, okx.RECORD, gate.RECORD,
                                                        hyperliquid.RECORD, bitget.RECORD)}
NAMES: tuple[str, ...] = tuple(RECORDS)  # the default venue set, in display order
_UNKNOWN = Quality(coverage=0.5, note="")  # a venue without a record (tests, old recordings): estimate sampling


def get(name: str) -> VenueRecord:
    """The record of venue `name` (case-insensitive); KeyError with a one-line message if unknown."""
    try:
        return RECORDS[name.strip().lower()]
    except KeyError:
        raise KeyError(f"unknown exchange {name!r}: choose from {', '.join(RECORDS)}") from None


def quality(name: str) -> Quality:
    """Data-quality traits of venue `name`; an unknown venue gets the cautious default (partial, estimated)."""
    rec = RECORDS.get(name)
    return rec.quality if rec is not None else _UNKNOWN
