"""Under a headless Weston (Debian's ``weston``): no global capture, but the task window works."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

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
        deadline = time.monotonic() + 20
        while not (runtime / "wayland-tl").exists():  # ready when its socket exists
            assert proc.poll() is None, "weston exited"
            assert time.monotonic() < deadline, "weston did not create its socket"
            time.sleep(0.02)
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


def test_the_task_window_opens_on_wayland(weston: dict[str, str], tallylight_home: Path) -> None:
    vault.create_vault("correct horse battery staple", params=KdfParams(1, 1, 64))
    join_task_study(POINTING, typing_text=False)
    env = {**weston, "QT_QPA_PLATFORM": "wayland"}
    done = subprocess.run(
        [sys.executable, str(HERE / "wayland_child.py"), "tap"],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    out = done.stdout
    assert "platform wayland" in out, out + done.stderr
    assert "opened " in out, out + done.stderr
    assert "Recording" in out, out + done.stderr
    assert "finished True code 0" in out, out + done.stderr
