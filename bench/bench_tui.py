"""TUI benchmark: runs `TnetApp` in a pseudo-terminal and measures CPU share, bytes/s and key latency.

    python bench/bench_tui.py                     # fake runtime, steady, 160x48
    python bench/bench_tui.py --runtime sim       # the real Runtime against the in-process simulator
    python bench/bench_tui.py --colors 256        # a 256-colour terminal
    python bench/bench_tui.py --runtime remote --layer liquidations   # the map without the order-book layer

Books are on (as `tnet watch` has them: three venues x three symbols of depth) and the map shows
`--layer both` by default (liquidations with the book's walls, the dearest layer to draw).

Figures (goals from DESIGN.md §7): CPU < 10 % of one core in steady state, <= 20 KB/s written to
the terminal at 160x48, key presses answered within 100 ms, also under a burst of prints.
Baseline printed alongside: the same app with the refresh timer at 0 data changes (idle).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tnet.ui.controls import LAYERS  # noqa: E402  (after the path: the bench runs from a checkout)


def child_main(args: argparse.Namespace) -> None:
    """Runs inside the pty: the app on the requested runtime."""
    from tnet.ui.app import TnetApp

    if args.runtime in ("sim", "remote"):
        import tempfile

        from tnet.config import Settings, parse_source
        from tnet.runtime import Runtime
        from tnet.symbols import resolve

        source = f"sim@{args.addr}" if args.runtime == "remote" else "sim"
        settings = Settings(source=parse_source(source), state_dir=Path(tempfile.mkdtemp(prefix="tnet-bench-")),
                            save_state=False, sim_seed=5, book=not args.no_book)
        runtime = Runtime([resolve(s) for s in ("BTC", "ETH", "SOL")], settings)
        if args.headless:  # the same runtime with no UI: its CPU is the baseline the UI adds to
            import asyncio

            async def run_headless() -> None:
                await runtime.start()
                while True:
                    await asyncio.sleep(3600)

            asyncio.run(run_headless())
            return
        app = TnetApp(runtime, refresh_hz=args.hz)
    else:
        from tnet.ui.fake import FakeRuntime

        fake = FakeRuntime()
        per_s = args.prints
        ticks = iter(range(10**9))

        def step() -> None:
            # `per_s` prints per symbol per second, spread over the four steps of a second
            i = next(ticks)
            fake.step(250, prints=per_s // 4 + (1 if i % 4 < per_s % 4 else 0))

        class BenchApp(TnetApp):
            def on_mount(self) -> None:
                super().on_mount()
                # the fake market moves on its own clock: 4 steps a second, `prints` prints per step
                self.set_interval(0.25, step)

        app = BenchApp(fake, refresh_hz=args.hz)
    app.controls.layer_index = LAYERS.index(args.layer)
    app.run()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class Pty:
    """A child process on a pseudo-terminal whose output we count (and keep a tail of)."""

    def __init__(self, argv: list[str], cols: int, rows: int, colors: str) -> None:
        env = dict(os.environ)
        env["TERM"] = "xterm-256color"
        if colors == "truecolor":
            env["COLORTERM"] = "truecolor"
        else:
            env.pop("COLORTERM", None)
        pid, fd = pty.fork()
        if pid == 0:
            os.execvpe(argv[0], argv, env)
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.kill(pid, signal.SIGWINCH)
        self.pid, self.fd = pid, fd
        self.total = 0
        self.tail = b""

    def pump(self, seconds: float) -> None:
        """Read output for `seconds`."""
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            self.read_once(left)

    def read_once(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return b""
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return b""
        self.total += len(data)
        self.tail = (self.tail + data)[-20000:]
        return data

    def wait_for(self, needle: bytes, timeout: float) -> float | None:
        """Seconds until `needle` appears in new output, None on timeout."""
        start = time.perf_counter()
        seen = b""
        while (elapsed := time.perf_counter() - start) < timeout:
            seen = (seen + self.read_once(timeout - elapsed))[-4000:]
            if needle in seen:
                return time.perf_counter() - start
        return None

    def close(self) -> None:
        try:
            os.write(self.fd, b"q")
            end = time.time() + 8
            while time.time() < end:
                self.read_once(0.1)
                done, _ = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    return
            os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)
        except (OSError, ChildProcessError):
            pass


def measure(args: argparse.Namespace, prints: int, label: str, headless: bool = False) -> dict[str, float]:
    """Start the app, warm up, then measure steady CPU and bytes/s, then key latency."""
    argv = [sys.executable, __file__, "--child", "--runtime", args.runtime, "--prints", str(prints), "--hz", str(args.hz),
            "--addr", args.addr, "--layer", args.layer] + (["--no-book"] if args.no_book else [])
    if headless:
        argv.append("--headless")
    term = Pty(argv, args.cols, args.rows, args.colors)
    try:
        term.pump(args.warmup)
        cpu0, bytes0, t0 = _cpu_seconds(term.pid), term.total, time.perf_counter()
        term.pump(args.seconds)
        cpu1, bytes1, t1 = _cpu_seconds(term.pid), term.total, time.perf_counter()
        if headless:
            cpu = 100 * (cpu1 - cpu0) / (t1 - t0)
            print(f"{label:<34} cpu {cpu:5.1f} % of a core")
            return {"cpu_pct": cpu}
        latencies = []
        # 's' cycles the heatmap side: a full chart recompute; the legend label tells us the frame arrived
        # (the map is coloured by hazard by default: "long hazard", "short hazard", "hazard/cell")
        needles = (b"long hazard", b"short hazard", b"hazard/cell")
        for i in range(args.keys):
            key, needle = b"s", needles[i % 3]
            os.write(term.fd, key)
            latency = term.wait_for(needle, 2.0)
            latencies.append(latency if latency is not None else float("inf"))
            term.pump(0.15)
        latencies.sort()
        result = {
            "cpu_pct": 100 * (cpu1 - cpu0) / (t1 - t0),
            "kb_per_s": (bytes1 - bytes0) / (t1 - t0) / 1000,
            "key_ms_p50": 1000 * latencies[len(latencies) // 2],
            "key_ms_max": 1000 * latencies[-1],
        }
        print(f"{label:<34} cpu {result['cpu_pct']:5.1f} % of a core   out {result['kb_per_s']:6.2f} KB/s   "
              f"keys p50 {result['key_ms_p50']:6.1f} ms  max {result['key_ms_max']:6.1f} ms")
        return result
    finally:
        term.close()


def start_sim(faults: str) -> tuple[subprocess.Popen[str], str]:
    """`tnet sim` in its own process (as a trader would run it); returns it and its HOST:PORT."""
    import json

    cmd = [sys.executable, "-m", "tnet", "sim", "--port", "0", "--seed", "5"] + (["--faults", faults] if faults else [])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    endpoints = json.loads(proc.stdout.readline())
    return proc, f"{endpoints['host']}:{endpoints['port']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--headless", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--runtime", choices=("fake", "sim", "remote"), default="fake",
                        help="remote: `tnet sim` in another process (steady, then --faults burst=10)")
    parser.add_argument("--addr", default="", help=argparse.SUPPRESS)
    parser.add_argument("--prints", type=int, default=1, help="fake runtime: prints per symbol per second (steady)")
    parser.add_argument("--busy", type=int, default=8, help="fake runtime: prints per symbol per second (busy market)")
    parser.add_argument("--burst", type=int, default=4000, help="fake runtime: prints per symbol per second (burst)")
    parser.add_argument("--hz", type=float, default=4.0)
    parser.add_argument("--cols", type=int, default=160)
    parser.add_argument("--rows", type=int, default=48)
    parser.add_argument("--colors", choices=("truecolor", "256"), default="truecolor")
    parser.add_argument("--warmup", type=float, default=20.0, help="seconds before measuring (the warm start and OKX's backfill run first)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--keys", type=int, default=12)
    # key latency is read from the legend's side label (s), which the book-only layer does not show
    parser.add_argument("--layer", choices=("liquidations", "both"), default="both", help="map layer on screen")
    parser.add_argument("--no-book", action="store_true", help="sim/remote: no depth connections (the baseline without books)")
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return
    print(f"bench_tui: {args.cols}x{args.rows} {args.colors}, runtime={args.runtime}, refresh {args.hz:g} Hz, "
          f"layer {args.layer}, books {'off' if args.no_book else 'on'}")
    if args.runtime == "remote":
        results = {}
        for label, faults in (("steady", ""), ("burst x10", "burst=10")):
            sim = start_sim(faults)
            try:
                args.addr = sim[1]
                headless = measure(args, 0, f"{label}: runtime, no UI", headless=True)
                full = measure(args, 0, f"{label}: tnet watch BTC ETH SOL")
                results[label] = (headless, full)
            finally:
                sim[0].terminate()
                sim[0].wait(10)
        steady, burst = results["steady"][1], results["burst x10"][1]
        for name, ok in [("whole process CPU < 10 % (steady)", steady["cpu_pct"] < 10),
                         ("output <= 20 KB/s (steady)", steady["kb_per_s"] <= 20),
                         ("keys within 100 ms (steady)", steady["key_ms_max"] <= 100),
                         ("keys within 100 ms (burst x10)", burst["key_ms_max"] <= 100)]:
            print(f"  {'PASS' if ok else 'MISS'}  {name}")
        return
    if args.runtime == "sim":
        idle = measure(args, 0, "baseline: runtime + simulator, no UI", headless=True)
        steady = measure(args, 0, "steady: runtime + simulator + UI")
        print(f"UI share: {steady['cpu_pct'] - idle['cpu_pct']:.1f} % of a core "
              f"(x{steady['cpu_pct'] / max(idle['cpu_pct'], 0.01):.2f} the headless runtime)")
        steady = dict(steady, cpu_pct=steady["cpu_pct"] - idle["cpu_pct"])
        for name, ok in [("UI CPU < 10 %", steady["cpu_pct"] < 10), ("output <= 20 KB/s", steady["kb_per_s"] <= 20),
                         ("keys within 100 ms", steady["key_ms_max"] <= 100)]:
            print(f"  {'PASS' if ok else 'MISS'}  {name}")
        return
    idle = measure(args, 0, "baseline (no new prints)")
    steady = measure(args, args.prints, f"steady ({args.prints}/s prints per symbol)")
    measure(args, args.busy, f"busy ({args.busy}/s prints per symbol)")
    burst = measure(args, args.burst, f"burst ({args.burst}/s prints per symbol)")
    print(f"ratios vs baseline: steady cpu x{steady['cpu_pct'] / max(idle['cpu_pct'], 0.01):.2f}, "
          f"bytes x{steady['kb_per_s'] / max(idle['kb_per_s'], 0.001):.2f}")
    goals = [("steady CPU < 10 %", steady["cpu_pct"] < 10), ("steady output <= 20 KB/s", steady["kb_per_s"] <= 20),
             ("keys within 100 ms (steady)", steady["key_ms_max"] <= 100)]
    goals.append(("keys within 100 ms (burst)", burst["key_ms_max"] <= 100))
    for name, ok in goals:
        print(f"  {'PASS' if ok else 'MISS'}  {name}")


if __name__ == "__main__":
    main()
