"""`tallylight task start|end`, `tallylight note` and `status` reach a running `tallylight record`.

Issue 20 item 2: they answered "Tallylight is not running" unless the tray app ran. The
real `record` process under a joined study on Xvfb; the commands from another process,
as a participant types them in a second terminal; the markers read back from the store.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from share_helpers import PASS, JoinedStudy, make_vault

from tallylight.events import Kind, Marker
from tallylight.store import sessions as store
from xserver import XServer

pytestmark = pytest.mark.x11
TL = [sys.executable, "-m", "tallylight.cli.main"]


def _tl(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TL, *args], env=env, capture_output=True, text=True, timeout=60)


def test_tasks_notes_and_status_reach_a_running_record(
    xserver: XServer, tmp_path: Path, tallylight_home: Path
) -> None:
    data = tallylight_home / "data"
    vault = make_vault(data)
    study = JoinedStudy(tmp_path, data)
    env = xserver.env(TALLYLIGHT_PASSPHRASE=PASS)
    assert "neither the Tallylight app nor `tallylight record`" in _tl(env, "note").stderr
    proc = subprocess.Popen(
        [*TL, "record", "--study", study.study_id],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "RECORDING IS ON" in proc.stdout.readline()  # its control socket listens by then
        status = _tl(env, "status")
        assert status.returncode == 0, status.stderr
        assert "State: recording" in status.stdout
        assert f"Study: {study.study_id}" in status.stdout
        refused = _tl(env, "task", "start", "no-such-task")
        assert refused.returncode != 0
        assert "copy-text" in refused.stderr  # the recorder names the study's tasks
        started = _tl(env, "task", "start", "copy-text")
        assert started.returncode == 0, started.stderr
        assert "Task: Copy a paragraph" in started.stdout
        xserver.xdotool("type", "--delay", "40", "ab")
        noted = _tl(env, "note")
        assert noted.returncode == 0, noted.stderr
        ended = _tl(env, "task", "end")
        assert ended.returncode == 0, ended.stderr
        again = _tl(env, "task", "end")
        assert again.returncode != 0
        assert "No task is running" in again.stderr
        paused = _tl(env, "pause")  # pausing stays with the window the participant watches
        assert paused.returncode != 0
        assert "runs in `tallylight record`" in paused.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Task started: Copy a paragraph." in err
    assert "Note 1 marked." in err
    assert "Task ended: Copy a paragraph." in err
    sid = out.split("Session ")[1].split(":")[0]
    cols = store.read(sid, vault, data).columns()
    rows = np.flatnonzero(cols.kind == Kind.MARKER)
    marks = [(int(cols.marker[i]), int(cols.reason[i])) for i in rows]
    task = [m for m in marks if m[0] in (Marker.TASK_START, Marker.NOTE, Marker.TASK_END)]
    assert task == [(Marker.TASK_START, 1), (Marker.NOTE, 1), (Marker.TASK_END, 1)]
    start, end = (int(cols.t_ns[i]) for i in rows if cols.marker[i] in (Marker.TASK_START, Marker.TASK_END))
    typed = cols.t_ns[cols.kind == Kind.KEY_DOWN]
    assert len(typed) == 2
    assert start < typed.min()  # the typing is inside the task
    assert typed.max() < end
    # the socket is gone with the session: the next request finds nobody
    assert "neither the Tallylight app nor `tallylight record`" in _tl(env, "note").stderr
