"""The session reader: authenticates everything, then decodes (docs/FORMAT.md section 7).

``verify_session`` decides the verdict; ``read_session`` returns the events of a
session whose every full record authenticated, and raises
:class:`tallylight.errors.AuthenticationError` otherwise. No event of a record is
decoded before that record's tag has been checked.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tallylight import safejson, words
from tallylight.errors import AuthenticationError, StoreError, UsageError, VaultError
from tallylight.events import Event, SessionInfo, StopReason
from tallylight.i18n import _
from tallylight.options import KEY_MODE_LABELS, RECORD_FIELDS
from tallylight.store import crypto, encoding
from tallylight.store import trials as trial_records
from tallylight.store.crypto import (
    HEADER_SIZE,
    TYPE_END,
    TYPE_EVENTS,
    TYPE_INFO,
    TYPE_NEXT,
    TYPE_TIMING,
    TYPE_TRIALS,
    SegmentHeader,
    SessionKey,
)
from tallylight.store.encoding import CorruptBlock, EventColumns
from tallylight.store.layout import Closure, SegmentLayout, read_closure, scan_segment, segment_files
from tallylight.store.vault import UnlockedVault

#: Gives the key of the session stored in a directory: the seam through which a
#: participant's vault, a review cache, a share bundle or a researcher's tool each
#: read with the key they hold. Raises AuthenticationError or VaultError if it has none.
KeySource = Callable[[Path], SessionKey]
#: what the reading functions accept: a key source, or (for convenience) an unlocked vault
Keys = KeySource | UnlockedVault


def key_source(keys: Keys) -> KeySource:
    """The key source for ``keys``: an unlocked vault unwraps each session's key file."""
    return keys.session_key if isinstance(keys, UnlockedVault) else keys


class Verdict(enum.StrEnum):
    COMPLETE = "complete"
    RECOVERED = "recovered"
    INCOMPLETE = "incomplete"
    TORN = "torn"
    CORRUPT = "corrupt"

    def describe(self) -> str:
        return words.verdict_words(self.value)


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
    closure: Closure | None
    problem: str = ""


@dataclass
class SessionData:
    """An authenticated session: its info, verdict and still-compressed event blocks."""

    info: SessionInfo | None
    report: Report
    payloads: list[bytes]
    decoded: EventColumns | None = None  # set by verify_session, which decodes everything once
    timing: dict[str, Any] | None = None  # the TIMING record (FORMAT.md section 12), if the session has one
    trials: list[dict[str, Any]] = field(default_factory=list)  # TRIALS records' trials (section 14)

    def columns(self) -> EventColumns:
        if self.decoded is None:
            self.decoded = encoding.decode_payloads(self.payloads)
        return self.decoded

    def events(self) -> Iterator[Event]:
        return self.columns().events()


class _Corrupt(Exception):
    """Raised inside the reader for anything section 7 calls corrupt; becomes the verdict."""


@dataclass
class _Reading:
    """What the reader has authenticated so far (filled in segment by segment)."""

    session_id: str
    segments: int = 0
    records: int = 0
    events: int = 0
    lost: int = 0
    stop: StopReason | None = None
    info: SessionInfo | None = None
    payloads: list[bytes] = field(default_factory=list)
    last: SegmentLayout | None = None  # the last segment's frames, for the closure sidecar
    columns: EventColumns | None = None
    timing: dict[str, Any] | None = None
    trials: list[dict[str, Any]] = field(default_factory=list)

    def report(self, verdict: Verdict, problem: str = "", closure: Closure | None = None) -> Report:
        return Report(
            self.session_id,
            verdict,
            self.segments,
            self.records,
            self.events,
            self.lost,
            self.stop,
            closure,
            problem,
        )


