"""Why a recorder ended without saying ``stopped``: a private log, and one sentence for the participant.

Whoever runs a recorder (the app's controller, ``tallylight record``) keeps the
last lines of its stderr. When it ends unexpectedly, :func:`note_exit` appends
its exit status or signal and those lines to ``recorder.log`` in the state
folder (0600 whatever the umask), and :func:`explain` names the cause and the
log. The recorder never prints captured data; quoted text in its lines (an
exception's repr of a value) is blanked all the same, so no typed character can
reach the log.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tallylight import paths
from tallylight.i18n import N_, _

LOG_NAME = "recorder.log"
#: the log is cut to its newer half beyond this size
MAX_LOG_BYTES = 256 * 1024
#: stderr lines kept per exit
TAIL_LINES = 40
_QUOTED = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*\"""")


@dataclass(frozen=True)
class RecorderExit:
    """How a recorder process ended: ``code`` when it exited, ``signal`` when a signal ended it."""

    pid: int
    code: int | None
    signal: int | None
    stderr: tuple[str, ...] = ()

    @property
    def signal_name(self) -> str:
        if self.signal is None:
            return ""
        try:
            return signal.Signals(self.signal).name
        except ValueError:
            return f"signal {self.signal}"


def scrub(line: str) -> str:
    """A stderr line as the log keeps it: quoted text blanked, at most 300 characters."""
    return _QUOTED.sub("'…'", line.rstrip())[:300]


def cause(ex: RecorderExit) -> str:
    """The cause in plain words (the participant's error and the log's headline)."""
    last = next((scrub(s) for s in reversed(ex.stderr) if s.strip()), "")
    if ex.signal is not None:
        hint = _SIGNAL_HINTS.get(ex.signal_name, "")
        return _("it was ended by the signal {name}{hint}").format(
            name=ex.signal_name, hint=f" ({_(hint)})" if hint else ""
        )
    if last:
        return _("it exited with status {code} after this error: {line}").format(code=ex.code, line=last)
    return _("it exited with status {code} without saying why").format(code=ex.code)


_SIGNAL_HINTS = {
    "SIGKILL": N_("often the system ran out of memory, or another program ended it"),
    "SIGSEGV": N_("a crash in a library it uses"),
    "SIGABRT": N_("a crash in a library it uses"),
    "SIGTERM": N_("another program asked it to end"),
}


def log_path() -> Path:
    return paths.state_dir() / LOG_NAME


def note_exit(ex: RecorderExit, clock: Callable[[], float] = time.time) -> Path | None:
    """Append this exit to the private log; its path, or None if it could not be written."""
    path = log_path()
    when = dt.datetime.fromtimestamp(clock(), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [f"{when} recorder pid {ex.pid} ended unexpectedly: {cause(ex)}"]
    lines += [f"    {scrub(s)}" for s in ex.stderr[-TAIL_LINES:] if s.strip()]
    try:
        paths.ensure_private_dir(path.parent)
        _trim(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            with contextlib.suppress(OSError):
                os.fchmod(fd, 0o600)  # an older file made under another umask
            os.write(fd, ("\n".join(lines) + "\n").encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except Exception:  # noqa: BLE001 - a log we cannot write never hides the error itself
        return None
    return path


def _trim(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.stat().st_size > MAX_LOG_BYTES:
            keep = path.read_bytes()[-MAX_LOG_BYTES // 2 :]
            from tallylight.fsutil import atomic_write

            atomic_write(path, keep[keep.find(b"\n") + 1 :])


def explain(ex: RecorderExit, kept: str = "", logged: Path | None = None) -> str:
    """The participant's sentence: what happened, what was kept, where the details are."""
    text = _("The recorder ended unexpectedly: {cause}.").format(cause=cause(ex))
    if kept:
        text += f" {kept}"
    if logged is not None:
        text += " " + _("Details are in {path}.").format(path=logged)
    return text


def record_and_explain(ex: RecorderExit, kept: str = "") -> str:
    """Log the exit and return what the participant is told (the one call both interfaces make)."""
    return explain(ex, kept, note_exit(ex))


def from_wait_status(pid: int, returncode: int, stderr: Sequence[str]) -> RecorderExit:
    """From ``subprocess``'s returncode (negative: the signal that ended it)."""
    if returncode < 0:
        return RecorderExit(pid, None, -returncode, tuple(stderr))
    return RecorderExit(pid, returncode, None, tuple(stderr))
