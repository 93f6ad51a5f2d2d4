"""`tallylight doctor --timing`: inject, record, compare — or say plainly why it cannot."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tallylight.recorder.selftest import injection_possible
from xserver import XServer, xvfb

pytestmark = pytest.mark.x11


def doctor_timing(display: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "XDG_SESSION_TYPE")}
    env["DISPLAY"] = display
    return subprocess.run(
        [sys.executable, "-m", "tallylight.cli.main", "doctor", "--timing"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_timing_self_test_reports_interval_errors(xserver: XServer) -> None:
    result = doctor_timing(xserver.display)
    assert result.returncode in (0, 1), result.stdout + result.stderr  # 1 = coarser than 1 ms (busy box)
    out = result.stdout
    assert re.search(r"Injected 40 key events \(Shift\) and 3[01] pointer moves", out), out
    assert "Recorded intervals against the injected ones: p50 " in out
    assert " p99 " in out
    assert "OS clock: x11-server-time" in out
    assert ("Timing is good" in out) == (result.returncode == 0)
    assert "Traceback" not in result.stderr


def test_without_xtest_it_says_why() -> None:
    with xvfb("-extension", "XTEST") as server:
        result = doctor_timing(server.display)
        why = injection_possible({"DISPLAY": server.display})
    # (this Xvfb then lacks RECORD too, so the capture check says so first)
    assert result.returncode == 3
    assert "Recording is not possible here" in result.stderr
    assert "Traceback" not in result.stderr
    assert why == "The X server lacks the XTEST extension, so the timing self-test cannot inject input."


def test_wayland_and_no_display_are_sentences() -> None:
    assert "Wayland" in injection_possible({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"})
    assert "DISPLAY is not set" in injection_possible({})
