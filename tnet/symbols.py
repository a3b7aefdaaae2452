"""Symbol registry: short names (BTC) to each venue's instrument names, OKX contract values."""

from __future__ import annotations

import re
from dataclasses import dataclass

# OKX USDT-margined SWAP contract values (base coin per contract). The instruments REST endpoint
# is authoritative and read at start-up when reachable; this table is the offline fallback.
OKX_CT_VAL: dict[str, float] = {
    "BTC": 0.01, "ETH": 0.1, "SOL": 1.0, "XRP": 100.0, "DOGE": 1000.0, "ADA": 100.0,
    "BNB": 0.01, "LTC": 1.0, "AVAX": 1.0, "LINK": 1.0, "DOT": 1.0, "TRX": 1000.0,
    "BCH": 0.1, "TON": 1.0, "SUI": 1.0, "APT": 1.0, "ARB": 10.0, "OP": 1.0, "NEAR": 10.0,
    "FIL": 0.1, "ATOM": 1.0, "ETC": 10.0, "UNI": 1.0, "AAVE": 0.1, "PEPE": 10000000.0,
    "SHIB": 1000000.0, "WIF": 1.0, "HYPE": 0.1, "ENA": 10.0, "INJ": 0.1, "TIA": 1.0,
    "SEI": 10.0, "WLD": 1.0, "CRV": 1.0, "LDO": 1.0, "ORDI": 0.1, "FET": 10.0, "JUP": 10.0,
    "XLM": 100.0, "ICP": 0.01, "HBAR": 100.0, "CELO": 1.0, "IOST": 1000.0,
}

# Perps listed on all three venues as USDT-margined linear contracts (offline knowledge).
KNOWN_SYMBOLS: frozenset[str] = frozenset(OKX_CT_VAL)

_SHORT_RE = re.compile(r"^[A-Z0-9]{2,15}$")


class UnknownSymbol(ValueError):
    """A symbol tnet cannot map to the venues' perpetual contracts."""


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    """One watched symbol and its instrument names on each venue."""

    short: str  # "BTC"
    binance: str  # "BTCUSDT" (stream names use its lowercase form)
    bybit: str  # "BTCUSDT"
    okx: str  # "BTC-USDT-SWAP"
    okx_ct_val: float  # base coin per OKX contract

    def venue_symbol(self, venue: str) -> str:
        """Instrument name of this symbol on `venue`."""
        return getattr(self, venue)


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

    `extra` maps additional short names to their OKX ctVal (from the instruments endpoint or
    the config file), so any listed perp can be watched.
    """
    short = normalize_short(name)
    table = dict(OKX_CT_VAL)
    if extra:
        table.update(extra)
    if not _SHORT_RE.match(short) or short not in table:
        raise UnknownSymbol(
            f"unknown symbol {name!r}: not a USDT perpetual tnet knows "
            f"(try BTC, ETH, SOL; add others under [symbols] in the config file)"
        )
    return SymbolInfo(
        short=short,
        binance=f"{short}USDT",
        bybit=f"{short}USDT",
        okx=f"{short}-USDT-SWAP",
        okx_ct_val=table[short],
    )


def resolve_all(names: list[str], extra: dict[str, float] | None = None) -> list[SymbolInfo]:
    """Resolve several symbols, dropping duplicates while keeping order."""
    seen: dict[str, SymbolInfo] = {}
    for name in names:
        info = resolve(name, extra)
        seen.setdefault(info.short, info)
    return list(seen.values())
