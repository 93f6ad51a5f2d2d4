"""`record`'s closing summary counts what `sessions list` counts (issue 8, item 9)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from xserver import XServer

pytestmark = pytest.mark.x11

TL = [sys.executable, "-m", "tallylight.cli.main"]
PASS = "correct horse battery staple"


def test_record_summary_agrees_with_sessions_list(xserver: XServer) -> None:
    env = xserver.env(TALLYLIGHT_PASSPHRASE=PASS)
    proc = subprocess.Popen(
        [*TL, "record", "--for", "2s"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("● RECORDING IS ON")
    xserver.xdotool("type", "--delay", "30", "abc")
    xserver.xdotool("mousemove", "100", "100", "click", "1")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    listing = subprocess.run([*TL, "sessions", "list"], env=env, capture_output=True, text=True, timeout=60)
    said = re.search(r"Session (\S+): (\d+) events? in all", out)
    assert said, out
    session_id, total = said.group(1), int(said.group(2))
    row = next(line.split() for line in listing.stdout.splitlines() if line.startswith(session_id))
    assert int(row[3]) == total, (out, listing.stdout)  # the same number in both places
    assert "3 key presses" in out
    assert "1 click," in out
    assert "1 clicks" not in out
