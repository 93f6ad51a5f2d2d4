"""X11: keep the RECORD socket empty, whatever the pace of parsing.

Xorg/Xvfb 21 loses RECORD data once it must hold output for a recording client that
reads slowly (see :mod:`tallylight.capture.xaudit`). pynput reads the RECORD connection
on the thread that also parses every event and runs our callbacks, so a busy machine
lets the socket fill. A :class:`RecordDrain` puts a socket pair between python-xlib and
the X server, and a thread that does nothing but move bytes: everything the server writes
is read at once into memory, and python-xlib parses from the pair at its own pace.
Requests (there are hardly any on this connection) pass the other way unchanged.
"""

from __future__ import annotations

import collections
import logging
import select
import socket
import threading
from typing import Any

log = logging.getLogger(__name__)

CHUNK = 1 << 20


class RecordDrain:
    """Interpose on ``proto`` (python-xlib's protocol Display), which must be idle: no
    request in flight, nothing unread (pynput's RECORD display right after it created
    its context)."""

    def __init__(self, proto: Any) -> None:
        self._server: socket.socket = proto.socket
        ours, theirs = socket.socketpair()
        self._pair = ours
        ours.setblocking(False)
        proto.socket = theirs  # python-xlib now reads and writes the pair
        self._in: collections.deque[memoryview] = collections.deque()
        self._held = 0  # bytes read from the server and not yet passed on (a gauge for tests)
        threading.Thread(target=self._run, name="tallylight-record-drain", daemon=True).start()

    def held(self) -> int:
        """Bytes the server wrote that python-xlib has not taken yet."""
        return self._held

    def _run(self) -> None:
        server, pair, inbox = self._server, self._pair, self._in
        server_open, end_passed = True, False
        try:
            while True:
                readers = [server, pair] if server_open else [pair]
                readable, writable, _ = select.select(readers, [pair] if inbox else [], [])
                if server in readable:
                    data = server.recv(CHUNK)
                    if data:
                        inbox.append(memoryview(data))
                        self._held += len(data)
                    else:
                        server_open = False
                if pair in readable:
                    request = pair.recv(CHUNK)
                    if not request:
                        return  # python-xlib closed its end: the listener is done
                    server.sendall(request)
                if pair in writable:
                    self._held -= _deliver(pair, inbox)
                if not server_open and not inbox and not end_passed:
                    pair.shutdown(socket.SHUT_WR)  # the server closed: python-xlib sees the end
                    end_passed = True
        except OSError as exc:  # a broken connection: python-xlib sees it end and reports it
            log.info("the RECORD drain stopped: %s", exc)
        finally:
            for s in (pair, server):
                s.close()


def _deliver(pair: socket.socket, inbox: collections.deque[memoryview]) -> int:
    """As much of ``inbox`` as the pair takes now, in order; the bytes passed on."""
    done = 0
    while inbox:
        try:
            sent = pair.send(inbox[0])
        except BlockingIOError:
            break
        done += sent
        if sent < len(inbox[0]):
            inbox[0] = inbox[0][sent:]
            break
        inbox.popleft()
    return done
