"""`tnet alert`: evaluate alert rules headless; print each alert as NDJSON, run a command, POST a webhook."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tnet.cli.common import (
    ConfigOpt,
    ExchangesOpt,
    RuleOpt,
    SourceOpt,
    StateDirOpt,
    dumps,
    exit_if_nothing_heard,
    exit_if_replay_damaged,
    fail,
    run_async,
    settings_and_symbols,
    warn,
)

SINK_GRACE_S = 5.0  # at exit, how long queued --exec / --webhook deliveries may still take


def rules_for(settings: Any, cli_rules: list[str] | None) -> list[Any]:
    """The config's rules plus --rule options, a bad one as a one-line error."""
    from tnet.alerts.rules import RuleError, parse_rules

    try:
        return parse_rules(settings.alert_rules, cli_rules)
    except RuleError as exc:
        fail(str(exc))


def alert(
    symbols: Annotated[list[str] | None, typer.Argument(help="Short symbols (default: those the rules name, else BTC).", show_default=False)] = None,
    rule: RuleOpt = None,
    exec_cmd: Annotated[str | None, typer.Option("--exec", envvar="TNET_EXEC", help="Shell command run per alert with the alert JSON on stdin.")] = None,
    webhook: Annotated[str | None, typer.Option("--webhook", envvar="TNET_WEBHOOK", help="URL to POST each alert's JSON to (retried with backoff; never blocks the feed).")] = None,
    seconds: Annotated[float, typer.Option("--seconds", envvar="TNET_SECONDS", min=0, help="Stop after N seconds (0 = until Ctrl-C or the replay ends).")] = 0.0,
    speed: Annotated[str, typer.Option("--speed", envvar="TNET_SPEED", help="Replay speed with --source replay:FILE (or 'max').")] = "max",
    source: SourceOpt = None,
    exchanges: ExchangesOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Watch the feeds with alert rules; print each alert as one JSON line (schema tnet.alert/1)."""
    if webhook is not None and not webhook.startswith(("http://", "https://")):
        fail("bad --webhook: expected an http:// or https:// URL")
    # Symbols are resolved after the rules are known (the rules can name them).
    settings, _ = settings_and_symbols(
        ["BTC"], source=source, exchanges=exchanges, state_dir=state_dir, config=config, speed=speed)
    rules = rules_for(settings, rule)
    if not rules:
        fail("no alert rules: add [[alerts]] tables to the config or pass --rule KIND:key=value,...")
    names = symbols or sorted({s for r in rules for s in r.symbols}) or ["BTC"]
    settings, infos = settings_and_symbols(
        names, source=source, exchanges=exchanges, state_dir=state_dir, config=config, speed=speed,
        book=False)  # no rule reads the book

    async def main() -> Any:
        from tnet.alerts.deliver import ExecSink, QueueSink, WebhookSink
        from tnet.alerts.monitor import AlertMonitor
        from tnet.cli.ndjson import NdjsonOut, run_runtime
        from tnet.runtime import Runtime

        out = NdjsonOut()
        runtime = Runtime(infos, settings)
        monitor = AlertMonitor(runtime, rules)
        sinks: list[QueueSink] = []
        if exec_cmd:
            sinks.append(ExecSink(exec_cmd, warn))
        if webhook:
            sinks.append(WebhookSink(webhook, warn, proxy=settings.proxy_url()))
        def deliver(a: Any) -> None:
            obj = a.to_dict()
            out.write([obj])
            payload = dumps(obj).encode()
            for sink in sinks:
                sink.submit(payload)

        monitor.listeners.append(deliver)
        monitor.on_error = warn
        for sink in sinks:
            sink.start()
        try:
            await run_runtime(runtime, out, seconds, tasks=[monitor.run], finish=monitor.evaluate)
        finally:
            for sink in sinks:
                await sink.close(SINK_GRACE_S)
        return runtime, out.closed.is_set()

    runtime, reader_gone = run_async(main)
    exit_if_replay_damaged(runtime)
    exit_if_nothing_heard(runtime, reader_gone)
