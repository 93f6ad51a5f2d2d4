"""The session reader: authenticates everything, then decodes (docs/FORMAT.md section 7).

``verify_session`` decides the verdict; ``read_session`` returns the events of a
session whose every full record authenticated, and raises
:class:`tallylight.errors.AuthenticationError` otherwise. No event of a record is
decoded before that record's tag has been checked.
"""

from __future__ import annotations

import enum
import json
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tallylight import words
from tallylight.errors import AuthenticationError, StoreError, VaultError
from tallylight.events import Event, SessionInfo, StopReason
from tallylight.store import crypto, encoding
from tallylight.store.crypto import (
    FRAME_HEADER,
    HEADER_SIZE,
    MAX_CIPHERTEXT,
    TAG,
    TYPE_END,
    TYPE_EVENTS,
    TYPE_INFO,
    TYPE_NEXT,
    SegmentHeader,
)
from tallylight.store.encoding import CorruptBlock, EventColumns
from tallylight.store.vault import UnlockedVault, open_session_key
from tallylight.store.writer import CLOSED_FILE

SEGMENT_RE = re.compile(r"^seg-(\d{8})\.tls$")


class Verdict(enum.StrEnum):
    COMPLETE = "complete"
    RECOVERED = "recovered"
    INCOMPLETE = "incomplete"
    TORN = "torn"
    CORRUPT = "corrupt"

    def describe(self) -> str:
        return words.verdict_words(self.value)


@dataclass(frozen=True)
class Frame:
    offset: int
    rtype: int
    length: int


@dataclass
class SegmentLayout:
    """What a segment file looks like without the key (used by recovery)."""

    number: int
    path: Path
    size: int
    header_ok: bool
    frames: list[Frame] = field(default_factory=list)
    end: int = 0  # offset just after the last whole frame
    tail: str = "none"  # none | torn | zeros | bad-length

    @property
    def ended(self) -> bool:
        """Ends with a whole END frame (the session's last segment, finished)."""
        return bool(self.frames) and self.frames[-1].rtype == TYPE_END and self.end == self.size


def layout(path: Path, number: int, data: bytes | None = None) -> SegmentLayout:
    """Split a segment into whole frames and a tail, trusting nothing."""
    if data is None:
        data = path.read_bytes()
    size = len(data)
    if size < HEADER_SIZE or data[:8] != crypto.SEGMENT_MAGIC:
        tail = "torn" if size < HEADER_SIZE and crypto.SEGMENT_MAGIC.startswith(data[:8]) else "bad-length"
        if size < HEADER_SIZE and not any(data):
            tail = "zeros"
        return SegmentLayout(number, path, size, False, [], 0, tail if size else "torn")
    lay = SegmentLayout(number, path, size, True, [], HEADER_SIZE)
    pos = HEADER_SIZE
    while pos < size:
        if size - pos < FRAME_HEADER:
            lay.tail = "zeros" if not any(data[pos:]) else "torn"
            break
        rtype, length = struct.unpack_from("<BI", data, pos)
        if length < TAG or length > MAX_CIPHERTEXT or rtype == 0:
            lay.tail = "zeros" if not any(data[pos:]) else "bad-length"
            break
        if pos + FRAME_HEADER + length > size:
            lay.tail = "torn"
            break
        lay.frames.append(Frame(pos, rtype, length))
        pos += FRAME_HEADER + length
    lay.end = pos
    return lay


def segment_files(session_dir: Path) -> list[tuple[int, Path]]:
    out = []
    for p in session_dir.iterdir():
        m = SEGMENT_RE.match(p.name)
        if m:
            out.append((int(m.group(1)), p))
    out.sort()
    return out


