"""``tallylight --self-test``: one line per step, 0 only when all passed, nothing recorded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from xserver import trayer

APP = Path(sys.executable).with_name("tallylight")


def self_test(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(APP), "--self-test"], env=env, capture_output=True, text=True, timeout=120)


def test_self_test_passes_with_the_fallback_window_and_records_nothing(xserver, tallylight_home) -> None:
    result = self_test(xserver.env())
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    steps = [line.split(":")[0].split(None, 1) for line in lines[:-1]]
    assert [s[0] for s in steps] == ["ok"] * 9
    assert [s[1] for s in steps] == [
        "resources",
        "capture backends",
        "commands",
        "application",
        "indicator",
        "recorder",
        "review window",
        "capture probe",
        "hook watchdog",
    ]
    assert "fallback window shown" in result.stdout
    assert "-m tallylight.recorder answered" in result.stdout
    assert "ok    hook watchdog: not needed on this system" in result.stdout
    assert lines[-1] == "self-test passed"
    sessions = Path(tallylight_home) / "data" / "sessions"
    assert not sessions.exists() or not any(sessions.iterdir())


def test_self_test_shows_the_tray_icon_in_a_real_tray(xserver) -> None:
    with trayer(xserver):
        result = self_test(xserver.env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok    indicator: tray icon shown" in result.stdout


def test_self_test_fails_when_the_recorder_cannot_start(xserver, tmp_path) -> None:
    env = xserver.env(TALLYLIGHT_RECORDER_CMD=json.dumps([str(tmp_path / "no-such-recorder")]))
    result = self_test(env)
    assert result.returncode == 1
    assert "FAIL  recorder: the recorder did not start" in result.stdout
    assert result.stdout.splitlines()[-1] == "self-test failed: 1 of 9 steps"
