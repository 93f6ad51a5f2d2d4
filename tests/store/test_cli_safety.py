"""Issue 7 items 1-3: no CLI command destroys, overwrites or creates data by accident."""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from store_helpers import CHEAP, run_sessions_cli, run_sessions_cli_process, synthetic, write_session

from tallylight.store import vault

SRC = Path(__file__).resolve().parents[2] / "src"
PW = "cli pass phrase"


def run(*args: str, home: Path | None = None, umask: int | None = None) -> subprocess.CompletedProcess[str]:
    """``tallylight sessions ARGS`` in this process (``main(argv)``), under ``umask`` if given."""
    with contextlib.ExitStack() as stack:
        if umask is not None:
            stack.callback(os.umask, os.umask(umask))
        return run_sessions_cli(
            *args, passphrase=PW, env={"TALLYLIGHT_HOME": str(home)} if home is not None else None
        )


def run_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The same in a new process: what a relative path means needs the process's own working
    directory, and the real process protection (which moves it to ``/`` after reading paths)."""
    return run_sessions_cli_process(*args, passphrase=PW, cwd=cwd)


@pytest.fixture
def alpha(data_dir: Path) -> Path:
    vault.create_vault(PW, data_dir, params=CHEAP)
    write_session(data_dir, "alpha", [synthetic(50, seed=1)])
    return data_dir


def test_export_never_overwrites_without_force(alpha: Path, tmp_path: Path) -> None:
    out = tmp_path / "precious.txt"
    out.write_text("my thesis\n")
    r = run("export", "alpha", "--out", str(out))
    assert r.returncode == 2
    assert "already exists" in r.stderr
    assert "--force" in r.stderr
    assert out.read_text() == "my thesis\n"
    r = run("export", "alpha", "--out", str(out), "--force")
    assert r.returncode == 0, r.stderr
    assert out.read_text().startswith("t_ms,kind,")
    assert [p.name for p in tmp_path.iterdir()] == ["precious.txt"]  # no temporary file left


def test_export_never_follows_or_writes_through_a_link(alpha: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    link = tmp_path / "link.csv"
    link.symlink_to(victim)
    r = run("export", "alpha", "--out", str(link))
    assert r.returncode == 2
    assert "already exists" in r.stderr
    r = run("export", "alpha", "--out", str(link), "--force")
    assert r.returncode == 0, r.stderr
    assert victim.read_text() == "keep me\n"  # the link was replaced, not followed
    assert not link.is_symlink()
    assert link.read_text().startswith("t_ms,")


@pytest.mark.parametrize("inside", ["vault.json", "sessions/alpha/key", "new.csv", "sessions/x.csv"])
def test_export_never_writes_inside_the_data_dir(alpha: Path, inside: str) -> None:
    before = {p: p.read_bytes() for p in alpha.rglob("*") if p.is_file()}
    r = run("export", "alpha", "--out", str(alpha / inside), "--force")
    assert r.returncode == 2
    assert "data folder" in r.stderr
    assert "Traceback" not in r.stderr
    assert {p: p.read_bytes() for p in alpha.rglob("*") if p.is_file()} == before
    r = run("list")
    assert r.returncode == 0
    assert "complete" in r.stdout


def test_export_inside_data_dir_through_a_relative_path_or_link(alpha: Path, tmp_path: Path) -> None:
    (tmp_path / "d").symlink_to(alpha)
    r = run_process("export", "alpha", "--out", "d/vault.json", "--force", cwd=tmp_path)
    assert r.returncode == 2
    assert "data folder" in r.stderr
    r = run_process("export", "alpha", "--out", "vault.json", "--force", cwd=alpha)
    assert r.returncode == 2
    assert "data folder" in r.stderr
    assert vault.unlock(PW, alpha)


def test_export_file_is_private_whatever_the_umask(alpha: Path, tmp_path: Path) -> None:
    out = tmp_path / "e.csv"
    r = run("export", "alpha", "--out", str(out), umask=0)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_export_dash_is_stdout(alpha: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = run("export", "alpha", "--format", "jsonl", "--out", "-")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 50
    assert r.stdout.startswith('{"t_ms"')
    assert not (tmp_path / "-").exists()


def test_delete_without_terminal_refuses_without_yes(alpha: Path) -> None:
    r = run("delete", "alpha")
    assert r.returncode == 2
    assert "--yes" in r.stderr
    assert "Nothing was deleted" in r.stderr
    assert (alpha / "sessions" / "alpha" / "key").exists()
    r = run("delete", "alpha", "--yes")
    assert r.returncode == 0
    assert not (alpha / "sessions" / "alpha").exists()


def test_delete_asks_on_a_terminal(alpha: Path) -> None:
    import pty

    def ask(answer: bytes) -> tuple[int, bytes]:
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        pid, fd = pty.fork()
        if pid == 0:  # child: stdin/stdout are the terminal
            os.execve(
                sys.executable,
                [sys.executable, "-m", "tallylight.cli.main", "sessions", "delete", "alpha"],
                env,
            )
        out = b""
        while b"[y/N]" not in out:
            out += os.read(fd, 1024)
        os.write(fd, answer)
        try:
            while chunk := os.read(fd, 1024):
                out += chunk
        except OSError:
            pass
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status), out

    code, out = ask(b"n\n")
    assert code == 1
    assert b"Nothing was deleted" in out
    assert (alpha / "sessions" / "alpha").exists()
    code, out = ask(b"y\n")
    assert code == 0
    assert not (alpha / "sessions" / "alpha").exists()


@pytest.mark.parametrize("command", [("list",), ("show", "alpha"), ("export", "alpha", "--out", "-")])
def test_reading_commands_never_create_anything(tmp_path: Path, command: tuple[str, ...]) -> None:
    home = tmp_path / "mistyped-home"
    r = run(*command, home=home)
    assert r.returncode == 6
    assert f"no Tallylight data in {home / 'data'}" in r.stderr
    assert "Traceback" not in r.stderr
    assert not home.exists()
