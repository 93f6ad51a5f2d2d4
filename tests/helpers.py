"""Small helpers shared by tests (import as ``from helpers import ...``)."""

from __future__ import annotations

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
                try:
                    self.output += os.read(self.fd, 4096)
                except OSError:
                    pass
        try:
            while chunk := os.read(self.fd, 4096):
                self.output += chunk
        except OSError:
            pass
        os.close(self.fd)
        return self.returncode
