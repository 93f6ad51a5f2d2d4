"""Issue 7 item 8 for the app: no core dumps, cwd /, and its recorder never sees the passphrase.

The real `tallylight` app process and the recorder it starts, checked through /proc.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_e2e import app_env, control, quit_app, start_app  # noqa: F401 (app_env is a fixture)

from helpers import wait_until

pytestmark = [pytest.mark.x11, pytest.mark.slow]


def core_limit(pid: int) -> str:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max core file size"):
            return " ".join(line.split()[4:6])
    raise AssertionError("no core limit line")


def test_app_and_its_recorder_are_protected(app_env, xserver, tmp_path):  # noqa: F811
    assert "TALLYLIGHT_PASSPHRASE" in app_env
    app = start_app(app_env, tmp_path)
    try:
        assert core_limit(app.pid) == "0 0"
        assert os.readlink(f"/proc/{app.pid}/cwd") == "/"
        control(app_env, "start")
        from test_e2e import _status

        rec = wait_until(lambda: (_status(app_env) or {}).get("recorder_pid"), timeout=10)
        environ = Path(f"/proc/{rec}/environ").read_bytes()
        assert b"TALLYLIGHT_PASSPHRASE" not in environ
        assert core_limit(rec) == "0 0"
        assert os.readlink(f"/proc/{rec}/cwd") == "/"
        control(app_env, "stop")
    finally:
        quit_app(app)
