"""X11: count the pointer moves the X server made that the RECORD hook never received.

Why this exists: Xorg/Xvfb 21 can lose a RECORD reply to a recording client that reads
slowly. In os/io.c, FlushClient() works out how many bytes a client has pending and only
then calls the flush callbacks; RECORD's callback appends the events it buffered to that
same client's output, and FlushClient() then marks the whole buffer written. It happens
only once the client fell behind far enough for the server to hold output for it (a loaded
machine), and the moves are gone before any byte reaches our socket, so no reader of
the RECORD stream can see it.

The server's XInput 2 raw motion goes out on another connection, which that bug cannot
touch, and each raw motion that moves x or y comes with exactly one core MotionNotify at
the same server millisecond. So, millisecond by millisecond, raw motions minus moves
received is what was lost. Only milliseconds strictly between the first and the last move
received are compared: the two streams start and stop at slightly different instants.
The result is ``None`` (not detectable) when the count cannot be trusted: the raw stream
did not start or finish, or the hook received a move the raw stream never showed.
"""

from __future__ import annotations

import collections
import logging
import os
import select
import struct
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

POLL_S = 1.0  # the reader's longest wait (stop() wakes it at once)
FOLD_S = 0.2  # how often the counts are compared (and forgotten) while the hooks run
FENCE_S = 5.0  # at most this long for the server's answer that closes the count
MAX_OPEN_MS = 600_000  # milliseconds held unmatched before the count gives up (no move received)

_REPLY, _GENERIC_EVENT, _RAW_MOTION = 1, 35, 17
_GET_INPUT_FOCUS = struct.pack("=BxH", 43, 1)  # a request whose reply closes the stream
_U16, _U32 = struct.Struct("=H"), struct.Struct("=I")


