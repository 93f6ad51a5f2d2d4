"""Small helpers shared by tests (import as ``from helpers import ...``)."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any


def wait_until(
    predicate: Callable[[], Any],
    timeout: float = 10.0,
    interval: float = 0.02,
    message: Callable[[], str] | None = None,
) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = f": {message()}" if message else ""
            raise AssertionError(f"condition not met within {timeout} s{detail}")
        time.sleep(interval)


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


class PtyProcess:
    """A process whose stdin and stdout are a real terminal (what a participant's shell gives)."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        import os
        import pty

        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: exec at once
            try:
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.output = b""
        self.returncode: int | None = None

    def read_until(self, needle: bytes, timeout: float = 30.0) -> bytes:
        import os
        import select

        deadline = time.monotonic() + timeout
        while needle not in self.output:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"{needle!r} not seen within {timeout} s; output so far: {self.output!r}"
                )
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.2))
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"{needle!r} not seen before the end; output: {self.output!r}")
                self.output += chunk
        return self.output

    def write(self, data: bytes) -> None:
        import os

        os.write(self.fd, data)

    def wait(self, timeout: float = 30.0) -> int:
        import os
        import select

        deadline = time.monotonic() + timeout
        while self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                os.kill(self.pid, 9)
                raise AssertionError(f"process did not exit within {timeout} s; output: {self.output!r}")
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                with contextlib.suppress(OSError):  # the terminal closed as the process ended
                    self.output += os.read(self.fd, 4096)
        try:
            while chunk := os.read(self.fd, 4096):
                self.output += chunk
        except OSError:
            pass
        os.close(self.fd)
        return self.returncode


class NoHooks:
    """Input hooks that capture nothing (a Session or RecorderProcess without a display)."""

    def __init__(self, *args: object) -> None:
        pass

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (Linux /proc)."""
    from pathlib import Path

    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that just ended
            out += [int(c) for c in (task / "children").read_text().split()]
    return out


def cmdline(pid: int) -> str:
    from pathlib import Path

    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def start_record(env: dict[str, str], *args: str) -> Any:
    """`tallylight record ARGS` without a terminal (so with its tally window), once it says it records."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "tallylight.cli.main", "record", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None, proc.stderr
    assert "RECORDING IS ON" in proc.stdout.readline(), proc.stderr
    return proc


def run_cli_in_process(
    argv: list[str], *, env: dict[str, str] | None = None, input: str = "", lab: bool = False
) -> subprocess.CompletedProcess[str]:
    """``tallylight ARGV`` (or ``tallylight-lab``) run as ``main(argv)`` in this process, with
    what a script gives it: ``env`` as the whole environment, ``input`` on a stdin that is no
    terminal, stdout and stderr captured. The answer has a subprocess's shape.

    Starting a new Python per call made the CLI tests most of `make test-fast`. What only a
    real process shows (the process protection that sessions commands apply, the exit on a
    signal, a terminal) stays with the subprocess tests, one smoke test per command at least
    (tests/test_cli_smoke.py); protection is skipped here: it would chdir pytest to /.
    """
    from unittest import mock

    from tallylight.cli import sessions_cmd, unlock
    from tallylight.cli.main import main as tallylight_main
    from tallylight.lab.main import main as lab_main

    out, err = io.StringIO(), io.StringIO()
    stdin = io.StringIO(input)
    environ = dict(os.environ if env is None else env)
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ, environ, clear=True))
        stack.enter_context(mock.patch.object(sys, "stdin", stdin))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        for module in (sessions_cmd, unlock):
            stack.enter_context(mock.patch.object(module, "protect_process", return_value=None))
        try:
            code = (lab_main if lab else tallylight_main)(argv)
        except SystemExit as exc:  # argparse: --help, a usage error
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    prog = "tallylight-lab" if lab else "tallylight"
    return subprocess.CompletedProcess([prog, *argv], code, out.getvalue(), err.getvalue())


#: the UI tests' QApplication runs the cycle collector on its GUI thread (the main thread) only,
#: as the app does (tallylight.ui.gui_gc); the root conftest gives it a turn after every test
gui_collectors: list[Any] = []
