"""`tallylight doctor`: the right verdict for each environment, never a hang."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from helpers import run_cli_in_process
from tallylight.capture.probe import X_TIMEOUT_S, probe
from xserver import XServer, xvfb


def doctor(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``tallylight doctor`` as ``main(argv)`` in this process, in ``env`` (the display
    variables of this process removed); tests/test_cli_smoke.py runs it as a process."""
    full = {
        k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE")
    }
    full.update(env)
    return run_cli_in_process(["doctor"], env=full)


def test_no_display() -> None:
    result = doctor({})
    assert result.returncode == 3
    assert "No graphical display" in result.stdout
    assert "Traceback" not in result.stderr


def test_wayland_without_xwayland() -> None:
    result = doctor({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"})
    assert result.returncode == 3
    assert "Wayland session without XWayland" in result.stdout


def test_refused_display() -> None:
    result = doctor({"DISPLAY": ":4711"})
    assert result.returncode == 3
    assert "Could not connect to the X display ':4711'" in result.stdout


@pytest.fixture
def silent_x_port() -> Iterator[int]:
    """A loopback port in the X range that accepts connections and never answers."""
    sock = socket.socket()
    for port in range(6100, 6200):
        try:
            sock.bind(("127.0.0.1", port))
            break
        except OSError:
            continue
    else:
        pytest.fail("no free port in 6100-6199")
    sock.listen(4)
    try:
        yield port
    finally:
        sock.close()


@pytest.mark.slow  # it waits out the probe's timeout
def test_display_that_never_answers_does_not_hang(silent_x_port: int) -> None:
    started = time.monotonic()
    result = probe({"DISPLAY": f"127.0.0.1:{silent_x_port - 6000}"})
    assert time.monotonic() - started < X_TIMEOUT_S + 2
    assert result.status == "unavailable"
    assert "did not answer" in result.summary


def test_working_display(xserver: XServer) -> None:
    result = doctor({"DISPLAY": xserver.display})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "works" in result.stdout
    assert "RECORD" in result.stdout


def test_xwayland_is_limited(xserver: XServer) -> None:
    result = doctor({"DISPLAY": xserver.display, "WAYLAND_DISPLAY": "wayland-0"})
    assert result.returncode == 1
    assert "only while an XWayland" in result.stdout


@pytest.mark.x11  # it starts an X server of its own
def test_x_server_without_record() -> None:
    with xvfb("-extension", "RECORD") as server:
        result = doctor({"DISPLAY": server.display})
    assert result.returncode == 3
    assert "lacks the RECORD extension" in result.stdout


def test_other_platforms_say_something() -> None:
    assert probe({}, platform="win32").status == "ok"
    assert probe({}, platform="plan9").status == "unavailable"
