"""Regenerate the session test vectors of tests/vectors/ (docs/FORMAT.md section 12.8).

    .venv/bin/python tests/vectors/make_vectors.py

Writes ``vault.json`` (passphrase in ``PASSPHRASE``, cheap Argon2id parameters),
one session per case under ``sessions/<case>/`` (the case name is the session
id), and ``expected/<case>.json``: the verdict, stop reason, lost bytes and events
a reader must report. The bytes change on every run (keys and salts are random);
the expectations do not. Damage is made by hand, the way a crash, a full disk or
an attacker would leave it.
"""

from __future__ import annotations

import json
import shutil
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1] / "src"), str(HERE.parent)]

from tallylight import events as ev  # noqa: E402
from tallylight.events import Event, SessionInfo, StopReason  # noqa: E402
from tallylight.options import CaptureOptions, KeyMode  # noqa: E402
from tallylight.store import crypto, vault, writer  # noqa: E402
from tallylight.store.crypto import HEADER_SIZE, KdfParams  # noqa: E402

PASSPHRASE = "tallylight test vectors"
CHEAP = KdfParams(iterations=1, lanes=1, memory_kib=64)


def info(sid: str) -> SessionInfo:
    return SessionInfo(
        sid,
        1_700_000_000_000_000_000,
        "perf_counter_ns",
        1,
        CaptureOptions(keys=KeyMode.FULL),
        label="vector",
        platform="linux",
        app_version="vectors",
    )


def batch(i: int) -> list[Event]:
    t = 1_000_000_000 * (i + 1)
    return [
        ev.marker(t, ev.Marker.SESSION_START) if i == 0 else ev.move(t, 10 * i, -5 * i),
        ev.key_down(t + 1000, ev.KeyClass.LETTER, 0x61 + i, chr(0x61 + i)),
        ev.key_up(t + 90_000_000, ev.KeyClass.LETTER, 0x61 + i, chr(0x61 + i)),
        ev.button(t + 100_000_000, 640, 512, ev.Button.LEFT, True),
        ev.button(t + 150_000_000, 641, 512, ev.Button.LEFT, False),
        ev.scroll(t + 200_000_000, 641, 512, 0, -1),
        ev.key_down(t + 300_000_000, ev.KeyClass.OTHER, 2**64 - 1 - i, "é😀"),
        ev.move(t - 5, -(2**31), 2**31 - 1),  # earlier than the one before: times need not be monotonic
    ]


def write(
    root: Path, sid: str, n: int, *, close: bool = True, rotate_every: int = 0, rotate_last: bool = False
) -> tuple[Path, list]:
    """``n`` batches, one EVENTS record each; ``rotate_last``: crash just after starting a new segment."""
    w = writer.open_session(info(sid), root, seal_interval_s=1e9)
    out = []
    for i in range(n):
        b = batch(i)
        out += b
        w.write(b)
        w.seal()
        if rotate_every and (i + 1) % rotate_every == 0 and i + 1 < n:
            w._rotate()
    if rotate_last:
        w._rotate()  # NEXT, then a new segment with its header
    if close:
        w.close(StopReason.PARTICIPANT)
    else:
        w._close_fd()
        w._lock.release()
    return root / "sessions" / sid, out


def seg(d: Path, k: int) -> Path:
    return d / f"seg-{k:08d}.tls"


def expect(
    root: Path,
    sid: str,
    verdict: str,
    evs: list,
    *,
    stop: int | None = None,
    lost: int = 0,
    why: str,
    extra: dict | None = None,
) -> None:
    doc = {
        "session_id": sid,
        "verdict": verdict,
        "why": why,
        "stop_reason": stop,
        "lost_bytes": lost,
        "events": [list(e) for e in evs] if verdict != "corrupt" else [],
        **(extra or {}),
    }
    (root / "expected" / f"{sid}.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")


def closure(d: Path, segment: int, records: int, size: int, lost: int) -> None:
    note = {
        "format": "tallylight-closed",
        "version": 1,
        "segment": segment,
        "records": records,
        "size": size,
        "lost_bytes": lost,
        "reason": "crash",
        "closed_wall_ns": 1_700_000_100_000_000_000,
    }
    (d / "closed.json").write_text(json.dumps(note))


def frames(path: Path) -> list[tuple[int, int, int]]:
    data = path.read_bytes()
    out, pos = [], HEADER_SIZE
    while pos < len(data):
        rtype, L = struct.unpack_from("<BI", data, pos)
        out.append((pos, rtype, L))
        pos += 5 + L
    return out


def reseal(w: writer.SessionWriter, rtype: int, body: bytes) -> None:
    w._append(rtype, body)


def last_frame(path: Path) -> tuple[int, int, int]:
    """(offset, type, L) of the last whole frame of a segment."""
    data = path.read_bytes()
    out, pos = (0, 0, 0), HEADER_SIZE
    while pos + 5 <= len(data):
        rtype, L = struct.unpack_from("<BI", data, pos)
        if pos + 5 + L > len(data):
            break
        out = (pos, rtype, L)
        pos += 5 + L
    return out