def verify_session(
    session_dir: Path, keys: Keys, on_chunk: Callable[[EventColumns], None] | None = None
) -> tuple[Report, SessionData | None]:
    """Authenticate a whole session and decide its verdict (FORMAT.md section 7).

    ``keys`` gives the session's key (a :data:`KeySource`, or an unlocked vault).
    Never raises for damaged data (verdict CORRUPT, no data); StoreError only when
    the files cannot be read at all. With ``on_chunk``, the events are decoded a
    piece at a time (:func:`encoding.iter_decode`) and handed to it in order
    instead of being kept, so a long session is never all decoded at once (the
    pieces of a session found damaged later are to be thrown away by the caller).
    """
    reading = _Reading(session_dir.name)
    try:
        session_key = key_source(keys)(session_dir)
    except (AuthenticationError, VaultError) as exc:
        return reading.report(Verdict.CORRUPT, str(exc)), None
    try:
        verdict, problem = _read_segments(reading, _segments(session_dir), session_key)
        # Section 7: a record that authenticates but does not decode is corrupt, found here
        # (not first at export); the decoded columns are kept for the caller.
        if on_chunk is None:
            reading.columns = encoding.decode_payloads(reading.payloads)
        else:
            for part in encoding.iter_decode(reading.payloads):
                on_chunk(part)
    except _Corrupt as exc:
        return reading.report(Verdict.CORRUPT, str(exc)), None
    except CorruptBlock as exc:
        return reading.report(
            Verdict.CORRUPT, _("The session data is damaged ({exc}).").format(exc=exc)
        ), None
    except AuthenticationError as exc:
        return reading.report(Verdict.CORRUPT, str(exc)), None
    verdict, problem, closure = _with_closure(reading, verdict, problem, read_closure(session_dir))
    rep = reading.report(verdict, problem, closure)
    return rep, SessionData(
        reading.info, rep, reading.payloads, reading.columns, reading.timing, reading.trials
    )


def _segments(session_dir: Path) -> list[tuple[int, Path]]:
    """Segments 0..N-1, all present (section 7: a missing segment before the last is corrupt)."""
    try:
        segs = segment_files(session_dir)
    except OSError as exc:
        raise StoreError(
            _("Cannot read session {name} ({strerror}).").format(name=session_dir.name, strerror=exc.strerror)
        ) from None
    if [n for n, _ in segs] != list(range(len(segs))):
        raise _Corrupt(_("A session file is missing or misnamed."))
    return segs


def _read_segments(
    reading: _Reading, segs: list[tuple[int, Path]], session_key: SessionKey
) -> tuple[Verdict, str]:
    """Authenticate every segment in order; the verdict is decided by how the last one ends."""
    reading.segments = len(segs)
    if not segs:
        return Verdict.TORN, _("The session was cut off before anything was saved.")
    verdict, problem = Verdict.INCOMPLETE, _("The session has no end record.")
    for number, path in segs:
        last = number == len(segs) - 1
        if not path.is_file():
            raise _Corrupt(
                _("{name} is not a file (a folder or something else has its name).").format(name=path.name)
            )
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StoreError(
                _("Cannot read session {session_id} ({strerror}).").format(
                    session_id=reading.session_id, strerror=exc.strerror
                )
            ) from None
        lay = scan_segment(path, number, data, session_key.uid)
        reading.last = lay
        if not lay.header_ok:
            if last and lay.tail in ("torn", "zeros"):
                reading.lost = lay.size
                return Verdict.TORN, _("The session was cut off while a file was being started.")
            raise _Corrupt(_("A session file header is damaged."))
        _check_header(data[:HEADER_SIZE], number, session_key.uid)
        ended = _open_records(reading, lay, data, session_key.key, last)
        ending = _segment_ending(reading, lay, ended, last)
        if ending is not None:
            verdict, problem = ending
    return verdict, problem


def _check_header(header: bytes, number: int, uid: bytes) -> None:
    """Section 5.1: our magic and version, this segment's number, this session's uid."""
    try:
        hdr = SegmentHeader.parse(header)
    except AuthenticationError as exc:
        raise _Corrupt(str(exc)) from None
    if hdr.segment != number or hdr.uid != uid:
        raise _Corrupt(_("A session file belongs elsewhere (wrong segment number or session)."))


