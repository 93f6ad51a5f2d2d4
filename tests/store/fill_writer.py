"""Writes a session until the store reports a full disk; prints what was sealed.

Run under RLIMIT_FSIZE (SIGXFSZ ignored so the write fails with EFBIG instead
of killing us). Prints ``sealed <n>`` after each seal, then ``error <class>``.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from tallylight.errors import StoreError
from tallylight.events import Event, Kind, SessionInfo, StopReason
from tallylight.options import CaptureOptions, KeyMode
from tallylight.store import writer


def main() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    data_dir, sid = Path(sys.argv[1]), sys.argv[2]
    info = SessionInfo(sid, time.time_ns(), "perf_counter_ns", 1, CaptureOptions(keys=KeyMode.FULL))
    w = writer.open_session(info, data_dir, seal_interval_s=1e9)
    i = 0
    try:
        while True:
            w.write(
                [
                    Event(
                        i + k,
                        Kind.KEY_DOWN,
                        key_class=1,
                        key=(i + k) * 2654435761 % (1 << 64),
                        text=f"t{i + k}",
                    )
                    for k in range(50)
                ]
            )
            i += 50
            w.seal()
            print(f"sealed {w.events_sealed}", flush=True)
    except StoreError as exc:
        print(f"error {type(exc).__name__} {exc}", flush=True)
        try:
            w.write([Event(0, Kind.MOVE)])
        except StoreError:
            print("refused", flush=True)
        w.close(StopReason.WRITE_ERROR)
        print("closed", flush=True)


if __name__ == "__main__":
    main()
