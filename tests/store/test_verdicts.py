"""Damage of every kind gives the documented verdict or error, never wrong events.

See docs/FORMAT.md section 7. Events a reader returns must always be exactly the
events of the whole records before the damage.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_helpers import CHEAP, synthetic, write_session

from tallylight.errors import AuthenticationError
from tallylight.events import Event
from tallylight.store import layout, reader, vault
from tallylight.store.crypto import FRAME_HEADER, HEADER_SIZE, TYPE_EVENTS
from tallylight.store.reader import Verdict

BATCHES = [synthetic(n, seed=n) for n in (5, 17, 1, 40, 9, 23, 3)]
ALL = [e for b in BATCHES for e in b]


@pytest.fixture
def session(data_dir: Path, unlocked: vault.UnlockedVault) -> Path:
    d = write_session(data_dir, "orig", BATCHES, segment_max_bytes=300)
    assert len(layout.segment_files(d)) >= 3, "the fixture must span several segments"
    return d


def _files(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in d.iterdir() if p.is_file()}


def _restore(d: Path, files: dict[str, bytes]) -> None:
    for p in d.iterdir():
        p.unlink()
    for name, raw in files.items():
        (d / name).write_bytes(raw)


def _frames(d: Path) -> list[tuple[str, int, int, int]]:
    """(file, offset, length of the whole frame, events in it) of every record, in order."""
    out = []
    for number, path in layout.segment_files(d):
        for f in layout.scan_segment(path, number).frames:
            out.append((path.name, f.offset, FRAME_HEADER + f.length, f.rtype))
    return out


def _events_before(d: Path, v: vault.UnlockedVault) -> list[int]:
    """Cumulative event counts after each record of the intact session."""
    counts = []
    n = 0
    it = iter(BATCHES)
    for _, _, _, rtype in _frames(d):
        if rtype == TYPE_EVENTS:
            n += len(next(it))
        counts.append(n)
    return counts


def _read(d: Path, v: vault.UnlockedVault) -> tuple[Verdict, list[Event]] | None:
    """(verdict, events), or None if the reader refused with AuthenticationError."""
    try:
        data = reader.read_session(d, v)
    except AuthenticationError:
        rep, _ = reader.verify_session(d, v)
        assert rep.verdict is Verdict.CORRUPT
        assert rep.problem
        return None
    assert data.report.verdict is not Verdict.CORRUPT
    return data.report.verdict, list(data.events())


def test_intact(session: Path, unlocked: vault.UnlockedVault) -> None:
    assert _read(session, unlocked) == (Verdict.COMPLETE, ALL)


@pytest.mark.slow  # every byte of a session: `make test` runs it, the edit loop does not
def test_every_byte_truncation(session: Path, unlocked: vault.UnlockedVault) -> None:
    """Cut the session (segments in order) at every byte: torn or incomplete, exact prefix."""
    orig = _files(session)
    segs = [p.name for _, p in layout.segment_files(session)]
    frames = _frames(session)
    cum = _events_before(session, unlocked)
    starts = {}
    pos = 0
    for name in segs:
        starts[name] = pos
        pos += len(orig[name])
    total = pos
    ends = {starts[f] + off + ln: i for i, (f, off, ln, _) in enumerate(frames)}
    header_ends = {starts[n] + HEADER_SIZE for n in segs}
    for p in range(total + 1):
        files = {k: v for k, v in orig.items() if k not in segs}
        for name in segs:
            s = starts[name]
            if s < p or s == 0:  # a segment starting exactly at the cut was never created
                files[name] = orig[name][: p - s]
        _restore(session, files)
        got = _read(session, unlocked)
        assert got is not None, f"cut at {p} reported corrupt"
        verdict, evs = got
        whole = [i for e, i in ends.items() if e <= p]
        expected = cum[max(whole)] if whole else 0
        assert evs == ALL[:expected], f"cut at {p}"
        if p == total:
            assert verdict is Verdict.COMPLETE
        elif p in ends or p in header_ends:
            assert verdict is Verdict.INCOMPLETE, f"cut at {p}: {verdict}"
        else:
            assert verdict is Verdict.TORN, f"cut at {p}: {verdict}"
    _restore(session, orig)


def test_empty_next_segment_is_torn(session: Path, unlocked: vault.UnlockedVault) -> None:
    segs = layout.segment_files(session)
    segs[-1][1].write_bytes(b"")
    got = _read(session, unlocked)
    assert got is not None
    assert got[0] is Verdict.TORN


@pytest.mark.slow  # every bit of a session
def test_bit_flip_in_every_byte(session: Path, unlocked: vault.UnlockedVault) -> None:
    orig = _files(session)
    frames = _frames(session)
    last_file = frames[-1][0]
    cum = _events_before(session, unlocked)
    # a longer length field of a frame in the last segment looks like a torn write (inherent)
    torn_ok = {
        (f, off + k): (cum[j - 1] if j else 0)
        for j, (f, off, _, _) in enumerate(frames)
        if f == last_file
        for k in range(1, FRAME_HEADER)
    }
    checked = 0
    for name in sorted(orig):
        if name == "writer.lock" or name.startswith("."):
            continue
        raw = orig[name]
        for i in range(len(raw)):
            for bit in (0, 7) if i % 7 else (0, 3, 7):
                bad = bytearray(raw)
                bad[i] ^= 1 << bit
                (session / name).write_bytes(bytes(bad))
                got = _read(session, unlocked)
                checked += 1
                if got is None:
                    continue
                assert (name, i) in torn_ok, (name, i, bit)
                assert got == (Verdict.TORN, ALL[: torn_ok[name, i]])
            (session / name).write_bytes(raw)
    assert checked > 2000


def _frame_bytes(d: Path, name: str) -> tuple[bytes, list[bytes]]:
    raw = (d / name).read_bytes()
    lay = layout.scan_segment(d / name, int(name[4:12]))
    return raw[:HEADER_SIZE], [raw[f.offset : f.offset + FRAME_HEADER + f.length] for f in lay.frames]


def _segment_with_most_frames(d: Path) -> str:
    return max((p.name for _, p in layout.segment_files(d)), key=lambda n: len(_frame_bytes(d, n)[1]))


@pytest.mark.parametrize("edit", ["swap", "drop_middle", "duplicate", "duplicate_last"])
def test_reordered_dropped_duplicated_records(
    session: Path, unlocked: vault.UnlockedVault, edit: str
) -> None:
    name = _segment_with_most_frames(session)
    header, fr = _frame_bytes(session, name)
    assert len(fr) >= 3
    if edit == "swap":
        fr[0], fr[1] = fr[1], fr[0]
    elif edit == "drop_middle":
        del fr[1]
    elif edit == "duplicate":
        fr.insert(1, fr[1])
    else:
        fr.append(fr[-1])
    (session / name).write_bytes(header + b"".join(fr))
    assert _read(session, unlocked) is None


def test_records_spliced_from_another_session(
    session: Path, data_dir: Path, unlocked: vault.UnlockedVault
) -> None:
    other = write_session(data_dir, "other", BATCHES, segment_max_bytes=300)
    name = layout.segment_files(session)[0][1].name
    h1, f1 = _frame_bytes(session, name)
    h2, f2 = _frame_bytes(other, name)
    orig = (session / name).read_bytes()
    # a record from the other session at the same index
    f = list(f1)
    f[1] = f2[1]
    (session / name).write_bytes(h1 + b"".join(f))
    assert _read(session, unlocked) is None
    # the other session's header with our records
    (session / name).write_bytes(h2 + b"".join(f1))
    assert _read(session, unlocked) is None
    # a whole segment file from the other session
    shutil.copy(other / name, session / name)
    assert _read(session, unlocked) is None
    (session / name).write_bytes(orig)
    # the other session's key file
    shutil.copy(other / "key", session / "key")
    assert _read(session, unlocked) is None


def test_segments_renamed_missing_or_swapped(session: Path, unlocked: vault.UnlockedVault) -> None:
    orig = _files(session)
    segs = [p for _, p in layout.segment_files(session)]
    segs[1].unlink()  # a gap
    assert _read(session, unlocked) is None
    _restore(session, orig)
    segs[1].unlink()  # dropped and the rest renumbered
    for p in segs[2:]:
        p.rename(p.with_name(f"seg-{int(p.name[4:12]) - 1:08d}.tls"))
    assert _read(session, unlocked) is None
    _restore(session, orig)
    a, b = orig[segs[0].name], orig[segs[1].name]
    segs[0].write_bytes(b)
    segs[1].write_bytes(a)
    assert _read(session, unlocked) is None
    _restore(session, orig)
    segs[-1].unlink()  # the last segment gone: indistinguishable from a crash at rotation
    got = _read(session, unlocked)
    assert got is not None
    assert got[0] is Verdict.INCOMPLETE


def test_wrong_key(session: Path, tmp_path: Path) -> None:
    other = vault.create_vault("x", tmp_path, params=CHEAP)
    with pytest.raises(AuthenticationError, match="different device key"):
        reader.read_session(session, other)


def test_renamed_session_does_not_open(session: Path, unlocked: vault.UnlockedVault) -> None:
    moved = session.with_name("renamed")
    session.rename(moved)
    with pytest.raises(AuthenticationError):
        reader.read_session(moved, unlocked)


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00",
        b"\x02\x10\x00",
        b"\x00" * 64,
        b"\x02\x20\x00\x00\x00" + b"A" * 32,
        b"\x02\xff\xff\xff\x00",
        b"\x03\x10\x00\x00\x00" + b"\x00" * 16,
    ],
)
def test_trailing_garbage_after_end(session: Path, unlocked: vault.UnlockedVault, garbage: bytes) -> None:
    last = layout.segment_files(session)[-1][1]
    last.write_bytes(last.read_bytes() + garbage)
    assert _read(session, unlocked) is None


@pytest.mark.parametrize(
    ("garbage", "verdict"),
    [
        (b"\x02\x10", Verdict.TORN),  # partial frame header
        (b"\x02\xff\xff\x00\x00", Verdict.TORN),  # length past the end
        (b"\x00" * 40, Verdict.TORN),  # zero-filled tail (power loss)
        (b"\x02\x20\x00\x00\x00" + b"A" * 32, None),  # a whole frame that does not authenticate
        (b"\x02\x01\x00\x00\x00", None),  # a length below the tag size
    ],
)
def test_trailing_garbage_on_unfinished_session(
    data_dir: Path, unlocked: vault.UnlockedVault, garbage: bytes, verdict: Verdict | None
) -> None:
    d = write_session(data_dir, "open", BATCHES[:3], close=False)
    last = layout.segment_files(d)[-1][1]
    last.write_bytes(last.read_bytes() + garbage)
    got = _read(d, unlocked)
    if verdict is None:
        assert got is None
    else:
        assert got == (verdict, [e for b in BATCHES[:3] for e in b])


def test_missing_key_file(session: Path, unlocked: vault.UnlockedVault) -> None:
    (session / "key").unlink()
    assert _read(session, unlocked) is None


def test_forged_end_counts(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    """END's counts are checked (an END that lies about the total is corrupt), via a writer bug simulation."""
    from tallylight.store import writer
    from tallylight.store.crypto import TYPE_END

    w = writer.open_session(__import__("store_helpers").make_info("forge"), data_dir, seal_interval_s=1e9)
    w.write(BATCHES[0])
    w.seal()
    w._append(TYPE_END, writer.encode_end(1, len(BATCHES[0]) + 1, w._index))
    w._closed = True
    w._close_fd()
    w._lock.release()
    assert _read(data_dir / "sessions" / "forge", unlocked) is None


