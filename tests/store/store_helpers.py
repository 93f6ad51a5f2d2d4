"""Helpers shared by the store tests (import as ``from store_helpers import ...``)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helpers import run_cli_in_process
from tallylight.events import Event, SessionInfo, StopReason
from tallylight.options import CaptureOptions, KeyMode
from tallylight.store import writer
from tallylight.store.crypto import KdfParams

CHEAP = KdfParams(iterations=1, lanes=1, memory_kib=64)
PASS = "correct horse battery staple"


def make_info(session_id: str = "s1", label: str = "", mouse_moves: bool = True) -> SessionInfo:
    return SessionInfo(
        session_id,
        1_700_000_000_000_000_000,
        "perf_counter_ns",
        1,
        CaptureOptions(keys=KeyMode.CLASS, mouse_moves=mouse_moves),
        label=label,
        platform="linux",
        app_version="0.1.0",
    )


def write_session(
    data_dir: Path,
    session_id: str,
    batches: Sequence[Sequence[Event]],
    *,
    close: bool = True,
    segment_max_bytes: int = writer.SEGMENT_MAX_BYTES,
    timing: dict[str, Any] | None = None,
    mouse_moves: bool = True,
) -> Path:
    """Write each batch as one sealed record (then ``timing`` as the TIMING record); return the session
    directory."""
    w = writer.open_session(
        make_info(session_id, mouse_moves=mouse_moves),
        data_dir,
        segment_max_bytes=segment_max_bytes,
        seal_interval_s=1e9,
    )
    for b in batches:
        w.write(b)
        w.seal()
    if timing is not None:
        w.note_timing(timing)
    if close:
        w.close(StopReason.PARTICIPANT)
    else:
        w._close_fd()
        w._lock.release()
    return data_dir / "sessions" / session_id


def _sessions_env(passphrase: str | None, env: dict[str, str] | None) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k != "TALLYLIGHT_PASSPHRASE"}
    if passphrase is not None:
        e["TALLYLIGHT_PASSPHRASE"] = passphrase
    e.update(env or {})
    return e


def run_sessions_cli(
    *args: str, passphrase: str | None = PASS, env: dict[str, str] | None = None, input: str = ""
) -> subprocess.CompletedProcess[str]:
    """`tallylight sessions ARGS` as a script runs it (no terminal; passphrase from the
    environment), in this process (helpers.run_cli_in_process)."""
    return run_cli_in_process(["sessions", *args], env=_sessions_env(passphrase, env), input=input)


def run_sessions_cli_process(
    *args: str, passphrase: str | None = PASS, env: dict[str, str] | None = None, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """The same in a new process, for what only a process shows (its working directory, umask)."""
    e = _sessions_env(passphrase, env)
    kwargs.setdefault("input", "")
    return subprocess.run(
        [sys.executable, "-m", "tallylight.cli.main", "sessions", *args],
        capture_output=True,
        text=True,
        env=e,
        timeout=60,
        **kwargs,
    )


def synthetic(n: int, seed: int = 0) -> list[Event]:
    """A small deterministic mix of every kind (used where the exact mix does not matter)."""
    from tallylight import events as ev

    rng = random.Random(seed)
    out: list[Event] = []
    t = 0
    x, y = 500, 400
    for i in range(n):
        t += rng.randint(1000, 20_000_000)
        r = rng.random()
        if r < 0.6:
            x += rng.randint(-5, 5)
            y += rng.randint(-5, 5)
            out.append(ev.move(t, x, y))
        elif r < 0.8:
            out.append(
                ev.key_down(t, ev.KeyClass.LETTER, rng.getrandbits(64), "")
                if i % 2
                else ev.key_up(t, ev.KeyClass.SPACE, rng.getrandbits(32))
            )
        elif r < 0.9:
            out.append(ev.button(t, x, y, ev.Button.LEFT, bool(i % 2)))
        elif r < 0.97:
            out.append(ev.scroll(t, x, y, 0, rng.choice([-1, 1])))
        else:
            out.append(ev.marker(t, ev.Marker.GAP, ev.GapReason.PRIVATE_APP))
    return out


def timing_record() -> dict[str, Any]:
    """A TIMING record as the recorder writes it (docs/FORMAT.md section 12.3) for an X11 session with
    three of six events re-timed; figures fixed so that what a reader shows can be asserted."""
    from tallylight.recorder.timing import SessionTiming

    q = SessionTiming(123_000_000, "perf_counter_ns").quality(2.0)
    q |= {"os_clock": "x11-server-time", "os_clock_resolution_ns": 1_000_000, "retimed": 3}
    q |= {"events_with_os_time": 6, "delivery_lag_p50_us": 50.0, "delivery_lag_p99_us": 850.0}
    q |= {"delivery_lag_max_us": 4150.0, "load_average_start": [0.5, 0.4, 0.3], "cpu_count": 2}
    q |= {"load_average_stop": [0.25, 0.4, 0.3], "notes": ["Three events were re-timed."]}
    q |= {"recorder_cpu_s": 0.0}  # the CPU this process used since SessionTiming: 0.0 or 0.01 at random
    return q
