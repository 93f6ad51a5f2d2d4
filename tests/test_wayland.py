"""Under a headless Weston (Debian's ``weston``): no global capture, but the task window works."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import wait_until
from tallylight.events import Marker
from tallylight.store import vault
from tallylight.store.crypto import KdfParams
from task_helpers import join_task_study

HERE = Path(__file__).resolve().parent
pytestmark = pytest.mark.skipif(
    shutil.which("weston") is None, reason="needs Debian's weston (system-deps.sh)"
)
POINTING = """
[[tasks]]
id = "tap"
title = "Click the circles"
instructions = "Click each highlighted circle."
kind = "pointing"
amplitudes_px = [300]
widths_px = [40]
targets_per_circle = 5
sequences_per_condition = 1

"""


@pytest.fixture
def weston(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A headless Weston on its own socket; the environment of a Wayland-only desktop."""
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    env.update(XDG_RUNTIME_DIR=str(runtime), WAYLAND_DISPLAY="wayland-tl", XDG_SESSION_TYPE="wayland")
    proc = subprocess.Popen(
        ["weston", "--backend=headless-backend.so", "--socket=wayland-tl", "--idle-time=0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def ready() -> bool:  # when its socket exists
            assert proc.poll() is None, "weston exited"
            return (runtime / "wayland-tl").exists()

        wait_until(ready, 20, message=lambda: "weston did not create its socket")
        yield env
    finally:
        proc.terminate()
        proc.wait(10)


def test_doctor_says_global_capture_is_unavailable_and_tasks_are(weston: dict[str, str]) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "tallylight"), "doctor"],
        env=weston,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "free tasks (global capture): not available here" in done.stdout
    assert "typing and pointing tasks: available" in done.stdout
    assert "Wayland" in done.stdout


BIN = Path(sys.executable).parent / "tallylight"
PASS = "correct horse battery staple"


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=60)


def _toplevels(log: Path) -> dict[str, list[str]]:
    """What the app asked Weston for, per xdg_toplevel (its own libwayland log, WAYLAND_DEBUG=1):
    the requests' names and arguments, e.g. ``set_title("Click the circles — Tallylight")``."""
    out: dict[str, list[str]] = {}
    for m in re.finditer(r"-> (xdg_toplevel@\d+)\.(\w+\(.*?\))$", log.read_text(errors="replace"), re.M):
        out.setdefault(m.group(1), []).append(m.group(2))
    return out


def _task_window(log: Path) -> list[str] | None:
    """The requests of the toplevel titled as the task, once it is also full screen."""
    for requests in _toplevels(log).values():
        titled = any(r.startswith('set_title("Click the circles') for r in requests)
        if titled and any(r.startswith("set_fullscreen(wl_output@") for r in requests):
            return requests
    return None


@pytest.mark.slow  # a compositor, the whole tray app and a recorder: about 10 s
def test_the_app_runs_a_study_task_window_on_wayland(
    weston: dict[str, str], tallylight_home: Path, tmp_path: Path
) -> None:
    """The real app (no tray on Weston: its main window) starts a study session, which records
    the task window alone, and its study task opens the task window full screen."""
    from tallylight import settings

    vault.create_vault(PASS, params=KdfParams(1, 1, 64))
    study_id = join_task_study(POINTING, typing_text=False)
    settings.save(settings.Settings(welcome_done=True, reminder_every_min=0))
    env = {**weston, "TALLYLIGHT_HOME": str(tallylight_home), "TALLYLIGHT_PASSPHRASE": PASS}
    log = tmp_path / "app.log"
    with log.open("w") as out:
        app = subprocess.Popen(
            [str(BIN)],
            env={**env, "QT_QPA_PLATFORM": "wayland", "WAYLAND_DEBUG": "1"},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(lambda: app.poll() is not None or _cli(env, "status").returncode == 0, timeout=60)
        assert app.poll() is None, log.read_text()[-3000:]
        assert _toplevels(log), "the app showed no window"
        started = _cli(env, "start", "--study", study_id)
        assert started.returncode == 0, started.stdout + started.stderr
        wait_until(lambda: "State: recording" in _cli(env, "status").stdout, timeout=60)
        assert _cli(env, "task", "start", "tap").returncode == 0
        requests = wait_until(lambda: _task_window(log), timeout=60, message=lambda: str(_toplevels(log)))
        assert any(r.startswith("set_fullscreen") for r in requests)
        status = _cli(env, "status").stdout
        assert "Task: Click the circles" in status, status
        assert _cli(env, "stop").returncode == 0
        wait_until(lambda: "State: idle" in _cli(env, "status").stdout, timeout=60)
    finally:
        if app.poll() is None:
            app.terminate()
            app.wait(30)
    from tallylight.store import sessions

    (sid,) = sessions.session_ids()
    data = sessions.read(sid, vault.unlock(PASS))
    cols = data.columns()
    assert data.info is not None
    assert data.info.study_id == study_id
    assert int(Marker.TASK_START) in cols.marker.tolist()


def test_task_run_opens_the_task_window_on_wayland(
    weston: dict[str, str], tallylight_home: Path, tmp_path: Path
) -> None:
    """``tallylight task run`` (its own session, no global capture) under Weston: the window
    opens full screen; when the program goes, the recorder stops and the session is kept."""
    from tallylight.store import sessions

    vault.create_vault(PASS, params=KdfParams(1, 1, 64))
    join_task_study(POINTING, typing_text=False)
    env = {**weston, "TALLYLIGHT_HOME": str(tallylight_home), "TALLYLIGHT_PASSPHRASE": PASS}
    log = tmp_path / "task-run.log"
    with log.open("w") as out:
        run = subprocess.Popen(
            [str(BIN), "task", "run", "tap", "--device", "mouse"],
            env={**env, "QT_QPA_PLATFORM": "wayland", "WAYLAND_DEBUG": "1"},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(
            lambda: run.poll() is not None or _task_window(log),
            timeout=60,
            message=lambda: log.read_text(errors="replace")[-2000:],
        )
        assert run.poll() is None, log.read_text(errors="replace")[-2000:]
    finally:
        run.terminate()  # the visible part goes: capture must stop with it
        run.wait(30)

    def stored() -> list[str]:
        return [s for s in sessions.session_ids() if not sessions.summary(s, None).recording]

    (sid,) = wait_until(stored, timeout=30)
    data = sessions.read(sid, vault.unlock(PASS))
    assert data.info is not None
    assert int(Marker.TASK_START) in data.columns().marker.tolist()
