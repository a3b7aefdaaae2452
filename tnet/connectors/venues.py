"""Registry of the venue connectors by name: each venue record names its connector spec."""

from __future__ import annotations

from importlib import import_module

from tnet.connectors.base import VenueSpec
from tnet.venues import RECORDS, get


def _load(path: str) -> VenueSpec:
    module, _, cls = path.partition(":")
    return getattr(import_module(module), cls)()


SPECS: dict[str, VenueSpec] = {name: _load(rec.connector) for name, rec in RECORDS.items()}


def get_spec(name: str) -> VenueSpec:
    """The spec of venue `name` (case-insensitive); KeyError with a one-line message if unknown."""
    return SPECS[get(name).name]
