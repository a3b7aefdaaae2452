"""Binance USDⓈ-M perpetuals (exchange-protocols.md §1; docs/venues.md)."""

from tnet.venues.record import Chunking, Depth, Paging, Quality, VenueRecord

RECORD = VenueRecord(
    name="binance",
    label="Binance USDⓈ-M",
    abbr="BIN",
    ws="wss://fstream.binance.com",
    rest="https://fapi.binance.com",
    # 2026 routed path: the legacy /ws and /stream still ack subscriptions but forward nothing.
    ws_path="/market/stream",
    instrument="{short}USDT",
    symbol_channels=("{lower}@markPrice@1s", "{lower}@aggTrade"),
    global_channels=("!forceOrder@arr",),
    chunking=Chunking(items=200),  # a handful of SUBSCRIBE frames stays under 10 msgs/s
    heartbeat_s=None,  # the server pings every 3 min; websockets answers
    max_connection_s=23.5 * 3600,  # reconnect before the 24 h hard cut
    stale_after_s=5.0,  # markPrice@1s is the canary
    # No USDⓈ-M WebSocket open-interest stream exists, so open interest is polled.
    rest_polls=(("/fapi/v1/openInterest?symbol={inst}", 5.0),),
    history=(
        Paging("/fapi/v1/klines?symbol={inst}&interval=5m&limit={limit}&endTime={end}", 1500),
        Paging("/futures/data/openInterestHist?symbol={inst}&period=5m&limit={limit}&endTime={end}", 500),
    ),
    # BTCUSDT tiers from the 2021 announcement (exchange-protocols.md §1.7, table A); the maintenance
    # amount is derived so maintenance margin is continuous at each floor.
    brackets=(
        (0.0, 0.004, 0.0),
        (50_000.0, 0.005, 50.0),
        (250_000.0, 0.010, 1_300.0),
        (1_000_000.0, 0.025, 16_300.0),
        (10_000_000.0, 0.050, 266_300.0),
        (20_000_000.0, 0.100, 1_266_300.0),
        (50_000_000.0, 0.125, 2_516_300.0),
        (100_000_000.0, 0.150, 5_016_300.0),
        (200_000_000.0, 0.250, 25_016_300.0),
        (300_000_000.0, 0.500, 100_016_300.0),
    ),
    # forceOrder `ap` is the average fill of the forced order, which executes at once against the
    # book: where the liquidation fired. One print per symbol per second: the second's latest.
    quality=Quality(one_per_second=True, reported_price="fill",
                    note="forceOrder sends at most 1 liquidation per symbol per second (a lower bound)"),
    connector="tnet.connectors.binance:BinanceSpec",
    # Diffs every 100 ms on the /public route (depth left /market in 2026); a REST snapshot (weight 20)
    # starts the book under the buffered stream (venues-broker-books.md §4.2).
    depth=Depth(ws_path="/public/stream", channel="{lower}@depth@100ms",
                snapshot="/fapi/v1/depth?symbol={inst}&limit=1000",
                connector="tnet.connectors.books.binance:BinanceBookSpec"),
)
