"""Event times from the X server: captured for every event, and used when delivery lagged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import wait_until
from tallylight.capture import clockmap, xinject
from tallylight.capture.transform import TIME_QUANTUM_NS
from tallylight.events import Kind, SessionInfo
from tallylight.options import CaptureOptions, KeyMode
from tallylight.recorder.client import RecorderClient
from tallylight.recorder.session import Session
from tallylight.recorder.sink import MemorySink
from tallylight.store import sessions, vault
from xserver import ServerTimes, XServer

pytestmark = pytest.mark.x11
MS = 1_000_000
PASSPHRASE = "timing test passphrase"
KEYS = (Kind.KEY_DOWN, Kind.KEY_UP)


def test_every_event_carries_the_x_server_time(xserver: XServer) -> None:
    sinks: list[MemorySink] = []

    def sink(info: SessionInfo) -> MemorySink:
        sinks.append(MemorySink(info))
        return sinks[-1]

    session = Session(CaptureOptions(keys=KeyMode.CLASS), sink)
    session.start()
    try:
        schedule = [
            *xinject.key_schedule(10, seed=3, hold_ms=(20, 30), gap_ms=(20, 30)),
            (400 * MS, "move", 100, 100),
            (430 * MS, "button", 1, 1),
            (460 * MS, "button", 1, 0),
        ]
        xinject.inject(schedule, xserver.display)
        wait_until(lambda: session.stats.counts[Kind.BUTTON_UP] >= 1)
    finally:
        session.stop()
    q = session.timing_quality
    assert q is not None
    assert sinks[0].timing == q
    inputs = [e for e in sinks[0].events if e.kind != Kind.MARKER]
    assert len(inputs) == 13
    assert q["os_clock"] == "x11-server-time"
    assert q["os_clock_resolution_ns"] == MS
    assert q["events_with_os_time"] == q["input_events"] == 13
    assert q["events_without_os_time"] == 0
    assert q["delivery_lag_p50_us"] is not None
    assert q["rate_peak_per_s"] >= 1
    assert q["session_clock"] == "perf_counter_ns"
    assert q["notes"]


@pytest.fixture
def unlocked(tallylight_home: Path) -> vault.UnlockedVault:
    from tallylight.store.crypto import KdfParams

    return vault.create_vault(PASSPHRASE, params=KdfParams(1, 1, 8192))


def test_events_injected_while_the_recorder_is_stopped_keep_their_time(
    xserver: XServer, unlocked: vault.UnlockedVault
) -> None:
    """SIGSTOP the recorder for 50 ms while keys are pressed: each is stored at the time the
    X server gave it (read by a second client), not when the recorder got round to it. The
    injector's own clock is not the reference: how promptly Xvfb ran is not the recorder's."""
    before = xinject.key_schedule(20, seed=5, hold_ms=(30, 40), gap_ms=(30, 40))
    during = [(i * 8 * MS, "key", 40 + i // 2, 1 - i % 2) for i in range(4)]  # 0, 8, 16, 24 ms
    after = xinject.key_schedule(6, seed=6, hold_ms=(30, 40), gap_ms=(30, 40))
    server = ServerTimes(xserver.display)
    with RecorderClient(env=xserver.env()) as rec:
        rec.request(
            "start", options={"keys": "class", "mouse_moves": False, "clicks": False, "scrolls": False}
        )
        sent = xinject.inject(before, xserver.display)["sent_ns"]
        wait_until(lambda: rec.request("status")["counts"].get("key_up", 0) >= 10)
        os.kill(rec.pid, signal.SIGSTOP)
        stopped_at = time.perf_counter_ns()
        try:
            sent_during = xinject.inject(during, xserver.display, lead_ns=0)["sent_ns"]
            # stopped until the X server has had every key, and for 50 ms at least
            wait_until(
                lambda: (
                    server.read() >= len(before) + len(during)
                    and time.perf_counter_ns() - stopped_at >= 50 * MS
                ),
                interval=0.002,
            )
        finally:
            os.kill(rec.pid, signal.SIGCONT)
        resumed_at = time.perf_counter_ns()
        sent += sent_during + xinject.inject(after, xserver.display)["sent_ns"]
        wait_until(lambda: rec.request("status")["counts"].get("key_up", 0) >= len(sent) // 2)
        session_id = rec.request("stop")["summary"]["session_id"]
    wait_until(lambda: server.read() >= len(sent))
    assert resumed_at - stopped_at >= 50 * MS
    stored = [e.t_ns for e in sessions.iter_events(session_id, unlocked) if e.kind in KEYS]
    assert len(stored) == len(sent)
    assert len(server.ms) == len(sent)
    # What the recorder controls: each stored time is the X server's time of the event plus
    # the recorder's offset between the two clocks. That offset is the smallest one seen so
    # far (delivery never comes early), so stored time minus server time never rises more
    # than the server clock's resolution plus the jitter tolerance above its running minimum.
    # A time taken at delivery, tens of ms late, would. Comparing fine stamps with whole-ms
    # server times pairwise instead mixes their rounding with delivery jitter (both ~1 ms).
    # Stored times are rounded down to the store's quantum, which moves two offsets apart by
    # less than one quantum more.
    limit = clockmap.X11_SERVER_TIME.resolution_ns + clockmap.TOLERANCE_NS + TIME_QUANTUM_NS
    offsets = [t - ms * MS for t, ms in zip(stored, server.ms, strict=True)]
    for i, offset in enumerate(offsets):
        above = offset - min(offsets[: i + 1])
        assert above < limit, f"event {i}: stored {above / 1e6:.2f} ms after the X server's time"
    # and they really were delivered late: the recorder could not have seen them before SIGCONT
    assert sent_during[0] + 15 * MS < resumed_at
    # the session says so in its timing record, and `sessions show` tells the participant
    timing = sessions.read(session_id, unlocked).timing
    late = [t for t in sent_during if resumed_at - t > 5 * MS]  # (connecting the injector takes time too)
    assert len(late) >= 2
    assert timing is not None
    assert timing["retimed"] >= len(late)
    assert timing["delivery_lag_max_us"] >= 15_000
    assert timing["events_with_os_time"] == len(sent)
    env = {**os.environ, "TALLYLIGHT_PASSPHRASE": PASSPHRASE}
    shown = subprocess.run(
        [sys.executable, "-m", "tallylight.cli.main", "sessions", "show", session_id],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert (
        "timing:     Times are the best estimate from the X server's event times (1 ms steps)" in shown.stdout
    )
    assert "reached the recorder late and were re-timed" in shown.stdout
    assert "Delivery lag: median" in shown.stdout
