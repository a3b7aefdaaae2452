"""Order-book connectors: each venue's depth sync as a pure state machine, and the connection that runs them."""

from __future__ import annotations

from importlib import import_module

from tnet.connectors.books.sync import BookSpec
from tnet.venues import RECORDS


def _load(path: str) -> BookSpec:
    module, _, cls = path.partition(":")
    return getattr(import_module(module), cls)()


# Venues whose record names a depth feed; the others get no depth connection.
BOOK_SPECS: dict[str, BookSpec] = {
    name: _load(rec.depth.connector) for name, rec in RECORDS.items() if rec.depth is not None
}
