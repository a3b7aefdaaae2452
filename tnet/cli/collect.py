"""`tnet collect`: the headless runtime publishing events, views and checkpoints to Redis for any number of readers."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tnet.cli.common import (
    ConfigOpt,
    ExchangesOpt,
    SourceOpt,
    StateDirOpt,
    exit_if_nothing_heard,
    fail,
    run_async,
    settings_and_symbols,
    warn,
)


def collect(
    symbols: Annotated[list[str], typer.Argument(help="Short symbols: BTC ETH SOL ...")],
    redis: Annotated[str | None, typer.Option("--redis", envvar="TNET_REDIS", help="redis://[user:pass@]host:port/db or rediss://... (TLS); also `redis` in the config.", show_default=False)] = None,
    maxlen: Annotated[int | None, typer.Option("--maxlen", envvar="TNET_MAXLEN", help="Events kept per symbol stream (XADD MAXLEN ~; default 200000).", show_default=False)] = None,
    seconds: Annotated[float, typer.Option("--seconds", envvar="TNET_SECONDS", min=0, help="Stop after N seconds (0 = until Ctrl-C).")] = 0.0,
    speed: Annotated[str, typer.Option("--speed", envvar="TNET_SPEED", help="Replay speed with --source replay:FILE (or 'max').")] = "1",
    source: SourceOpt = None,
    exchanges: ExchangesOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Run the engines headless and publish to Redis: one collector, many `--source redis://` readers."""
    settings, infos = settings_and_symbols(
        symbols, source=source, exchanges=exchanges, state_dir=state_dir, config=config, speed=speed,
        redis=redis, redis_maxlen=maxlen, book=False,  # depth is not fanned out (it would dwarf every stream)
    )
    if settings.source.kind == "redis":
        fail("collect reads venues, the simulator or a recording, not another collector: use --source live, sim or replay:FILE")
    if settings.redis is None:
        fail("collect needs a Redis server: --redis redis://HOST:PORT/0 (or TNET_REDIS, or `redis` in the config)")
    if settings.source.kind == "replay":
        settings.save_state = False  # a replay never overwrites the live calibrator state
    url: str = settings.redis

    async def main() -> tuple[dict[str, Any], Any]:
        import asyncio

        from tnet.broker.publisher import Publisher
        from tnet.config import redact_url
        from tnet.runtime import Runtime
        from tnet.sources.base import SourceFailed

        runtime = Runtime(infos, settings)
        publisher = Publisher(runtime, url, settings.redis_maxlen)
        await publisher.preflight()  # unreachable, wrong password, ACL denial: one line, exit 2, before any feed opens
        runtime.event_hooks.append(publisher.on_events)
        warn(f"collecting {' '.join(runtime.symbols)} from {runtime.source} into {redact_url(url)}")
        try:
            await runtime.start()
            await publisher.start()
            run = asyncio.ensure_future(runtime.run(seconds or None))
            denied = asyncio.ensure_future(publisher.failed.wait())
            await asyncio.wait([run, denied], return_when=asyncio.FIRST_COMPLETED)
            for fut in (run, denied):
                fut.cancel()
            await asyncio.gather(run, denied, return_exceptions=True)
            if publisher.fatal:
                raise SourceFailed(publisher.fatal)
            if run.done() and not run.cancelled() and run.exception() is not None:
                raise run.exception()  # type: ignore[misc]
            if runtime.source.finite:
                publisher.publish_views(checkpoint=True)  # the final state of a recording
        finally:
            await runtime.stop()
            await publisher.stop()
        return publisher.stats(), runtime

    stats, runtime = run_async(main)
    warn(f"published {stats['published']} entries; {stats['buffered']} unsent, {stats['dropped']} dropped while Redis was unreachable")
    exit_if_nothing_heard(runtime)  # views of empty engines are not the market
    if stats["buffered"] or stats["dropped"]:
        raise typer.Exit(1)
