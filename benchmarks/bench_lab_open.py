"""Researcher benchmark: ``tallylight-lab open`` — wall time, rows/s per worker, parallel speed-up.

    python benchmarks/bench_lab_open.py [--bundles 1000] [--events 100000]

The issue's scale is 1,000 bundles x 100,000 events (10^8 rows, about 0.9 GB of
Parquet per pass, 0.9 GB of bundles; the datasets are deleted one after the other);
on a small machine pass fewer bundles (the rates do not depend on the count once
there are more bundles than workers).

Makes ``--bundles`` bundles (one participant and one session each, ``--events``
events of bench_store's synthetic stream; eight distinct event windows are
shared among them, but each bundle is built, signed by its own participant key
and encrypted, which is all ``lab open`` checks), checked against a real signed
manifest, then opens them all into a fresh dataset with one worker, with two and
with one per core (the real CLI, in this process; bundles opened in limited
worker processes), and checks with DuckDB that every row arrived. The baseline is
pyarrow's CSV reader alone on one bundle's events.csv, in this process, measured before each
run: with its own threads, in one thread, and per CPU second. Each run prints
its rows/s per worker against the first two, with the load average before and
after it, and the CPU seconds of all its processes (per row, and against the
third): on a shared machine the wall figures follow the load, the CPU ones much
less. The speed-up of each run with more workers is printed as a share of
linear, and its CPU per row against the one-worker run. Start-up (the fork
server, the parent's imports) is in every figure: with few bundles it weighs.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import hashlib
import io
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[0] / "src"))
sys.path.insert(0, str(HERE))

import duckdb  # noqa: E402
import psutil  # noqa: E402  (comes with dask[distributed], in the lab extra)
import pyarrow.csv as pacsv  # noqa: E402
from bench_store import realistic_stream  # noqa: E402

from tallylight.events import SessionInfo, StopReason  # noqa: E402
from tallylight.lab.main import main as lab  # noqa: E402
from tallylight.options import CaptureOptions, KeyMode  # noqa: E402
from tallylight.share import bundle  # noqa: E402
from tallylight.share.bundle import BundleInputs, SessionPart, StudyRef  # noqa: E402
from tallylight.store.encoding import decode_payloads, encode_payload  # noqa: E402
from tallylight.study import keys, signing, template  # noqa: E402
from tallylight.study import manifest as mf  # noqa: E402


@dataclasses.dataclass
class Bare:
    threads: float  # rows/s, the reader with its own threads
    one_thread: float  # rows/s, the reader in one thread (what one worker could do at most)
    per_cpu_s: float  # rows per CPU second (with its threads)


def baseline(csv_bytes: bytes) -> Bare:
    """pyarrow's CSV reader alone on one events.csv: rows/s with threads, in one thread, per CPU s."""
    figures = []
    for threads in (True, False):
        opts = pacsv.ReadOptions(use_threads=threads)
        reps, t, c = 0, time.perf_counter(), time.process_time()
        while reps < 3 or time.perf_counter() - t < 2.0:
            rows_read = pacsv.read_csv(io.BytesIO(csv_bytes), read_options=opts).num_rows
            reps += 1
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        figures.append((rows_read * reps / wall, rows_read * reps / cpu))
    return Bare(figures[0][0], figures[1][0], figures[0][1])


