"""Review benchmarks (issue 10): reading, compaction, opening a 1 M-event session, the sessions list.

    python benchmarks/bench_review.py [--events 1000000] [--sessions 500]

Figures on this shared 2-core machine are noisy (other jobs run alongside);
each line says what it measured. Needs no display: Qt runs on the offscreen
platform unless QT_QPA_PLATFORM says otherwise.

1. An hour of fast mouse and typing (≈1 M events: pointer at ≈245 Hz, ≈14 keys/s
   in bursts, clicks, scrolls, pauses), written as the recorder writes it: one
   record per second.
2. Reader throughput into numpy columns on those 1-second records, then the same
   session compacted (what a stopped session becomes), and the compaction cost.
3. Opening the review window on it: decode, analysis and render reported apart,
   the time to the first full render, and the longest stall of the GUI thread
   (a 5 ms heartbeat timer on the GUI thread measures it).
4. The sessions list with N sessions (each with its encrypted summary): time to
   the rows shown, against reading every session's events (the old way) on a
   sample, scaled.
5. ``--parts day``: a full working day (issue 21 item 5). An 8-hour session at
   realistic rates (≈10 M events, ``--day-events``) and a 10-minute baseline at
   the same rates, each written as the recorder leaves a stopped session
   (encrypted, compacted), each opened in the review window in a fresh process:
   time to the first full render, the longest GUI-thread stall while opening and
   while scrubbing the replay slider end to end, and the process's peak memory.
   Figures are printed with the 8-hour / baseline ratio. Goals: open ≤ 3 s,
   peak memory ≤ 1.5 GiB, stalls ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import itertools
from collections.abc import Callable

from tallylight.events import KeyClass, Kind, Marker, SessionInfo, StopReason
from tallylight.options import CaptureOptions
from tallylight.review.summary import list_summary
from tallylight.store import reader, vault, writer
from tallylight.store.encoding import EventColumns

S = 1_000_000_000


def hour_of_input(n_target: int, seed: int = 1, seconds: int = 3600) -> EventColumns:
    """≈``n_target`` events over ``seconds``, shaped like fast real input (vectorised, reproducible)."""
    rng = np.random.default_rng(seed)
    dur = seconds * S
    n_moves = int(n_target * 0.88)
    n_keys = int(n_target * 0.10) // 2
    n_clicks = int(n_target * 0.01) // 2
    n_scroll = int(n_target * 0.01)
    # pointer: ≈4 ms apart while moving, idle stretches between movements
    gaps = rng.exponential(4e6, n_moves)
    gaps[rng.random(n_moves) < 0.004] += rng.exponential(
        1.5e9, int(np.count_nonzero(rng.random(n_moves) < 0.004)) or 1
    )[0]
    mt = np.cumsum(gaps)
    mt = (mt / mt[-1] * (dur - S)).astype(np.int64) + S // 10
    mx = np.clip(960 + np.cumsum(rng.integers(-3, 4, n_moves)), 0, 1919)
    my = np.clip(540 + np.cumsum(rng.integers(-2, 3, n_moves)), 0, 1079)
    # typing bursts: keystrokes ≈150 ms apart, held ≈95 ms (log-normal)
    kt = np.sort(rng.uniform(S, dur - S, n_keys)).astype(np.int64)
    hold = rng.lognormal(np.log(95e6), 0.3, n_keys).astype(np.int64)
    kc = rng.choice(
        [KeyClass.LETTER, KeyClass.SPACE, KeyClass.BACKSPACE_DELETE], n_keys, p=[0.82, 0.15, 0.03]
    )
    ct = np.sort(rng.uniform(S, dur - S, n_clicks)).astype(np.int64)
    st = np.sort(rng.uniform(S, dur - S, n_scroll)).astype(np.int64)
    parts = []

    def block(t, kind, **cols) -> None:
        n = t.size
        z = np.zeros(n, np.int64)
        c = {f: z for f in ("x", "y", "button", "dx", "dy", "key_class", "marker", "reason")}
        c.update({k: np.asarray(v, np.int64) for k, v in cols.items()})
        parts.append(
            EventColumns(
                t.astype(np.int64),
                np.full(n, kind, np.uint8),
                c["x"],
                c["y"],
                c["button"],
                c["dx"],
                c["dy"],
                c["key_class"],
                np.zeros(n, np.uint64),
                np.full(n, "", dtype=object),
                c["marker"],
                c["reason"],
            )
        )

    block(mt, Kind.MOVE, x=mx, y=my)
    block(kt, Kind.KEY_DOWN, key_class=kc)
    block(kt + hold, Kind.KEY_UP, key_class=kc)
    pos = np.searchsorted(mt, ct).clip(0, n_moves - 1)
    block(ct, Kind.BUTTON_DOWN, x=mx[pos], y=my[pos], button=np.ones(n_clicks))
    block(ct + 100_000_000, Kind.BUTTON_UP, x=mx[pos], y=my[pos], button=np.ones(n_clicks))
    pos = np.searchsorted(mt, st).clip(0, n_moves - 1)
    block(st, Kind.SCROLL, x=mx[pos], y=my[pos], dy=rng.choice([-1, 1], n_scroll))
    block(np.array([0]), Kind.MARKER, marker=[Marker.SESSION_START])
    block(
        np.array([20 * 60 * S, 22 * 60 * S]), Kind.MARKER, marker=[Marker.PAUSE, Marker.RESUME], reason=[1, 0]
    )
    block(np.array([dur]), Kind.MARKER, marker=[Marker.SESSION_STOP], reason=[1])
    cols = EventColumns.concat(parts)
    t = cols.t_ns // 100_000 * 100_000  # the recorder keeps 100 µs
    cols = EventColumns(t, *(getattr(cols, f) for f in list(EventColumns.__dataclass_fields__)[1:]))
    order = np.argsort(cols.t_ns, kind="stable")
    cols = cols.take(order)
    paused = (cols.t_ns > 20 * 60 * S) & (cols.t_ns < 22 * 60 * S) & (cols.kind != Kind.MARKER)
    return cols.take(~paused)


def info(sid: str) -> SessionInfo:
    return SessionInfo(sid, time.time_ns(), "perf_counter_ns", 100_000, CaptureOptions(), label=sid)


def write_one_second_records(data_dir: Path, sid: str, cols: EventColumns, *, compact: bool = False) -> float:
    t0 = time.perf_counter()
    w = writer.open_session(
        info(sid),
        data_dir,
        seal_interval_s=1e12,
        max_buffer_events=1 << 20,
        summarize=list_summary if compact else None,
    )
    sec = cols.t_ns // S
    edges = np.flatnonzero(np.diff(sec)) + 1
    bounds = [0, *edges.tolist(), len(cols)]
    for a, b in itertools.pairwise(bounds):
        w.write_columns(cols.take(slice(a, b)))
    w.close(StopReason.PARTICIPANT)
    return time.perf_counter() - t0


def read_rate(path: Path, v: vault.UnlockedVault) -> tuple[float, float, float, int]:
    t0 = time.perf_counter()
    data = reader.read_session(path, v)
    t1 = time.perf_counter()
    cols = data.columns()
    t2 = time.perf_counter()
    return len(cols) / (t2 - t0), t1 - t0, t2 - t1, len(data.payloads)


def bench_reader_and_compaction(data_dir: Path, v: vault.UnlockedVault, cols: EventColumns) -> None:
    from tallylight.store import edit

    n = len(cols)
    wt = write_one_second_records(data_dir, "hour", cols)
    d = data_dir / "sessions" / "hour"
    rate, tv, td, recs = read_rate(d, v)
    print(f"  written as 1-second records: {recs:,} records in {wt:.1f} s (fdatasync per record)")
    print(
        f"  reader, 1-second records : {rate / 1e6:5.2f} M events/s "
        f"(verify+inflate {tv:.2f} s, decode {td:.2f} s)"
    )
    t0 = time.perf_counter()
    edit.ensure_summary(
        d, v, summarize=list_summary
    )  # what the first unlocked listing does for a session not compacted at stop
    tc = time.perf_counter() - t0
    best = max(read_rate(d, v) for _ in range(3))
    rate2, tv2, td2, recs2 = best
    print(f"  compaction (read, summarise, rewrite under a new key, commit): {tc:.2f} s")
    print(
        f"  reader, compacted ({recs2} records): {rate2 / 1e6:5.2f} M events/s "
        f"(verify+inflate {tv2:.2f} s, decode {td2:.2f} s)  "
        f"goal >= 2 M/s: {'met' if rate2 >= 2e6 else 'MISSED'}"
    )
    print(f"  speed-up from compaction: {rate2 / rate:.1f}x on {n:,} events")
    # the recorder path: compaction when the writer closes
    wt2 = write_one_second_records(data_dir, "hour-rec", cols, compact=True)
    print(f"  recorder path: writing 1-second records and compacting at close took {wt2:.1f} s in all")


def bench_open(v: vault.UnlockedVault) -> None:
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from tallylight.ui.review.window import ReviewWindow
    from tallylight.ui.tasks import TaskRunner

    _app = QApplication.instance() or QApplication([sys.argv[0]])  # kept alive
    t0 = time.perf_counter()
    import pyqtgraph  # noqa: F401  (the sessions window imports it in a worker before Open)

    print(
        "  importing pyqtgraph (done in the background when the sessions window opens): "
        f"{time.perf_counter() - t0:.2f} s"
    )
    tasks = TaskRunner()
    clock = QElapsedTimer()
    clock.start()
    stalls: list[int] = []
    last = [clock.elapsed()]

    at: list[int] = []

    def beat() -> None:
        now = clock.elapsed()
        stalls.append(now - last[0])
        at.append(now)
        last[0] = now

    heart = QTimer()
    heart.setInterval(5)
    heart.timeout.connect(beat)
    heart.start()
    t0 = time.perf_counter()
    win = ReviewWindow(tasks, "hour", v)
    win.show()
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(2)
    poll.timeout.connect(lambda: loop.quit() if win.ready else None)
    poll.start()
    loop.exec()  # the GUI thread idles in its event loop, as in the app
    poll.stop()
    t1 = time.perf_counter()
    win.grab()  # the first full paint of every visible plot
    paint = time.perf_counter() - t1
    total = time.perf_counter() - t0
    heart.stop()
    t = win.timings
    n = win.loaded.events
    print(
        f"  {n:,} events: decode {t['decode_s']:.2f} s, analysis {t['analysis_s']:.2f} s, "
        f"render {t['render_s']:.2f} s (steps {win.step_ms} ms), first paint {paint:.2f} s; "
        f"first full render {total:.2f} s "
        f"(goal <= 1.0 s: {'met' if total <= 1.0 else 'MISSED'})"
    )
    worst = max(stalls) if stalls else 0
    top = sorted(zip(stalls, at, strict=True))[-3:]
    print(
        f"  (worst stalls, ms at ms since opening: {[(g, a - at[0]) for g, a in top]}; "
        f"steps ended at {win.step_end_ms} ms)"
    )
    print(
        f"  longest GUI-thread stall while opening: {worst} ms "
        f"(goal <= 50 ms: {'met' if worst <= 50 else 'MISSED'};"
        " includes the first paint of all plots)"
    )
    import cProfile
    import pstats

    from tallylight.ui.review.window import load_session

    prof = cProfile.Profile()
    again = prof.runcall(load_session, "hour", v, {"text": ""})
    if os.environ.get("BENCH_PROFILE"):
        pstats.Stats(prof).sort_stats("tottime").print_stats(12)
    print(
        "  for comparison, decode + analysis on an idle GUI thread: "
        f"{again.decode_s:.2f} s + {again.analysis_s:.2f} s"
    )
    t0 = time.perf_counter()
    win.tabs.setCurrentIndex(1)
    win.grab()
    print(f"  switching to the path and click map: {1000 * (time.perf_counter() - t0):.0f} ms")
    win.close()
    tasks.shutdown()


def bench_list(data_dir: Path, v: vault.UnlockedVault, count: int) -> None:
    from tallylight.store import edit
    from tallylight.ui.dialogs.sessions import load_rows

    rng = np.random.default_rng(3)
    small = hour_of_input(3000, seed=4)
    t0 = time.perf_counter()
    for i in range(count):
        sid = f"list-{i:04d}"
        w = writer.open_session(info(sid), data_dir, seal_interval_s=1e12, summarize=list_summary)
        w.write_columns(small.take(slice(0, int(rng.integers(1000, 3000)))))
        w.close(StopReason.PARTICIPANT)
    print(f"  made {count} sessions with summaries in {time.perf_counter() - t0:.1f} s")
    os.environ["TALLYLIGHT_HOME"] = str(data_dir.parent)
    t0 = time.perf_counter()
    rows = load_rows(v)
    t_rows = time.perf_counter() - t0
    assert len(rows) >= count
    print(f"  sessions list, {len(rows)} sessions from their encrypted summaries: {t_rows:.3f} s")
    sample = [data_dir / "sessions" / f"list-{i:04d}" for i in range(0, count, max(1, count // 20))]
    t0 = time.perf_counter()
    for d in sample:
        reader.read_session(d, v).columns()
    per = (time.perf_counter() - t0) / len(sample)
    print(
        f"  reading every session's events instead: {per * 1000:.1f} ms per ~2,000-event session "
        f"(an hour-long one takes the reader figure above); the summaries make the list independent of length"
    )
    _ = edit


# ---------------------------------------------------------------- a full working day (issue 21 item 5)

DAY_S = 8 * 3600
BASE_S = 600


def make_session(
    data_dir: Path, v: vault.UnlockedVault, sid: str, n_events: int, seconds: int
) -> tuple[int, float, int]:
    """One stopped session as the recorder leaves it: written in one-minute records, compacted at close."""
    cols = hour_of_input(n_events, seed=7, seconds=seconds)
    t0 = time.perf_counter()
    w = writer.open_session(
        info(sid), data_dir, seal_interval_s=1e12, max_buffer_events=1 << 22, summarize=list_summary
    )
    minute = cols.t_ns // (60 * S)
    edges = np.flatnonzero(np.diff(minute)) + 1
    for a, b in itertools.pairwise([0, *edges.tolist(), len(cols)]):
        w.write_columns(cols.take(slice(a, b)))
    w.close(StopReason.PARTICIPANT)
    from tallylight.store import edit

    # what the sessions list does for a session too long to compact in memory at close
    edit.ensure_summary(data_dir / "sessions" / sid, v, summarize=list_summary)
    size = sum(f.stat().st_size for f in (data_dir / "sessions" / sid).iterdir() if f.is_file())
    return len(cols), time.perf_counter() - t0, size


def _rss_mib(field: str = "VmRSS") -> float:
    """This process's resident memory (``VmHWM``: its peak; unlike ru_maxrss, not inherited)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def open_in_this_process(home: Path, sid: str, scrub_steps: int) -> dict[str, float]:
    """Open ``sid`` in a review window as the app does; the figures as a dict (run in a child)."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    os.environ["TALLYLIGHT_HOME"] = str(home)
    _app = QApplication.instance() or QApplication([sys.argv[0]])
    import pyqtgraph  # noqa: F401  (imported in the background when the sessions window opens)

    from tallylight.ui.review.window import ReviewWindow
    from tallylight.ui.tasks import TaskRunner

    v = vault.unlock("bench")
    tasks = TaskRunner()
    rss0 = _rss_mib()
    clock = QElapsedTimer()
    clock.start()
    gaps: list[int] = []
    last = [clock.elapsed()]

    def beat() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    heart = QTimer()
    heart.setInterval(5)
    heart.timeout.connect(beat)
    heart.start()

    def run_until(done: Callable[[], bool]) -> None:
        loop = QEventLoop()
        poll = QTimer()
        poll.setInterval(2)
        poll.timeout.connect(lambda: loop.quit() if done() else None)
        poll.start()
        loop.exec()  # the GUI thread idles in its event loop, as in the app
        poll.stop()

    t0 = time.perf_counter()
    win = ReviewWindow(tasks, sid, v)
    win.show()
    run_until(lambda: win.ready)
    win.grab()  # the first full paint of every visible plot
    opened = time.perf_counter() - t0
    open_stall = max(gaps, default=0)
    # scrub the replay from start to end in ``scrub_steps`` moves, one per event-loop turn
    gaps.clear()
    last[0] = clock.elapsed()
    top = win.slider.maximum()
    moves = iter(range(0, top + 1, max(1, top // scrub_steps)))
    finished = [False]

    def scrub() -> None:
        value = next(moves, None)
        if value is None:
            finished[0] = True
            return
        win.slider.setValue(value)
        QTimer.singleShot(1, scrub)

    t1 = time.perf_counter()
    scrub()
    run_until(lambda: finished[0])
    scrubbed = time.perf_counter() - t1
    heart.stop()
    peak = _rss_mib("VmHWM")
    out = {
        "events": float(win.loaded.events) if win.loaded is not None else 0.0,
        "open_s": opened,
        "decode_s": win.timings.get("decode_s", float("nan")),
        "analysis_s": win.timings.get("analysis_s", float("nan")),
        "render_s": win.timings.get("render_s", float("nan")),
        "step_ms": max(win.step_ms, default=0.0),
        "open_stall_ms": float(open_stall),
        "scrub_s": scrubbed,
        "scrub_stall_ms": float(max(gaps, default=0)),
        "rss_before_mib": rss0,
        "peak_rss_mib": peak,
    }
    win.close()
    tasks.shutdown()
    return out


def bench_day(tmp: Path, v: vault.UnlockedVault, day_events: int, scrub_steps: int) -> None:
    import json
    import subprocess

    data_dir = tmp / "data"
    base_events = max(1000, day_events * BASE_S // DAY_S)
    made = {}
    for sid, n, secs in (("base", base_events, BASE_S), ("day", day_events, DAY_S)):
        count, took, size = make_session(data_dir, v, sid, n, secs)
        made[sid] = count
        print(
            f"  made {sid}: {secs / 3600:g} h, {count:,} events, {size / 2**20:.1f} MiB on disk, "
            f"written and compacted in {took:.1f} s"
        )
    figures = {}
    for sid in ("base", "day"):
        proc = subprocess.run(
            [sys.executable, __file__, "--open-child", sid, "--home", str(tmp), "--scrub", str(scrub_steps)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            print(proc.stderr)
            raise SystemExit(f"opening {sid} failed")
        figures[sid] = json.loads(proc.stdout.strip().splitlines()[-1])
    b, d = figures["base"], figures["day"]
    rows = [
        ("time to the first full render", "open_s", "s", 3.0),
        ("  decode (worker)", "decode_s", "s", None),
        ("  analysis (worker)", "analysis_s", "s", None),
        ("  render (GUI thread, in steps)", "render_s", "s", None),
        ("  its longest step", "step_ms", "ms", None),
        ("longest GUI stall while opening", "open_stall_ms", "ms", 50.0),
        (f"scrubbing end to end in {scrub_steps} moves", "scrub_s", "s", None),
        ("longest GUI stall while scrubbing", "scrub_stall_ms", "ms", 50.0),
        ("peak memory of the process", "peak_rss_mib", "MiB", 1536.0),
    ]
    print(f"  {'':40} {'10-min base':>12} {'8-hour day':>12} {'ratio':>7}  goal")
    for name, key, unit, goal in rows:
        ratio = d[key] / b[key] if b[key] else float("nan")
        verdict = "" if goal is None else (f"<= {goal:g} {unit}: " + ("met" if d[key] <= goal else "MISSED"))
        print(f"  {name:40} {b[key]:>9.2f} {unit:<3}{d[key]:>9.2f} {unit:<3} {ratio:>6.1f}x  {verdict}")
    print(
        f"  (events: base {b['events']:,.0f}, day {d['events']:,.0f}; RSS before opening "
        f"{b['rss_before_mib']:.0f} / {d['rss_before_mib']:.0f} MiB)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--sessions", type=int, default=500)
    ap.add_argument(
        "--parts", default="reader,open,list", help="which parts to run (open needs reader; day is apart)"
    )
    ap.add_argument("--day-events", type=int, default=10_000_000, help="events in the 8-hour session")
    ap.add_argument("--scrub", type=int, default=200, help="slider moves when scrubbing the replay")
    ap.add_argument("--open-child", help=argparse.SUPPRESS)
    ap.add_argument("--home", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.open_child:
        import json

        print(json.dumps(open_in_this_process(Path(args.home), args.open_child, args.scrub)))
        return
    tmp = Path(tempfile.mkdtemp(prefix="tl-bench-review-"))
    data_dir = tmp / "data"
    os.environ["TALLYLIGHT_HOME"] = str(tmp)
    v = vault.create_vault("bench", data_dir, params=vault.KdfParams(1, 1, 64))
    print(
        f"# Tallylight review benchmark, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs (shared; noisy)"
    )
    parts = args.parts.split(",")
    if "day" in parts:
        print("\n## a full working day in the review window (issue 21 item 5)")
        bench_day(tmp, v, args.day_events, args.scrub)
        parts.remove("day")
    if not parts:
        return
    t0 = time.perf_counter()
    cols = hour_of_input(args.events)
    print(f"# synthetic hour: {len(cols):,} events in {time.perf_counter() - t0:.1f} s")
    if "reader" in parts or "open" in parts:
        print("\n## reader and compaction")
        bench_reader_and_compaction(data_dir, v, cols)
    if "open" in parts:
        print("\n## opening the review window (compacted session)")
        bench_open(v)
    if "list" in parts:
        print(f"\n## sessions list with {args.sessions} sessions")
        bench_list(data_dir, v, args.sessions)


if __name__ == "__main__":
    main()
