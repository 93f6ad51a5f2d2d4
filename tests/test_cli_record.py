"""`tallylight record`: a visible notice, real encrypted sessions, and a summary."""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tallylight.options import CaptureOptions, KeyMode
from xserver import XServer

pytestmark = pytest.mark.x11

TL = [sys.executable, "-m", "tallylight.cli.main"]
PASS = "correct horse battery staple"


def test_record_for_a_while_then_export(xserver: XServer, tmp_path: Path) -> None:
    from tallylight import settings

    # the participant allows exact keys (the ceiling)
    settings.save(settings.Settings(capture=CaptureOptions(keys=KeyMode.FULL)))
    env = xserver.env(TALLYLIGHT_PASSPHRASE=PASS)
    proc = subprocess.Popen(
        [*TL, "record", "--for", "3s", "--keys", "full"],
        env={**env, "TALLYLIGHT_LABEL": "pilot"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("● RECORDING IS ON for 3 s — session ")
    xserver.xdotool("type", "--delay", "30", "ok")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Recording stopped (duration limit)" in out
    assert "key down" in out
    assert "Traceback" not in err
    listing = subprocess.run([*TL, "sessions", "list"], env=env, capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0, listing.stderr
    session_id = out.split("Session ")[1].split(":")[0]
    assert session_id in listing.stdout
    target = tmp_path / "out.csv"
    exported = subprocess.run(
        [*TL, "sessions", "export", session_id, "--format", "csv", "--out", str(target)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(target.open()))
    typed = [r for r in rows if r["kind"] == "key_down"]
    assert [r["key_text"] for r in typed] == ["o", "k"]


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("inherited_ignore", [False, True], ids=["", "sigint-ignored-by-parent"])
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_with_a_summary(xserver: XServer, how: signal.Signals, inherited_ignore: bool) -> None:
    """Also when started with SIGINT ignored (a non-interactive shell's ``&``, nohup): a
    recording stops when asked, whatever it inherited."""
    env = xserver.env(TALLYLIGHT_SINK="memory")
    proc = subprocess.Popen(
        [*TL, "record"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ignore_sigint if inherited_ignore else None,
    )
    assert proc.stdout is not None
    assert "RECORDING IS ON" in proc.stdout.readline()  # its signal handling is set up by then
    proc.send_signal(how)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Recording stopped (participant)" in out
    assert "Traceback" not in err


def test_record_refuses_without_display() -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [*TL, "record", "--for", "1s"], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 3
    assert "No graphical display" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_arguments_are_clear(xserver: XServer) -> None:
    result = subprocess.run(
        [*TL, "record", "--for", "soon"], env=xserver.env(), capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "Cannot read the duration" in result.stderr


def test_no_passphrase_without_terminal_is_clear(xserver: XServer) -> None:
    result = subprocess.run(
        [*TL, "record", "--for", "1s"],
        env=xserver.env(),
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert "passphrase is needed" in result.stderr


def test_a_recorder_killed_under_record_is_explained_and_logged(
    xserver: XServer, tallylight_home: Path
) -> None:
    """issue 17 item 12: the signal, what was kept and the private log are named; the log is 0600."""
    import os
    import stat

    from helpers import children, cmdline, start_record

    proc = start_record(xserver.env(TALLYLIGHT_SINK="memory"), "--for", "60s")
    recorder = next(c for c in children(proc.pid) if "tallylight.recorder" in cmdline(c))
    os.kill(recorder, signal.SIGKILL)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    log = tallylight_home / "state" / "recorder.log"
    assert "The recorder ended unexpectedly: it was ended by the signal SIGKILL" in err, err
    assert f"Details are in {log}" in err
    assert "Traceback" not in err
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert f"recorder pid {recorder} ended unexpectedly" in log.read_text()
