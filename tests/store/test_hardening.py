"""Issue 7 item 8: no core dumps while secrets are in memory, and no passphrase in the recorder's environment.

Checked on the real processes through /proc (limits, cwd, environ) and, for
PR_SET_DUMPABLE (which /proc does not show to root), the recorder's own report.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import children, start_record, wait_until
from tallylight.recorder.client import RecorderClient
from xserver import XServer

PASS = "correct horse battery staple"


def core_limit(pid: int) -> str:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max core file size"):
            return " ".join(line.split()[4:6])
    raise AssertionError("no core limit line")


def environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(kv.decode(errors="replace").split("=", 1) for kv in raw if b"=" in kv)


@pytest.mark.x11
def test_recorder_dumps_no_core_and_never_sees_the_passphrase(xserver: XServer, tmp_path: Path) -> None:
    env = xserver.env(TALLYLIGHT_SINK="memory", TALLYLIGHT_PASSPHRASE=PASS)
    with RecorderClient(env=env) as rec:
        pid = rec.pid
        assert core_limit(pid) == "0 0"
        assert os.readlink(f"/proc/{pid}/cwd") == "/"
        assert "TALLYLIGHT_PASSPHRASE" not in environ(pid)
        assert PASS.encode() not in Path(f"/proc/{pid}/environ").read_bytes()
        protected = rec.ready["protected"]
        assert protected == {"core_limit": [0, 0], "dumpable": 0, "cwd": "/"}
        rec.request("start", options={"keys": "class"})
        rec.request("stop")


@pytest.mark.x11
def test_record_command_keeps_the_passphrase_from_its_recorder(
    xserver: XServer, tallylight_home: Path
) -> None:
    proc = start_record(xserver.env(TALLYLIGHT_PASSPHRASE=PASS), "--for", "20s")
    try:
        kids = children(proc.pid)
        assert len(kids) == 2  # the recorder and the tally window
        for kid in kids:
            assert "TALLYLIGHT_PASSPHRASE" not in environ(kid)
        # the CLI itself had the passphrase in memory (it created the vault): no core, cwd /
        assert core_limit(proc.pid) == "0 0"
        assert os.readlink(f"/proc/{proc.pid}/cwd") == "/"
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_cli_with_an_unlocked_vault_dumps_no_core(data_dir: Path, tmp_path: Path) -> None:
    from store_helpers import CHEAP, synthetic, write_session

    from tallylight.store import vault

    vault.create_vault(PASS, data_dir, params=CHEAP)
    write_session(data_dir, "big", [synthetic(30_000, seed=3)])
    env = {**os.environ, "TALLYLIGHT_PASSPHRASE": PASS}
    # stdout is a pipe nobody reads: the export blocks on it while the vault is unlocked
    proc = subprocess.Popen(
        [sys.executable, "-m", "tallylight.cli.main", "sessions", "export", "big", "--out", "-"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    try:
        # protection ends with the chdir to /: the core limit is set by then
        wait_until(lambda: os.readlink(f"/proc/{proc.pid}/cwd") == "/", timeout=30)
        assert proc.poll() is None
        assert core_limit(proc.pid) == "0 0"
    finally:
        proc.kill()
        proc.communicate()