def _open_records(reading: _Reading, lay: SegmentLayout, data: bytes, key: bytes, last: bool) -> int | None:
    """Sections 5.2-5.4 and 6.1: authenticate each frame, then use its body; the END/NEXT type seen."""
    header = data[:HEADER_SIZE]
    aead = crypto.segment_aead(key, header)
    inflate = encoding.Decompressor()  # one DEFLATE stream per segment
    ended: int | None = None
    for index, frame in enumerate(lay.frames):
        if ended is not None:
            raise _Corrupt(_("There is data after an end record."))
        if reading.timing is not None and frame.rtype != TYPE_END:
            raise _Corrupt(_("The timing record is out of place."))
        ciphertext = memoryview(data)[frame.body_start : frame.end]
        body = crypto.open_record(aead, header, index, frame.rtype, ciphertext)  # AuthenticationError
        first = lay.number == 0 and index == 0
        if frame.rtype == TYPE_INFO:
            if not first:
                raise _Corrupt(_("A session description record is out of place."))
            reading.info = _parse_info(body, reading.session_id)
        elif first:
            raise _Corrupt(_("The session does not start with its description."))
        elif frame.rtype == TYPE_EVENTS:
            payload = inflate.decompress(body)
            n, _end = encoding.get_varint(payload, 0)
            reading.payloads.append(payload)
            reading.events += n
        elif frame.rtype in (TYPE_END, TYPE_NEXT):
            _check_end(reading, frame.rtype, body, index, last)
            ended = frame.rtype
        elif frame.rtype == TYPE_TIMING:
            if not last:
                raise _Corrupt(_("The timing record is out of place."))
            reading.timing = _parse_timing(body)
        elif frame.rtype == TYPE_TRIALS:
            try:
                reading.trials.extend(trial_records.parse(body))
            except ValueError as exc:
                raise _Corrupt(_("A task trials record is damaged ({exc}).").format(exc=exc)) from None
        else:
            raise _Corrupt(_("Unknown record type."))
        reading.records += 1
    return ended


def _check_end(reading: _Reading, rtype: int, body: bytes, index: int, last: bool) -> None:
    """Section 5.4: END/NEXT count every event so far and name their own index; END only at the end."""
    reason, total, before = _parse_end(body)
    if total != reading.events or before != index:
        raise _Corrupt(_("The end record does not match the data before it."))
    if rtype == TYPE_END:
        if not last:
            raise _Corrupt(_("The session ends before its last file."))
        try:
            reading.stop = StopReason(reason)
        except ValueError:
            reading.stop = StopReason.NONE


def _segment_ending(
    reading: _Reading, lay: SegmentLayout, ended: int | None, last: bool
) -> tuple[Verdict, str] | None:
    """Section 7: what the end of a segment means; None for a segment that properly continues."""
    if lay.tail == "bad-length":
        raise _Corrupt(_("A record length is invalid (damaged data or trailing garbage)."))
    if lay.tail in ("torn", "zeros"):
        if not last or ended is not None:
            raise _Corrupt(_("A session file is cut short or has trailing bytes."))
        reading.lost = lay.size - lay.end
        return Verdict.TORN, _("The last record was only partly written (crash); it is ignored.")
    if not last:
        if ended != TYPE_NEXT:
            raise _Corrupt(_("A session file before the last is not properly closed."))
        return None
    if ended == TYPE_END:
        return Verdict.COMPLETE, ""
    if ended == TYPE_NEXT:
        return Verdict.INCOMPLETE, _("The session stopped while switching to a new file.")
    return Verdict.INCOMPLETE, _("The session has no end record.")


