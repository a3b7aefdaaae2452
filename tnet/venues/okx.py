"""OKX v5 USDT-margined SWAP (exchange-protocols.md §3; docs/venues.md)."""

from tnet.venues.record import Chunking, Depth, Paging, Quality, VenueRecord

# Base coin per contract. The instruments endpoint is authoritative and read at start-up when
# reachable; this table is the offline fallback.
CONTRACT_SIZES: dict[str, float] = {
    "BTC": 0.01, "ETH": 0.1, "SOL": 1.0, "XRP": 100.0, "DOGE": 1000.0, "ADA": 100.0,
    "BNB": 0.01, "LTC": 1.0, "AVAX": 1.0, "LINK": 1.0, "DOT": 1.0, "TRX": 1000.0,
    "BCH": 0.1, "TON": 1.0, "SUI": 1.0, "APT": 1.0, "ARB": 10.0, "OP": 1.0, "NEAR": 10.0,
    "FIL": 0.1, "ATOM": 1.0, "ETC": 10.0, "UNI": 1.0, "AAVE": 0.1, "PEPE": 10000000.0,
    "SHIB": 1000000.0, "WIF": 1.0, "HYPE": 0.1, "ENA": 10.0, "INJ": 0.1, "TIA": 1.0,
    "SEI": 10.0, "WLD": 1.0, "CRV": 1.0, "LDO": 1.0, "ORDI": 0.1, "FET": 10.0, "JUP": 10.0,
    "XLM": 100.0, "ICP": 0.01, "HBAR": 100.0, "CELO": 1.0, "IOST": 1000.0,
}

RECORD = VenueRecord(
    name="okx",
    label="OKX v5 SWAP",
    abbr="OKX",
    ws="wss://ws.okx.com:8443",
    rest="https://www.okx.com",
    ws_path="/ws/v5/public",
    instrument="{short}-USDT-SWAP",
    symbol_channels=("open-interest", "mark-price", "trades"),
    # one subscription covers every SWAP (instId on subscribe is refused): the parser filters
    global_channels=("liquidation-orders",),
    chunking=Chunking(chars=60_000),  # total args of one request must stay under 64 KB
    heartbeat_s=20.0,  # text `ping`; the server drops 30 s of silence
    heartbeat_frame="ping",
    stale_after_s=15.0,  # mark-price pushes every 10 s when unchanged
    history=(
        # history-candles: 100 rows per page; `after` returns rows strictly earlier than ts
        Paging("/api/v5/market/history-candles?instId={inst}&bar=5m&limit={page}&after={end}", 100),
        # rubik open-interest-history: 100 rows per page, only the latest 1,440 entries served
        Paging("/api/v5/rubik/stat/contracts/open-interest-history?instId={inst}&period=5m&limit={page}"
               "&end={end}", 100, max_rows=1440),
    ),
    # Recent liquidations OKX serves over REST (newest first), so the tape is not empty at start.
    backfill=Paging("/api/v5/public/liquidation-orders?instType=SWAP&uly={short}-USDT&state=filled&limit={page}",
                    100),
    contract_sizes=CONTRACT_SIZES,
    config_contracts=True,
    # Representative position tiers (the position-tiers endpoint is authoritative).
    brackets=(
        (0.0, 0.004, 0.0),
        (500_000.0, 0.006, 1_000.0),
        (2_000_000.0, 0.010, 9_000.0),
        (5_000_000.0, 0.015, 34_000.0),
        (10_000_000.0, 0.020, 84_000.0),
    ),
    # liquidation-orders is a subset of OKX's liquidations, at the bankruptcy price `bkPx`, in contracts.
    quality=Quality(coverage=0.5, reported_price="bankruptcy",
                    note="liquidation-orders is partial (not every OKX liquidation), contracts x ctVal"),
    connector="tnet.connectors.okx:OkxSpec",
    # 400 levels, 100 ms, a snapshot on subscribe then updates chained on prevSeqId (subscribed as
    # {"channel": "books", "instId": ...}); books5 / bbo-tbt are too shallow for a heatmap
    depth=Depth(ws_path="/ws/v5/public", channel="books", levels=400,
                connector="tnet.connectors.books.okx:OkxBookSpec"),
)
