"""Symbol registry: short names (BTC) to each venue's instrument names and contract sizes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tnet.venues import RECORDS

# Perps listed as USDT-margined linear contracts on the venues (offline knowledge); the config's
# [symbols] table adds others.
KNOWN_SYMBOLS: frozenset[str] = frozenset({
    "BTC", "ETH", "SOL", "XRP", "DOGE", "ADA", "BNB", "LTC", "AVAX", "LINK", "DOT", "TRX", "BCH", "TON",
    "SUI", "APT", "ARB", "OP", "NEAR", "FIL", "ATOM", "ETC", "UNI", "AAVE", "PEPE", "SHIB", "WIF", "HYPE",
    "ENA", "INJ", "TIA", "SEI", "WLD", "CRV", "LDO", "ORDI", "FET", "JUP", "XLM", "ICP", "HBAR", "CELO",
    "IOST",
})

_SHORT_RE = re.compile(r"^[A-Z0-9]{2,15}$")


class UnknownSymbol(ValueError):
    """A symbol tnet cannot map to the venues' perpetual contracts."""


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    """One watched symbol: its instrument name and contract size on each venue (from the venue records)."""

    short: str  # "BTC"
    instruments: dict[str, str] = field(hash=False)  # venue -> instrument name ("BTCUSDT", "BTC-USDT-SWAP")
    contracts: dict[str, float] = field(hash=False)  # venue -> base coin per contract (1.0: sizes in base coin)

    def venue_symbol(self, venue: str) -> str:
        """Instrument name of this symbol on `venue`."""
        return self.instruments[venue]

    def contract_size(self, venue: str) -> float:
        """Base coin per contract of this symbol on `venue`."""
        return self.contracts[venue]


def normalize_short(name: str) -> str:
    """Accept BTC, btc, BTCUSDT, BTC-USDT, BTC-USDT-SWAP, BTC/USDT and return the short name."""
    s = name.strip().upper().replace("/", "-")
    if s.endswith("-USDT-SWAP"):
        s = s[: -len("-USDT-SWAP")]
    elif s.endswith("-USDT"):
        s = s[: -len("-USDT")]
    elif s.endswith("USDT") and len(s) > 4:
        s = s[: -len("USDT")]
    return s


def resolve(name: str, extra: dict[str, float] | None = None) -> SymbolInfo:
    """Map a user-typed symbol to a SymbolInfo, or raise UnknownSymbol with a one-line message.

    `extra` maps additional short names to a contract size (the config's [symbols] table: the value
    is the contract size of venues whose record reads it, `config_contracts`), so any listed perp
    can be watched.
    """
    short = normalize_short(name)
    if not _SHORT_RE.match(short) or not (short in KNOWN_SYMBOLS or (extra and short in extra)):
        raise UnknownSymbol(
            f"unknown symbol {name!r}: not a USDT perpetual tnet knows "
            f"(try BTC, ETH, SOL; add others under [symbols] in the config file)"
        )
    return SymbolInfo(
        short=short,
        instruments={v: rec.instrument_of(short) for v, rec in RECORDS.items()},
        contracts={v: rec.contract_size(short, extra) for v, rec in RECORDS.items()},
    )


def resolve_all(names: list[str], extra: dict[str, float] | None = None) -> list[SymbolInfo]:
    """Resolve several symbols, dropping duplicates while keeping order."""
    seen: dict[str, SymbolInfo] = {}
    for name in names:
        info = resolve(name, extra)
        seen.setdefault(info.short, info)
    return list(seen.values())
