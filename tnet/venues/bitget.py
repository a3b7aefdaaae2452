"""Bitget USDT-M perpetuals over the UTA v3 public WebSocket (docs/venues.md, section Bitget)."""

from tnet.venues.record import Chunking, Depth, Paging, Quality, VenueRecord

RECORD = VenueRecord(
    name="bitget",
    label="Bitget USDT-M",
    abbr="BGT",
    ws="wss://ws.bitget.com",
    rest="https://api.bitget.com",
    # v3 (UTA) public stream: the only one with a public liquidation topic; it also carries the
    # futures ticker (mark price, open interest) and public trades, so one socket serves all three.
    ws_path="/v3/ws/public",
    instrument="{short}USDT",
    symbol_channels=("ticker", "publicTrade"),
    global_channels=("liquidation",),  # every usdt-futures symbol; the parser filters
    # Bitget's public socket takes at most 10 messages/s and keeps a subscribe request's args short
    # (4096 bytes in its v2 docs); args are small objects, so ~60 per frame.
    chunking=Chunking(chars=4000),
    heartbeat_s=25.0,  # text `ping` (answered `pong`); the server drops a connection silent for 30 s
    heartbeat_frame="ping",
    stale_after_s=15.0,  # the futures ticker is the canary
    # Warm start: 5-minute candles (v2 mix; `endTime` ms, at most 1000 rows a request, 5m served for a
    # month). Bitget publishes no open-interest history and no public liquidation history over REST
    # (its only liquidation-order routes are signed, account-scoped margin endpoints), so there is no OI
    # route here and no backfill: the map takes Bitget's open interest from the live ticker.
    history=(
        Paging("/api/v2/mix/market/candles?symbol={inst}&productType=USDT-FUTURES&granularity=5m&limit={limit}"
               "&endTime={end}", 1000),
    ),
    # Representative BTCUSDT tiers (Bitget's position-tier endpoint is authoritative).
    brackets=(
        (0.0, 0.004, 0.0),
        (150_000.0, 0.005, 150.0),
        (1_000_000.0, 0.01, 5_150.0),
        (5_000_000.0, 0.02, 55_150.0),
        (10_000_000.0, 0.03, 155_150.0),
    ),
    # The liquidation topic pushes once a second, per symbol only the largest long and the largest short
    # liquidation of that second: a lower bound, sampled like a one-print-per-second feed. Its `price` is
    # the "Liquidation price" (Bitget's UTA docs, Liquidation Channel), which Bitget's own glossary defines
    # as the mark-price level that triggers the liquidation, i.e. where it fired, not a bankruptcy price
    # (docs/venues.md, section Bitget).
    quality=Quality(one_per_second=True, second_pick="largest_per_side", reported_price="fill",
                    note="liquidation: largest long and largest short per symbol per second (a lower bound); "
                         "no REST liquidation or open-interest history: tape and OI start live"),
    connector="tnet.connectors.bitget:BitgetSpec",
    # v3 `books`: a snapshot of the whole book (up to 1,000 levels a side) then updates every ~50 ms
    # chained on pseq -> seq, sizes in base coin; no REST snapshot (docs/venues.md, section Bitget).
    depth=Depth(ws_path="/v3/ws/public", channel="books",
                connector="tnet.connectors.books.bitget:BitgetBookSpec"),
)
