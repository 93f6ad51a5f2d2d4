"""Capture benchmark (issue 2): callback cost, sustained capture, recorder CPU and memory.

    python benchmarks/bench_capture.py [--duration 60] [--rates 1000,8000] [--sinks store,memory]
    python benchmarks/bench_capture.py --quick          # 5 s per run, a smoke test

Needs Xvfb (with the RECORD and XTEST extensions: Debian's ``xvfb``). Prints its
figures; nothing here is a pass/fail test, but the goals are printed next to them.

**1. Callback cost** (in this process). A :class:`tallylight.capture.listeners.Hooks`
is built on a real Xvfb with a ``SimpleQueue`` (its listeners are never started),
and the very functions pynput would call are taken from it: the ``on_move`` that
pynput holds (pynput's own ``wrapper`` around our closure) and the bare closure
inside it. Each is called N times with ``(x, y, injected)``:

- *single call*: ``perf_counter_ns()`` before and after every call; the median
  cost of an empty timing pair (the timer's own cost) is subtracted; median and
  p99 over all calls. p99 includes the garbage collector and queue growth, as in
  the recorder (GC stays enabled);
- *batch mean*: calls timed in batches of 1,000 and divided by 1,000; median and
  p99 over the batches (no timer overhead in it, but outliers are averaged).

The queue is emptied between batches, outside the timed region (the writer
thread does that in the recorder). A callback that only counts (the baseline's)
is timed the same way for scale.

**2. Sustained capture** (real processes). For each rate and each sink, a fresh
``Xvfb -noreset`` is started, then, on it:

- the real recorder process (``python -m tallylight.recorder`` through
  :class:`tallylight.recorder.client.RecorderClient`) with default capture options,
  writing the real encrypted store (a vault made with cheap KDF parameters in a
  temporary ``TALLYLIGHT_HOME``; the recorder only uses its public key) — or, for
  the ``memory`` sink, ``TALLYLIGHT_SINK=memory``;
- at the same time a *baseline* process: a plain ``pynput.mouse.Listener`` whose
  ``on_move`` only counts (this script run with ``_baseline``);
- an injector process (this script run with ``_inject``) that sends pointer motion
  through XTest at a paced rate: event *i* is due at ``start + i / rate``
  (``perf_counter`` deadlines, ``time.sleep`` until due, never busy-waiting), with
  a round trip to the server (what ``display.sync()`` sends: GetInputFocus) after
  every event (``--sync-every``), because the X server merges motion events that
  are still queued in it. By default the FakeInput and GetInputFocus requests are
  packed once and written to python-xlib's socket (``--injector raw``):
  ``xtest.fake_input`` + ``sync`` cost ~80 µs of CPU per event here and could not
  keep 8,000/s alongside the listeners (``--injector xlib`` still does that).
  Consecutive points always differ, so every injected event is a real motion.
  When the injector falls behind its deadlines it catches up back to back (still
  one round trip per event); "late" columns say how often that happened.

Both listeners first see a short warm-up (so pynput's RECORD context is surely
enabled); then counts and CPU are read, the timed window is injected, and once
both counts have stopped moving they are read again. *Lost* = injected minus
moves counted (the recorder's ``status`` counts; the baseline's own counter).
*CPU %* = (utime + stime) delta from ``/proc/<pid>/stat`` over the window,
including the tail drained after injection ended, divided by the injection's
wall time (100 % = one core). *Ratio* = recorder CPU / baseline CPU from the same
run. *Peak RSS* = ``VmHWM`` from ``/proc/<pid>/status`` just before stopping.
For the store sink, the session is then unlocked and read back: the moves it
holds, bytes on disk per move, and how far consecutive stored stamps are from the
injection interval (median / p99 of ``|Δt - 1/rate|``; stamps are stored to
100 µs, and the injector's own sleep overshoot is in it too).

All processes share this machine's cores (Xvfb, injector, recorder, baseline):
CPU time, not wall time, is what is compared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from xserver import XServer, start_xvfb, stop_process  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
PASSPHRASE = "bench passphrase"
WARMUP_MOVES = 200
SETTLE_S = 0.6  # counts unchanged this long after injection ends = drained
DRAIN_TIMEOUT_S = 30.0
GOAL_RATIO = 1.5


# -- /proc ----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of stat(5)


def status_kib(pid: int, name: str) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    return 0


# -- helper processes (this script, re-run with a role) ------------------------------------


def role_inject(argv: list[str]) -> None:
    """Inject paced XTest motion; print one JSON line of what was done."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--first", type=int, default=0, help="index of the first point in the path")
    ap.add_argument("--sync-every", type=int, default=1)
    ap.add_argument("--injector", choices=("raw", "xlib"), default="raw")
    a = ap.parse_args(argv)
    from Xlib import X
    from Xlib import display as xdisplay
    from Xlib.ext import xtest

    d = xdisplay.Display()
    if a.injector == "xlib":

        def send(x: int, y: int, sync: bool) -> None:
            xtest.fake_input(d, X.MotionNotify, x=x, y=y)
            if sync:
                d.sync()

        def finish() -> None:
            d.sync()
            d.close()
    else:
        send, finish = _raw_sender(d)
    pc, sleep = time.perf_counter, time.sleep
    interval = 1.0 / a.rate
    late_max = 0.0
    late_10ms = 0
    every = a.sync_every
    start = pc()
    for n in range(a.count):
        due = start + n * interval
        now = pc()
        if now < due:
            sleep(due - now)
        else:
            late = now - due
            if late > late_max:
                late_max = late
            if late > 0.010:
                late_10ms += 1
        x, y = path_point(a.first + n)
        send(x, y, (n + 1) % every == 0)
    finish()
    elapsed = pc() - start
    ru = os.times()
    print(
        json.dumps(
            {
                "sent": a.count,
                "elapsed_s": elapsed,
                "late_max_ms": late_max * 1e3,
                "late_10ms": late_10ms,
                "cpu_s": ru.user + ru.system,
            }
        ),
        flush=True,
    )