def main() -> None:
    root = HERE
    for name in ("sessions", "expected", "vault.json"):
        p = root / name
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink(missing_ok=True)
    (root / "expected").mkdir()
    vault.create_vault(PASSPHRASE, root, params=CHEAP)
    P = int(StopReason.PARTICIPANT)
    B = len(batch(0))

    d, e = write(root, "complete", 6, rotate_every=2)
    expect(root, "complete", "complete", e, stop=P, why="three segments: NEXT, NEXT, END")

    d, e = write(root, "incomplete", 3, close=False)
    expect(root, "incomplete", "incomplete", e, why="whole records, no END, no sidecar")

    d, e = write(root, "torn-mid-record", 3, close=False)
    off, _, L = last_frame(seg(d, 0))
    seg(d, 0).write_bytes(seg(d, 0).read_bytes()[: off + 5 + L - 7])
    expect(root, "torn-mid-record", "torn", e[:-B], lost=5 + L - 7, why="the last record is 7 bytes short")

    d, e = write(root, "torn-frame-header", 3, close=False)
    seg(d, 0).write_bytes(seg(d, 0).read_bytes() + b"\x02\x30")
    expect(root, "torn-frame-header", "torn", e, lost=2, why="2 bytes of a next frame header (fewer than 5)")

    d, e = write(root, "torn-zero-tail", 3, close=False)
    seg(d, 0).write_bytes(seg(d, 0).read_bytes() + bytes(4096))
    expect(
        root,
        "torn-zero-tail",
        "torn",
        e,
        lost=4096,
        why="the file grew by 4096 zero bytes that were never written",
    )

    for name, tail in (
        ("torn-zero-segment", bytes(48)),
        ("torn-empty-segment", b""),
        ("torn-long-zero-segment", bytes(5000)),
    ):
        d, e = write(root, name, 4, close=False, rotate_every=2, rotate_last=True)
        seg(d, 2).write_bytes(tail)  # power lost while segment 2 was being started
        expect(
            root,
            name,
            "torn",
            e,
            lost=len(tail),
            why=f"the last segment is {len(tail)} zero bytes after a NEXT",
        )

    d, e = write(root, "torn-short-header", 4, close=False, rotate_every=2, rotate_last=True)
    seg(d, 2).write_bytes(seg(d, 2).read_bytes()[:20])
    expect(root, "torn-short-header", "torn", e, lost=20, why="the first 20 bytes of segment 2's header")

    d, e = write(root, "recovered", 3, close=False)
    off, _, L = last_frame(seg(d, 0))
    seg(d, 0).write_bytes(seg(d, 0).read_bytes()[: off + 9])
    n_records = 1 + 2  # INFO and the first two EVENTS records stay whole
    closure(d, 0, n_records, off, 9)
    expect(
        root,
        "recovered",
        "recovered",
        e[:-B],
        lost=9,
        why="torn, and closed.json acknowledges exactly the whole records",
    )

    d, e = write(root, "sidecar-mismatch", 3, close=False)
    closure(d, 0, 99, 123, 0)
    expect(root, "sidecar-mismatch", "incomplete", e, why="closed.json does not match the records: ignored")

    d, _ = write(root, "no-segments", 1, close=False)
    for p in d.glob("seg-*.tls"):
        p.unlink()
    expect(
        root, "no-segments", "torn", [], why="a key file and no segment: cut off before anything was saved"
    )

    d, _ = write(root, "no-segments-sidecar-claims", 1, close=False)
    for p in d.glob("seg-*.tls"):
        p.unlink()
    closure(d, 3, 5, 777, 0)
    expect(
        root,
        "no-segments-sidecar-claims",
        "torn",
        [],
        why="the sidecar claims segments that do not exist: ignored",
    )

    d, _ = write(root, "corrupt-flipped-bit", 3)
    raw = bytearray(seg(d, 0).read_bytes())
    raw[HEADER_SIZE + 40] ^= 0x10
    seg(d, 0).write_bytes(bytes(raw))
    expect(root, "corrupt-flipped-bit", "corrupt", [], why="one bit flipped inside the INFO ciphertext")

    d, _ = write(root, "corrupt-random-short-header", 4, close=False, rotate_every=2, rotate_last=True)
    seg(d, 2).write_bytes(bytes(range(7, 37)))
    expect(
        root, "corrupt-random-short-header", "corrupt", [], why="30 bytes that are not this segment's header"
    )

    d, _ = write(root, "corrupt-bad-length", 3, close=False)
    raw = bytearray(seg(d, 0).read_bytes())
    off, _, L = last_frame(seg(d, 0))
    struct.pack_into("<I", raw, off + 1, (1 << 24) + 1)
    seg(d, 0).write_bytes(bytes(raw))
    expect(root, "corrupt-bad-length", "corrupt", [], why="a length above 2^24 followed by non-zero bytes")

    d, _ = write(root, "corrupt-missing-segment", 6, rotate_every=2)
    seg(d, 1).unlink()
    expect(root, "corrupt-missing-segment", "corrupt", [], why="segment 1 of 0..2 is missing")

    d, _ = write(root, "corrupt-zero-segment-not-last", 6, rotate_every=2)
    seg(d, 1).write_bytes(bytes(seg(d, 1).stat().st_size))
    expect(
        root, "corrupt-zero-segment-not-last", "corrupt", [], why="zeros are torn only in the last segment"
    )

    for name, rtype, body, why in (
        (
            "corrupt-undecodable",
            crypto.TYPE_EVENTS,
            None,
            "an EVENTS record that authenticates but does not decode",
        ),
        ("corrupt-unknown-type", 9, b"hello", "an authenticated record of unknown type 9"),
        (
            "corrupt-empty-events",
            crypto.TYPE_EVENTS,
            b"\x01",
            "an EVENTS body with the compression byte only",
        ),
    ):
        w = writer.open_session(info(name), root, seal_interval_s=1e9)
        w.write(batch(0))
        w.seal()
        if body is None:
            body = w._comp.compress(bytes([1, 0, 1, 0, 99]))  # one event of kind 99
        reseal(w, rtype, body)
        w._close_fd()
        w._lock.release()
        expect(root, name, "corrupt", [], why=why)

    w = writer.open_session(info("next-with-reason"), root, seal_interval_s=1e9)
    e = batch(0)
    w.write(e)
    w.seal()
    reseal(w, crypto.TYPE_NEXT, writer.encode_end(5, len(e), w._index))  # NEXT with a non-zero stop reason
    w._close_fd()
    w._open_segment(1)
    reseal(w, crypto.TYPE_END, writer.encode_end(P, len(e), 0))
    w._close_fd()
    w._lock.release()
    expect(root, "next-with-reason", "complete", e, stop=P, why="a NEXT's stop reason is not checked")

    w = writer.open_session(info("end-unknown-reason"), root, seal_interval_s=1e9)
    w.write(e)
    w.seal()
    reseal(w, crypto.TYPE_END, writer.encode_end(200, len(e), w._index))
    w._close_fd()
    w._lock.release()
    expect(
        root, "end-unknown-reason", "complete", e, stop=200, why="an unknown stop reason is kept, not corrupt"
    )

    timing = {"version": 1, "stored_time": "best-estimate", "os_clock": "none", "input_events": len(e)}
    w = writer.open_session(info("complete-with-timing"), root, seal_interval_s=1e9)
    w.write(e)
    w.seal()
    w.note_timing(timing)
    w.close(StopReason.PARTICIPANT)
    expect(
        root,
        "complete-with-timing",
        "complete",
        e,
        stop=P,
        why="a TIMING record just before END (section 12)",
        extra={"timing": timing},
    )

    w = writer.open_session(info("corrupt-timing-then-events"), root, seal_interval_s=1e9)
    w.write(e)
    w.seal()
    reseal(w, crypto.TYPE_TIMING, json.dumps(timing).encode())
    reseal(w, crypto.TYPE_EVENTS, w._comp.compress(bytes([1, 0, 1, 0, 3, 0, 0])))
    w._close_fd()
    w._lock.release()
    expect(root, "corrupt-timing-then-events", "corrupt", [], why="only END may follow a TIMING record")

    trial_cases(root, e)
    for p in (root / "sessions").rglob("writer.lock"):
        p.unlink()
    print("written to", root)


