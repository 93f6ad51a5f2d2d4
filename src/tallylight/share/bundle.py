"""The bundle (docs/BUNDLE.md): a ZIP of bundle.json, codebook.csv, one events.csv per session and
a trials.csv per session with task-window trials, encrypted as one age v1 file to the study's recipient keys.

Building is pure: every input (sessions, consent record, environment, the bundle
id's randomness and the clock) is passed in, so a test can fix them. The same
``bundle.json`` document drives the participant's preview, so the preview shows
exactly what the bundle holds. Opening checks everything a reader relies on:
the file list, each file's SHA-256, the format version and the session ids.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import json
import queue
import re
import secrets
import struct
import threading
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tallylight import safejson
from tallylight.errors import BundleError
from tallylight.events import GapReason, Kind, Marker, SessionInfo, StopReason
from tallylight.i18n import _
from tallylight.review.timeline import no_capture_stretches
from tallylight.share import agecrypt, contents, tables
from tallylight.store.encoding import EventColumns
from tallylight.study import participant_key
from tallylight.study.manifest import Purpose

FORMAT = "tallylight-bundle"
VERSION = 1
BUNDLE_JSON = "bundle.json"
CODEBOOK = "codebook.csv"
#: the participant's Ed25519 signature over bundle.json's exact bytes (study.participant_key)
SIGNATURE = "bundle.sig"
README = "README.txt"
SUFFIX = ".tallylight.age"
#: ZIP entries carry this fixed time, so equal inputs give equal plaintext
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: the most a bundle may expand to when opened (a zip bomb stops here)
MAX_UNPACKED = 8 << 30
SESSION_FILE_RE = re.compile(r"sessions/([A-Za-z0-9][A-Za-z0-9._-]{0,127})/events\.csv")  # fullmatch
TRIALS_FILE_RE = re.compile(r"sessions/([A-Za-z0-9][A-Za-z0-9._-]{0,127})/trials\.csv")  # fullmatch

README_TEXT = """\
Tallylight bundle
=================
bundle.json   what this bundle holds: study, consent record, environment, and per
              session its absolute UTC start, time zone, capture options, verdict,
              pauses, gaps, cut spans and how exact the times are
bundle.sig    the participant's Ed25519 signature over bundle.json (its key is in
              bundle.json: participant_public_key)
codebook.csv  every column of the event tables, its unit, and every named value
sessions/<session id>/events.csv   one row per event (see codebook.csv)
sessions/<session id>/trials.csv   one row per trial of a typing or pointing task
                                   (only for sessions that ran one; see codebook.csv)

