"""Issue 7 item 13: the test vectors under tests/vectors/, read by Tallylight and by the spec reader.

Each case is a session directory with its expected verdict, stop reason, lost
bytes and events (tests/vectors/expected/). Both readers must report exactly
that; the spec reader (tests/store/spec_reader.py) knows only docs/FORMAT.md.
Crafted damage beyond the vectors is checked for agreement too.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import pytest
import spec_reader
from store_helpers import CHEAP, make_info, synthetic, write_session

from tallylight.store import recovery, vault
from tallylight.store.reader import verify_session

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
PASSPHRASE = "tallylight test vectors"
CASES = sorted(p.stem for p in (VECTORS / "expected").glob("*.json"))


@pytest.fixture(scope="module")
def keys() -> tuple[vault.UnlockedVault, object]:
    return vault.unlock(PASSPHRASE, VECTORS), spec_reader.unlock(VECTORS, PASSPHRASE)


def ours(session: Path, v: vault.UnlockedVault) -> spec_reader.Result:
    rep, data = verify_session(session, v)
    events = [tuple(e) for e in data.events()] if data is not None else []
    stop = None
    if rep.stop_reason is not None:
        stop = int(rep.stop_reason)
    return spec_reader.Result(rep.verdict.value, events, stop, rep.lost_bytes)


def test_there_are_vectors_for_every_verdict() -> None:
    verdicts = {json.loads((VECTORS / "expected" / f"{c}.json").read_text())["verdict"] for c in CASES}
    assert verdicts == {"complete", "recovered", "incomplete", "torn", "corrupt"}
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES)
def test_vector(case: str, keys, tmp_path: Path) -> None:
    v, device = keys
    expected = json.loads((VECTORS / "expected" / f"{case}.json").read_text())
    session = VECTORS / "sessions" / case
    want_events = [tuple(e) for e in expected["events"]]
    spec = spec_reader.read_session(session, device)
    assert (spec.verdict, spec.lost_bytes) == (expected["verdict"], expected["lost_bytes"]), expected["why"]
    assert spec.events == want_events
    if expected["verdict"] == "complete":
        assert spec.stop_reason == expected["stop_reason"]
    got = ours(session, v)
    assert (got.verdict, got.lost_bytes) == (expected["verdict"], expected["lost_bytes"]), expected["why"]
    assert got.events == want_events
    if expected["verdict"] == "complete" and expected["stop_reason"] < 9:  # known reasons are named
        assert got.stop_reason == expected["stop_reason"]
    if "timing" in expected:
        assert spec.timing == expected["timing"]
        verified = verify_session(session, v)[1]
        assert verified is not None
        assert verified.timing == expected["timing"]
    assert spec.trials == expected.get("trials", [])
    data = verify_session(session, v)[1]
    assert (data.trials if data else []) == expected.get("trials", [])


@pytest.mark.parametrize("case", [c for c in CASES if c.startswith(("torn", "incomplete", "no-segments"))])
def test_recovery_turns_torn_and_incomplete_vectors_into_recovered(case: str, keys, tmp_path: Path) -> None:
    v, device = keys
    data = tmp_path / "data"
    (data / "sessions").mkdir(parents=True)
    shutil.copy(VECTORS / "vault.json", data / "vault.json")
    shutil.copytree(VECTORS / "sessions" / case, data / "sessions" / case)
    (data / "sessions" / case / "closed.json").unlink(missing_ok=True)
    assert [r.session_id for r in recovery.recover_unfinished(data)] == [case]
    expected = json.loads((VECTORS / "expected" / f"{case}.json").read_text())
    for result in (
        ours(data / "sessions" / case, v),
        spec_reader.read_session(data / "sessions" / case, device),
    ):
        assert result.verdict == "recovered"
        assert result.events == [tuple(e) for e in expected["events"]]


def test_crafted_damage_gets_the_same_verdict_from_both_readers(data_dir: Path) -> None:
    """Truncations, zero tails, flipped bytes and appended garbage at random places of a real session."""
    v = vault.create_vault("pw", data_dir, params=CHEAP)
    device = spec_reader.unlock(data_dir, "pw")
    src = write_session(
        data_dir, "orig", [synthetic(30, seed=i) for i in range(8)], segment_max_bytes=900, close=False
    )
    rng = random.Random(7)
    segs = sorted(src.glob("seg-*.tls"))
    seen = set()
    for trial in range(120):
        d = data_dir / "sessions" / "orig"
        work = data_dir / "work"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(d, work / "orig")
        target = work / "orig" / rng.choice(segs).name
        raw = bytearray(target.read_bytes())
        how = rng.choice(["truncate", "boundary", "zeros", "flip", "garbage", "short-zero"])
        if how == "boundary":  # a crash between two records
            ends, pos = [], 48
            while pos + 5 <= len(raw):
                pos += 5 + int.from_bytes(raw[pos + 1 : pos + 5], "little")
                ends.append(pos)
            del raw[rng.choice(ends) :]
        elif how == "truncate":
            del raw[rng.randrange(len(raw)) :]
        elif how == "zeros":
            cut = rng.randrange(len(raw))
            raw[cut:] = bytes(len(raw) - cut + rng.randrange(100))
        elif how == "flip":
            raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        elif how == "garbage":
            raw += os.urandom(rng.randrange(1, 40))
        else:
            raw = bytearray(rng.randrange(0, 100))
        target.write_bytes(bytes(raw))
        spec = spec_reader.read_session(work / "orig", device)
        mine = ours(work / "orig", v)
        assert (mine.verdict, mine.lost_bytes, mine.events) == (spec.verdict, spec.lost_bytes, spec.events), (
            trial,
            how,
            target.name,
        )
        seen.add(mine.verdict)
    assert {"torn", "corrupt", "incomplete"} <= seen


def test_info_with_wrong_types_is_corrupt_for_both(data_dir: Path) -> None:
    from tallylight.events import StopReason
    from tallylight.store import writer

    v = vault.create_vault("pw", data_dir, params=CHEAP)
    device = spec_reader.unlock(data_dir, "pw")
    for i, (name, value) in enumerate(
        [("label", 5), ("clicks", "yes"), ("started_wall_ns", 1.5), ("key_mode", "everything"), ("extra", [])]
    ):
        sid = f"info{i}"
        info = make_info(sid)
        w = writer.open_session(info, data_dir, seal_interval_s=1e9)
        w.close(StopReason.PARTICIPANT)
        # re-seal segment 0 with a crafted INFO: only a key holder can do this
        d = data_dir / "sessions" / sid
        for p in d.glob("seg-*.tls"):
            p.unlink()
        w = writer.SessionWriter(info, d, *_key_and_uid(d, v), writer.FileLock(d / "writer.lock"))
        w._open_segment(0)
        doc = {**info.to_dict(), name: value}
        w._append(1, json.dumps(doc).encode())
        w._append(3, writer.encode_end(1, 0, 1))
        w._close_fd()
        assert spec_reader.read_session(d, device).verdict == "corrupt", name
        assert ours(d, v).verdict == "corrupt", name


def _key_and_uid(d: Path, v: vault.UnlockedVault) -> tuple[bytes, bytes]:
    k = v.session_key(d)
    return k.key, k.uid
