"""Whole sessions: write, rotate, close, read back exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_helpers import make_info, synthetic, write_session

from strategies import event_streams, session_infos
from tallylight.errors import StoreError, VaultError
from tallylight.events import Event, StopReason
from tallylight.store import reader, sessions, vault, writer
from tallylight.store.reader import Verdict


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    batches=st.lists(event_streams(max_size=40), max_size=8),
    seg_max=st.sampled_from([64, 300, 1 << 20]),
    info=session_infos(),
)
def test_session_round_trip(
    tmp_path_factory: pytest.TempPathFactory, batches: list[list[Event]], seg_max: int, info
) -> None:
    d = tmp_path_factory.mktemp("rt")
    v = vault.create_vault("pw", d, params=vault.KdfParams(1, 1, 64))
    w = writer.open_session(info, d, segment_max_bytes=seg_max, seal_interval_s=1e9)
    for b in batches:
        w.write(b)
        w.seal()
    w.close(StopReason.DURATION_LIMIT)
    data = reader.read_session(d / "sessions" / info.session_id, v)
    assert data.report.verdict is Verdict.COMPLETE
    assert data.report.stop_reason is StopReason.DURATION_LIMIT
    assert data.info == info
    flat = [e for b in batches for e in b]
    assert list(data.events()) == flat
    assert data.report.events == len(flat)
    if seg_max == 64 and batches and any(batches):
        assert data.report.segments > 1


def test_columns_and_iterator_agree(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    evs = synthetic(5000)
    write_session(data_dir, "a", [evs[i : i + 700] for i in range(0, 5000, 700)])
    info, rep, cols = sessions.read_columns("a", unlocked, data_dir)
    assert rep.verdict is Verdict.COMPLETE
    assert info == make_info("a")
    assert list(cols.events()) == evs
    assert list(sessions.iter_events("a", unlocked, data_dir)) == evs
    assert np.array_equal(cols.t_ns, np.array([e.t_ns for e in evs]))


def test_writer_auto_seals_on_time_and_size(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    w = writer.open_session(make_info("b"), data_dir, seal_interval_s=0.0, max_buffer_events=10)
    evs = synthetic(25)
    w.write(evs[:3])
    assert w.events_sealed == 3  # interval 0: every write seals
    w2 = writer.open_session(make_info("c"), data_dir, seal_interval_s=1e9, max_buffer_events=10)
    w2.write(evs[:9])
    assert w2.events_sealed == 0
    w2.write(evs[9:25])
    assert w2.events_sealed == 25
    w.close(StopReason.PARTICIPANT)
    w2.close(StopReason.PARTICIPANT)
    assert list(sessions.iter_events("c", unlocked, data_dir)) == evs


def test_open_session_needs_a_vault(data_dir: Path) -> None:
    with pytest.raises(VaultError):
        writer.open_session(make_info("x"), data_dir)


def test_open_session_needs_only_the_public_key(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    # nothing but vault.json's public part is read: the writer never sees a passphrase
    w = writer.open_session(make_info("pub"), data_dir)
    w.close(StopReason.PARTICIPANT)
    assert sessions.summary("pub", unlocked, data_dir).verdict is Verdict.COMPLETE


def test_duplicate_and_invalid_session_ids(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    writer.open_session(make_info("dup"), data_dir).close(StopReason.PARTICIPANT)
    with pytest.raises(StoreError):
        writer.open_session(make_info("dup"), data_dir)
    for bad in ("", ".hidden", "a/b", "..", "x" * 129, "é"):
        with pytest.raises(StoreError):
            writer.open_session(make_info(bad), data_dir)


def test_bad_events_raise_store_error_and_keep_sealed(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    w = writer.open_session(make_info("bad"), data_dir, seal_interval_s=1e9)
    good = synthetic(10)
    w.write(good)
    w.seal()
    w.write([Event(0, 3, button=1)])  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        w.seal()
    w.write(good)
    w.close(StopReason.PARTICIPANT)
    assert list(sessions.iter_events("bad", unlocked, data_dir)) == good + good


def test_write_after_close_is_an_error(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    w = writer.open_session(make_info("cl"), data_dir)
    w.close(StopReason.PARTICIPANT)
    w.close(StopReason.PARTICIPANT)  # idempotent
    with pytest.raises(StoreError):
        w.write(synthetic(1))


def test_info_is_not_in_plaintext(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    w = writer.open_session(make_info("pt", label="Very Personal Label"), data_dir)
    w.write([Event(5, 1, key_class=1, text="SECRETTEXT")])  # type: ignore[arg-type]
    w.close(StopReason.PARTICIPANT)
    for p in (data_dir / "sessions" / "pt").iterdir():
        raw = p.read_bytes()
        assert b"Personal" not in raw
        assert b"SECRETTEXT" not in raw
        assert b"perf_counter" not in raw


def test_sessions_list_without_and_with_vault(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    write_session(data_dir, "l1", [synthetic(3)])
    write_session(data_dir, "l2", [synthetic(3)], close=False)
    rows = sessions.list_sessions(None, data_dir)
    assert [r.session_id for r in rows] == ["l1", "l2"]
    assert all(r.report is None for r in rows)
    rows = sessions.list_sessions(unlocked, data_dir)
    assert [r.verdict for r in rows] == [Verdict.COMPLETE, Verdict.INCOMPLETE]


def test_columns_written_as_columns_survive_compaction_at_close(
    data_dir: Path, unlocked: vault.UnlockedVault
) -> None:
    """``write_columns`` with a summary to write at close: the compacted version holds every event
    (it held none: only ``write`` kept the payloads that compaction rewrites from)."""
    from tallylight.review.summary import list_summary
    from tallylight.store import encoding

    events = synthetic(600, seed=3)
    cols = encoding.decode_payloads([encoding.encode_payload(events)])
    w = writer.open_session(
        make_info("columns"), data_dir, seal_interval_s=1e9, max_buffer_events=100, summarize=list_summary
    )
    for start in range(0, len(cols), 150):  # several records, so the session is compacted at close
        w.write_columns(cols.take(slice(start, start + 150)))
    w.close(StopReason.PARTICIPANT)
    back = reader.read_session(data_dir / "sessions" / "columns", unlocked)
    assert back.report.verdict == Verdict.COMPLETE
    assert back.report.records < 6  # compacted: fewer, larger records than the six written
    assert list(back.events()) == events
