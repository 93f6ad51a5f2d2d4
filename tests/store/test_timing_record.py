"""The TIMING record (FORMAT.md section 12): written before END, read back, placed strictly;
sessions without one (written before it existed) read as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from store_helpers import make_info, synthetic, write_session

from tallylight.events import StopReason
from tallylight.review.summary import list_summary
from tallylight.store import crypto, reader, vault, writer
from tallylight.store.reader import Verdict

QUALITY = {"version": 1, "stored_time": "best-estimate", "retimed": 3, "notes": ["ünïcode fine"]}


def _write(data_dir: Path, sid: str, timing: dict | None, *, close: bool = True) -> Path:
    w = writer.open_session(make_info(sid), data_dir, seal_interval_s=1e9)
    w.write(synthetic(50))
    w.seal()
    if timing is not None:
        w.note_timing(timing)
    if close:
        w.close(StopReason.PARTICIPANT)
    return data_dir / "sessions" / sid


def test_round_trip(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    d = _write(data_dir, "with-timing", QUALITY)
    data = reader.read_session(d, unlocked)
    assert data.report.verdict == Verdict.COMPLETE
    assert data.timing == QUALITY
    assert len(list(data.events())) == 50


def test_sessions_written_before_have_none(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    d = write_session(data_dir, "old", [synthetic(20)])
    data = reader.read_session(d, unlocked)
    assert data.report.verdict == Verdict.COMPLETE
    assert data.timing is None


@settings(deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=10),
        st.one_of(st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.text(max_size=20)),
        max_size=8,
    )
)
def test_any_json_object_round_trips(tmp_path_factory: pytest.TempPathFactory, doc: dict) -> None:
    data_dir = tmp_path_factory.mktemp("data")
    from store_helpers import CHEAP, PASS

    v = vault.create_vault(PASS, data_dir, params=CHEAP)
    d = _write(data_dir, "any", doc)
    assert reader.read_session(d, v).timing == doc


def _seal_extra(session_dir: Path, unlocked: vault.UnlockedVault, rtype: int, body: bytes, at: int) -> None:
    """Rewrite the last segment with a validly sealed record of ``rtype`` inserted at index ``at``
    (what a buggy or hostile writer holding the key could do): the reader must place it."""
    from tallylight.store.layout import scan_segment

    seg = sorted(session_dir.glob("seg-*.tls"))[-1]
    data = seg.read_bytes()
    key = reader.key_source(unlocked)(session_dir)
    header = data[: crypto.HEADER_SIZE]
    aead = crypto.segment_aead(key.key, header)
    lay = scan_segment(seg, int(seg.name[4:12]), data)
    bodies = []
    for i, fr in enumerate(lay.frames):
        ct = memoryview(data)[fr.body_start : fr.end]
        bodies.append((fr.rtype, crypto.open_record(aead, header, i, fr.rtype, ct)))
    bodies.insert(at, (rtype, body))
    out = bytearray(header)
    for i, (t, b) in enumerate(bodies):
        if t == crypto.TYPE_END:  # END counts the records before it
            reason, total, _ = reader._parse_end(b)
            b = writer.encode_end(reason, total, i)
        out += crypto.seal_record(aead, header, i, t, b)
    seg.write_bytes(bytes(out))


def test_timing_out_of_place_is_corrupt(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    d = _write(data_dir, "misplaced", None)
    _seal_extra(d, unlocked, crypto.TYPE_TIMING, b"{}", 1)  # before an EVENTS record
    rep, data = reader.verify_session(d, unlocked)
    assert rep.verdict == Verdict.CORRUPT
    assert data is None
    assert "timing" in rep.problem


def test_two_timing_records_are_corrupt(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    d = _write(data_dir, "twice", QUALITY)
    _seal_extra(d, unlocked, crypto.TYPE_TIMING, b"{}", -1)  # a second one right before END
    rep, _ = reader.verify_session(d, unlocked)
    assert rep.verdict == Verdict.CORRUPT


@pytest.mark.parametrize("body", [b"[1, 2]", b"not json", b"\xff\xfe"])
def test_malformed_timing_body_is_corrupt(data_dir: Path, unlocked: vault.UnlockedVault, body: bytes) -> None:
    d = _write(data_dir, "bad-body", None)
    _seal_extra(d, unlocked, crypto.TYPE_TIMING, body, -1)
    rep, _ = reader.verify_session(d, unlocked)
    assert rep.verdict == Verdict.CORRUPT
    assert "timing record is damaged" in rep.problem


def test_crash_between_timing_and_end_keeps_it(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    d = _write(data_dir, "crashed", None)
    seg = sorted(d.glob("seg-*.tls"))[-1]
    from tallylight.store.layout import scan_segment

    lay = scan_segment(seg, 0, seg.read_bytes())
    seg.write_bytes(seg.read_bytes()[: lay.frames[-1].offset])  # drop END
    _seal_extra(d, unlocked, crypto.TYPE_TIMING, b'{"version": 1}', len(lay.frames) - 1)
    rep, data = reader.verify_session(d, unlocked)
    assert rep.verdict == Verdict.INCOMPLETE
    assert data is not None
    assert data.timing == {"version": 1}


def test_independent_reader_reads_it(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    from store_helpers import PASS
    from test_spec_reader import read, unlock

    d = _write(data_dir, "spec-timing", QUALITY)
    timing: dict = {}
    _, events, stop = read(d, unlock(data_dir, PASS), timing)
    assert timing == QUALITY
    assert len(events) == 50
    assert stop == int(StopReason.PARTICIPANT)


def test_compaction_carries_it_and_a_cut_recounts_it(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    """A compacted version of the session (FORMAT.md section 11) keeps the old TIMING record;
    a cut recounts it from the events that remain."""
    from tallylight.store import edit

    w = writer.open_session(make_info("compacted"), data_dir, seal_interval_s=1e9, summarize=list_summary)
    for i in range(3):  # several small records: compacted at close
        w.write(synthetic(40, seed=i))
        w.seal()
    w.note_timing(QUALITY)
    w.close(StopReason.PARTICIPANT)
    d = data_dir / "sessions" / "compacted"
    assert reader.read_session(d, unlocked).timing == QUALITY
    edit.cut_session(d, unlocked, 0, 10**8, summarize=list_summary)
    after = reader.read_session(d, unlocked)
    assert after.info is not None
    assert after.info.extra["trimmed"]
    assert after.timing is not None
    assert after.timing["retimed"] is None
    assert after.timing["input_events"] == sum(1 for e in after.events() if e.kind != 7)


def test_a_cut_recomputes_the_timing_record_from_the_events_that_remain(
    data_dir: Path, unlocked: vault.UnlockedVault
) -> None:
    """issue 17 item 6: after a cut the record no longer counts the events of the removed span."""
    import json

    from tallylight import events as ev
    from tallylight.recorder.timing import SessionTiming
    from tallylight.store import edit

    q = SessionTiming(0, "perf_counter_ns").quality(4.0)
    q |= {"os_clock": "x11-server-time", "events_with_os_time": 40, "retimed": 7, "late_reordered": 2}
    q |= {"delivery_lag_p99_us": 850.0, "input_events": 40, "rate_mean_per_s": 10.0, "rate_peak_per_s": 20}
    w = writer.open_session(make_info("cut"), data_dir, seal_interval_s=1e9)
    # 20 key presses in the first second, 20 more spread over seconds 2 to 4
    first = [ev.key_down(i * 40_000_000, ev.KeyClass.LETTER, key=i) for i in range(20)]
    rest = [ev.key_down(2_000_000_000 + i * 100_000_000, ev.KeyClass.LETTER, key=i) for i in range(20)]
    w.write([ev.marker(0, ev.Marker.SESSION_START), *first, *rest])
    w.seal()
    w.note_timing(q)
    w.close(StopReason.PARTICIPANT)
    d = data_dir / "sessions" / "cut"
    edit.cut_session(d, unlocked, 0, 1_000_000_000, summarize=list_summary)  # the busy first second
    t = reader.read_session(d, unlocked).timing
    assert t is not None
    assert t["input_events"] == 20
    assert t["rate_peak_per_s"] == 10
    assert t["rate_mean_per_s"] == round(20 / 3.9, 2)  # over the session's span (last event at 3.9 s)
    for name in ("events_with_os_time", "retimed", "late_reordered", "delivery_lag_p99_us"):
        assert t[name] is None, name
    assert any("20 input events were cut out" in n for n in t["notes"])
    assert "7 of 40" not in json.dumps(t)
