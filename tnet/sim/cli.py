"""`tnet sim`: serve the simulated exchanges on loopback until SIGINT/SIGTERM."""

from __future__ import annotations

import sys
from typing import Optional

import typer


def sim(
    port: int = typer.Option(0, "--port", help="TCP port (0 = any free port).", envvar="TNET_PORT"),
    seed: int = typer.Option(0, "--seed", help="Random seed of the simulated market.", envvar="TNET_SEED"),
    speed: float = typer.Option(1.0, "--speed", help="Simulated seconds per wall second.", envvar="TNET_SPEED"),
    symbols: str = typer.Option("BTC,ETH,SOL", "--symbols", help="Comma-separated short names.",
                                envvar="TNET_SYMBOLS"),
    leverage_mix: Optional[str] = typer.Option(  # noqa: UP007 - typer needs Optional
        None, "--leverage-mix", help='Hidden leverage mix: JSON or a JSON file, e.g. {"binance": {"10": 0.5, "25": 0.5}}.',
        envvar="TNET_LEVERAGE_MIX"),
    faults: Optional[str] = typer.Option(  # noqa: UP007
        None, "--faults", help="Fault injection, e.g. drop=30,stall=5,malformed=0.01,burst=10; depth: "
        "book_gap=0.01 (updates never sent), book_dup=0.01 (sent twice), book_stale=0.2 (old Binance snapshots).",
        envvar="TNET_FAULTS"),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind.", envvar="TNET_HOST"),
    activity: float = typer.Option(30.0, "--activity", help="Liquidation liveliness: more, smaller at-risk positions at the same OI (1 = the backtest market).",
                                   envvar="TNET_ACTIVITY"),
    risk_mix: Optional[str] = typer.Option(  # noqa: UP007
        None, "--risk-mix", help='Hidden share of OI per kind (isolated, cross, hedged, low_leverage, top_up): JSON or a JSON file, '
        'e.g. {"okx": {"isolated": 0.1, "cross": 0.9}}. Default: a seeded draw around realistic shares.',
        envvar="TNET_RISK_MIX"),
) -> None:
    """Serve every venue's protocol (WebSocket and REST) from a simulated market; print endpoints as one JSON line."""
    import asyncio
    import json
    import signal

    from tnet.sim.faults import Faults, load_leverage_mix, load_risk_mix, parse_faults
    from tnet.symbols import UnknownSymbol, resolve

    def fail(msg: str) -> None:
        typer.echo(f"tnet sim: {msg}", err=True)
        raise typer.Exit(2)

    if not (0 <= port <= 65535):
        fail(f"--port {port} is out of range 0-65535")
    if not (speed > 0 and speed < 1e6):
        fail(f"--speed must be a positive number, got {speed}")
    if not (0 < activity <= 50):
        fail(f"--activity must be in (0, 50], got {activity}")
    names: list[str] = []
    for raw in symbols.split(","):
        if not raw.strip():
            continue
        try:
            names.append(resolve(raw).short)
        except UnknownSymbol as exc:
            fail(str(exc))
    if not names:
        fail("--symbols is empty")
    try:
        mix = load_leverage_mix(leverage_mix) if leverage_mix else None
        risk = load_risk_mix(risk_mix) if risk_mix else None
        fault_cfg = parse_faults(faults) if faults else Faults()
    except ValueError as exc:
        fail(str(exc))
        return

    from tnet.sim.server import SimServer

    async def serve() -> None:
        server = SimServer(host=host, port=port, symbols=list(dict.fromkeys(names)), seed=seed, speed=speed,
                           leverage_mix=mix, faults=fault_cfg, activity=activity, risk_mix=risk)
        try:
            await server.start()
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        sys.stdout.write(json.dumps(server.endpoints()) + "\n")
        sys.stdout.flush()
        try:
            await stop.wait()
        finally:
            await server.stop()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