class MotionAudit:
    """One generation of mouse hooks' moves, checked against the server's raw motion.

    Make it (it connects and selects raw motion) before the RECORD hook starts; the hook
    thread calls :attr:`seen` with the server time of each move it receives; :meth:`stop`
    when the hook is removed. :attr:`done` is set once :attr:`result` is final: the moves
    lost, or ``None``.
    """

    def __init__(self, display: str | None = None) -> None:
        from Xlib.display import Display
        from Xlib.ext import xinput

        self._d = Display(display)
        try:
            opcode = self._d.display.get_extension_major(xinput.extname)
            # 2.2: raw events reach us even while another client holds a grab
            xinput.XIQueryVersion(display=self._d.display, opcode=opcode, major_version=2, minor_version=2)
            self._d.screen().root.xinput_select_events([(xinput.AllMasterDevices, xinput.RawMotionMask)])
            self._d.sync()
            proto = self._d.display  # python-xlib's protocol object: from here on we read its socket
            self._sock = proto.socket
            self._buf = bytearray(proto.data_recv or b"")
            early = list(proto.event_queue)
            proto.event_queue[:] = []
        except BaseException:
            self._d.close()
            raise
        self._opcode = opcode
        self._moves: collections.deque[int] = collections.deque()
        #: called on the hook thread with each received move's server time (only an append)
        self.seen = self._moves.append
        self._base: int | None = None
        self._raw: dict[int, int] = {}
        self._got: dict[int, int] = {}
        self._first: int | None = None
        self._last_got: int | None = None
        self._last_raw: int | None = None
        self._lost = 0
        self._unmatched = 0  # moves received with no raw motion in their millisecond
        self._fenced = False
        self._stopping = threading.Event()
        self._wake_r, wake_w = os.pipe()  # stop() wakes the reader at once
        self._wake_w: int | None = wake_w
        self._wake_lock = threading.Lock()
        self.done = threading.Event()
        self.result: int | None = None
        for ev in early:
            if getattr(ev, "evtype", None) == _RAW_MOTION and getattr(ev, "extension", opcode) == opcode:
                data = bytes(ev.data)  # from deviceid on: the wire event less its first 10 bytes
                if _moves_xy(data, 22, 12):
                    self._count_raw(_U32.unpack_from(data, 2)[0])
        threading.Thread(target=self._run, name="tallylight-motion-audit", daemon=True).start()

    def stop(self) -> None:
        """Close the count (on the audit's own thread; never waits)."""
        with self._wake_lock:
            if not self._stopping.is_set() and self._wake_w is not None:
                os.write(self._wake_w, b"x")
            self._stopping.set()

    # -- the audit thread ---------------------------------------------------------

    def _run(self) -> None:
        try:
            next_fold = 0.0
            while not self._stopping.is_set():
                self._read(POLL_S)
                if time.monotonic() >= next_fold:  # each fold looks at every open millisecond
                    self._fold(final=False)
                    next_fold = time.monotonic() + FOLD_S
            # every raw motion made before this request is answered arrives before the answer
            self._sock.sendall(_GET_INPUT_FOCUS)
            deadline = time.monotonic() + FENCE_S
            while not self._fenced:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the X server did not answer the audit's closing request")
                self._read(left, wake=False)
            self._fold(final=True)
            self.result = None if self._unmatched or self._first is None else self._lost
        except Exception as exc:  # noqa: BLE001 - a check: when it fails, the loss is unknown
            log.info("the pointer-move audit stopped: %s", exc)
            self.result = None
        finally:
            try:
                self._d.close()
            except Exception:  # closing a broken connection may fail too
                log.debug("closing the audit connection failed", exc_info=True)
            with self._wake_lock:
                os.close(self._wake_r)
                if self._wake_w is not None:
                    os.close(self._wake_w)
                self._wake_w = None
            self.done.set()

    def _read(self, timeout: float, wake: bool = True) -> None:
        readable, _, _ = select.select([self._sock, self._wake_r] if wake else [self._sock], [], [], timeout)
        if self._sock not in readable:
            return
        chunk = self._sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("the X server closed the audit connection")
        buf = self._buf
        buf += chunk
        off, end = 0, len(buf)
        while end - off >= 32:
            kind = buf[off] & 0x7F
            size = 32 + 4 * _U32.unpack_from(buf, off + 4)[0] if kind in (_REPLY, _GENERIC_EVENT) else 32
            if end - off < size:
                break
            if kind == _GENERIC_EVENT:
                if (
                    buf[off + 1] == self._opcode
                    and _U16.unpack_from(buf, off + 8)[0] == _RAW_MOTION
                    and _moves_xy(buf, off + 32, off + 22)
                ):
                    self._count_raw(_U32.unpack_from(buf, off + 12)[0])
            elif kind == _REPLY:
                self._fenced = True
            off += size
        del buf[:off]

    def _key(self, t: int) -> int:
        """Server milliseconds (32 bits, wrapping) as a signed offset from the first one seen."""
        if self._base is None:
            self._base = t
        return ((t - self._base + 2**31) & 0xFFFFFFFF) - 2**31

    def _count_raw(self, t: int) -> None:
        k = self._key(t)
        self._raw[k] = self._raw.get(k, 0) + 1
        self._last_raw = k

    def _fold(self, final: bool) -> None:
        """Compare the milliseconds both streams have passed; keep only the open ones."""
        moves, got = self._moves, self._got
        while moves:
            k = self._key(moves.popleft())
            got[k] = got.get(k, 0) + 1
            if self._first is None:
                self._first = k
            if self._last_got is None or k > self._last_got:
                self._last_got = k
        first, last = self._first, self._last_got
        if first is None or last is None:
            if len(self._raw) > MAX_OPEN_MS:
                raise RuntimeError("no move received while the server made many")
            return
        if final:
            upto = last  # strictly before the last move received
        elif self._last_raw is None:
            return
        else:
            upto = min(last, self._last_raw)  # both streams are complete below this
        raw = self._raw
        for k in [k for k in raw if k < upto]:
            n = raw.pop(k)
            m = got.pop(k, 0)
            if k > first:
                self._lost += max(0, n - m)
                self._unmatched += max(0, m - n)
        for k in [k for k in got if k < upto]:
            m = got.pop(k)
            if k > first:
                self._unmatched += m


def _moves_xy(data: Any, mask_at: int, valuators_len_at: int) -> bool:
    """A raw motion that moves valuator 0 or 1 (x, y): the ones that make a core MotionNotify."""
    return bool(_U16.unpack_from(data, valuators_len_at)[0] and _U32.unpack_from(data, mask_at)[0] & 3)