def read_closure(session_dir: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads((session_dir / CLOSED_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != "tallylight-closed" or doc.get("version") != 1:
        return None
    return doc


@dataclass(frozen=True)
class Report:
    """What a reader found in a session; ``problem`` says why it is not complete."""

    session_id: str
    verdict: Verdict
    segments: int
    records: int
    events: int
    lost_bytes: int
    stop_reason: StopReason | None
    closure: dict[str, Any] | None
    problem: str = ""


@dataclass
class SessionData:
    """An authenticated session: its info, verdict and still-compressed event blocks."""

    info: SessionInfo | None
    report: Report
    payloads: list[bytes]

    def columns(self) -> EventColumns:
        return encoding.decode_payloads(self.payloads)

    def events(self) -> Iterator[Event]:
        return self.columns().events()


class _Corrupt(Exception):
    pass


def verify_session(session_dir: Path, vault: UnlockedVault) -> tuple[Report, SessionData | None]:
    """Authenticate a whole session; never raises for damaged data (verdict CORRUPT)."""
    sid = session_dir.name
    info: SessionInfo | None = None
    payloads: list[bytes] = []
    state: dict[str, Any] = {"segments": 0, "records": 0, "events": 0, "lost": 0, "stop": None}

    def report(verdict: Verdict, problem: str = "", closure: dict[str, Any] | None = None) -> Report:
        return Report(
            sid,
            verdict,
            state["segments"],
            state["records"],
            state["events"],
            state["lost"],
            state["stop"],
            closure,
            problem,
        )

    try:
        key, uid = open_session_key(vault, session_dir)
    except (AuthenticationError, VaultError) as exc:
        return report(Verdict.CORRUPT, str(exc)), None
    try:
        segs = segment_files(session_dir)
    except OSError as exc:
        raise StoreError(f"Cannot read session {sid} ({exc.strerror}).") from None
    if [n for n, _ in segs] != list(range(len(segs))):
        return report(Verdict.CORRUPT, "A session file is missing or misnamed."), None
    state["segments"] = len(segs)
    verdict = Verdict.INCOMPLETE
    problem = "The session has no end record."
    last_lay: SegmentLayout | None = None
    try:
        if not segs:
            verdict, problem = Verdict.TORN, "The session was cut off before anything was saved."
        for number, path in segs:
            last = number == len(segs) - 1
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise StoreError(f"Cannot read session {sid} ({exc.strerror}).") from None
            lay = layout(path, number, data)
            last_lay = lay
            if not lay.header_ok:
                if last and lay.tail in ("torn", "zeros"):
                    state["lost"] = lay.size
                    verdict, problem = Verdict.TORN, "The session was cut off while a file was being started."
                    break
                raise _Corrupt("A session file header is damaged.")
            try:
                hdr = SegmentHeader.parse(data[:HEADER_SIZE])
            except AuthenticationError as exc:
                raise _Corrupt(str(exc)) from None
            if hdr.segment != number or hdr.uid != uid:
                raise _Corrupt("A session file belongs elsewhere (wrong segment number or session).")
            header = data[:HEADER_SIZE]
            aead = crypto.segment_aead(key, header)
            inflate = encoding.Decompressor()
            ended: int | None = None
            for i, fr in enumerate(lay.frames):
                if ended is not None:
                    raise _Corrupt("There is data after an end record.")
                ct = memoryview(data)[fr.offset + FRAME_HEADER : fr.offset + FRAME_HEADER + fr.length]
                body = crypto.open_record(aead, header, i, fr.rtype, ct)  # AuthenticationError propagates
                first = number == 0 and i == 0
                if fr.rtype == TYPE_INFO:
                    if not first:
                        raise _Corrupt("A session description record is out of place.")
                    info = _parse_info(body, sid)
                elif first:
                    raise _Corrupt("The session does not start with its description.")
                elif fr.rtype == TYPE_EVENTS:
                    payload = inflate.decompress(body)
                    n, _ = encoding.get_varint(payload, 0)
                    payloads.append(payload)
                    state["events"] += n
                elif fr.rtype in (TYPE_END, TYPE_NEXT):
                    reason, total, before = _parse_end(body)
                    if total != state["events"] or before != i:
                        raise _Corrupt("The end record does not match the data before it.")
                    if fr.rtype == TYPE_END:
                        if not last:
                            raise _Corrupt("The session ends before its last file.")
                        try:
                            state["stop"] = StopReason(reason)
                        except ValueError:
                            state["stop"] = StopReason.NONE
                    ended = fr.rtype
                else:
                    raise _Corrupt("Unknown record type.")
                state["records"] += 1
            if lay.tail == "bad-length":
                raise _Corrupt("A record length is invalid (damaged data or trailing garbage).")
            if lay.tail in ("torn", "zeros"):
                if not last or ended is not None:
                    raise _Corrupt("A session file is cut short or has trailing bytes.")
                state["lost"] = lay.size - lay.end
                verdict, problem = (
                    Verdict.TORN,
                    "The last record was only partly written (crash); it is ignored.",
                )
                break
            if not last:
                if ended != TYPE_NEXT:
                    raise _Corrupt("A session file before the last is not properly closed.")
                continue
            if ended == TYPE_END:
                verdict, problem = Verdict.COMPLETE, ""
            elif ended == TYPE_NEXT:
                verdict, problem = Verdict.INCOMPLETE, "The session stopped while switching to a new file."
    except _Corrupt as exc:
        return report(Verdict.CORRUPT, str(exc)), None
    except CorruptBlock as exc:
        return report(Verdict.CORRUPT, f"The session data is damaged ({exc})."), None
    except AuthenticationError as exc:
        return report(Verdict.CORRUPT, str(exc)), None

    closure = read_closure(session_dir)
    if verdict in (Verdict.INCOMPLETE, Verdict.TORN) and closure is not None and last_lay is not None:
        if (
            closure.get("segment") == last_lay.number
            and closure.get("records") == len(last_lay.frames)
            and closure.get("size") == last_lay.end
        ):
            why = "a write error" if closure.get("reason") == "write-error" else "a crash"
            lost = (
                f"; {state['lost']} bytes of a partly written record were discarded" if state["lost"] else ""
            )
            verdict, problem = (
                Verdict.RECOVERED,
                f"Closed after {why}: events not yet saved (at most the last second) are missing{lost}.",
            )
        else:
            closure = None
    elif verdict in (Verdict.INCOMPLETE, Verdict.TORN) and not segs and closure is not None:
        verdict, problem = Verdict.RECOVERED, "Closed after a crash before anything was saved."
    else:
        closure = None
    rep = report(verdict, problem, closure)
    return rep, SessionData(info, rep, payloads)


def _parse_info(body: bytes, sid: str) -> SessionInfo:
    try:
        d = json.loads(body.decode("utf-8"))
        info = SessionInfo.from_dict(d)
    except (ValueError, TypeError) as exc:
        raise _Corrupt(f"The session description is damaged ({exc}).") from None
    if info.session_id != sid:
        raise _Corrupt("The session description names a different session.")
    return info


def _parse_end(body: bytes) -> tuple[int, int, int]:
    vals = []
    pos = 0
    for _ in range(3):
        v, pos = encoding.get_varint(body, pos)
        vals.append(v)
    if pos != len(body):
        raise CorruptBlock("trailing bytes in end record")
    return vals[0], vals[1], vals[2]


def read_session(session_dir: Path, vault: UnlockedVault) -> SessionData:
    """The authenticated session; AuthenticationError if anything fails to authenticate."""
    rep, data = verify_session(session_dir, vault)
    if data is None:
        raise AuthenticationError(f"Session {session_dir.name} is damaged and cannot be shown: {rep.problem}")
    return data