def _raw_sender(d: Any) -> tuple[Callable[[int, int, bool], None], Callable[[], None]]:
    """The same XTest FakeInput + GetInputFocus (what ``Display.sync`` sends) requests,
    packed once and written straight to the connection's socket.

    python-xlib builds every request through its generic request machinery
    (~80 µs of CPU per fake_input + sync here), too slow to pace 8,000 synced
    events a second on this machine; the bytes on the wire are the same.
    python-xlib sets up the connection, then is not used again on it.
    """
    import struct

    from Xlib import X

    d.sync()  # nothing of python-xlib's left in flight
    sock = d.display.socket
    order = ">" if d.display.big_endian else "<"  # python-xlib speaks native byte order
    major = d.display.get_extension_major("XTEST")
    head = struct.pack(order + "BBHBBxxII8x", major, 2, 9, X.MotionNotify, 0, X.CurrentTime, X.NONE)
    tail = b"\0" * 8
    get_input_focus = struct.pack(order + "BxH", 43, 1)
    pack_xy = struct.Struct(order + "hh").pack
    sendall, recv_into = sock.sendall, sock.recv_into
    buf = bytearray(32)
    view = memoryview(buf)

    def read_reply() -> None:
        got = 0
        while got < 32:
            n = recv_into(view[got:], 32 - got)
            if not n:
                raise RuntimeError("X server closed the connection")
            got += n
        if buf[0] != 1:  # 0 = an error, 2+ = an event we did not ask for
            raise RuntimeError(f"unexpected X message {bytes(buf[:4])!r} (error code {buf[1]})")

    def send(x: int, y: int, sync: bool) -> None:
        if sync:
            sendall(head + pack_xy(x, y) + tail + get_input_focus)
            read_reply()
        else:
            sendall(head + pack_xy(x, y) + tail)

    def finish() -> None:
        sendall(get_input_focus)
        read_reply()
        sock.close()

    return send, finish