TRIALS = [
    {
        "task": "point",
        "task_number": 2,
        "kind": "pointing",
        "condition": "mouse",
        "sequence": 1,
        "trial": 1,
        "start_ns": 1_000_000_000,
        "end_ns": 1_150_000_000,
        "from_x": 640.0,
        "from_y": 104.0,
        "target_x": 489.5,
        "target_y": 567.1,
        "width": 64.0,
        "amplitude": 512.0,
        "select_x": 491,
        "select_y": 560,
        "hit": True,
    },
    {
        "task": "type",
        "task_number": 3,
        "kind": "typing",
        "condition": "",
        "sequence": 0,
        "trial": 1,
        "start_ns": 1_000_001_000,
        "end_ns": 1_090_000_000,
        "presented": "a",
        "transcribed": "a",
        "input": "b\ba",
        "note": "members a reader does not know are kept",
    },
]


def trial_cases(root: Path, e: list) -> None:
    """Section 14: a TRIALS record among the events, and one whose trial is malformed."""
    P = int(StopReason.PARTICIPANT)
    w = writer.open_session(info("complete-with-trials"), root, seal_interval_s=1e9)
    w.write(e[:3])
    w.write_trials(TRIALS)
    w.write(e[3:])
    w.close(StopReason.PARTICIPANT)
    why = "a TRIALS record among the events (14)"
    expect(root, "complete-with-trials", "complete", e, stop=P, why=why, extra={"trials": TRIALS})

    w = writer.open_session(info("corrupt-trials-malformed"), root, seal_interval_s=1e9)
    w.write(e)
    w.seal()
    bad = {k: v for k, v in TRIALS[0].items() if k != "start_ns"}
    reseal(w, crypto.TYPE_TRIALS, json.dumps({"trials": [bad]}).encode())
    w.close(StopReason.PARTICIPANT)
    expect(root, "corrupt-trials-malformed", "corrupt", [], why="a trial without start_ns (section 14)")


if __name__ == "__main__":
    main()
