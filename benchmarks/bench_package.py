"""Packaging benchmark (issue 18): sizes, start to a visible tray light, frozen recorder cost.

    python benchmarks/bench_package.py [--starts 5] [--duration 10] [--rate 1000]

Needs `make package` first (dist/tallylight/, dist/tallylight_<version>_amd64.deb) and
Xvfb and trayer (`make test` installs them). Prints figures next to their goals; nothing
here passes or fails.

1. **Sizes**: the .deb (goal <= 60 MB) and the onedir folder (du).
2. **Start to a visible tray light**: a fresh Xvfb with trayer; the app is started with a
   fresh TALLYLIGHT_HOME and the clock stops when trayer holds its icon (an embedded
   window in trayer's panel, read through Xlib). The frozen app and the source build
   (`.venv/bin/tallylight`) alternate, N times each; medians, and the frozen/source
   ratio. The first frozen start comes after the build wrote its files, so the page cache
   is warm: this is a warm start (goal <= 1.5 s), not one after a reboot. Wall time on a
   shared machine mostly measures the load, so the app's own CPU time (user + system, from
   /proc) up to that moment is printed too: what a start costs, whatever the load.
3. **Recorder at 1 kHz moves**: benchmarks/bench_capture.py's sustained run (paced XTest
   moves, the real encrypted store) once with the source recorder (`python -m
   tallylight.recorder`) and once with the frozen one (`tallylight --recorder`): CPU % of
   a core, peak RSS, moves seen.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "ui"), str(ROOT / "benchmarks")]

from xserver import start_xvfb, stop_process, trayer  # noqa: E402

FROZEN = ROOT / "dist" / "tallylight" / "tallylight"
SOURCE = Path(sys.executable).with_name("tallylight")


def du_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def cpu_s(pid: int) -> float:
    """User + system CPU time of a running process (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_to_tray(app: Path, server, timeout: float = 30.0) -> tuple[float, float]:
    """Seconds from the start to a tray icon in trayer, and the app's CPU seconds by then."""
    from conftest_helpers import tray_icon_centres

    with tempfile.TemporaryDirectory(prefix="tallylight-bench-") as home:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [str(app)],
            env=server.env(TALLYLIGHT_HOME=home),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while not tray_icon_centres(server.display):
                if time.perf_counter() - t0 > timeout or proc.poll() is not None:
                    raise RuntimeError(f"{app}: no tray icon (exit {proc.poll()})")
                time.sleep(0.005)
            return time.perf_counter() - t0, cpu_s(proc.pid)
        finally:
            stop_process(proc)
            while tray_icon_centres(server.display):
                time.sleep(0.01)


def bench_starts(n: int) -> None:
    server = start_xvfb()
    try:
        with trayer(server):
            times: dict[str, list[float]] = {"frozen": [], "source": []}
            cpu: dict[str, list[float]] = {"frozen": [], "source": []}
            for _ in range(n):
                for label, app in (("frozen", FROZEN), ("source", SOURCE)):
                    wall, used = start_to_tray(app, server)
                    times[label].append(wall)
                    cpu[label].append(used)
    finally:
        stop_process(server.proc)
    med = {k: statistics.median(v) for k, v in times.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    for k, v in times.items():
        print(
            f"  {k:7s} start to tray light: median {med[k]:.2f} s "
            f"(runs: {', '.join(f'{x:.2f}' for x in v)}); CPU by then median {med_cpu[k]:.2f} s"
        )
    print(
        f"  frozen/source ratio: wall {med['frozen'] / med['source']:.2f}, "
        f"CPU {med_cpu['frozen'] / med_cpu['source']:.2f}; goal for the frozen app <= 1.5 s"
    )


def bench_recorder(duration: float, rate: int) -> None:
    import bench_capture

    from tallylight.recorder import client

    rows = []
    for label in ("source", "frozen"):
        if label == "frozen":  # the frozen app's re-entry: `tallylight --recorder`
            client.child_argv = lambda _module, *args: [str(FROZEN), "--recorder", *args]  # type: ignore[assignment]
            bench_capture.RecorderClient = lambda env, _python: client.RecorderClient(env=env)  # type: ignore[assignment,misc]
        run = bench_capture.run_sustained(rate, duration, "store", 1, "raw")
        rows.append((label, run))
    for label, run in rows:
        print(
            f"  {label:7s} recorder: {run.pct(run.rec_cpu_s):5.1f} % of a core, peak RSS "
            f"{run.rec_hwm_kib / 1024:.0f} MiB, {run.rec_moves:,} of {run.injected:,} moves, "
            f"{run.stored_moves:,} stored {'; '.join(run.notes)}"
        )
    (_, s), (_, f) = rows
    print(
        f"  frozen/source: CPU {f.rec_cpu_s / s.rec_cpu_s:.2f}, peak RSS {f.rec_hwm_kib / s.rec_hwm_kib:.2f}"
        if s.rec_cpu_s and s.rec_hwm_kib
        else "  (no source figures to compare)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--no-recorder", action="store_true", help="sizes and starts only")
    args = parser.parse_args()
    if not FROZEN.exists():
        raise SystemExit("run `make package` first (dist/tallylight/ is missing)")
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    debs = sorted((ROOT / "dist").glob("tallylight_*_amd64.deb"))
    print("1. sizes")
    for deb in debs:
        print(f"  {deb.name}: {deb.stat().st_size / 1e6:.1f} MB (goal <= 60 MB)")
    print(f"  dist/tallylight/ (onedir): {du_mb(FROZEN.parent):.0f} MB")
    print(f"2. start to a visible tray light ({args.starts} runs each, alternating)")
    bench_starts(args.starts)
    if not args.no_recorder:
        print(f"3. recorder at {args.rate} moves/s for {args.duration:g} s (real encrypted store)")
        bench_recorder(args.duration, args.rate)


if __name__ == "__main__":
    main()
