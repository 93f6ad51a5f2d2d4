"""Crash recovery: SIGKILLed writers, live sessions, sidecars, never touching sealed bytes."""

from __future__ import annotations

import json
import random
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from crash_harness import check_recovered, crash_once, recover_all
from store_helpers import make_info, synthetic, write_session

from tallylight.events import StopReason
from tallylight.store import layout, reader, recovery, vault, writer
from tallylight.store.reader import Verdict

KILLS = 52
MAX_LOST_S = 1.0 + 0.5  # seal interval, plus slack for the seal itself on a busy test machine


@pytest.mark.slow
def test_sigkill_at_random_moments(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    rng = random.Random(20261129)
    seeds = [random.Random(rng.random()) for _ in range(KILLS)]
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda a: crash_once(data_dir, f"crash-{a[0]:03d}", a[1]), enumerate(seeds)))
    before = {
        sid: {p.name: p.read_bytes() for p in (data_dir / "sessions" / sid).glob("seg-*")} for sid, *_ in runs
    }
    found = recover_all(data_dir)
    assert sorted(r.session_id for r in found) == sorted(sid for sid, *_ in runs)
    for sid, kill_s, acked, _ in runs:
        # recovery never writes to a segment
        assert {p.name: p.read_bytes() for p in (data_dir / "sessions" / sid).glob("seg-*")} == before[sid]
        res = check_recovered(data_dir, unlocked, sid, kill_s, acked)
        assert res.lost_s <= MAX_LOST_S, res


def test_live_session_is_not_recovered(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    w = writer.open_session(make_info("live"), data_dir)
    w.write(synthetic(10))
    w.seal()
    assert recovery.find_unfinished(data_dir) == []
    assert recovery.recover_unfinished(data_dir) == []
    assert not (data_dir / "sessions" / "live" / "closed.json").exists()
    w.close(StopReason.PARTICIPANT)
    assert reader.read_session(data_dir / "sessions" / "live", unlocked).report.verdict is Verdict.COMPLETE


def test_torn_tail_reported_and_kept_out(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    evs = synthetic(30)
    d = write_session(data_dir, "torn", [evs[:10], evs[10:]], close=False)
    seg = d / "seg-00000000.tls"
    full = seg.read_bytes()
    lay = layout.scan_segment(seg, 0)
    cut = lay.frames[-1].offset + 9
    seg.write_bytes(full[:cut])
    assert reader.read_session(d, unlocked).report.verdict is Verdict.TORN
    (r,) = recovery.recover_unfinished(data_dir)
    assert (r.session_id, r.segment, r.records_kept, r.lost_bytes) == ("torn", 0, 2, 9)
    assert "lost" in r.describe()
    data = reader.read_session(d, unlocked)
    assert data.report.verdict is Verdict.RECOVERED
    assert data.report.lost_bytes == 9
    assert list(data.events()) == evs[:10]
    assert seg.read_bytes() == full[:cut]  # never truncated or rewritten


def test_finished_and_empty_sessions(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    write_session(data_dir, "done", [synthetic(3)])
    d = data_dir / "sessions" / "empty"
    d.mkdir(parents=True)
    (d / "key").write_bytes(b"x")
    found = recovery.recover_unfinished(data_dir)
    assert [r.session_id for r in found] == ["empty"]
    rep, _ = reader.verify_session(d, unlocked)
    assert rep.verdict is Verdict.CORRUPT  # a key file that is not one


def test_looking_for_unfinished_sessions_interns_no_session_id(
    data_dir: Path, unlocked: vault.UnlockedVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app looks at every session at each start. pathlib interns each part it parses, and
    an id interned and freed again at every start churned the interpreter's table of interned
    strings until it doubled (0.9 MiB more, between the 150th and 200th start of the soak)."""
    ids = [f"done{i}" for i in range(3)]
    for sid in ids:
        write_session(data_dir, sid, [synthetic(2)])
    interned: list[str] = []
    real = sys.intern

    def counted(s: str) -> str:
        interned.append(s)
        return real(s)

    monkeypatch.setattr(sys, "intern", counted)
    assert recovery.find_unfinished(data_dir) == []
    assert interned  # pathlib still interns the files' own names: the count is real
    assert not set(ids) & set(interned)


def test_sidecar_that_does_not_match_is_ignored(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    d = write_session(data_dir, "side", [synthetic(5)], close=False)
    recovery.recover_unfinished(data_dir)
    doc = json.loads((d / "closed.json").read_text())
    doc["records"] += 1  # claims more than exists (data went missing after recovery)
    (d / "closed.json").write_text(json.dumps(doc))
    assert reader.read_session(d, unlocked).report.verdict is Verdict.INCOMPLETE
    # a complete session never becomes "recovered", whatever a sidecar says
    d2 = write_session(data_dir, "side2", [synthetic(5)])
    (d2 / "closed.json").write_text(
        json.dumps({**doc, "records": 3, "size": (d2 / "seg-00000000.tls").stat().st_size})
    )
    assert reader.read_session(d2, unlocked).report.verdict is Verdict.COMPLETE


def test_damage_is_not_mistaken_for_a_crash(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    d = write_session(data_dir, "dmg", [synthetic(5)], close=False)
    seg = d / "seg-00000000.tls"
    seg.write_bytes(seg.read_bytes() + b"\x02\x01\x00\x00\x00garbage")
    assert recovery.find_unfinished(data_dir) == []
    assert reader.verify_session(d, unlocked)[0].verdict is Verdict.CORRUPT


def test_crash_between_next_and_new_segment(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    evs = synthetic(40)
    d = write_session(data_dir, "rot", [evs[:20], evs[20:]], segment_max_bytes=64)
    segs = layout.segment_files(d)
    segs[-1][1].unlink()  # killed after NEXT was durable, before the next segment existed
    assert reader.read_session(d, unlocked).report.verdict is Verdict.INCOMPLETE
    (_r,) = recovery.recover_unfinished(data_dir)
    data = reader.read_session(d, unlocked)
    assert data.report.verdict is Verdict.RECOVERED
    assert list(data.events()) == evs


def test_delete_destroys_the_key_first(
    data_dir: Path, unlocked: vault.UnlockedVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If deleting is interrupted after the key, what is left can no longer be read by anyone."""
    import shutil

    from tallylight.errors import StoreError
    from tallylight.store import sessions

    d = write_session(data_dir, "del", [synthetic(20)])
    key_before = (d / "key").read_bytes()

    def interrupted(path: object, *a: object, **k: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(shutil, "rmtree", interrupted)
    with pytest.raises(StoreError):
        sessions.delete("del", data_dir)
    assert not (d / "key").exists()
    assert (d / "seg-00000000.tls").exists()
    assert reader.verify_session(d, unlocked)[0].verdict is Verdict.CORRUPT
    monkeypatch.undo()
    sessions.delete("del", data_dir)
    assert not d.exists()
    assert key_before  # (the old key bytes were overwritten on disk before the unlink)


def test_delete_refuses_a_live_session(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    from tallylight.errors import StoreError
    from tallylight.store import sessions

    w = writer.open_session(make_info("busy"), data_dir)
    with pytest.raises(StoreError):
        sessions.delete("busy", data_dir)
    w.close(StopReason.PARTICIPANT)
    sessions.delete("busy", data_dir)