Empty cells mean "does not apply to this row" (never 0). Times are milliseconds
since the session's start (bundle.json: sessions[].start_utc).
Format description: docs/BUNDLE.md in the Tallylight source.
"""


@dataclass(frozen=True)
class StudyRef:
    """What a bundle needs of a study manifest."""

    study_id: str
    manifest_sha256: str
    recipients: tuple[str, ...]
    title: str = ""
    version: int = 0
    upload_url: str | None = None
    tasks: tuple[str, ...] = ()  # task ids in manifest order (a task marker's reason is 1-based into it)
    #: the manifest's purposes: the preview names the consent's purpose ids by their titles
    #: (never written to the bundle, which names them by id)
    purposes: tuple[Purpose, ...] = ()


@dataclass(frozen=True)
class SessionPart:
    """One authenticated session as it goes into a bundle (cut spans already removed by the store)."""

    info: SessionInfo
    verdict: str
    verdict_note: str
    columns: EventColumns
    stop_reason: StopReason | None = None
    timing: dict[str, Any] | None = None  # the session's TIMING record (docs/FORMAT.md section 12), if any
    #: the task window's trials (docs/FORMAT.md section 14; those in cut spans already removed)
    trials: Sequence[dict[str, Any]] = ()


@dataclass(frozen=True)
class BundleInputs:
    study: StudyRef
    participant_id: str
    consent: dict[str, Any]
    sessions: Sequence[SessionPart]
    app_version: str
    environment: dict[str, Any] = field(default_factory=dict)
    #: the participant's private key for the study (study.participant_key); empty: an unsigned
    #: bundle, which ``tallylight-lab open`` refuses
    participant_key: bytes = b""


@dataclass(frozen=True)
class Built:
    """A bundle before encryption: its id, its bundle.json document, and the ZIP bytes."""

    bundle_id: str
    doc: dict[str, Any]
    plaintext: bytes


@dataclass(frozen=True)
class Encrypted:
    bundle_id: str
    doc: dict[str, Any]
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def filename(self) -> str:
        return f"{self.bundle_id}{SUFFIX}"


# ---- building ------------------------------------------------------------------------------


def _utc_iso(ns: int) -> str:
    t = dt.datetime.fromtimestamp(ns // 1_000_000_000, dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{ns % 1_000_000_000:09d}Z"


def local_time_zone(
    started_wall_ns: int, zone_name: Callable[[], str | None] | None = None
) -> dict[str, Any]:
    """The machine's time zone at a session's start: its IANA name (``Europe/Berlin``, never an
    abbreviation like ``CET``, which is ambiguous) where the OS gives one, and the UTC offset then."""
    local = dt.datetime.fromtimestamp(started_wall_ns / 1e9, dt.UTC).astimezone()
    offset = local.utcoffset() or dt.timedelta(0)
    return {"name": (zone_name or _iana_zone)(), "utc_offset_minutes": int(offset.total_seconds() // 60)}


def _iana_zone() -> str | None:
    import tzlocal

    try:
        name = tzlocal.get_localzone_name()
    except Exception:  # noqa: BLE001 - an unusual OS setting: the offset alone is still right
        return None
    return name if name and ("/" in name or name == "UTC") else None


def _ms(t_ns: int) -> float:
    return round(t_ns / 1e6, 6)


def spans(cols: EventColumns) -> dict[str, list[dict[str, Any]]]:
    """Pauses (the participant's), gaps (capture stopped for a reason) and cut spans (gap ``trimmed``).

    The stretches are the review's (tallylight.review.timeline), so the bundle and the
    review window agree on them.
    """
    out: dict[str, list[dict[str, Any]]] = {"pauses": [], "gaps": [], "cut_spans": []}
    for st in no_capture_stretches(cols):
        if st.reason == GapReason.TRIMMED:
            bucket = "cut_spans"
        else:
            bucket = "pauses" if st.participant_pause else "gaps"
        name = tables.GAP_NAMES.get(int(st.reason)) or None
        out[bucket].append({"start_ms": _ms(st.start_ns), "end_ms": _ms(st.end_ns), "reason": name})
    return out


def counts(cols: EventColumns) -> dict[str, int]:
    """Events per kind, by name."""
    values, n = np.unique(cols.kind.astype(np.int64), return_counts=True)
    pairs = zip(values.tolist(), n.tolist(), strict=True)
    return dict(sorted((tables.KIND_NAMES.get(v, f"code_{v}"), c) for v, c in pairs))


def tasks_and_notes(cols: EventColumns, task_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Task spans (TASK_START … TASK_END) and note moments from the markers."""
    tasks: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    rows = np.flatnonzero(cols.kind == Kind.MARKER)
    rows = rows[np.argsort(cols.t_ns[rows], kind="stable")]
    running: dict[str, Any] | None = None
    for i in rows.tolist():
        m, r, t = int(cols.marker[i]), int(cols.reason[i]), int(cols.t_ns[i])
        name = task_ids[r - 1] if 0 < r <= len(task_ids) else f"task_{r}"
        if m == Marker.TASK_START:
            running = {"task": name, "start_ms": _ms(t), "end_ms": None}
            tasks.append(running)
        elif m == Marker.TASK_END and running is not None and running["task"] == name:
            running["end_ms"] = _ms(t)
            running = None
        elif m == Marker.NOTE:
            notes.append({"note_number": r, "t_ms": _ms(t)})
    return {"tasks": tasks, "notes": notes}


#: the TIMING record's members (docs/FORMAT.md section 12.3, version 1) a bundle carries;
#: members a later writer adds are left out until BUNDLE.md documents them. The session clock's
#: origin (``session_clock_origin_ns``, monotonic time: the time since boot) never leaves: it would
#: give the boot time and link bundles across studies.
TIMING_MEMBERS = (
    "version",
    "stored_time",
    "session_clock",
    "os_clock",
    "os_clock_resolution_ns",
    "input_events",
    "events_with_os_time",
    "events_without_os_time",
    "retimed",
    "delivery_lag_p50_us",
    "delivery_lag_p99_us",
    "delivery_lag_max_us",
    "drift_ppm",
    "clock_resets",
    "late_reordered",
    "unreleased_keys",
    "rate_mean_per_s",
    "rate_peak_per_s",
    "dropped_or_merged",
    "cpu_count",
    "load_average_start",
    "load_average_stop",
    "recorder_cpu_s",
    "notes",
)


def timing_quality(timing: dict[str, Any] | None) -> dict[str, Any] | None:
    """A session's timing figures as a bundle holds them (``None``: the session has no TIMING record)."""
    if timing is None:
        return None
    return {k: timing[k] for k in TIMING_MEMBERS if k in timing}


def session_entry(part: SessionPart, task_ids: Sequence[str] = ()) -> dict[str, Any]:
    info, cols = part.info, part.columns
    extra = info.extra or {}
    duration = (int(cols.t_ns.max()) - min(0, int(cols.t_ns.min()))) if len(cols) else 0
    return {
        "session_id": info.session_id,
        "label": info.label,
        "file": f"sessions/{info.session_id}/events.csv",
        "trials_file": trials_file(info.session_id) if part.trials else None,
        "trials": len(part.trials),
        "start_utc": _utc_iso(info.started_wall_ns),
        "start_unix_ns": info.started_wall_ns,
        "time_zone": extra.get("time_zone") or local_time_zone(info.started_wall_ns),
        "duration_ms": _ms(duration),
        "events": len(cols),
        "event_counts": counts(cols),
        "capture": info.options.to_record(),
        "clock": {"source": info.clock, "resolution_ns": info.clock_resolution_ns},
        "verdict": part.verdict,
        "verdict_note": part.verdict_note,
        "stop_reason": tables.STOP_NAMES.get(int(part.stop_reason or 0)) or None,
        **spans(cols),
        **tasks_and_notes(cols, task_ids),
        "timing_quality": timing_quality(part.timing),
        "platform": info.platform,
        "recorded_with_app_version": info.app_version,
    }


def trials_file(session_id: str) -> str:
    return f"sessions/{session_id}/{tables.TRIALS_FILE}"


#: DEFLATE level of the ZIP entries: 1 builds a 1 M-event bundle about 0.5 s faster than level 4
#: on two busy cores, and the bundle is about 21 % larger than at level 6 (9.3 against 7.7 bytes
#: per event; benchmarks/bench_bundle.py prints both)
COMPRESS_LEVEL = 1


def _entry(name: str) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name, ZIP_TIME)
    zi.compress_type = zipfile.ZIP_DEFLATED
    zi.external_attr = 0o644 << 16
    # the level ZipFile.open(zinfo, "w") compresses at (writestr's compresslevel sets the same)
    zi._compresslevel = COMPRESS_LEVEL  # type: ignore[attr-defined]
    return zi


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    zf.writestr(_entry(name), data, compresslevel=COMPRESS_LEVEL)


