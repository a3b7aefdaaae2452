"""Gate USDT perpetuals, Futures WebSocket v4 (docs/venues.md, section Gate)."""

from tnet.venues.record import Chunking, Depth, Paging, Quality, VenueRecord

# Coins per contract (`quanto_multiplier`) when /futures/usdt/contracts is unreachable; that endpoint
# is read at start-up and overrides this table.
CONTRACT_SIZES: dict[str, float] = {"BTC": 0.0001, "ETH": 0.01, "SOL": 1.0, "DOGE": 10.0}

RECORD = VenueRecord(
    name="gate",
    label="Gate USDT perpetuals",
    abbr="GAT",
    ws="wss://fx-ws.gateio.ws",
    rest="https://api.gateio.ws",
    ws_path="/v4/ws/usdt",
    instrument="{short}_USDT",
    # "channel payload": one subscribe frame each, since one unknown contract fails a whole payload
    symbol_channels=("futures.tickers {inst}", "futures.trades {inst}"),
    global_channels=("futures.public_liquidates !all",),  # every contract; the parser filters
    chunking=Chunking(items=1),
    heartbeat_s=15.0,  # a socket silent for ~30 s is closed
    heartbeat_frame='{"time":123456,"channel":"futures.ping"}',  # Gate's own examples send time 123456
    stale_after_s=15.0,  # futures.tickers pushes every 1-2 s on BTC, far less on quiet contracts
    # 24 h in one page each; times in seconds ({start_s}, {end_s}: GateSpec fills them)
    history=(
        Paging("/api/v4/futures/usdt/candlesticks?contract={inst}&interval=5m&from={start_s}&to={end_s}", 2000),
        Paging("/api/v4/futures/usdt/contract_stats?contract={inst}&interval=5m&from={start_s}&limit={limit}", 2000),
    ),
    backfill=Paging("/api/v4/futures/usdt/liq_orders?contract={inst}&limit={page}", 1000),
    contract_sizes=CONTRACT_SIZES,
    # Representative risk-limit tiers of BTC_USDT (the risk_limit_tiers endpoint is authoritative).
    brackets=(
        (0.0, 0.004, 0.0),
        (1_000_000.0, 0.006, 2_000.0),
        (5_000_000.0, 0.010, 22_000.0),
        (10_000_000.0, 0.015, 72_000.0),
    ),
    # Since 2026-08-20 every liquidation of a contract in a 1 s window comes in one message (at most
    # 20); `price` is the liquidation order's price, beyond the fill like a bankruptcy price.
    quality=Quality(complete=True, batch_ms=1000, reported_price="bankruptcy",
                    note="every liquidation, 1 s batches per contract; contracts x quanto_multiplier"),
    connector="tnet.connectors.gate:GateSpec",
    # 100 levels every 100 ms on its own socket: the full book first, then deltas chained on U..u,
    # sizes in contracts; payload [contract, interval, level] (docs/venues.md, section Gate).
    depth=Depth(ws_path="/v4/ws/usdt", channel="futures.order_book_update", levels=100,
                connector="tnet.connectors.books.gate:GateBookSpec"),
)
