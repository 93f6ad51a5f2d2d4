"""A tiny stand-in recorder that speaks docs/CONTROL.md (no capture at all).

Used to test the GUI's QProcess client without the real recorder. It writes its
pid and each command it receives to $FAKE_RECORDER_LOG (one JSON line each).
Its lines are built and parsed by tallylight.protocol, like the real recorder's.
"""

from __future__ import annotations

import json
import os
import select
import sys
import time

from tallylight import protocol
from tallylight.protocol import Command, Message

LOG = os.environ.get("FAKE_RECORDER_LOG")


def _until_read(fd: int, timeout: float = 10.0) -> None:
    """Until the reader has taken every byte written to the pipe ``fd`` (FIONREAD: none left)."""
    import array
    import fcntl
    import termios

    deadline = time.monotonic() + timeout
    left = array.array("i", [1])
    while time.monotonic() < deadline:
        fcntl.ioctl(fd, termios.FIONREAD, left, True)
        if left[0] == 0:
            return
        select.select([], [], [], 0.005)  # a pipe's reader gives no event to the writer: look again


def log(obj: dict) -> None:
    if LOG:
        with open(LOG, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(obj) + "\n")


def say(event: Message, id: object = None, **fields: object) -> None:
    sys.stdout.write(protocol.encode(protocol.message(event, id, **fields)))
    sys.stdout.flush()


def main() -> int:
    log({"pid": os.getpid()})
    say(Message.READY, version="fake")
    state = "idle"
    t0 = time.monotonic()
    counts = {"key_down": 0, "move": 0}
    last_stats = 0.0
    buf = b""
    fd = sys.stdin.fileno()
    ppid = os.getppid()
    while True:
        r, _, _ = select.select([fd], [], [], 0.1)
        if os.getppid() != ppid:
            log({"exit": "reparented"})
            return 0
        if r:
            chunk = os.read(fd, 65536)
            if not chunk:
                log({"exit": "eof"})
                if state in ("recording", "paused"):
                    say(
                        Message.STOPPED,
                        reason="controller_gone",
                        summary={"counts": counts, "duration_s": time.monotonic() - t0},
                    )
                return 0
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                cmd = protocol.decode(line)
                log(cmd)
                mid = cmd.get("id")
                name = cmd.get("cmd")
                if name == Command.START:
                    if os.environ.get("FAKE_RECORDER_FAIL"):
                        say(Message.ERROR, id=mid, message=os.environ["FAKE_RECORDER_FAIL"], fatal=True)
                        say(Message.STOPPED, reason="none", summary={"counts": {}, "duration_s": 0})
                        return 3
                    if os.environ.get("FAKE_RECORDER_REFUSE"):
                        say(Message.ERROR, id=mid, message=os.environ["FAKE_RECORDER_REFUSE"], fatal=False)
                        continue
                    if cmd.get("private_apps") and os.environ.get("FAKE_RECORDER_NOTICE"):
                        say(Message.ERROR, message="Private apps cannot be detected here.", fatal=False)
                    state = "recording"
                    t0 = time.monotonic()
                    say(
                        Message.STARTED,
                        id=mid,
                        session_id="fake-session",
                        started_wall_ns=time.time_ns(),
                        options=cmd.get("options", {}),
                        # as the real recorder where no global capture exists (Wayland): window-only
                        global_capture=not os.environ.get("FAKE_RECORDER_WINDOW_ONLY"),
                    )
                elif name == Command.PAUSE and state == "recording":
                    state = "paused"
                    say(Message.PAUSED, id=mid, t_s=time.monotonic() - t0)
                elif name == Command.RESUME and state == "paused":
                    state = "recording"
                    say(Message.RESUMED, id=mid, t_s=time.monotonic() - t0)
                elif name == Command.PRIVATE:
                    say(Message.PRIVATE, id=mid, on=bool(cmd.get("on")))
                elif name == Command.STATUS:
                    say(
                        Message.STATUS,
                        id=mid,
                        state=state,
                        elapsed_s=time.monotonic() - t0,
                        counts=counts,
                        rate=0,
                        dropped=0,
                    )
                elif name == Command.STOP and os.environ.get("FAKE_RECORDER_IGNORE_STOP"):
                    pass  # a hung recorder: only EOF on stdin ends it
                elif name == Command.STOP:
                    say(
                        Message.STOPPED,
                        id=mid,
                        reason="participant",
                        summary={
                            "counts": counts,
                            "duration_s": time.monotonic() - t0,
                            "session_id": "fake-session",
                        },
                    )
                    return 0
                else:
                    say(Message.ERROR, id=mid, message=f"cannot {name} now", fatal=False)
        crash = os.environ.get("FAKE_RECORDER_CRASH")
        if state == "recording" and crash and time.monotonic() - t0 > 0.5:
            if crash == "kill":  # a line on stderr with a value in it, then killed by a signal
                sys.stderr.write("RuntimeError: the value 'typed secret' went wrong\n")
                sys.stderr.flush()
                _until_read(sys.stderr.fileno())  # the controller has read it before it sees the exit
                os.kill(os.getpid(), 9)
            os._exit(9)
        if state == "recording" and time.monotonic() - last_stats > 0.3:
            last_stats = time.monotonic()
            if os.environ.get("FAKE_RECORDER_FIXED"):  # deterministic numbers for screenshots
                counts = {
                    "key_down": 128,
                    "key_up": 128,
                    "move": 2040,
                    "button_down": 9,
                    "button_up": 9,
                    "scroll": 14,
                }
                say(Message.STATS, state=state, elapsed_s=754.2, counts=counts, rate=4, dropped=0)
                continue
            counts["key_down"] += 1
            counts["move"] += 3
            say(Message.STATS, state=state, elapsed_s=time.monotonic() - t0, counts=counts, rate=4, dropped=0)


if __name__ == "__main__":
    sys.exit(main())
