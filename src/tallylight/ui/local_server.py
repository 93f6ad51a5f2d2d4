"""The app side of ``tallylight.appctl``: a QLocalServer on runtime_dir()/app.sock."""

from __future__ import annotations

import logging
import os
import socket
import struct
import sys
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from tallylight import appctl, paths, protocol, words
from tallylight.errors import UsageError
from tallylight.protocol import AppCommand, AppRequest
from tallylight.timeouts import APP_REPLY_S
from tallylight.ui.controller import AppController
from tallylight.words import AppState

log = logging.getLogger(__name__)


class ControlServer(QObject):
    def __init__(
        self,
        controller: AppController,
        bring_forward: Callable[[], None],
        parent: QObject | None = None,
        *,
        precheck_start: Callable[[Callable[[str], None]], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.bring_forward = bring_forward
        #: precheck_start(done) calls done("") when a session may start, else done(reason)
        self.precheck_start = precheck_start
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._on_new_connection)
        self._buffers: dict[QLocalSocket, bytearray] = {}
        self._closed: list[QLocalSocket] = []  # connections that ended, deleted by _reap

    def listen(self) -> bool:
        path = appctl.socket_path()
        paths.private_runtime_dir()
        QLocalServer.removeServer(str(path))  # a stale socket file from a crashed app
        ok = self.server.listen(str(path))
        if not ok:
            log.error("cannot listen on %s: %s", path, self.server.errorString())
        return ok

    def close(self) -> None:
        self.server.close()

    @Slot()
    def _on_new_connection(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            self._buffers[sock] = bytearray()
            sock.readyRead.connect(self._on_readable)
            sock.disconnected.connect(self._on_disconnected)

    @Slot()
    def _on_readable(self) -> None:
        sock = self.sender()
        if isinstance(sock, QLocalSocket):
            self._on_ready_read(sock)

    @Slot()
    def _on_disconnected(self) -> None:
        sock = self.sender()
        if isinstance(sock, QLocalSocket):
            self._forget(sock)

    def _forget(self, sock: QLocalSocket) -> None:
        if self._buffers.pop(sock, None) is not None:
            self._closed.append(sock)
            QTimer.singleShot(0, self._reap)

    @Slot()
    def _reap(self) -> None:
        """Delete the sockets whose connection ended, once their own signals have returned.

        Not ``deleteLater()``: a socket from ``nextPendingConnection`` is a child of the
        server, and PySide keeps its wrapper in the server's list of children even after
        Qt has deleted it, about 1 KiB per request for the app's lifetime (the soak's
        status polls grew the app by 22 MiB). Taken from the server first, the socket is
        the wrapper's own, and deleting it through the wrapper frees both.
        """
        while self._closed:
            sock = self._closed.pop()
            sock.setParent(None)
            shiboken6.delete(sock)

    def _on_ready_read(self, sock: QLocalSocket) -> None:
        buf = self._buffers.get(sock)
        if buf is None:
            return
        buf += bytes(sock.readAll().data())
        if b"\n" not in buf:
            if len(buf) > 65536:
                self._buffers[sock] = bytearray()
                self._reply(sock, {"ok": False, "error": "The request is too long."})
            return
        line = bytes(buf.split(b"\n", 1)[0])
        self._buffers[sock] = bytearray()
        try:
            request = protocol.decode(line)
        except ValueError:
            self._reply(sock, protocol.app_error("The request was not understood."))
            return
        self.handle(request, lambda reply: self._reply(sock, reply), sock)

    def _reply(self, sock: QLocalSocket, reply: dict[str, Any]) -> None:
        if not shiboken6.isValid(sock) or sock.state() != QLocalSocket.LocalSocketState.ConnectedState:
            return  # the client went away while the recorder was asked (the socket is deleted)
        sock.write(protocol.encode(reply).encode("utf-8"))
        sock.flush()
        sock.disconnectFromServer()

    # ---- commands ------------------------------------------------------
    def handle(
        self,
        request: dict[str, Any],
        reply: Callable[[dict[str, Any]], None],
        sock: QLocalSocket | None = None,
    ) -> None:
        """Answer one request (docs/APP.md); every command has a method of its own."""
        answer = _Answer(self.controller, reply)
        try:
            parsed = AppRequest.parse(request)
        except UsageError as exc:
            answer.fail(str(exc))
            return
        handlers: dict[AppCommand, Callable[[AppRequest, _Answer, QLocalSocket | None], None]] = {
            AppCommand.STATUS: self._status,
            AppCommand.SHOW: self._show,
            AppCommand.START: self._start,
            AppCommand.PAUSE: self._pause,
            AppCommand.RESUME: self._resume,
            AppCommand.TASK: self._task,
            AppCommand.NOTE: self._note,
            AppCommand.STOP: self._stop,
        }
        handlers[parsed.cmd](parsed, answer, sock)

    def _status(self, _request: AppRequest, answer: _Answer, _sock: QLocalSocket | None) -> None:
        answer.ok()

    def _show(self, _request: AppRequest, answer: _Answer, _sock: QLocalSocket | None) -> None:
        self.bring_forward()
        answer.ok(message="Tallylight is already running.")

    def _start(self, request: AppRequest, answer: _Answer, sock: QLocalSocket | None) -> None:
        c = self.controller
        if c.active:
            return answer.fail("A session is already recording; stop it first.")
        label, study = request.label, request.study
        started_by = peer_command(sock) if sock is not None else ""

        def go(problem: str) -> None:
            if problem:
                return answer.fail(problem)
            if c.active:
                return answer.fail("A session is already recording; stop it first.")
            c.start_session(
                label=label.strip(), study=study.strip(), started_by=started_by or "an unknown program"
            )
            self._await(
                lambda: c.state != AppState.STARTING,
                lambda: (
                    answer.ok()
                    if c.state == AppState.RECORDING
                    else answer.fail(c.error_message or "The session did not start.")
                ),
                answer.fail,
            )

        if self.precheck_start is not None:
            self.precheck_start(go)
        else:
            go("")

    def _pause(self, _request: AppRequest, answer: _Answer, _sock: QLocalSocket | None) -> None:
        c = self.controller
        if c.state != AppState.RECORDING:
            return answer.fail("No session is recording, so there is nothing to pause.")
        c.pause()
        self._await(
            lambda: c.state != AppState.RECORDING,
            lambda: answer.ok() if c.state == AppState.PAUSED else answer.fail("The session did not pause."),
            answer.fail,
        )

    def _resume(self, _request: AppRequest, answer: _Answer, _sock: QLocalSocket | None) -> None:
        c = self.controller
        if c.state != AppState.PAUSED:
            return answer.fail("No session is paused, so there is nothing to resume.")
        c.resume()
        self._await(
            lambda: c.state != AppState.PAUSED,
            lambda: (
                answer.ok() if c.state == AppState.RECORDING else answer.fail("The session did not resume.")
            ),
            answer.fail,
        )

    def _task(self, request: AppRequest, answer: _Answer, _sock: QLocalSocket | None) -> None:
        c = self.controller
        refused = c.model.task_refusal(request.action, request.task)  # the same words as `record`'s
        if refused:
            return answer.fail(refused)
        if request.action == "start":
            c.start_task(request.task)
            self._await(lambda: c.task == request.task, answer.ok, answer.fail)
        else:
            c.end_task()
            self._await(lambda: not c.task, answer.ok, answer.fail)

    def _note(self, _request: AppRequest, answer: _Answer, _sock: QLocalSocket | None) -> None:
        c = self.controller
        before = c.notes
        if not c.add_note():
            return answer.fail("No session is recording, so there is nothing to add a note to.")
        self._await(lambda: c.notes > before, answer.ok, answer.fail)

    def _stop(self, _request: AppRequest, answer: _Answer, _sock: QLocalSocket | None) -> None:
        c = self.controller
        if not c.active:
            return answer.fail("No session is recording, so there is nothing to stop.")
        c.stop()
        self._await(lambda: not c.active, answer.ok, answer.fail)

    def _await(
        self, done: Callable[[], bool], on_done: Callable[[], None], on_fail: Callable[[str], None]
    ) -> None:
        """Call ``on_done`` once ``done()`` holds after a controller change."""
        if done():
            on_done()
            return
        timer = QTimer(self)
        timer.setSingleShot(True)
        finished = False

        def check() -> None:
            nonlocal finished
            if finished or not done():
                return
            finished = True
            timer.stop()
            timer.deleteLater()
            self.controller.changed.disconnect(check)
            on_done()

        def timeout() -> None:
            nonlocal finished
            if finished:
                return
            finished = True
            timer.deleteLater()
            self.controller.changed.disconnect(check)
            on_fail("The recorder did not answer in time.")

        self.controller.changed.connect(check)
        timer.timeout.connect(timeout)
        timer.start(round(APP_REPLY_S * 1000))


def peer_command(sock: QLocalSocket) -> str:
    """The command line of the process at the other end of ``sock`` (from the kernel, not
    from the request, so it cannot be made up), e.g. ``tallylight start --label x (process 123)``."""
    if not sys.platform.startswith("linux"):
        return ""
    try:
        fd = int(sock.socketDescriptor())
        with socket.socket(fileno=os.dup(fd)) as s:
            creds = s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        pid, _, _ = struct.unpack("3i", creds)
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = [a.decode("utf-8", "replace") for a in fh.read().split(b"\0") if a]
    except (OSError, ValueError):
        return ""
    if len(argv) >= 3 and argv[1] == "-m":  # python -m tallylight.cli.main start ...
        argv = [argv[2].rsplit(".", 2)[0] if argv[2].startswith("tallylight") else argv[2], *argv[3:]]
    elif argv:
        argv[0] = os.path.basename(argv[0])
        if len(argv) > 1 and os.path.basename(argv[1]) == "tallylight":
            argv = argv[1:]
    command = words.printable(" ".join(argv))
    if len(command) > 200:
        command = command[:199] + "…"
    return f"{command} (process {pid})"


class _Answer:
    """The reply to one request: the app's status with ``ok`` or with an ``error`` sentence."""

    def __init__(self, controller: AppController, reply: Callable[[dict[str, Any]], None]) -> None:
        self._controller = controller
        self._reply = reply

    def ok(self, **extra: Any) -> None:
        self._reply(protocol.app_ok(self._controller.status_dict(), **extra))

    def fail(self, message: str) -> None:
        self._reply(protocol.app_error(message, self._controller.status_dict()))
