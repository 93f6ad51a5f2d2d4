"""Cut, undo, compaction and the encrypted summary: what changes, what stays, and SIGKILL at any moment."""

from __future__ import annotations

import dataclasses
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from store_helpers import make_info, synthetic, write_session

from tallylight import events as ev
from tallylight.errors import AuthenticationError, StoreError
from tallylight.events import GapReason, Kind, Marker, StopReason
from tallylight.review import no_capture_stretches
from tallylight.review.summary import list_summary
from tallylight.store import edit, index, reader, rewrite, sessions, writer
from tallylight.store.encoding import EventColumns

S = 1_000_000_000
CHILD = Path(__file__).with_name("edit_child.py")
SRC = Path(__file__).resolve().parents[2] / "src"


def stream(n: int, seed: int = 0) -> list[ev.Event]:
    out = [ev.marker(0, Marker.SESSION_START)]
    out += [e._replace(t_ns=e.t_ns + 1) for e in synthetic(n, seed) if e.kind != Kind.MARKER]
    out.append(ev.marker(out[-1].t_ns + 1, Marker.SESSION_STOP, 1))
    return out


def rows(cols: EventColumns) -> list[tuple]:
    return list(cols.events())


def batches(events: list[ev.Event], size: int = 50) -> list[list[ev.Event]]:
    return [events[i : i + size] for i in range(0, len(events), size)]


def test_compaction_at_close_keeps_every_event_and_writes_the_summary(data_dir, unlocked) -> None:
    events = stream(3000)
    w = writer.open_session(
        make_info("c1", label="compact me"), data_dir, seal_interval_s=1e9, summarize=list_summary
    )
    for b in batches(events):
        w.write(b)
        w.seal()
    d = data_dir / "sessions" / "c1"
    old_key = d / "key"
    os.link(old_key, data_dir / "old-key")  # the same bytes on disk as the old version's key file
    w.close(StopReason.PARTICIPANT)
    data = reader.read_session(d, unlocked)
    assert data.report.verdict == reader.Verdict.COMPLETE
    assert data.report.stop_reason == StopReason.PARTICIPANT
    assert rows(data.columns()) == rows(sessions.read("c1", unlocked).columns())
    assert [tuple(e) for e in rows(data.columns())] == [tuple(e) for e in events]
    assert len(data.payloads) == 1
    assert not (d / rewrite.NEXT_DIR).exists()
    assert (data_dir / "old-key").read_bytes() == b"\0" * 140  # the old key was overwritten
    doc = index.read_summary(d, unlocked)
    assert doc is not None
    assert doc["label"] == "compact me"
    assert doc["events"] == len(events)
    assert doc["verdict"] == "complete"
    assert doc["counts"]["move"] == sum(e.kind == Kind.MOVE for e in events)
    assert not edit.needs_compaction(d)