#: a ZIP entry whose size may pass 4 GiB is written with ZIP64 sizes (a row is never this long)
_ROW_BOUND = 512


class _Stream:
    """Writes events.csv pieces into the ZIP in a thread of its own, hashing them as they pass.

    DEFLATE, CRC-32 and SHA-256 release the GIL, so one piece is compressed while the
    caller formats the next (tallylight.share.tables.events_csv_chunks)."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.files: dict[str, dict[str, Any]] = {}
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="tallylight-bundle-zip", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        out: Any = None
        name, digest, size = "", hashlib.sha256(), 0
        while True:
            what, value = self._queue.get()
            if what == "done":
                return
            if self._error is not None:
                continue  # drain, so the caller never blocks; it raises in finish()
            try:
                if what == "begin":
                    name, rows = value
                    digest, size = hashlib.sha256(), 0
                    out = self.zf.open(_entry(name), "w", force_zip64=rows * _ROW_BOUND > zipfile.ZIP64_LIMIT)
                elif what == "piece":
                    digest.update(value)
                    size += len(value)
                    out.write(value)
                else:
                    out.close()
                    self.files[name] = {"sha256": digest.hexdigest(), "bytes": size}
            except BaseException as exc:  # noqa: BLE001 - handed to the caller, which raises it
                self._error = exc

    def add(self, name: str, rows: int, pieces: Iterable[bytes]) -> None:
        self._queue.put(("begin", (name, rows)))
        for piece in pieces:
            self._queue.put(("piece", piece))
        self._queue.put(("end", None))

    def finish(self) -> dict[str, dict[str, Any]]:
        self._queue.put(("done", None))
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.files


def new_bundle_id(rng: Callable[[int], bytes] = secrets.token_bytes) -> str:
    return str(uuid.UUID(bytes=rng(16), version=4))


def build(
    inputs: BundleInputs,
    rng: Callable[[int], bytes] = secrets.token_bytes,
    clock: Callable[[], int] = time.time_ns,
) -> Built:
    """The ZIP plaintext and its bundle.json document (pure given ``rng`` and ``clock``)."""
    if not inputs.sessions:
        raise BundleError(_("Choose at least one session to share."))
    ids = [p.info.session_id for p in inputs.sessions]
    if len(set(ids)) != len(ids):
        raise BundleError(_("A session was chosen twice."))
    bundle_id = new_bundle_id(rng)
    buf = io.BytesIO()
    zf = zipfile.ZipFile(buf, "w")
    stream = _Stream(zf)
    entries = []
    small: dict[str, bytes] = {CODEBOOK: tables.codebook_csv()}
    try:
        for part in inputs.sessions:
            entry = session_entry(part, inputs.study.tasks)
            pieces = tables.events_csv_chunks(part.columns, inputs.study.tasks)
            stream.add(entry["file"], len(part.columns), pieces)
            if entry["trials_file"]:
                small[entry["trials_file"]] = tables.trials_csv(part.trials)
            entries.append(entry)
    finally:
        written = stream.finish()
    files = {n: {"sha256": hashlib.sha256(d).hexdigest(), "bytes": len(d)} for n, d in small.items()}
    files.update(written)
    study = inputs.study
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "bundle_id": bundle_id,
        "created_utc": _utc_iso(clock()),
        "study": {
            "id": study.study_id,
            "version": study.version,
            "title": study.title,
            "manifest_sha256": study.manifest_sha256,
            "recipients": list(study.recipients),
            "tasks": list(study.tasks),
        },
        "participant_id": inputs.participant_id,
        "participant_public_key": participant_key.public_key(inputs.participant_key)
        if inputs.participant_key
        else None,
        "consent": inputs.consent,
        "app_version": inputs.app_version,
        "environment": inputs.environment,
        "codebook": CODEBOOK,
        "files": files,
        "sessions": entries,
    }
    contents.check(doc)  # nothing the preview does not name
    body = json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False).encode("utf-8") + b"\n"
    # the events files come first (written as they were formatted); then the small ones
    with zf:
        _add(zf, README, README_TEXT.encode("utf-8"))
        _add(zf, BUNDLE_JSON, body)
        for name, data in small.items():
            _add(zf, name, data)
        if inputs.participant_key:  # signs bundle.json's bytes, which hold every other file's SHA-256
            sig = participant_key.sign(inputs.participant_key, participant_key.BUNDLE_CONTEXT, body)
            _add(zf, SIGNATURE, (sig + "\n").encode("ascii"))
    return Built(bundle_id, doc, buf.getvalue())


def encrypt(built: Built, recipients: Sequence[str]) -> Encrypted:
    return Encrypted(built.bundle_id, built.doc, agecrypt.encrypt(built.plaintext, recipients))


# ---- opening -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    """A decrypted and verified bundle: its document and files (events.csv and trials.csv bytes by
    session id; a session without trials has no trials entry)."""

    doc: dict[str, Any]
    events: dict[str, bytes]
    codebook: bytes
    signer: str = ""  # the participant public key whose signature verified ("" if unsigned)
    trials: dict[str, bytes] = field(default_factory=dict)

    @property
    def bundle_id(self) -> str:
        return str(self.doc["bundle_id"])

    @property
    def study_id(self) -> str:
        return str(self.doc["study"]["id"])

    @property
    def participant_id(self) -> str:
        return str(self.doc["participant_id"])


#: compression methods a bundle may use (the writer uses DEFLATE); BZIP2 and LZMA are refused
#: unread, so no decompressor other than zlib's ever sees a stranger's bytes
METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
#: the most bundle.json may unpack to (it is parsed whole)
MAX_BUNDLE_JSON = 64 << 20
#: an entry larger than this may not expand more than MAX_RATIO times its stored size
#: (a real events.csv deflates about 5-15 times; zeros deflate about 1000 times)
RATIO_FLOOR = 1 << 20
MAX_RATIO = 200


def _allowed_name(name: str) -> bool:
    return name in (BUNDLE_JSON, README, CODEBOOK, SIGNATURE) or _session_file(name)


def _session_file(name: str) -> bool:
    return bool(SESSION_FILE_RE.fullmatch(name) or TRIALS_FILE_RE.fullmatch(name))


#: a ZIP local file header: signature, version, flags, method, time, date, CRC-32, sizes, name
#: and extra field lengths (APPNOTE 4.3.7)
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
#: general purpose flags zipfile refuses too: compressed patched data, strong encryption
_UNSUPPORTED_FLAGS = 0x20 | 0x40


@functools.cache
def _inflater() -> Any:
    """The module whose ``decompressobj`` and ``crc32`` unpack entries: ISA-L's (python-isal, in
    the lab extra: about 2.5 times zlib's inflate, the same results) where installed, else zlib."""
    try:
        from isal import isal_zlib
    except ImportError:
        return zlib
    return isal_zlib