def test_length_field_layout_is_as_specified(session: Path) -> None:
    raw = layout.segment_files(session)[0][1].read_bytes()
    rtype, length = struct.unpack_from("<BI", raw, HEADER_SIZE)
    assert rtype == 1
    assert HEADER_SIZE + FRAME_HEADER + length <= len(raw)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.binary(max_size=300))
def test_layout_parser_accepts_any_bytes(raw: bytes) -> None:
    import tempfile

    with tempfile.NamedTemporaryFile() as fh:
        fh.write(raw)
        fh.flush()
        lay = layout.scan_segment(Path(fh.name), 0)
    pos = HEADER_SIZE
    for f in lay.frames:
        assert f.offset == pos
        pos += FRAME_HEADER + f.length
    assert lay.end <= lay.size == len(raw)
    assert lay.tail in ("none", "torn", "zeros", "bad-length")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.data())
def test_random_damage_never_yields_wrong_events(
    session: Path, unlocked: vault.UnlockedVault, data: st.DataObject
) -> None:
    orig = _files(session)
    names = sorted(n for n in orig if n.startswith("seg-") or n == "key")
    name = data.draw(st.sampled_from(names))
    raw = bytearray(orig[name])
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["set", "insert", "delete", "append"]))
        i = data.draw(st.integers(0, len(raw)))
        if op == "set" and i < len(raw):
            raw[i] = data.draw(st.integers(0, 255))
        elif op == "insert":
            raw[i:i] = data.draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del raw[i : i + data.draw(st.integers(1, 8))]
        else:
            raw += data.draw(st.binary(min_size=1, max_size=8))
    try:
        (session / name).write_bytes(bytes(raw))
        got = _read(session, unlocked)
        if got is not None:
            verdict, evs = got
            assert evs == ALL[: len(evs)]  # authentic: exactly a prefix of what was written
            if verdict is Verdict.COMPLETE:
                assert evs == ALL
                assert bytes(raw) == orig[name]
    finally:
        _restore(session, orig)
