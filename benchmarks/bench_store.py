"""Session store benchmark: bytes per event and throughput, against two baselines.

    python benchmarks/bench_store.py [--minutes 60] [--seed 1]

The stream is synthetic but shaped like real input (seeded, reproducible):
pointer moves at ~125 Hz along smooth paths with small per-event deltas,
typing bursts with log-normal dwell (~95 ms) and flight (~160 ms) times, clicks
with ~110 ms button dwell, scroll bursts, idle stretches and the odd marker.
Timestamps are perf_counter_ns-style with scheduling jitter; they are shown both
at full ns resolution and quantised to microseconds (what a recorder that
rounds its stamps to 1 µs would store), because nanosecond jitter is noise that
no lossless codec can compress away.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tallylight.events import Event, KeyClass, Kind, SessionInfo, StopReason
from tallylight.options import CaptureOptions
from tallylight.store import encoding, reader, vault, writer

LETTER_CLASSES = (
    [KeyClass.LETTER] * 80
    + [KeyClass.SPACE] * 15
    + [KeyClass.BACKSPACE_DELETE] * 3
    + [KeyClass.PUNCTUATION] * 4
    + [KeyClass.ENTER] * 1
    + [KeyClass.DIGIT] * 2
)


def realistic_stream(minutes: float, seed: int, quantum_ns: int = 1, key_mode: str = "class") -> list[Event]:
    rng = random.Random(seed)
    end = int(minutes * 60e9)
    t = 0
    x, y = 960, 540
    out: list[Event] = []

    def stamp(v: float) -> int:
        return int(v) // quantum_ns * quantum_ns

    def key(kc: KeyClass) -> int:
        return rng.getrandbits(32) if key_mode == "hashed" else 0

    while t < end:
        activity = rng.random()
        if activity < 0.55:  # a pointer movement, possibly ending in a click
            tx = min(1919, max(0, x + int(rng.gauss(0, 400))))
            ty = min(1079, max(0, y + int(rng.gauss(0, 250))))
            dur = rng.uniform(0.25, 1.5)
            steps = max(2, int(dur * 125))
            x0, y0 = x, y
            for s in range(1, steps + 1):
                f = s / steps
                ease = (1 - math.cos(math.pi * f)) / 2  # bell-shaped velocity
                nx = round(x0 + (tx - x0) * ease + rng.gauss(0, 0.6))
                ny = round(y0 + (ty - y0) * ease + rng.gauss(0, 0.6))
                t += 8_000_000 + int(rng.gauss(0, 60_000))  # 125 Hz with scheduling jitter
                if (nx, ny) != (x, y):
                    x, y = nx, ny
                    out.append(Event(stamp(t), Kind.MOVE, x=x, y=y))
            if rng.random() < 0.5:
                t += int(rng.uniform(80e6, 400e6))
                b = 1 if rng.random() < 0.9 else 3
                out.append(Event(stamp(t), Kind.BUTTON_DOWN, x=x, y=y, button=b))
                t += int(rng.lognormvariate(math.log(110e6), 0.3))
                out.append(Event(stamp(t), Kind.BUTTON_UP, x=x, y=y, button=b))
        elif activity < 0.8:  # a typing burst
            for _ in range(rng.randint(3, 60)):
                kc = rng.choice(LETTER_CLASSES)
                k = key(kc)
                t += int(rng.lognormvariate(math.log(160e6), 0.45))
                down = t
                out.append(Event(stamp(down), Kind.KEY_DOWN, key_class=int(kc), key=k))
                up = down + int(rng.lognormvariate(math.log(95e6), 0.3))
                out.append(Event(stamp(up), Kind.KEY_UP, key_class=int(kc), key=k))
                t = max(t, up - int(60e6))  # overlap (rollover) happens
        elif activity < 0.9:  # scrolling
            d = rng.choice([-1, 1])
            for _ in range(rng.randint(2, 25)):
                t += int(rng.uniform(15e6, 60e6))
                out.append(Event(stamp(t), Kind.SCROLL, x=x, y=y, dy=d))
        else:  # idle
            t += int(rng.expovariate(1 / 4e9))
            if rng.random() < 0.05:
                out.append(Event(stamp(t), Kind.MARKER, marker=5, reason=2))
    out.sort(key=lambda e: e.t_ns)
    return out


def per_second(events: list[Event]) -> list[list[Event]]:
    """What the recorder does: one seal per second of activity."""
    batches: list[list[Event]] = []
    cur: list[Event] = []
    edge = 1_000_000_000
    for e in events:
        if e.t_ns >= edge:
            if cur:
                batches.append(cur)
                cur = []
            edge = (e.t_ns // 1_000_000_000 + 1) * 1_000_000_000
        cur.append(e)
    if cur:
        batches.append(cur)
    return batches


def _json_line(e: Event, compact: bool) -> str:
    d = {k: v for k, v in e._asdict().items() if v or k == "t_ns" or not compact}
    d["kind"] = e.kind.name.lower()
    return json.dumps(d, separators=(",", ":")) + "\n"


def jsonl_gz_bytes(events: list[Event], path: Path, *, compact: bool = True) -> int:
    """The easy baseline: one gzip stream over the whole file (not crash-safe)."""
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for e in events:
            fh.write(_json_line(e, compact))
    return path.stat().st_size


def jsonl_gz_flushed_bytes(batches: list[list[Event]]) -> int:
    """Same durability as the store: the gzip stream is flushed once a second."""
    import zlib

    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    n = 0
    for b in batches:
        n += len(c.compress("".join(_json_line(e, False) for e in b).encode()))
        n += len(c.flush(zlib.Z_SYNC_FLUSH))
    return n + len(c.flush())


def sqlite_bytes(events: list[Event], path: Path) -> int:
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE ev (t_ns INTEGER, kind INTEGER, x INTEGER, y INTEGER, button INTEGER, dx INTEGER,"
        " dy INTEGER, key_class INTEGER, key INTEGER, text TEXT, marker INTEGER, reason INTEGER)"
    )
    con.executemany(
        "INSERT INTO ev VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            (
                e.t_ns,
                int(e.kind),
                e.x,
                e.y,
                e.button,
                e.dx,
                e.dy,
                e.key_class,
                e.key if e.key < 1 << 63 else e.key - (1 << 64),
                e.text,
                e.marker,
                e.reason,
            )
            for e in events
        ],
    )
    con.commit()
    con.execute("VACUUM")
    con.close()
    return path.stat().st_size


def store_session(data_dir: Path, sid: str, batches: list[list[Event]]) -> tuple[int, float]:
    info = SessionInfo(sid, time.time_ns(), "perf_counter_ns", 1, CaptureOptions())
    t = time.process_time()
    w = writer.open_session(info, data_dir, seal_interval_s=1e12)
    for b in batches:
        w.write(b)
        w.seal()
    w.close(StopReason.PARTICIPANT)
    cpu = time.process_time() - t
    size = sum(p.stat().st_size for p in (data_dir / "sessions" / sid).iterdir())
    return size, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tl-bench-"))
    v = vault.create_vault("bench", tmp, params=vault.KdfParams(1, 1, 64))
    print(f"# Tallylight store benchmark: {args.minutes:g} min of synthetic activity, seed {args.seed}")
    print(
        f"# python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"zlib raw DEFLATE level {encoding.DEFLATE_LEVEL}"
    )
    for label, quantum, mode in (
        ("ns stamps, class keys", 1, "class"),
        ("µs stamps, class keys", 1000, "class"),
        ("µs stamps, hashed keys", 1000, "hashed"),
        ("100 µs stamps, class keys", 100_000, "class"),
        ("1 ms stamps, class keys", 1_000_000, "class"),
    ):
        evs = realistic_stream(args.minutes, args.seed, quantum, mode)
        n = len(evs)
        kinds = {k.name.lower(): sum(1 for e in evs if e.kind == k) / n for k in Kind}
        batches = per_second(evs)
        sid = f"s{quantum}{mode}"
        size, cpu = store_session(tmp, sid, batches)
        gz = jsonl_gz_bytes(evs, tmp / f"{sid}.jsonl.gz")
        gz_full = jsonl_gz_bytes(evs, tmp / f"{sid}.full.jsonl.gz", compact=False)
        gz_flush = jsonl_gz_flushed_bytes(batches)
        sq = sqlite_bytes(evs, tmp / f"{sid}.sqlite")
        print(
            f"\n## {label}: {n} events, {len(batches)} one-second records, "
            + ", ".join(f"{k} {v:.0%}" for k, v in kinds.items() if v)
        )
        print(f"  tallylight store : {size / n:6.2f} bytes/event ({size} B incl. key file, headers, tags)")
        for what, other in (
            ("gzip'd JSON lines, zero fields dropped, one stream", gz),
            ("gzip'd JSON lines, all fields, one stream        ", gz_full),
            ("gzip'd JSON lines, all fields, flushed every 1 s ", gz_flush),
            ("SQLite, a row per event (VACUUMed)               ", sq),
        ):
            print(f"  {what}: {other / n:6.2f} bytes/event -> store {other / size:.1f}x smaller")
        print(f"  writer, 1 s records (fdatasync each): {n / cpu:,.0f} events/s of CPU")

    # throughput on a large stream
    evs = realistic_stream(args.minutes * 4, args.seed + 1, 1000, "class")
    n = len(evs)
    big = [evs[i : i + 65536] for i in range(0, n, 65536)]
    t = time.perf_counter()
    size, cpu = store_session(tmp, "bigw", big)
    wall = time.perf_counter() - t
    print(f"\n## throughput, {n} events")
    print(f"  writer, 65536-event records: {n / cpu:,.0f} events/s CPU ({n / wall:,.0f}/s wall, incl. fsync)")
    t = time.perf_counter()
    for b in big:
        encoding.encode_block(b)
    print(f"  encode+compress only       : {n / (time.perf_counter() - t):,.0f} events/s")
    store_session(tmp, "bigr", per_second(evs))
    for sid, what in (("bigr", "1 s records"), ("bigw", "65536-event records")):
        t = time.perf_counter()
        data = reader.read_session(tmp / "sessions" / sid, v)
        t_verify = time.perf_counter() - t
        cols = data.columns()
        t_all = time.perf_counter() - t
        assert len(cols) == n
        assert data.report.verdict is reader.Verdict.COMPLETE
        print(
            f"  reader, {what:<19}: {n / t_all:,.0f} events/s into numpy columns "
            f"(verify+decompress {t_verify:.2f} s, decode {t_all - t_verify:.2f} s)"
        )
    t = time.perf_counter()
    k = sum(1 for _ in cols.events())
    print(f"  Event tuple iterator       : {k / (time.perf_counter() - t):,.0f} events/s")


if __name__ == "__main__":
    main()