class _Unpacker:
    """Unpacks a bundle's ZIP entries, counting the bytes they really expand to (not what they claim)."""

    def __init__(self, plaintext: bytes, max_unpacked: int) -> None:
        self.plaintext = plaintext
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(plaintext))
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
            raise BundleError(
                _("The bundle decrypts but is not a Tallylight bundle (not a ZIP archive).")
            ) from None
        self.budget = max_unpacked
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:  # every name and method is checked before a byte is read
            name = info.filename
            if not _allowed_name(name):
                raise BundleError(
                    _("The bundle holds an unexpected file: {value!r}.").format(value=name[:80])
                )
            if name in self.infos:
                raise BundleError(_("The bundle holds a file twice."))
            if info.compress_type not in METHODS:
                raise BundleError(
                    _("{name} in the bundle uses a compression method Tallylight does not write.").format(
                        name=name
                    )
                )
            if info.flag_bits & 0x1:
                raise BundleError(
                    _("{name} in the bundle is encrypted inside the archive.").format(name=name)
                )
            self.infos[name] = info
        if sum(i.file_size for i in infos) > max_unpacked:
            raise BundleError(
                _("The bundle would unpack to more than {max_unpacked}; it is refused.").format(
                    max_unpacked=_size(max_unpacked)
                )
            )

    def _stored(self, info: zipfile.ZipInfo) -> memoryview:
        """The entry's bytes as they sit in the archive, after a local header checked as zipfile
        checks it (signature, the same name, no flag zipfile cannot honour)."""
        at = info.header_offset
        header = self.plaintext[at : at + _LOCAL_HEADER.size]
        if len(header) != _LOCAL_HEADER.size:
            raise zipfile.BadZipFile("Truncated file header")
        sig, _v, flags, _m, _t, _d, _c, _cs, _us, name_len, extra_len = _LOCAL_HEADER.unpack(header)
        if sig != b"PK\x03\x04":
            raise zipfile.BadZipFile("Bad magic number for file header")
        if info.flag_bits & _UNSUPPORTED_FLAGS:
            raise NotImplementedError("compressed patched data or strong encryption")
        at += _LOCAL_HEADER.size
        raw_name = self.plaintext[at : at + name_len]
        encoding = "utf-8" if flags & 0x800 else "cp437"
        if raw_name.decode(encoding) != info.orig_filename:
            raise zipfile.BadZipFile("File name in directory and header differ")
        at += name_len + extra_len
        stored = memoryview(self.plaintext)[at : at + info.compress_size]
        if len(stored) != info.compress_size:
            raise EOFError("the archive ends inside an entry")
        return stored

    def read(self, name: str, limit: int | None = None) -> bytes:
        """The entry's bytes, refused past the bundle's (or ``limit``'s) budget or past MAX_RATIO
        times its stored size; never more than one byte beyond a limit is unpacked."""
        info = self.infos[name]
        cap = min(self.budget, limit if limit is not None else self.budget)
        ratio_cap = max(RATIO_FLOOR, info.compress_size * MAX_RATIO)
        inflate = _inflater()
        try:
            stored = self._stored(info)
            # what zipfile reads: the size the headers claim, no more (a larger claim is checked
            # by the CRC-32 and by the size really unpacked)
            want = min(info.file_size, cap + 1, ratio_cap + 1)
            if info.compress_type == zipfile.ZIP_STORED:
                data = bytes(stored[:want])
            else:
                unpacking = inflate.decompressobj(-15)
                data = unpacking.decompress(stored, want)
            if len(data) > cap:
                raise BundleError(
                    _("{name} in the bundle unpacks to more than {cap}; refused.").format(
                        name=name, cap=_size(cap)
                    )
                )
            if len(data) > ratio_cap:
                raise BundleError(
                    _("{name} in the bundle expands like a zip bomb; refused.").format(name=name)
                )
            if len(data) != info.file_size:
                raise EOFError("Compressed file ended before the end-of-stream marker was reached")
            if inflate.crc32(data) != info.CRC:
                raise zipfile.BadZipFile(f"Bad CRC-32 for file {name!r}")
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error, inflate.error) as exc:
            raise BundleError(_("The bundle's archive is damaged ({exc}).").format(exc=exc)) from None
        except (NotImplementedError, RuntimeError) as exc:
            raise BundleError(
                _("{name} in the bundle cannot be unpacked ({exc}).").format(name=name, exc=exc)
            ) from None
        self.budget -= len(data)
        return data


