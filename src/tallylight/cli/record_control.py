"""``tallylight record``'s end of the app-socket protocol: tasks and notes from another terminal.

While ``tallylight record`` runs, ``tallylight task start ID``, ``tallylight task end``,
``tallylight note`` and ``tallylight status`` reach it the way they reach the tray app:
the same requests and replies (``protocol.AppRequest`` in, ``protocol.app_ok`` /
``protocol.app_error`` out, docs/APP.md), on a user-only ``AF_UNIX`` socket beside the
app's (``record.sock`` in the private runtime folder). ``appctl.send`` asks it first.

Pausing, resuming and stopping stay with the terminal and the tally-light window the
participant watches; asked here, they are refused with a sentence saying so. Qt-free:
one plain thread accepts one request per connection.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tallylight import appctl, paths, protocol
from tallylight.errors import TallylightError, UsageError
from tallylight.protocol import AppRequest

log = logging.getLogger(__name__)

#: how long one client may take to send its request
REQUEST_TIMEOUT_S = 5.0

#: answers one parsed request with a reply object (``protocol.app_ok`` or ``protocol.app_error``)
Handler = Callable[[AppRequest], dict[str, Any]]


class RecordControl:
    """Serves ``record.sock`` for one ``tallylight record`` session, from a thread of its own."""

    def __init__(self, handle: Handler, status: Callable[[], dict[str, Any]]) -> None:
        self._handle = handle
        self._status = status
        self._sock: socket.socket | None = None
        self._path: Path | None = None
        self._inode: int | None = None
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Listen, unless another ``tallylight record`` already does (then False: it keeps it)."""
        if sys.platform == "win32" or not hasattr(socket, "AF_UNIX"):
            return False
        path = appctl.record_socket_path()
        try:
            paths.private_runtime_dir()
            if _alive(path):
                return False
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # a stale socket of a record that was killed
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            old = os.umask(0o077)
            try:
                sock.bind(str(path))
            finally:
                os.umask(old)
            sock.listen(4)
            sock.settimeout(0.25)
        except (OSError, TallylightError) as exc:
            log.warning("tallylight record cannot take task and note requests: %s", exc)
            return False
        self._sock, self._path, self._inode = sock, path, path.stat().st_ino
        self._thread = threading.Thread(target=self._serve, name="tallylight-record-control", daemon=True)
        self._thread.start()
        return True

    def close(self) -> None:
        """Stop serving and remove the socket (only ours: a later record's stays)."""
        self._closed.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        if self._sock is not None:
            self._sock.close()
        if self._path is not None:
            with contextlib.suppress(OSError):
                if self._path.stat().st_ino == self._inode:
                    self._path.unlink()

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._closed.is_set():
            try:
                conn, _addr = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                self._one(conn)

    def _one(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(REQUEST_TIMEOUT_S)
            # more than one request line's worth is answered as not understood
            line = protocol.recv_line(conn, 65536) or b""
            try:
                request = protocol.decode(line)
            except ValueError:
                reply = protocol.app_error("The request was not understood.", self._status())
            else:
                reply = self._answer(request)
            conn.sendall(protocol.encode(reply).encode("utf-8"))
        except OSError as exc:  # the client went away or sent nothing in time: nothing to answer
            log.info("a record-control request failed: %s", exc)

    def _answer(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._handle(AppRequest.parse(request))
        except UsageError as exc:
            return protocol.app_error(str(exc), self._status())
        except TallylightError as exc:
            return protocol.app_error(str(exc), self._status())


def _alive(path: Path) -> bool:
    """True if a process listens at ``path``."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(1.0)
        probe.connect(str(path))
    except OSError:
        return False
    else:
        return True
    finally:
        probe.close()
