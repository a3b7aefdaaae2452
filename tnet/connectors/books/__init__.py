"""Order-book connectors: each venue's depth sync as a pure state machine, and the connection that runs them."""

from __future__ import annotations

from tnet.connectors.books.binance import BinanceBookSpec
from tnet.connectors.books.bybit import BybitBookSpec
from tnet.connectors.books.okx import OkxBookSpec

BOOK_SPECS = {"binance": BinanceBookSpec(), "bybit": BybitBookSpec(), "okx": OkxBookSpec()}
