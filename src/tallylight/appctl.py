"""Command-line control of the running tray app (Qt-free client side).

The tray app listens on a local socket (``QLocalServer`` in ``tallylight.ui``);
this module is the plain-socket client the CLI uses, so ``tallylight start``
never imports Qt.

Protocol: one request per connection. The client sends one JSON object on one
line, UTF-8, and reads one JSON object on one line back::

    -> {"cmd": "start", "label": "typing test"}
    <- {"ok": true, "state": "recording", "elapsed_s": 0.0, "counts": {}, ...}
    <- {"ok": false, "error": "No session is recording."}

Commands: ``show`` (bring the app forward; a second ``tallylight`` sends it),
``status``, ``start`` (``label`` and ``study``, a joined study's id, optional), ``pause``,
``resume``, ``stop``, ``task`` (``action`` ``start`` with ``task``, a task id of the
session's study, or ``end``), ``note`` (flag this moment).
A successful reply carries the app's status (see :func:`format_status`).

Transport: on POSIX an ``AF_UNIX`` stream socket at
``paths.runtime_dir() / "app.sock"`` (the directory is private to the user).
A running ``tallylight record`` listens at ``record.sock`` beside it and answers
``status``, ``task`` and ``note`` for its own session
(``tallylight.cli.record_control``); every command but ``show`` asks it first.
On Windows ``QLocalServer`` listens on a named pipe of the same name; a Qt-free
client there would use loopback TCP with a token file in ``runtime_dir()``. That
client is not written yet: on Windows :func:`send` raises :class:`AppNotRunning`
with a message saying so.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tallylight import paths, protocol, words
from tallylight.errors import AppNotRunning, RecorderError
from tallylight.i18n import _
from tallylight.timeouts import APPCTL_REPLY_S
from tallylight.words import ACTIVE_STATES, AppState


def socket_path() -> Path:
    return paths.runtime_dir() / protocol.APP_SOCKET_NAME


def record_socket_path() -> Path:
    return paths.runtime_dir() / protocol.RECORD_SOCKET_NAME


class _NobodyListens(Exception):
    """No process listens at a socket path (no file, or a stale one)."""


def send(command: str, timeout: float = APPCTL_REPLY_S, **fields: Any) -> dict[str, Any]:
    """Send ``command`` to the running session's controller and return its (successful) reply.

    A running ``tallylight record`` answers first (it serves the same requests for its
    own session, docs/APP.md), then the tray app; ``show`` goes to the app only.
    Raises :class:`AppNotRunning` when neither listens, :class:`RecorderError`
    when the one that answers refuses, :class:`UsageError` for an unknown command.
    """
    request = protocol.app_request(command, **fields)  # UsageError for an unknown command
    cmd = protocol.AppRequest.parse(request).cmd
    if sys.platform == "win32" or not hasattr(socket, "AF_UNIX"):
        raise AppNotRunning(_("Controlling the app from the command line is not supported on Windows yet."))
    paths.private_runtime_dir(create=False)  # never talk to a socket in a folder someone else controls
    if cmd != protocol.AppCommand.SHOW:
        try:
            return _checked(_exchange(record_socket_path(), request, timeout))
        except _NobodyListens:
            pass
    try:
        return _checked(_exchange(socket_path(), request, timeout))
    except _NobodyListens as exc:
        if cmd in (protocol.AppCommand.TASK, protocol.AppCommand.NOTE):
            raise AppNotRunning(
                _("No session is recording: neither the Tallylight app nor `tallylight record` is running.")
            ) from exc
        raise AppNotRunning(
            _("Tallylight is not running. Start it with `tallylight` (the tray app) first.")
        ) from exc


def _exchange(path: Path, request: Mapping[str, Any], timeout: float) -> bytes:
    """One request and its reply line at ``path``; _NobodyListens if no process listens there."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError) as exc:
            raise _NobodyListens from exc
        except OSError as exc:
            raise AppNotRunning(
                _("Could not reach the Tallylight app: {value}.").format(value=exc.strerror or exc)
            ) from exc
        try:
            sock.sendall(protocol.encode(request).encode("utf-8"))
            line = protocol.recv_line(sock, protocol.MAX_LINE_BYTES)
            if line is None:
                raise RecorderError(_("The Tallylight app sent an answer that is too long."))
            return line
        except TimeoutError as exc:
            raise RecorderError(_("The Tallylight app did not answer in time.")) from exc
        except OSError as exc:
            raise RecorderError(
                _("The connection to the Tallylight app failed: {exc}.").format(exc=exc)
            ) from exc
    finally:
        sock.close()


def _checked(data: bytes) -> dict[str, Any]:
    """The reply on ``data`` if it says ok; RecorderError with its sentence otherwise."""
    if not data:
        raise RecorderError(_("The Tallylight app closed the connection without answering."))
    try:
        reply = protocol.decode(data)
    except ValueError as exc:
        raise RecorderError(_("The Tallylight app sent an unreadable answer.")) from exc
    status = protocol.AppStatus.parse(reply)
    if not status.ok:
        raise RecorderError(status.error or _("The Tallylight app refused the command."))
    return reply


def format_status(reply: Mapping[str, Any]) -> str:
    """A few plain lines describing a status reply, for the CLI to print."""
    st = protocol.AppStatus.parse(reply)
    lines = [f"State: {st.state}"]
    if st.state in ACTIVE_STATES:
        if st.label:
            lines.append(f"Label: {words.printable(st.label)}")
        lines.append(f"Recorded: {words.clock(st.elapsed_s)}")
        if st.paused_s >= 1 or st.state == AppState.PAUSED:
            lines.append(f"Paused: {words.clock(st.paused_s)}")
        lines.append(f"Captured: {words.counts_summary(st.counts)}")
        if st.options:
            lines.append(f"Capturing: {words.capture_summary(st.options)}")
        for note in st.narrowed:
            lines.append(f"Narrowed: {words.printable(note)}.")
        if st.session_id:
            lines.append(f"Session: {words.printable(st.session_id)}")
        if st.study:
            lines.append(f"Study: {words.printable(st.study)}")
        tasks = {t.id: t.title for t in st.tasks}
        if st.task:
            lines.append(f"Task: {words.printable(tasks.get(st.task, st.task))}")
        elif tasks:
            lines.append(
                f"Tasks: {words.printable(', '.join(tasks))} (start one with `tallylight task start ID`)"
            )
    last = st.last_session
    if st.state == AppState.IDLE and last is not None:
        lines.append(
            "Last session: "
            f"{_last_times(last.summary)}, "
            f"{words.counts_summary(last.summary.counts or {})}"
            + (f" (stopped: {last.reason.replace('_', ' ')})" if last.reason else "")
        )
    if st.message:
        lines.append(words.printable(st.message))
    return "\n".join(lines)


def _last_times(summary: protocol.StopSummary) -> str:
    """Recorded and paused time of a finished session (the app's summary; else the recorder's duration)."""
    if summary.recorded_s is not None:
        return words.recorded_and_paused(summary.recorded_s, summary.paused_s or 0.0)
    return words.clock(summary.duration_s or 0.0)
