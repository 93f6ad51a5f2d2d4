"""Issue 7 item 5: `tallylight record` records only while it can be seen.

Either its stdin and stdout are an interactive terminal, or its tally-light
window is on screen for the whole session; closing, unmapping or moving that
window off every screen stops recording within a second. Real processes on a
real X server, the window attacked with xdotool.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from helpers import PtyProcess, children, cmdline, pid_alive, wait_until
from xserver import XServer, attack_window

pytestmark = pytest.mark.x11

TL = [sys.executable, "-m", "tallylight.cli.main"]


def child_running(pid: int, module: str) -> int:
    for c in children(pid):
        if module in cmdline(c):
            return c
    return 0


def window_of(xserver: XServer, pid: int) -> str:
    r = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--pid", str(pid)],
        env=xserver.env(),
        capture_output=True,
        text=True,
        timeout=10,
    )
    return r.stdout.split()[0] if r.stdout.split() else ""


def left_on_screen(other: Any, wid: int) -> bool:
    """True if the X server has the window back at its old place after a move off screen."""
    from Xlib.error import XError

    root = other.screen().root
    try:
        at = other.create_resource_object("window", wid).translate_coords(root, 0, 0)
    except XError:  # gone: the tally window quits once it is off screen
        return False
    return bool(-at.x < 1000 and -at.y < 1000)  # the attack moves it to 6000, 6000


def start_record(xserver: XServer, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*TL, "record", *extra],
        env=xserver.env(TALLYLIGHT_SINK="memory"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("attack", ["unmap", "move-off-screen", "destroy"])
def test_hiding_the_tally_window_stops_recording_within_a_second(xserver: XServer, attack: str) -> None:
    """The window is attacked from a second X client opened beforehand (what xdotool's
    windowunmap, windowmove and windowclose send), so starting a program is not timed; the end is
    the recorder's exit, which follows its seal at once (a zombie counts as gone)."""
    from Xlib import display as xdisplay

    proc = start_record(xserver, "--for", "60s")
    other = xdisplay.Display(xserver.display)  # another client, as xdotool is
    try:
        assert proc.stdout is not None
        assert "RECORDING IS ON" in proc.stdout.readline()  # printed once the window is on screen
        window_pid = child_running(proc.pid, "tallylight.ui.tally_window")
        recorder_pid = child_running(proc.pid, "tallylight.recorder")
        assert window_pid
        assert recorder_pid
        wid = wait_until(lambda: window_of(xserver, window_pid), timeout=10)
        attacked = [time.monotonic()]
        attack_window(other, int(wid), attack)

        def recorder_gone() -> bool:
            if not pid_alive(recorder_pid):
                return True
            if attack == "move-off-screen" and left_on_screen(other, int(wid)):
                # the window's own resize (its text grew) carried its old position and undid
                # the move before the window had been off screen: the light stayed in sight, so
                # recording rightly went on. Move it again; the time counts from that move.
                attacked.append(time.monotonic())
                attack_window(other, int(wid), attack)
            return False

        wait_until(recorder_gone, timeout=10, interval=0.01)
        took = time.monotonic() - attacked[-1]
        out, err = proc.communicate(timeout=30)
        print(f"{attack}: recorder gone {took * 1000:.0f} ms after the window was attacked")
        assert took < 1.0, f"recording went on for {took:.2f} s with the tally light hidden"
        assert "Recording stopped (indicator hidden)" in out, (out, err)
        assert "The tally-light window was" in err
        assert "Traceback" not in err
        assert proc.returncode == 0
    finally:
        other.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_record_without_terminal_shows_the_window_for_the_whole_session(xserver: XServer) -> None:
    proc = start_record(xserver, "--for", "2s")
    assert proc.stdout is not None
    assert "RECORDING IS ON" in proc.stdout.readline()
    window_pid = child_running(proc.pid, "tallylight.ui.tally_window")
    assert window_pid
    assert window_of(xserver, window_pid)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Recording stopped (duration limit)" in out, err
    assert not pid_alive(window_pid)  # the light goes off with the session


def test_record_in_a_terminal_shows_its_window_too(xserver: XServer) -> None:
    """issue 17 item 11: a terminal proves nothing about who sees it; the window is shown anyway."""
    p = PtyProcess([*TL, "record", "--for", "2s"], xserver.env(TALLYLIGHT_SINK="memory"))
    p.read_until(b"Press Ctrl-C")
    kids = [cmdline(c) for c in children(p.pid)]
    assert any("tallylight.recorder" in k for k in kids)
    window = [c for c in children(p.pid) if "tally_window" in cmdline(c)]
    assert window
    assert window_of(xserver, window[0])
    assert p.wait(30) == 0
    assert b"Recording stopped (duration limit)" in p.output


def test_a_pseudo_terminal_nobody_sees_does_not_record(xserver: XServer, tmp_path: Path) -> None:
    """`script -qfc "tallylight record …" log &` with no window possible: refused, nothing recorded."""
    import shlex

    env = xserver.env(TALLYLIGHT_SINK="memory", QT_QPA_PLATFORM="no-such-platform")
    log = tmp_path / "typescript"
    command = shlex.join([*TL, "record", "--for", "5s"])
    r = subprocess.run(
        ["script", "-qfec", command, str(log)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
    )
    out = log.read_text(errors="replace")
    assert r.returncode == 3, out
    assert "records only while you can see it" in out
    assert "RECORDING IS ON" not in out


def test_no_window_possible_means_no_recording(xserver: XServer, tallylight_home: Path) -> None:
    env = xserver.env(TALLYLIGHT_SINK="memory", QT_QPA_PLATFORM="no-such-platform")
    r = subprocess.run(
        [*TL, "record", "--for", "5s"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert "records only while you can see it" in r.stderr
    assert "Traceback" not in r.stderr
    assert "RECORDING IS ON" not in r.stdout