def path_point(i: int) -> tuple[int, int]:
    """A raster over 1200 x 1000 px: consecutive points always differ."""
    return 10 + i % 1200, 10 + (i // 1200) % 1000


def role_baseline() -> None:
    """A bare pynput mouse listener that only counts; answers 'count' on stdin."""
    from pynput import mouse

    n = 0

    def on_move(x: Any, y: Any, injected: Any = None) -> None:
        nonlocal n
        n += 1

    listener = mouse.Listener(on_move=on_move)
    listener.start()
    listener.wait()
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "count":
            print(n, flush=True)
    os._exit(0)  # the listener thread lingers until one more X event


class Baseline:
    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "_baseline"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"baseline listener did not start: {line!r}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def count(self) -> int:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Stalled(Exception):
    """The injection did not finish in time (seen: Xvfb spinning in FlushAllOutput)."""


def inject(
    server: XServer, rate: float, count: int, first: int, sync_every: int, injector: str = "raw"
) -> dict[str, Any]:
    timeout = 30 + 3 * count / rate
    try:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "_inject",
                "--rate",
                str(rate),
                "--count",
                str(count),
                "--first",
                str(first),
                "--sync-every",
                str(sync_every),
                "--injector",
                injector,
            ],
            env=server.env(),
            stdout=subprocess.PIPE,
            text=True,
            check=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise Stalled(f"the injector did not finish within {timeout:.0f} s") from None
    return json.loads(out.stdout)


# -- 1. callback cost ---------------------------------------------------------------------


def _percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, round(p / 100 * (len(sorted_values) - 1)))]


