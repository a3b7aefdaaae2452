"""Registry of the venue specs by name: the one place the runtime looks venues up."""

from __future__ import annotations

from tnet.connectors.base import VenueSpec
from tnet.connectors.binance import BinanceSpec
from tnet.connectors.bybit import BybitSpec
from tnet.connectors.okx import OkxSpec

SPECS: dict[str, VenueSpec] = {
    "binance": BinanceSpec(),
    "bybit": BybitSpec(),
    "okx": OkxSpec(),
}


def get_spec(name: str) -> VenueSpec:
    """The spec of venue `name` (case-insensitive); KeyError with a one-line message if unknown."""
    try:
        return SPECS[name.strip().lower()]
    except KeyError:
        raise KeyError(f"unknown exchange {name!r}: choose from {', '.join(SPECS)}") from None
