"""Kill a writer process with SIGKILL at a random moment, recover, check (tests and benchmarks)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tallylight.events import Kind
from tallylight.store import reader, recovery
from tallylight.store.reader import Verdict
from tallylight.store.vault import UnlockedVault

CHILD = Path(__file__).with_name("crash_writer.py")
SRC = Path(__file__).resolve().parents[2] / "src"


@dataclass
class CrashResult:
    session_id: str
    kill_after_s: float  # the newest event the writer had handed on before the kill (s)
    acked: int
    recovered: int
    lost_s: float


def crash_once(
    data_dir: Path, sid: str, rng: random.Random, max_delay: float = 3.0
) -> tuple[str, float, int, int]:
    """Start the writer, kill it at a random moment; return (sid, newest s, acked, t0).

    The moment is the writer's own: once it reports an event of a random time up to
    ``max_delay``, it is killed, and the loss is measured from that event (newest s). The
    test's wall clock would also count how late the writer was scheduled, which it does not
    control."""
    seg_max = rng.choice([2048, 64 << 20])
    max_buf = rng.choice([7, 65536])
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    p = subprocess.Popen(
        [sys.executable, str(CHILD), str(data_dir), sid, str(seg_max), str(max_buf)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert p.stdout is not None
    line = p.stdout.readline()
    if not line.startswith("ready"):
        p.kill()
        raise AssertionError(f"writer did not start: {line!r} {p.stderr.read() if p.stderr else ''}")
    t0 = int(line.split()[1])
    target_ns = int(rng.uniform(0, max_delay) * 1e9)
    newest = 0
    acked = 0
    while newest < target_ns or newest == 0:
        line = p.stdout.readline()
        if not line:
            raise AssertionError(f"writer ended: {p.stderr.read() if p.stderr else ''}")
        if line.startswith("at "):
            newest = int(line.split()[1])
        elif line.startswith("sealed"):
            acked = int(line.split()[1])
    p.send_signal(signal.SIGKILL)
    out, _ = p.communicate()
    for ln in out.splitlines():
        if ln.startswith("sealed"):
            acked = int(ln.split()[1])
    return sid, newest / 1e9, acked, t0


def check_recovered(data_dir: Path, v: UnlockedVault, sid: str, kill_s: float, acked: int) -> CrashResult:
    data = reader.read_session(data_dir / "sessions" / sid, v)
    assert data.report.verdict is Verdict.RECOVERED, (sid, data.report)
    cols = data.columns()
    n = len(cols)
    assert n >= acked, f"{sid}: {acked} events were acknowledged as sealed, only {n} recovered"
    idx = cols.x.astype("int64") + 1000 * cols.y.astype("int64")
    keys = cols.kind == int(Kind.KEY_DOWN)
    idx[keys] = cols.key[keys].astype("int64")
    import numpy as np

    assert np.array_equal(idx, np.arange(n)), f"{sid}: events out of order, duplicated or wrong"
    assert np.all(np.diff(cols.t_ns) >= 0)
    last_t = int(cols.t_ns[-1]) / 1e9 if n else 0.0
    return CrashResult(sid, kill_s, acked, n, kill_s - last_t)


def recover_all(data_dir: Path) -> list[recovery.Recovered]:
    found = recovery.recover_unfinished(data_dir)
    assert recovery.recover_unfinished(data_dir) == []  # idempotent
    return found
