"""Acceptance: the X server goes away while `tallylight record` runs (the participant logs out).

The session must end cleanly and the participant must read sentences, never a Python traceback
from the capture threads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tallylight.store import sessions, vault
from xserver import start_xvfb, stop_process

pytestmark = pytest.mark.x11


def test_losing_the_display_ends_the_session_in_sentences(tallylight_home: Path) -> None:
    server = start_xvfb(screen="1280x800x24")
    env = server.env(TALLYLIGHT_PASSPHRASE="pass phrase for tests")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tallylight.cli.main", "record", "--for", "60s"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "RECORDING IS ON" in proc.stdout.readline()
    finally:
        stop_process(server.proc)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert "Exception in thread" not in err, err
    assert "Recording stopped" in out, (out, err)
    assert err.count("Input capture stopped because the connection to the display was lost") == 1, err
    (summary,) = sessions.list_sessions()
    data = sessions.read(summary.session_id, vault.unlock("pass phrase for tests"))
    assert data.report.verdict.value == "complete"
