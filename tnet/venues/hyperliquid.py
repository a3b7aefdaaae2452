"""Hyperliquid perpetuals, public WebSocket API (docs/venues.md, section Hyperliquid)."""

from tnet.venues.record import Chunking, Depth, Quality, VenueRecord

# Perps listed on Hyperliquid among the symbols tnet knows (offline knowledge, docs/venues.md). The
# venue closes the whole socket on a subscription to a coin it does not list, so others are skipped.
# Tokens with tiny prices trade per 1,000 units under a "k" name (kPEPE = 1,000 PEPE).
COINS: dict[str, tuple[str, float]] = {
    **{s: (s, 1.0) for s in (
        "BTC", "ETH", "SOL", "XRP", "DOGE", "ADA", "BNB", "LTC", "AVAX", "LINK", "DOT", "TRX",
        "BCH", "TON", "SUI", "APT", "ARB", "OP", "NEAR", "FIL", "ATOM", "ETC", "UNI", "AAVE",
        "WIF", "HYPE", "ENA", "INJ", "TIA", "SEI", "WLD", "CRV", "LDO", "ORDI", "JUP", "XLM")},
    "PEPE": ("kPEPE", 1000.0), "SHIB": ("kSHIB", 1000.0),
}


def coin_name(short: str) -> tuple[str, float] | None:
    """(Hyperliquid coin, base units per coin unit) of a short name, None if not listed."""
    return COINS.get(short)


RECORD = VenueRecord(
    name="hyperliquid",
    label="Hyperliquid perps",
    abbr="HYP",
    ws="wss://api.hyperliquid.xyz",
    rest="https://api.hyperliquid.xyz",  # POST /info only: tnet asks it nothing
    ws_path="/ws",
    instrument="{short}",  # the coin; per-1,000 coins (kPEPE) and unlisted ones: COINS above
    symbol_channels=("activeAssetCtx", "trades"),  # subscription types, one coin each
    chunking=Chunking(items=1),  # no batch subscribe
    heartbeat_s=30.0,  # the server closes a connection idle for 60 s
    heartbeat_frame='{"method":"ping"}',
    stale_after_s=15.0,  # activeAssetCtx changes several times a second on BTC
    # Margin tiers of BTC: 40x up to 150M USD; maintenance margin is half the initial margin at max leverage.
    brackets=((0.0, 0.0125, 0.0), (150_000_000.0, 0.025, 1_875_000.0)),
    quality=Quality(liquidations=False, coverage=0.0,
                    note="no public liquidation feed: open interest and trades only (the map is inferred)"),
    connector="tnet.connectors.hyperliquid:HyperliquidSpec",
    # l2Book pushes the whole aggregated book (20 levels a side, best first) on its own socket: no
    # sequence, no REST snapshot; subscribed one coin per message like the other channels.
    depth=Depth(ws_path="/ws", channel="l2Book", levels=20,
                connector="tnet.connectors.books.hyperliquid:HyperliquidBookSpec"),
)