class CpuMeter:
    """CPU seconds used by this process and every process under it (the workers and their fork
    server), sampled every 0.1 s, less the sampling's own: a worker is counted up to its last
    sample before it ends (workers live for the whole run, so that is little)."""

    def __init__(self) -> None:
        self.seen: dict[int, float] = {}
        self.own = 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CpuMeter:
        self.me = psutil.Process()
        self.start = sum(self.me.cpu_times()[:2])
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop.wait(0.1):
            with contextlib.suppress(psutil.Error):
                for proc in self.me.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        self.seen[proc.pid] = sum(proc.cpu_times()[:2])
        self.own = time.thread_time()

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        mine = sum(self.me.cpu_times()[:2]) - self.start - self.own
        self.seconds = mine + sum(self.seen.values())


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--bundles", type=int, default=1000)
    p.add_argument("--events", type=int, default=100_000)
    a = p.parse_args()
    cores = os.cpu_count() or 1
    print(f"# lab open benchmark: {a.bundles} bundles x {a.events:,} events, {cores} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        pair = keys.generate(root / "keys")
        study_id = str(uuid.uuid4())
        today = datetime.date.today()
        body = template.render(recipient=pair.recipient, today=today, study_id=study_id).encode()
        (root / "study.toml").write_bytes(signing.sign(body, keys.load_signing_key(root / "keys")))
        signed = mf.load((root / "study.toml").read_bytes())
        ref = StudyRef(study_id, signed.hash, (pair.recipient,), "bench", 1)
        minutes = 60.0
        stream = realistic_stream(minutes, 1, quantum_ns=100_000, key_mode="hashed")
        while len(stream) < a.events + 8 * 997:  # every window full: --events events in each bundle
            minutes *= 1.5
            stream = realistic_stream(minutes, 1, quantum_ns=100_000, key_mode="hashed")
        inbox = root / "inbox"
        inbox.mkdir()
        t0 = time.perf_counter()
        total = 0
        windows = []  # a few distinct event windows, shared by the bundles (each is still
        # built, signed by its own participant key and encrypted: what lab open checks)
        for w in range(min(a.bundles, 8)):
            start = w * 997
            evs = stream[start : start + a.events]
            base = evs[0].t_ns
            evs = [e._replace(t_ns=e.t_ns - base) for e in evs]
            windows.append((len(evs), decode_payloads([encode_payload(evs)])))
        for i in range(a.bundles):
            n_events, cols = windows[i % len(windows)]
            info = SessionInfo(
                f"s{i:04d}", time.time_ns(), "perf_counter_ns", 1, CaptureOptions(keys=KeyMode.HASHED)
            )
            info = dataclasses.replace(info, study_id=study_id)
            part = SessionPart(info, "complete", "", cols, StopReason.PARTICIPANT)
            seed = hashlib.sha256(f"bench participant {i}".encode()).digest()
            inputs = BundleInputs(
                ref, f"p{i:04d}", {"consent_id": "x"}, [part], "bench", participant_key=seed
            )
            enc = bundle.encrypt(bundle.build(inputs), [pair.recipient])
            (inbox / enc.filename).write_bytes(enc.data)
            total += n_events
            if (i + 1) % 100 == 0 and i + 1 < a.bundles:
                print(f"  {i + 1} bundles made, {time.perf_counter() - t0:.0f} s", flush=True)
        print(f"made {a.bundles} bundles ({total:,} events) in {time.perf_counter() - t0:.1f} s")

        # the baseline: pyarrow's CSV reader alone on one bundle's events.csv, in this process,
        # measured again right before each run (the load on a shared machine changes)
        from tallylight.share import agecrypt
        from tallylight.share.bundle import open_plaintext

        first = next(iter(sorted(inbox.iterdir())))
        identities = agecrypt.identities_from_text((root / "keys" / keys.IDENTITY).read_text())
        csv_bytes = next(
            iter(open_plaintext(agecrypt.decrypt(first.read_bytes(), identities)).events.values())
        )

        results: dict[int, float] = {}
        cpu_per_row: dict[int, float] = {}
        for jobs in sorted({1, 2, cores}):
            bare = baseline(csv_bytes)
            print(
                f"baseline: pyarrow.csv.read_csv alone, {bare.threads:,.0f} rows/s with its own threads, "
                f"{bare.one_thread:,.0f} rows/s in one thread, {bare.per_cpu_s:,.0f} rows per CPU second "
                f"({1e9 / bare.per_cpu_s:.0f} ns of CPU per row)"
            )
            load = os.getloadavg()[0]
            out = root / f"dataset-{jobs}"
            args = ["open", str(inbox), "--identity", str(root / "keys" / keys.IDENTITY), "--out", str(out)]
            t = time.perf_counter()
            with CpuMeter() as cpu:
                assert (
                    lab([*args, "--manifest", str(root / "study.toml"), "--jobs", str(jobs), "--quiet"]) == 0
                )
            wall = time.perf_counter() - t
            with duckdb.connect() as con:
                rows = con.execute(
                    f"select count(*) from read_parquet('{out}/events/**/*.parquet', hive_partitioning=true)"
                ).fetchall()[0][0]
            assert rows == total, (rows, total)
            results[jobs] = wall
            per = total / wall / jobs
            rate = f"{total / wall:,.0f} rows/s, {per:,.0f} per worker, {a.bundles / wall:.1f} bundles/s"
            loads = f"load average {load:.2f} -> {os.getloadavg()[0]:.2f}"
            print(f"--jobs {jobs}: {wall:6.2f} s wall, {rate} ({loads})")
            print(
                f"  per worker: {per / bare.threads:.2f}x the reader with its threads, "
                f"{per / bare.one_thread:.2f}x the reader in one thread"
            )
            per_cpu = total / cpu.seconds if cpu.seconds else float("nan")
            cpu_per_row[jobs] = cpu.seconds / total
            print(
                f"  CPU: {cpu.seconds:.1f} s in all processes, {1e9 * cpu.seconds / total:.0f} ns per row, "
                f"{per_cpu:,.0f} rows per CPU second = {per_cpu / bare.per_cpu_s:.2f}x the reader's "
                "(a load-independent figure)"
            )
            shutil.rmtree(out)  # the disk holds one dataset at a time
        for jobs in sorted(results)[1:]:
            speed_up = results[1] / results[jobs]
            print(f"speed-up with {jobs} workers: {speed_up:.2f}x ({speed_up / jobs:.2f} of linear)")
            # what parallel work costs on top, whatever the load: 1.00 = each worker as cheap as one alone
            print(
                f"CPU per row with {jobs} workers: {cpu_per_row[jobs] / cpu_per_row[1]:.2f}x that with one "
                "(the speed-up idle cores would give is about the workers over this)"
            )
    print("# noisy: other processes share these cores")


if __name__ == "__main__":
    main()
