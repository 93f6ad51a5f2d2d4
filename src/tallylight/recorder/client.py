"""Starting and talking to a recorder process from plain Python (CLI, tests, benchmarks).

The GUI uses QProcess instead (its pipes are serviced on the Qt main thread);
both speak docs/CONTROL.md.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

from tallylight import protocol
from tallylight.errors import RecorderError
from tallylight.hardening import child_env
from tallylight.i18n import _
from tallylight.protocol import Command, Message, RecorderMessage
from tallylight.recorder import exitlog
from tallylight.reentry import child_argv
from tallylight.timeouts import RECORDER_READY_S

#: the notice this client queues when the recorder's stdout closes (not a protocol message)
EOF = "eof"


class RecorderClient:
    """A recorder child process. Closing our end of its stdin stops it (the heartbeat)."""

    def __init__(self, env: Mapping[str, str] | None = None, python: str | None = None) -> None:
        """``python``: another interpreter to run ``-m tallylight.recorder`` with; by default
        this one's, or the frozen app itself (``tallylight --recorder``)."""
        self._ids = itertools.count(1)
        self._inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.notices: queue.Queue[dict[str, Any]] = queue.Queue()  # unasked messages (stats, errors)
        self._waiting: dict[Any, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        argv = child_argv("tallylight.recorder.process")
        if python is not None:
            argv = [python, "-m", "tallylight.recorder"]
        self.proc = subprocess.Popen(  # noqa: S603 - our own module (child_argv)
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,  # passed on to ours, its tail kept for the exit log
            env=child_env(env),  # never the passphrase
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self._reader = threading.Thread(target=self._read, name="tallylight-recorder-reader", daemon=True)
        self._reader.start()
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=exitlog.TAIL_LINES)
        threading.Thread(target=self._drain_stderr, name="tallylight-recorder-stderr", daemon=True).start()
        ready = self._next_notice(RECORDER_READY_S)
        self.ready = ready
        if RecorderMessage.parse(ready).event != Message.READY:
            raise RecorderError(_("The recorder did not start properly: {ready}").format(ready=ready))

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                msg = protocol.decode(line)
            except ValueError:
                continue
            box = None
            reply_to = RecorderMessage.parse(msg).reply_to
            with self._lock:
                if reply_to is not None:
                    box = self._waiting.pop(reply_to, None)
            (box.put(msg) if box is not None else self.notices.put(msg))
        self.notices.put({"event": EOF})

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr_tail.append(line.rstrip("\n"))
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.write(line)

    def exit_record(self, timeout: float = 5.0) -> exitlog.RecorderExit:
        """How the process ended (waits for it up to ``timeout``, then kills it)."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        return exitlog.from_wait_status(self.proc.pid, code, list(self.stderr_tail))

    def _next_notice(self, timeout: float) -> dict[str, Any]:
        try:
            return self.notices.get(timeout=timeout)
        except queue.Empty:
            raise RecorderError(_("The recorder did not answer in time.")) from None

    def request(self, cmd: Command | str, timeout: float = 10.0, **fields: Any) -> dict[str, Any]:
        """Send a command and wait for its reply; an ``error`` reply raises RecorderError."""
        msg_id = next(self._ids)
        box: queue.Queue[dict[str, Any]] = queue.Queue()
        with self._lock:
            self._waiting[msg_id] = box
        self.send_raw(protocol.command(cmd, msg_id, **fields))
        try:
            reply = box.get(timeout=timeout)
        except queue.Empty:
            if self.proc.poll() is not None:
                raise RecorderError(
                    _("The recorder exited (status {returncode}).").format(returncode=self.proc.returncode)
                ) from None
            raise RecorderError(
                _("The recorder did not answer {cmd!r} in time.").format(cmd=str(cmd))
            ) from None
        parsed = RecorderMessage.parse(reply)
        if parsed.event == Message.ERROR:
            raise RecorderError(parsed.message or _("The recorder refused the command."))
        return reply

    def send_raw(self, msg: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(protocol.encode(msg))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise RecorderError(_("The recorder is no longer running.")) from None

    def wait_for(self, event: str, timeout: float) -> dict[str, Any]:
        """Wait for an unasked message of kind ``event`` (e.g. ``stopped`` after a limit)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RecorderError(_("No {event!r} from the recorder in time.").format(event=event))
            msg = self._next_notice(remaining)
            kind = RecorderMessage.parse(msg).event
            if kind == event:
                return msg
            if kind == EOF:
                raise RecorderError(_("The recorder exited."))

    def close(self, timeout: float = 5.0) -> int:
        """Close the control channel (the recorder stops) and reap the process."""
        return end_child(self.proc, timeout)

    def __enter__(self) -> RecorderClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def end_child(proc: subprocess.Popen[str], timeout: float = 5.0) -> int:
    """Close a child's stdin (for our children: stop now), wait for it, kill it if it will not go."""
    with contextlib.suppress(OSError):
        if proc.stdin is not None:
            proc.stdin.close()
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


__all__ = ["RecorderClient", "end_child"]