def time_callback(
    fn: Callable[..., Any], q: queue.SimpleQueue[tuple] | None, calls: int, batch: int = 1000
) -> dict[str, float]:
    now = time.perf_counter_ns
    # timer overhead: an empty pair
    empty = []
    for _ in range(50_000):
        t0 = now()
        t1 = now()
        empty.append(t1 - t0)
    overhead = statistics.median(empty)

    def drain() -> None:
        if q is not None:
            get = q.get_nowait
            while not q.empty():
                get()

    single: list[int] = []
    for b in range(calls // batch):
        for i in range(batch):
            t0 = now()
            fn(i, b, False)
            t1 = now()
            single.append(t1 - t0)
        drain()
    means: list[float] = []
    for b in range(calls // batch):
        t0 = now()
        for i in range(batch):
            fn(i, b, False)
        t1 = now()
        means.append((t1 - t0) / batch)
        drain()
    corrected = sorted(max(0.0, s - overhead) for s in single)
    means.sort()
    return {
        "single_median_us": statistics.median(corrected) / 1e3,
        "single_p99_us": _percentile(corrected, 99) / 1e3,
        "single_max_us": corrected[-1] / 1e3,
        "batch_median_us": statistics.median(means) / 1e3,
        "batch_p99_us": _percentile(means, 99) / 1e3,
        "timer_overhead_ns": overhead,
    }


def bench_callbacks(calls: int) -> list[tuple[str, dict[str, float]]]:
    server = start_xvfb()
    try:
        os.environ["DISPLAY"] = server.display
        os.environ.pop("WAYLAND_DISPLAY", None)
        from tallylight.capture.listeners import Hooks
        from tallylight.options import CaptureOptions

        q: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        hooks = Hooks(q, CaptureOptions())
        mouse_listener = hooks._listeners[-1]  # keyboard first, then mouse (listeners.py)
        wrapped = mouse_listener.on_move  # what pynput's _handle_message calls
        cells = dict(
            zip(
                wrapped.__code__.co_freevars,
                (c.cell_contents for c in wrapped.__closure__ or ()),
                strict=True,
            )
        )
        raw = cells.get("f")
        if raw is None or raw.__name__ != "on_move":
            raise RuntimeError("could not find Hooks' on_move inside pynput's wrapper")

        n = 0

        def count(x: Any, y: Any, injected: Any = None) -> None:
            nonlocal n
            n += 1

        results = [
            ("Hooks on_move (our closure)", time_callback(raw, q, calls)),
            ("Hooks on_move as pynput calls it", time_callback(wrapped, q, calls)),
            ("baseline: counting on_move", time_callback(count, None, calls)),
        ]
        hooks._listeners.clear()
        return results
    finally:
        stop_process(server.proc)


# -- 2. sustained capture -----------------------------------------------------------------


@dataclass
class Run:
    rate: int
    sink: str
    injected: int = 0
    inject_elapsed_s: float = 0.0
    late_max_ms: float = 0.0
    late_10ms: int = 0
    rec_moves: int = 0
    base_moves: int = 0
    rec_cpu_s: float = 0.0
    base_cpu_s: float = 0.0
    xvfb_cpu_s: float = 0.0
    inject_cpu_s: float = 0.0
    rec_hwm_kib: int = 0
    base_hwm_kib: int = 0
    stored_moves: int | None = None
    stored_bytes: int | None = None
    jitter_us: tuple[float, float] | None = None  # median, p99 of |stamp interval - 1/rate|
    drain_s: float = 0.0
    load_before: float = 0.0
    stalled: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def achieved_rate(self) -> float:
        return self.injected / self.inject_elapsed_s if self.inject_elapsed_s else 0.0

    def pct(self, cpu_s: float) -> float:
        return 100.0 * cpu_s / self.inject_elapsed_s if self.inject_elapsed_s else 0.0

    @property
    def ratio(self) -> float:
        return self.rec_cpu_s / self.base_cpu_s if self.base_cpu_s else float("inf")


def rec_moves(rec: Any) -> int:
    return int(rec.request("status")["counts"].get("move", 0))


def wait_settled(
    read: Callable[[], tuple[int, int]], targets: tuple[int, int], timeout: float = DRAIN_TIMEOUT_S
) -> tuple[int, int]:
    """Poll both counters until both reached their targets or neither moved for SETTLE_S."""
    deadline = time.monotonic() + timeout
    last = read()
    last_change = time.monotonic()
    while time.monotonic() < deadline:
        if last[0] >= targets[0] and last[1] >= targets[1]:
            return last
        time.sleep(0.05)
        cur = read()
        if cur != last:
            last, last_change = cur, time.monotonic()
        elif time.monotonic() - last_change >= SETTLE_S:
            return cur
    return last


def run_sustained(
    rate: int,
    duration: float,
    sink: str,
    sync_every: int,
    injector: str,
    recorder_python: str = sys.executable,
) -> Run:
    from tallylight.recorder.client import RecorderClient
    from tallylight.store import reader, vault
    from tallylight.store.crypto import KdfParams

    run = Run(rate=rate, sink=sink)
    count = int(rate * duration)
    with tempfile.TemporaryDirectory(prefix="tallylight-bench-") as home:
        data_dir = Path(home) / "data"
        if sink == "store":
            vault.create_vault(PASSPHRASE, data_dir, params=KdfParams(iterations=1, lanes=1, memory_kib=64))
        server = start_xvfb()
        rec = base = None
        try:
            extra = {"TALLYLIGHT_HOME": home}
            if sink == "memory":
                extra["TALLYLIGHT_SINK"] = "memory"
            env = server.env(**extra)
            if sink == "store":
                env.pop("TALLYLIGHT_SINK", None)
            rec = RecorderClient(env=env, python=recorder_python)
            started = rec.request("start", timeout=20)
            base = Baseline(server.env())

            # warm-up: both RECORD contexts surely enabled, first-event costs paid
            inject(server, 2000, WARMUP_MOVES, 0, 1)
            counts = lambda: (rec_moves(rec), base.count())  # noqa: E731
            r0, b0 = wait_settled(counts, (WARMUP_MOVES, WARMUP_MOVES), timeout=10)
            if r0 == 0 or b0 == 0:
                run.notes.append(f"warm-up not seen (recorder {r0}, baseline {b0})")

            c_rec, c_base, c_x = cpu_seconds(rec.pid), cpu_seconds(base.pid), cpu_seconds(server.proc.pid)
            run.load_before = os.getloadavg()[0]
            t_start = time.monotonic()
            try:
                result = inject(server, rate, count, WARMUP_MOVES, sync_every, injector)
            except Stalled as exc:
                wall = time.monotonic() - t_start
                x_pct = 100 * (cpu_seconds(server.proc.pid) - c_x) / wall
                run.stalled = True
                run.rec_moves, run.base_moves = rec_moves(rec) - r0, base.count() - b0
                run.notes.append(
                    f"STALLED: {exc}; by then the recorder had {run.rec_moves:,} moves and the "
                    f"baseline {run.base_moves:,}; Xvfb used {x_pct:.0f} % of a core over the "
                    f"{wall:.0f} s"
                )
                return run
            t_end = time.monotonic()
            r1, b1 = wait_settled(counts, (r0 + count, b0 + count))
            run.drain_s = time.monotonic() - t_end
            run.rec_cpu_s = cpu_seconds(rec.pid) - c_rec
            run.base_cpu_s = cpu_seconds(base.pid) - c_base
            run.xvfb_cpu_s = cpu_seconds(server.proc.pid) - c_x
            run.rec_hwm_kib = status_kib(rec.pid, "VmHWM")
            run.base_hwm_kib = status_kib(base.pid, "VmHWM")
            run.injected = result["sent"]
            run.inject_elapsed_s = result["elapsed_s"]
            run.late_max_ms = result["late_max_ms"]
            run.late_10ms = result["late_10ms"]
            run.inject_cpu_s = result["cpu_s"]
            run.rec_moves, run.base_moves = r1 - r0, b1 - b0

            stopped = rec.request("stop", timeout=30)
            rec.close()
            total = int(stopped["summary"]["counts"].get("move", 0))
            if total != r1:
                run.notes.append(f"recorder summary says {total} moves, status said {r1}")
            if sink == "store":
                v = vault.unlock(PASSPHRASE, data_dir)
                session_dir = data_dir / "sessions" / started["session_id"]
                data = reader.read_session(session_dir, v)
                cols = data.columns()
                run.stored_moves = int((cols.kind == 3).sum())
                t = cols.t_ns[cols.kind == 3][WARMUP_MOVES:].astype("int64")
                if len(t) > 2:
                    dev = sorted(abs(float(v) - 1e9 / rate) / 1e3 for v in (t[1:] - t[:-1]))
                    run.jitter_us = (statistics.median(dev), _percentile(dev, 99))
                run.stored_bytes = sum(p.stat().st_size for p in session_dir.iterdir() if p.is_file())
                if run.stored_moves != total:
                    run.notes.append(f"store holds {run.stored_moves} moves, recorder counted {total}")
                if data.report.verdict.value != "complete":
                    run.notes.append(f"store verdict: {data.report.verdict.value}")
        finally:
            if base is not None:
                base.close()
            if rec is not None:
                rec.close()
            stop_process(server.proc)
    return run


# -- report -------------------------------------------------------------------------------


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(
        h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(headers, widths, strict=True))
    )
    print(line)
    print("-" * len(line))
    for r in rows:
        print(
            "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        )


def main(argv: list[str]) -> None:
    if argv[:1] == ["_inject"]:
        return role_inject(argv[1:])
    if argv[:1] == ["_baseline"]:
        return role_baseline()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of injection per run (default 60)")
    ap.add_argument("--quick", action="store_true", help="5 s per run and fewer callback calls (smoke run)")
    ap.add_argument("--rates", default="1000,8000", help="moves per second, comma separated")
    ap.add_argument("--sinks", default="store,memory", help="store (encrypted, on disk) and/or memory")
    ap.add_argument("--sync-every", type=int, default=1, help="XSync after this many injected events")
    ap.add_argument(
        "--injector",
        choices=("raw", "xlib"),
        default="raw",
        help="raw: pre-packed XTest requests on python-xlib's socket (default); xlib: xtest.fake_input",
    )
    ap.add_argument(
        "--recorder-python",
        default=sys.executable,
        help="interpreter (or a wrapper that execs one) run as PY -m tallylight.recorder: for A/B runs",
    )
    ap.add_argument("--calls", type=int, default=200_000, help="callback calls per timing")
    ap.add_argument("--skip-callbacks", action="store_true")
    a = ap.parse_args(argv)
    duration = 5.0 if a.quick else a.duration
    calls = 20_000 if a.quick else a.calls
    rates = [int(r) for r in a.rates.split(",") if r]
    sinks = [s for s in a.sinks.split(",") if s]

    print(
        f"Tallylight capture benchmark — Python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, {platform.platform()}"
    )
    print(
        f"pynput {metadata.version('pynput')}, python-xlib {metadata.version('python-xlib')}; "
        f"duration {duration:g} s per run, rates {rates}, sinks {sinks}, "
        f"XSync every {a.sync_every} event(s), {a.injector} injector\n"
    )

    if not a.skip_callbacks:
        print(f"1. Callback cost ({calls:,} calls each; timer overhead subtracted from single calls)\n")
        cb = bench_callbacks(calls)
        print_table(
            ["callback", "median µs", "p99 µs", "max µs", "batch-mean median µs", "batch-mean p99 µs"],
            [
                [
                    name,
                    f"{r['single_median_us']:.3f}",
                    f"{r['single_p99_us']:.3f}",
                    f"{r['single_max_us']:.1f}",
                    f"{r['batch_median_us']:.3f}",
                    f"{r['batch_p99_us']:.3f}",
                ]
                for name, r in cb
            ],
        )
        print(f"(timer overhead per perf_counter_ns pair: {cb[0][1]['timer_overhead_ns']:.0f} ns)\n")

    print(
        f"2. Sustained capture: recorder vs bare pynput listener under the same XTest injection "
        f"({duration:g} s per run)\n"
    )
    runs: list[Run] = []
    for rate in rates:
        for sink in sinks:
            print(f"   running {rate}/s, {sink} sink (load average {os.getloadavg()[0]:.2f}) ...", flush=True)
            runs.append(run_sustained(rate, duration, sink, a.sync_every, a.injector, a.recorder_python))
    print()
    print_table(
        [
            "rate/s",
            "sink",
            "injected",
            "achieved/s",
            "rec moves",
            "rec lost",
            "base moves",
            "base lost",
            "rec CPU %",
            "base CPU %",
            "ratio",
            "rec µs/ev",
            "base µs/ev",
            "rec VmHWM MiB",
            "base VmHWM MiB",
        ],
        [
            [
                str(r.rate),
                r.sink + (" STALLED" if r.stalled else ""),
                f"{r.injected:,}",
                f"{r.achieved_rate:,.0f}",
                f"{r.rec_moves:,}",
                f"{r.injected - r.rec_moves:,}",
                f"{r.base_moves:,}",
                f"{r.injected - r.base_moves:,}",
                f"{r.pct(r.rec_cpu_s):.1f}",
                f"{r.pct(r.base_cpu_s):.1f}",
                f"{r.ratio:.2f}",
                f"{r.rec_cpu_s / max(1, r.rec_moves) * 1e6:.1f}",
                f"{r.base_cpu_s / max(1, r.base_moves) * 1e6:.1f}",
                f"{r.rec_hwm_kib / 1024:.1f}",
                f"{r.base_hwm_kib / 1024:.1f}",
            ]
            for r in runs
        ],
    )
    print()
    print_table(
        [
            "rate/s",
            "sink",
            "load avg",
            "Xvfb CPU %",
            "injector CPU %",
            "late max ms",
            "late >10 ms",
            "drain s",
            "stored moves",
            "stored B/move",
            "stamp jitter p50/p99 µs",
        ],
        [
            [
                str(r.rate),
                r.sink,
                f"{r.load_before:.2f}",
                f"{r.pct(r.xvfb_cpu_s):.1f}",
                f"{r.pct(r.inject_cpu_s):.1f}",
                f"{r.late_max_ms:.1f}",
                str(r.late_10ms),
                f"{r.drain_s:.2f}",
                "-" if r.stored_moves is None else f"{r.stored_moves:,}",
                "-" if not r.stored_bytes or not r.stored_moves else f"{r.stored_bytes / r.stored_moves:.2f}",
                "-" if r.jitter_us is None else f"{r.jitter_us[0]:.0f} / {r.jitter_us[1]:.0f}",
            ]
            for r in runs
        ],
    )
    print()
    for r in runs:
        if r.stalled:
            print(f"{r.rate}/s {r.sink}: no figures, the run stalled")
            for note in r.notes:
                print(f"    note: {note}")
            continue
        lost = r.injected - r.rec_moves
        base_lost = r.injected - r.base_moves
        print(
            f"{r.rate}/s {r.sink}: recorder lost {lost} of {r.injected:,} "
            f"(goal 0: {'met' if lost == 0 else 'MISSED'}; "
            f"the bare listener lost {base_lost}); recorder CPU {r.pct(r.rec_cpu_s):.1f} % of a core = "
            f"{r.ratio:.2f}x the bare listener's {r.pct(r.base_cpu_s):.1f} % "
            f"(goal <= {GOAL_RATIO}x: {'met' if r.ratio <= GOAL_RATIO else 'MISSED'}); "
            f"peak RSS {r.rec_hwm_kib / 1024:.1f} MiB"
        )
        for note in r.notes:
            print(f"    note: {note}")


if __name__ == "__main__":
    main(sys.argv[1:])