def _with_closure(
    reading: _Reading, verdict: Verdict, problem: str, closure: Closure | None
) -> tuple[Verdict, str, Closure | None]:
    """Section 8: a sidecar that acknowledges exactly the authenticated prefix makes it *recovered*."""
    if verdict not in (Verdict.INCOMPLETE, Verdict.TORN) or closure is None:
        return verdict, problem, None
    last = reading.last
    if last is None:  # no segment file at all: only a note that claims nothing counts
        if not closure.acknowledges(0, 0, 0):
            return verdict, problem, None
        return Verdict.RECOVERED, "Closed after a crash before anything was saved.", closure
    if not closure.acknowledges(last.number, len(last.frames), last.end):
        return verdict, problem, None
    why = "a write error" if closure.reason == "write-error" else "a crash"
    lost = f"; {reading.lost} bytes of a partly written record were discarded" if reading.lost else ""
    return (
        Verdict.RECOVERED,
        f"Closed after {why}: events not yet saved (at most the last second) are missing{lost}.",
        closure,
    )


#: INFO fields (FORMAT.md section 12.2): name -> JSON type; the first ten are required
_INFO_TYPES: dict[str, type] = {
    "session_id": str,
    "started_wall_ns": int,
    "clock": str,
    "clock_resolution_ns": int,
    **dict(zip(RECORD_FIELDS, (str, bool, float, float, bool, bool), strict=True)),
    "label": str,
    "platform": str,
    "app_version": str,
    "extra": dict,
    "study_id": str,
    "manifest_hash": str,
    "consent_id": str,
}
_INFO_REQUIRED = tuple(_INFO_TYPES)[:10]


def _json_type_ok(value: object, typ: type) -> bool:
    if typ is float:  # any JSON number
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if typ is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, typ)


def _parse_info(body: bytes, sid: str) -> SessionInfo:
    try:
        d = safejson.loads(body)
    except ValueError as exc:
        raise _Corrupt(_("The session description is damaged ({exc}).").format(exc=exc)) from None
    if not isinstance(d, dict):
        raise _Corrupt(_("The session description is damaged (not an object)."))
    for name, typ in _INFO_TYPES.items():
        if name in d and not _json_type_ok(d[name], typ):
            raise _Corrupt(
                _("The session description is damaged ({name} has the wrong type).").format(name=name)
            )
    missing = [n for n in _INFO_REQUIRED if n not in d]
    if missing:
        raise _Corrupt(
            _("The session description is damaged ({items} missing).").format(items=", ".join(missing))
        )
    if d["key_mode"] not in KEY_MODE_LABELS:
        raise _Corrupt(_("The session description is damaged (unknown key mode)."))
    try:
        info = SessionInfo.from_dict(d)
    except UsageError as exc:
        raise _Corrupt(_("The session description is damaged ({exc})").format(exc=exc)) from None
    if info.session_id != sid:
        raise _Corrupt(_("The session description names a different session."))
    return info


def _parse_timing(body: bytes) -> dict[str, Any]:
    """Section 12.3: a UTF-8 JSON object (members a reader does not know are kept, not used)."""
    try:
        doc = safejson.loads(body)
    except ValueError as exc:
        raise _Corrupt(_("The timing record is damaged ({exc}).").format(exc=exc)) from None
    if not isinstance(doc, dict):
        raise _Corrupt(_("The timing record is damaged (not a JSON object)."))
    return doc


def _parse_end(body: bytes) -> tuple[int, int, int]:
    vals = []
    pos = 0
    for _field in range(3):
        v, pos = encoding.get_varint(body, pos)
        vals.append(v)
    if pos != len(body):
        raise CorruptBlock("trailing bytes in end record")
    return vals[0], vals[1], vals[2]


def read_session(
    session_dir: Path, keys: Keys, on_chunk: Callable[[EventColumns], None] | None = None
) -> SessionData:
    """The authenticated session; AuthenticationError if anything fails to authenticate.

    ``on_chunk``: as for :func:`verify_session` (the events in pieces, not kept)."""
    rep, data = verify_session(session_dir, keys, on_chunk)
    if data is None:
        raise AuthenticationError(
            _("Session {name} is damaged and cannot be shown: {problem}").format(
                name=session_dir.name, problem=rep.problem
            )
        )
    return data
