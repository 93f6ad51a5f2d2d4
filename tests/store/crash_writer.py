"""A writer process for the crash tests: writes real-time events until killed.

Event i is a MOVE with x = i % 1000, y = i // 1000 (every 50th a KEY_DOWN with
key = i), so a reader can tell exactly which events it got back. After every
seal it prints ``sealed <count> <t_ns of the last sealed event>``, and after every
batch ``at <t_ns>``: the newest event it has handed to the writer.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tallylight.events import Event, KeyClass, Kind, SessionInfo
from tallylight.options import CaptureOptions, KeyMode
from tallylight.store import writer


def event(i: int, t: int) -> Event:
    if i % 50 == 49:
        return Event(t, Kind.KEY_DOWN, key_class=int(KeyClass.LETTER), key=i)
    return Event(t, Kind.MOVE, x=i % 1000, y=i // 1000)


def main() -> None:
    data_dir, sid, seg_max, max_buf = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    info = SessionInfo(sid, time.time_ns(), "perf_counter_ns", 1, CaptureOptions(keys=KeyMode.HASHED))
    w = writer.open_session(info, data_dir, segment_max_bytes=seg_max, max_buffer_events=max_buf)
    t0 = time.perf_counter_ns()
    print(f"ready {t0}", flush=True)
    i = 0
    sealed = 0
    last_t = 0
    while True:
        t = time.perf_counter_ns() - t0
        batch = [event(i + k, t) for k in range(3)]
        i += 3
        w.write(batch)
        last_t = t
        if w.events_sealed != sealed:
            sealed = w.events_sealed
            print(f"sealed {sealed} {last_t}", flush=True)
        print(f"at {t}", flush=True)
        time.sleep(0.002)  # paces the events (about what a fast mouse makes)


if __name__ == "__main__":
    main()
