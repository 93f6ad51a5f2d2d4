"""Issue 7 item 11: the runtime folder (socket, lock) is checked with lstat before use.

A link or another user's folder is refused with one sentence, never a traceback;
without XDG_RUNTIME_DIR the folder is in the user's own cache, not in /tmp.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import run_cli_in_process
from tallylight import paths

TL = [sys.executable, "-m", "tallylight.cli.main"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``tallylight ARGS`` as ``main(argv)`` in this process (tests/test_cli_smoke.py runs a process)."""
    return run_cli_in_process(list(args), env=env)


def one_sentence(r: subprocess.CompletedProcess[str], words: str) -> None:
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert words in r.stderr
    assert "Traceback" not in r.stderr
    assert "bug" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_a_linked_runtime_folder_is_refused(tallylight_home: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (tallylight_home / "run").symlink_to(elsewhere)
    one_sentence(run("status"), "is a link")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder to another user")
def test_another_users_runtime_folder_is_refused(tallylight_home: Path) -> None:
    run_dir = tallylight_home / "run"
    run_dir.mkdir(mode=0o700)
    os.chown(run_dir, 54321, 54321)
    one_sentence(run("status"), "belongs to another user")


@pytest.mark.x11
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder to another user")
def test_the_app_refuses_it_too(tallylight_home: Path, xserver) -> None:
    run_dir = tallylight_home / "run"
    run_dir.mkdir(mode=0o700)
    os.chown(run_dir, 54321, 54321)
    r = subprocess.run(
        [str(Path(sys.executable).parent / "tallylight")],
        capture_output=True,
        text=True,
        timeout=60,
        env=xserver.env(QT_QPA_PLATFORM="xcb"),
    )
    one_sentence(r, "belongs to another user")


def test_own_folder_with_loose_permissions_is_tightened(tallylight_home: Path) -> None:
    run_dir = tallylight_home / "run"
    run_dir.mkdir()
    os.chmod(run_dir, 0o777)
    r = run("status")
    assert r.returncode == 7
    assert "not running" in r.stderr
    assert stat.S_IMODE(run_dir.stat().st_mode) == 0o700


def test_without_xdg_runtime_dir_the_folder_is_in_the_users_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TALLYLIGHT_HOME")
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert paths.runtime_dir() == tmp_path / ".cache" / "tallylight" / "run"
    assert not str(paths.runtime_dir()).startswith("/tmp/runtime-")  # noqa: S108 - the path it must avoid