def _size(n: int) -> str:
    return f"{n / (1 << 30):g} GiB" if n >= 1 << 30 else f"{n / (1 << 20):g} MiB"


def open_plaintext(plaintext: bytes, max_unpacked: int = MAX_UNPACKED) -> Opened:
    """Unpack and verify a decrypted bundle; BundleError names the first thing wrong.

    Names and compression methods are checked before anything is unpacked, and each
    entry is streamed against what it really expands to, so a bomb or a lying size
    costs at most ``max_unpacked`` bytes.
    """
    zip_ = _Unpacker(plaintext, max_unpacked)
    names = list(zip_.infos)
    if BUNDLE_JSON not in zip_.infos:
        raise BundleError(_("The bundle has no bundle.json."))
    body = zip_.read(BUNDLE_JSON, MAX_BUNDLE_JSON)
    try:
        doc = safejson.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BundleError(_("The bundle's bundle.json is not valid JSON.")) from None
    _check_doc(doc)
    listed = doc["files"]
    extra = set(names) - set(listed) - {BUNDLE_JSON, README, SIGNATURE}
    if extra:
        raise BundleError(
            _("The bundle holds a file its bundle.json does not list: {value}.").format(
                value=sorted(extra)[0]
            )
        )
    raw: dict[str, bytes] = {}
    for name, meta in listed.items():
        if name not in zip_.infos:
            raise BundleError(_("The bundle lacks {name}, which its bundle.json lists.").format(name=name))
        data = raw[name] = zip_.read(name)
        if not isinstance(meta, dict) or hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            raise BundleError(_("{name} in the bundle does not match its checksum.").format(name=name))
    events: dict[str, bytes] = {}
    trials: dict[str, bytes] = {}
    for s in doc["sessions"]:
        sid = s["session_id"]
        if s.get("file") != f"sessions/{sid}/events.csv" or s["file"] not in listed:
            raise BundleError(_("Session {sid} in bundle.json has no events file.").format(sid=sid))
        if sid in events:
            raise BundleError(_("Session {sid} appears twice in the bundle.").format(sid=sid))
        events[sid] = raw[s["file"]]
        named = s.get("trials_file")
        if named is not None:
            if named != trials_file(sid) or named not in listed:
                raise BundleError(
                    _("Session {sid} in bundle.json names a trials file it does not hold.").format(sid=sid)
                )
            trials[sid] = raw[named]
    stray = [
        n for n in listed if TRIALS_FILE_RE.fullmatch(str(n)) and n not in {trials_file(s) for s in trials}
    ]
    if stray:
        raise BundleError(
            _("The bundle holds {value}, which no session in its bundle.json names.").format(value=stray[0])
        )
    sig = zip_.read(SIGNATURE, 4096) if SIGNATURE in zip_.infos else None
    signer = signed_by(doc, body, sig)
    return Opened(doc, events, raw.get(CODEBOOK, b""), signer, trials)


