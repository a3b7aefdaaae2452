"""Bybit v5 linear perpetuals (exchange-protocols.md §2; docs/venues.md)."""

from tnet.venues.record import Chunking, Depth, Paging, Quality, VenueRecord

RECORD = VenueRecord(
    name="bybit",
    label="Bybit v5 linear",
    abbr="BYB",
    ws="wss://stream.bybit.com",
    rest="https://api.bybit.com",
    ws_path="/v5/public/linear",
    instrument="{short}USDT",
    symbol_channels=("allLiquidation.{inst}", "tickers.{inst}", "publicTrade.{inst}"),
    chunking=Chunking(chars=20_000),  # a public connection's args must stay under 21,000 characters
    heartbeat_s=20.0,  # client ping; the server cuts silent connections after ~10 min
    heartbeat_frame='{"op":"ping"}',
    stale_after_s=5.0,  # tickers push every 100 ms
    history=(
        # kline max limit 1000 (200 in older docs); klines come first: they price the OI history
        Paging("/v5/market/kline?category=linear&symbol={inst}&interval=5&limit={limit}&end={end}", 1000),
        # endTime is inclusive: each page ends one full page before the previous one
        Paging("/v5/market/open-interest?category=linear&symbol={inst}&intervalTime=5min&limit={page}"
               "&endTime={end}", 200),
    ),
    # Representative risk-limit tiers (the risk-limit endpoint is authoritative).
    brackets=(
        (0.0, 0.005, 0.0),
        (2_000_000.0, 0.010, 10_000.0),
        (4_000_000.0, 0.015, 30_000.0),
        (6_000_000.0, 0.020, 60_000.0),
        (8_000_000.0, 0.025, 100_000.0),
    ),
    # allLiquidation pushes every liquidation, in 500 ms batches, at the bankruptcy price `p`.
    quality=Quality(complete=True, batch_ms=500, reported_price="bankruptcy",
                    note="allLiquidation: all liquidations, 500 ms batches"),
    connector="tnet.connectors.bybit:BybitSpec",
    # 200 levels, 100 ms: a snapshot on subscribe, then deltas chained on `u`
    depth=Depth(ws_path="/v5/public/linear", channel="orderbook.200.{inst}", levels=200,
                connector="tnet.connectors.books.bybit:BybitBookSpec"),
)