def test_cut_removes_the_span_records_it_and_destroys_the_old_key(data_dir, unlocked) -> None:
    events = [ev.marker(0, Marker.SESSION_START)]
    events += [ev.move(i * S // 10, i, i) for i in range(1, 100)]  # 0.1 .. 9.9 s
    events += [
        ev.marker(4 * S, Marker.PAUSE, GapReason.PAUSED_BY_PARTICIPANT),
        ev.marker(6 * S, Marker.RESUME),
    ]
    events.sort(key=lambda e: e.t_ns)
    events.append(ev.marker(10 * S, Marker.SESSION_STOP, 1))
    d = write_session(data_dir, "c2", batches(events, 7))
    os.link(d / "key", data_dir / "old-key")
    old = edit.cut_session(d, unlocked, 2 * S, 5 * S, clock=lambda: 1234, summarize=list_summary)
    assert [tuple(e) for e in old.columns.events()] == [tuple(e) for e in events]

    new = sessions.read("c2", unlocked)
    cols = new.columns()
    inputs = cols.take(cols.kind != Kind.MARKER)
    assert not np.any((inputs.t_ns >= 2 * S) & (inputs.t_ns <= 5 * S))  # the span is gone
    expected = [tuple(e) for e in events if e.kind != Kind.MARKER and not 2 * S <= e.t_ns <= 5 * S]
    assert [tuple(e) for e in inputs.events()] == expected  # every other event is identical
    st = no_capture_stretches(cols)
    assert [(s.start_ns, s.end_ns, s.reason) for s in st] == [
        (2 * S, 5 * S, GapReason.TRIMMED),
        (5 * S, 6 * S, GapReason.PAUSED_BY_PARTICIPANT),  # the pause still runs after the span
    ]
    assert new.info is not None
    assert new.info.extra is not None
    assert new.info.extra["trimmed"] == [{"start_ns": 2 * S, "end_ns": 5 * S, "cut_wall_ns": 1234}]
    assert new.report.verdict == reader.Verdict.COMPLETE
    assert (data_dir / "old-key").read_bytes() == b"\0" * 140  # the old version cannot be decrypted
    summary = index.read_summary(d, unlocked)
    assert summary is not None
    assert summary["gaps"][0]["reason"] == "trimmed"

    edit.restore_session(d, unlocked, old, summarize=list_summary)  # undo, while the window is open
    back = sessions.read("c2", unlocked)
    assert [tuple(e) for e in back.columns().events()] == [tuple(e) for e in events]
    assert back.info is not None
    assert back.info.extra is not None
    assert "trimmed" not in back.info.extra


def test_cut_of_a_recovered_session_stays_recovered(data_dir, unlocked) -> None:
    from tallylight.store import recovery

    events = stream(500)[:-1]
    write_session(data_dir, "c3", batches(events), close=False)
    recovery.recover_unfinished(data_dir)
    d = data_dir / "sessions" / "c3"
    assert reader.read_session(d, unlocked).report.verdict == reader.Verdict.RECOVERED
    edit.cut_session(d, unlocked, events[10].t_ns, events[20].t_ns, summarize=list_summary)
    assert reader.read_session(d, unlocked).report.verdict == reader.Verdict.RECOVERED
    assert recovery.find_unfinished(data_dir) == []


def test_ensure_summary_compacts_once_and_then_reads_the_summary(data_dir, unlocked) -> None:
    events = stream(2000, seed=3)
    d = write_session(data_dir, "c4", batches(events))
    assert edit.needs_compaction(d)
    doc = edit.ensure_summary(d, unlocked, summarize=list_summary)
    assert doc["events"] == len(events)
    assert not edit.needs_compaction(d)
    assert index.read_summary(d, unlocked) == doc
    (d / index.SUMMARY_FILE).write_bytes(b"TLLYSUM\x00junk" * 10)  # damaged: recomputed, never trusted
    assert edit.ensure_summary(d, unlocked, summarize=list_summary) == doc


def test_summary_of_another_version_does_not_open(data_dir, unlocked) -> None:
    d = write_session(data_dir, "c5", batches(stream(100)))
    edit.ensure_summary(d, unlocked, summarize=list_summary)
    stale = (d / index.SUMMARY_FILE).read_bytes()
    edit.cut_session(d, unlocked, 0, 1, summarize=list_summary)
    (d / index.SUMMARY_FILE).write_bytes(stale)
    assert index.read_summary(d, unlocked) is None


def _versions(events: list[ev.Event], start: int, end: int) -> tuple[list, list]:
    before = [tuple(e) for e in events]
    cols = EventColumns.concat([sessions_cols(events)])
    after = [tuple(e) for e in edit.cut_columns(cols, start, end).events()]
    return before, after


def sessions_cols(events: list[ev.Event]) -> EventColumns:
    from tallylight.store.encoding import decode_payloads, encode_payload

    return decode_payloads([encode_payload(events)])


@pytest.mark.slow
@pytest.mark.parametrize("what", ["cut", "compact"])
def test_sigkill_at_any_moment_leaves_exactly_one_readable_version(data_dir, unlocked, what) -> None:
    rng = random.Random(7 if what == "cut" else 8)
    events = stream(60_000, seed=5)
    start, end = events[20_000].t_ns, events[30_000].t_ns
    before, after = _versions(events, start, end)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    outcomes = {"old": 0, "new": 0}
    for i in range(12):
        sid = f"k{i}"
        d = write_session(data_dir, sid, batches(events, 2000))
        p = subprocess.Popen(
            [sys.executable, str(CHILD), str(data_dir), sid, what, str(start), str(end)],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert p.stdout is not None
        assert p.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0, 0.6))  # deliberate: a random moment to kill the edit at
        p.kill()
        p.wait()
        p.stdout.close()
        got = [tuple(e) for e in sessions.read(sid, unlocked, data_dir).columns().events()]  # settles first
        if what == "cut":
            assert got in (before, after), f"kill {i}: neither the old nor the new version"
            outcomes["new" if got == after else "old"] += 1
        else:
            assert got == before
            outcomes["new" if not edit.needs_compaction(d) else "old"] += 1
        assert not (d / rewrite.NEXT_DIR).exists()
        assert sorted(p.name for p in d.iterdir() if p.name == "key") == ["key"]
        assert reader.read_session(d, unlocked).report.verdict == reader.Verdict.COMPLETE
    print(what, outcomes)


def test_a_committed_version_interrupted_while_moving_is_finished(data_dir, unlocked) -> None:
    """The states between the commit point and the end of the move, one by one."""
    events = stream(300)
    d = write_session(data_dir, "m1", batches(events))
    v = edit.read_version(d, unlocked)
    cut = edit.Version(v.info, edit.cut_columns(v.columns, events[5].t_ns, events[9].t_ns), v.report)
    for stop_after in range(0, 4):
        d2 = write_session(data_dir, f"m1-{stop_after}", batches(events))
        calls = {"n": 0}

        def flaky_replace(src, dst, _real=os.replace, calls=calls, stop_after=stop_after):
            calls["n"] += 1
            if calls["n"] > stop_after:
                raise OSError(5, "simulated crash")
            _real(src, dst)

        os_replace = os.replace
        try:
            rewrite.os.replace = flaky_replace  # type: ignore[attr-defined, assignment]
            lock = edit._locked(d2)
            try:
                info = dataclasses.replace(v.info, session_id=d2.name)
                with pytest.raises((OSError, StoreError)):  # the simulated crash, raw or reported
                    edit._write(d2, unlocked, edit.Version(info, cut.columns, v.report), list_summary)
            finally:
                lock.release()
        finally:
            rewrite.os.replace = os_replace  # type: ignore[attr-defined]
        rewrite.settle(d2)
        got = [tuple(e) for e in reader.read_session(d2, unlocked).columns().events()]
        assert got in ([tuple(e) for e in events], [tuple(e) for e in cut.columns.events()]), stop_after
        assert not (d2 / rewrite.NEXT_DIR).exists()


def test_a_reader_never_decrypts_with_a_half_moved_key(data_dir, unlocked) -> None:
    d = write_session(data_dir, "m2", batches(stream(50)))
    (d / "key").write_bytes(b"\0" * 140)
    with pytest.raises(AuthenticationError):
        sessions.read("m2", unlocked, data_dir)


def test_a_cut_never_leaves_an_orphan_key_up_or_down_at_its_edges() -> None:
    """A key held across an edge loses its down and its up: a FIFO pairing of what remains
    gives no negative hold (the round-1 cut left one more up than downs: a −1331 ms hold)."""
    from tallylight import events as ev
    from tallylight.store.edit import cut_columns
    from tallylight.store.encoding import decode_payloads, encode_payload

    ms = 1_000_000
    evs = [ev.marker(0, ev.Marker.SESSION_START)]
    plan = [(100, 80), (900, 300), (1500, 80), (1950, 200), (2500, 80)]  # (down, hold) of keys 1..5
    for down, hold in plan:
        evs += [ev.key_down(down * ms, ev.KeyClass.LETTER), ev.key_up((down + hold) * ms, ev.KeyClass.LETTER)]
    evs.append(ev.marker(3000 * ms, ev.Marker.SESSION_STOP, 1))
    cols = decode_payloads([encode_payload(sorted(evs, key=lambda e: e.t_ns))])
    cut = cut_columns(cols, 1000 * ms, 2000 * ms)  # key 2 is held across the start, key 4 across the end
    downs = sorted(int(t) // ms for t, k in zip(cut.t_ns, cut.kind, strict=True) if k == ev.Kind.KEY_DOWN)
    ups = sorted(int(t) // ms for t, k in zip(cut.t_ns, cut.kind, strict=True) if k == ev.Kind.KEY_UP)
    assert downs == [100, 2500]
    assert ups == [180, 2580]
    holds = [u - d for d, u in zip(downs, ups, strict=True)]  # FIFO, as BUNDLE.md's recipe pairs
    assert min(holds) > 0


def test_a_stopped_session_held_by_another_listing_is_waited_for_not_called_recording(
    data_dir, unlocked
) -> None:
    """Two listings at once (a refresh while the first still compacts): the second used to see
    the lock, call the stopped session "recording now" (or unreadable) and list it without its
    date, which put a share list out of date order under load. Now it waits for the summary."""
    import threading

    from tallylight.fsutil import FileLock
    from tallylight.store.layout import LOCK_FILE

    events = stream(2000, seed=5)
    d = write_session(data_dir, "c6", batches(events))
    other = FileLock(d / LOCK_FILE)  # the first listing, compacting
    assert other.try_acquire()
    got: list[dict] = []
    try:
        assert not sessions.summary("c6", None, data_dir).recording
        second = threading.Thread(
            target=lambda: got.append(edit.ensure_summary(d, unlocked, summarize=list_summary))
        )
        second.start()
    finally:
        other.release()
    second.join(30)
    assert not second.is_alive()
    (doc,) = got
    assert doc["events"] == len(events)