def signed_by(doc: dict[str, Any], body: bytes, signature: bytes | None) -> str:
    """The participant public key that signed bundle.json; "" for an unsigned bundle.

    A signature that does not verify is refused outright (BundleError): the bundle was
    changed after signing, or claims a key that did not make it.
    """
    public = doc.get("participant_public_key")
    if signature is None and public is None:
        return ""
    sig = signature.decode("ascii", "replace").strip() if signature is not None else ""
    if not isinstance(public, str) or not participant_key.verify(
        public, participant_key.BUNDLE_CONTEXT, body, sig
    ):
        raise BundleError(_("The bundle's participant signature does not verify; it is refused."))
    return public


def _check_doc(doc: Any) -> None:
    def need(cond: bool, what: str) -> None:
        if not cond:
            raise BundleError(_("The bundle's bundle.json is malformed: {what}.").format(what=what))

    need(isinstance(doc, dict), "not an object")
    need(doc.get("format") == FORMAT, "format is not tallylight-bundle")
    if doc.get("version") != VERSION:
        found = doc.get("version")
        raise BundleError(
            _("This bundle has format version {found!r}; this reader knows {VERSION}.").format(
                found=found, VERSION=VERSION
            )
        )
    need(isinstance(doc.get("bundle_id"), str) and _is_uuid(doc["bundle_id"]), "bundle_id")
    study = doc.get("study")
    need(isinstance(study, dict) and isinstance(study.get("id"), str) and study["id"] != "", "study.id")
    need(isinstance(study.get("manifest_sha256"), str), "study.manifest_sha256")
    need(isinstance(doc.get("participant_id"), str) and doc["participant_id"] != "", "participant_id")
    need(safe_name(doc["participant_id"]) and safe_name(study["id"]), "ids must be plain names")
    need(isinstance(doc.get("files"), dict), "files")
    for name in doc["files"]:
        need(name == CODEBOOK or _session_file(str(name)), f"unexpected file name {name!r}")
    sessions = doc.get("sessions")
    need(isinstance(sessions, list) and len(sessions) > 0, "sessions")
    for s in sessions:
        need(isinstance(s, dict) and isinstance(s.get("session_id"), str), "sessions[].session_id")
        need(safe_name(s["session_id"]), "sessions[].session_id must be a plain name")
        need(isinstance(s.get("start_unix_ns"), int), "sessions[].start_unix_ns")


_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")  # fullmatch: "$" would pass a final newline


def safe_name(value: str) -> bool:
    return bool(_SAFE.fullmatch(value))


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def open_bundle(ciphertext: bytes, identities: Sequence[Any], max_unpacked: int = MAX_UNPACKED) -> Opened:
    """Decrypt (age) and verify a bundle."""
    return open_plaintext(agecrypt.decrypt(ciphertext, identities), max_unpacked)
