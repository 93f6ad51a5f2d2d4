"""One study as one Parquet dataset: bundles in, hive partitions study / participant / session out.

    OUT/events/study=<id>/participant=<id>/session=<id>/part-0.parquet   one row per event
    OUT/sessions/study=<id>/participant=<id>/session=<id>/part-0.parquet one row per session
    OUT/trials/study=<id>/participant=<id>/session=<id>/part-0.parquet   one row per task trial
    OUT/_bundles*.json, OUT/_withdrawn/   bundles opened so far, tombstones (tallylight.lab.ledger)

Each session's partition is written with ``existing_data_behavior="delete_matching"``
and a fixed file name, so opening a bundle again replaces its rows instead of
adding them twice. The ledger's files start with ``_`` so dataset readers skip them.
A bundle is prepared (decrypted, verified, tabled) and written in two steps, so the
caller can refuse a duplicate or a session another bundle already brought before
anything is written (tallylight.lab.isolate runs both in a limited worker process).
The dataset holds participants' data: folders 0700, files 0600.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from tallylight.errors import BundleError, TallylightError
from tallylight.share import agecrypt, bundle, tables, withdrawal_request

PARTITIONS = ("study", "participant", "session")
#: what building the tables raises for a bundle.json value of the wrong shape (the bundle is skipped)
MALFORMED: tuple[type[Exception], ...] = (
    TypeError,
    ValueError,
    AttributeError,
    KeyError,
    OverflowError,
    pa.ArrowException,
)
BASENAME = "part-{i}.parquet"

_ARROW = {
    "decimal": pa.float64(),
    "integer": pa.int64(),
    "text": pa.string(),
    "name": pa.string(),
    "boolean": pa.bool_(),
}
#: events.csv columns with their Arrow types (from the one column list in share.tables)
CSV_TYPES: dict[str, pa.DataType] = {c.name: _ARROW[c.type] for c in tables.COLUMNS}
#: trials.csv columns with their Arrow types
TRIAL_CSV_TYPES: dict[str, pa.DataType] = {c.name: _ARROW[c.type] for c in tables.TRIAL_COLUMNS}


@dataclass(frozen=True)
class StudyCheck:
    """What a given manifest says a bundle of its study must match."""

    study_id: str
    manifest_hashes: frozenset[str]
    recipients: frozenset[str]
    #: the purpose ids each given manifest (by hash) asks about: a bundle's consent may allow
    #: only those (a manifest left out of this map is not checked)
    purposes: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass
class Outcome:
    """What happened to one bundle file."""

    path: str
    #: opened | bad | foreign | duplicate | conflict | refused (by the ledger: pins, tombstones)
    #: | request (a withdrawal request); ready: prepared, not yet written
    status: str
    message: str = ""
    bundle_id: str = ""
    study_id: str = ""
    participant_id: str = ""
    sessions: list[str] = field(default_factory=list)
    rows: int = 0
    sha256: str = ""
    signer: str = ""  # the participant key that signed it (share.bundle.signed_by)
    created_utc: str = ""
    replaces: list[str] = field(default_factory=list)  # bundles whose sessions this one replaced
    request: Any = None  # a verified share.withdrawal_request.Request (status "request")
    purposes: list[str] = field(default_factory=list)  # what the bundle's consent allows it for


#: what a bundle whose consent names no purposes (made before purposes existed) was given for
LEGACY_PURPOSES = ("analysis",)


def bundle_purposes(doc: Mapping[str, Any]) -> list[str]:
    """The purposes a bundle may be used for: those its consent allowed at the time of sharing
    (docs/BUNDLE.md, consent.purposes); ValueError if that item is malformed."""
    consent = doc.get("consent")
    purposes = consent.get("purposes") if isinstance(consent, dict) else None
    if purposes is None:
        return list(LEGACY_PURPOSES)
    if not isinstance(purposes, dict) or not all(
        isinstance(k, str) and 0 < len(k) <= 64 and isinstance(v, bool) for k, v in purposes.items()
    ):
        raise ValueError("consent.purposes is malformed")
    return [k for k, v in purposes.items() if v]


#: the largest block pyarrow's CSV reader is given (a larger table is read in blocks of this)
_MAX_BLOCK = 1 << 30


def _read_csv(data: bytes, types: dict[str, pa.DataType], names: tuple[str, ...], what: str) -> pa.Table:
    """One of the bundle's CSV tables with exactly its documented columns, or a BundleError.

    Read in this thread, in one block where it fits: a worker opens one bundle per core, so
    the reader's own threads only added CPU time per row (a third more on 100k rows), and one
    block gives one chunk per column, whose dictionary the Parquet writer can take as it is.
    """
    opts = pacsv.ConvertOptions(
        column_types=types, strings_can_be_null=True, null_values=[""], include_columns=list(names)
    )
    read = pacsv.ReadOptions(use_threads=False, block_size=max(1 << 20, min(len(data) + 1, _MAX_BLOCK)))
    try:
        table = pacsv.read_csv(io.BytesIO(data), read_options=read, convert_options=opts)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowKeyError) as exc:  # KeyError: a column is missing
        first = str(exc).splitlines()[0] if str(exc) else "unreadable"
        raise BundleError(f"{what} in the bundle is malformed ({first}).") from None
    if tuple(table.column_names) != names:
        raise BundleError(f"{what} in the bundle does not have the documented columns.")
    return table


def read_events_csv(data: bytes) -> pa.Table:
    """An events.csv as an Arrow table with the codebook's types; empty cells become nulls.

    The checked text columns (the name columns, key_id, task) stay dictionary-encoded, as read:
    each distinct value was checked once, and the Parquet writer stores the dictionary as it is
    (the files hold plain strings; see _write)."""
    table = _read_csv(data, _EVENT_READ_TYPES, tables.COLUMN_NAMES, "An events table")
    table = _check_vocabulary(table)
    t_ms = table["t_ms"]
    if t_ms.null_count or pc.any(pc.invert(pc.is_finite(t_ms))).as_py():
        raise BundleError("An events table in the bundle has an event whose t_ms is not a number.")
    return table


#: what the text columns that are not free text must look like (a formula like =HYPERLINK(…)
#: must never reach a researcher's spreadsheet from a column documented as a name or a code)
_TEXT_PATTERNS = {"key_id": r"[0-9a-f]{16}", "task": r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"}
#: a code the writing version did not know (docs/BUNDLE.md section 4); never in the codebook
_UNKNOWN_CODE = r"code_[0-9]{1,10}"
#: the columns whose values are checked: read dictionary-encoded, so each distinct value (a session
#: has a few dozen) is checked once, not once per row, and written to Parquet as they are
_CHECKED = (*tables.VALUES, *_TEXT_PATTERNS)
_EVENT_READ_TYPES = {
    name: pa.dictionary(pa.int32(), pa.string()) if name in _CHECKED else t for name, t in CSV_TYPES.items()
}


#: each name column's codebook values as an Arrow array (built on first use)
_VALUE_SETS: dict[str, pa.Array] = {}


def _allowed(column: str, values: pa.Array | pa.ChunkedArray) -> Any:
    """Whether each value may stand in ``column`` (an empty cell may), as a boolean array."""
    if not _VALUE_SETS:
        _VALUE_SETS.update((c, pa.array(sorted(v), pa.string())) for c, v in tables.VALUES.items())
    if column in _TEXT_PATTERNS:
        return pc.or_kleene(
            pc.is_null(values), pc.match_substring_regex(values, f"^(?:{_TEXT_PATTERNS[column]})$")
        )
    known = pc.or_kleene(pc.is_in(values, value_set=_VALUE_SETS[column]), pc.is_null(values))
    return pc.or_kleene(known, pc.match_substring_regex(values, f"^{_UNKNOWN_CODE}$"))


def _check_vocabulary(table: pa.Table) -> pa.Table:
    """The table; BundleError unless every name column holds codebook values (or ``code_N``) and
    key_id / task their documented form."""
    for column in _CHECKED:
        col = table.column(column)
        if pa.types.is_dictionary(col.type):
            values = [chunk.dictionary for chunk in col.chunks]
            if all(pc.all(pc.fill_null(_allowed(column, v), False)).as_py() is not False for v in values):
                continue
            col = pc.cast(col, pa.string())
        # a value is not allowed (or the column was not read dictionary-encoded): find the row
        why = (
            "does not have the documented form"
            if column in _TEXT_PATTERNS
            else "is not a value of the codebook"
        )
        _refuse_unless(
            table.set_column(table.schema.get_field_index(column), column, col),
            column,
            _allowed(column, col),
            why,
        )
    return table


def _refuse_unless(
    table: pa.Table, column: str, ok: pa.ChunkedArray, why: str, what: str = "An events table"
) -> None:
    ok = pc.fill_null(ok, False)
    if pc.all(ok).as_py() is not False:
        return
    bad = table[column].filter(pc.invert(ok))[0].as_py()
    shown = "an empty cell" if bad is None else repr(bad[:40])
    raise BundleError(f"{what} in the bundle has {shown} in column {column}, which {why}.")


#: a trial's times in ms stay within the store's event time range (2^62 ns)
TRIAL_TIME_LIMIT_MS = float(1 << 62) / 1e6


def read_trials_csv(data: bytes) -> pa.Table:
    """A trials.csv as an Arrow table with the codebook's types; empty cells become nulls."""
    table = _read_csv(data, TRIAL_CSV_TYPES, tables.TRIAL_COLUMN_NAMES, "A trials table")
    # kind: a later version may add kinds (docs/FORMAT.md section 14), so a plain name, not a list
    for column, pattern in (("task", _TEXT_PATTERNS["task"]), ("kind", r"[a-z][a-z0-9_]{0,31}")):
        col = table[column]
        ok = pc.and_kleene(pc.is_valid(col), pc.match_substring_regex(col, f"^(?:{pattern})$"))
        _refuse_unless(table, column, ok, "does not have the documented form", "A trials table")
    for column in ("trial", "start_ms", "end_ms"):
        col = table[column]
        if col.null_count or (col.type == pa.float64() and pc.any(pc.invert(pc.is_finite(col))).as_py()):
            raise BundleError(f"A trials table in the bundle has a trial whose {column} is not a number.")
        # the event time range (docs/FORMAT.md 6.2)
        if col.type == pa.float64() and table.num_rows and pc.max(pc.abs(col)).as_py() >= TRIAL_TIME_LIMIT_MS:
            raise BundleError(f"A trials table in the bundle has a trial whose {column} is out of range.")
    return table


def _events_table(opened: bundle.Opened, session: Mapping[str, Any]) -> pa.Table:
    """A session's events as written: the CSV's columns, t_utc and bundle_id (the partition's
    study, participant and session are in its folder names, not in the file)."""
    sid = session["session_id"]
    table = read_events_csv(opened.events[sid])
    start = pa.scalar(int(session["start_unix_ns"]), pa.int64())
    # absolute time = session start + t_ms (exact to the microsecond, beyond that a double)
    offset_ns = pc.cast(pc.multiply(table["t_ms"], 1_000_000.0), pa.int64(), safe=False)
    t_utc = pc.cast(pc.add(offset_ns, start), pa.timestamp("ns", tz="UTC"))
    table = table.add_column(1, "t_utc", t_utc)
    return table.append_column("bundle_id", constant_dictionary(opened.bundle_id, table.num_rows))


def constant_dictionary(value: str, n: int) -> pa.DictionaryArray:
    """A column holding ``value`` ``n`` times as a one-entry dictionary: nothing to hash when
    Parquet dictionary-encodes it (the plain column cost a tenth of an events file's writing)."""
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([value], pa.string()))


#: the most bytes one chunk of a string column may hold (its offsets are 32-bit)
_STRING_CHUNK = (1 << 31) - 1


def constant(value: str, n: int) -> pa.ChunkedArray:
    """A string column holding ``value`` ``n`` times, built from its buffers (``pa.repeat`` of a
    string scalar took 0.45 s per million rows, longer than reading the CSV)."""
    data = value.encode("utf-8")
    per = max(1, _STRING_CHUNK // max(1, len(data)))
    chunks = []
    for start in range(0, n, per):
        m = min(per, n - start)
        offsets = np.arange(m + 1, dtype=np.int32) * np.int32(len(data))
        chunks.append(pa.StringArray.from_buffers(m, pa.py_buffer(offsets), pa.py_buffer(data * m)))
    return pa.chunked_array(chunks, type=pa.string())


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _count_of(session: Mapping[str, Any], kind: str) -> int:
    counts = session.get("event_counts")
    value = counts.get(kind, 0) if isinstance(counts, dict) else 0
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


def _sessions_table(opened: bundle.Opened, session: Mapping[str, Any]) -> pa.Table:
    doc = opened.doc
    purposes = bundle_purposes(doc)
    tz = session.get("time_zone") or {}
    capture = session.get("capture") or {}
    env = doc.get("environment") or {}
    row: dict[str, Any] = {
        "bundle_id": opened.bundle_id,
        "manifest_sha256": doc["study"]["manifest_sha256"],
        "label": session.get("label"),
        "start_utc": pa.scalar(int(session["start_unix_ns"]), pa.timestamp("ns", tz="UTC")),
        "time_zone": tz.get("name"),
        "utc_offset_minutes": tz.get("utc_offset_minutes"),
        "duration_ms": session.get("duration_ms"),
        "events": session.get("events"),
        "key_mode": capture.get("key_mode"),
        "capture": _json(capture),
        "verdict": session.get("verdict"),
        "stop_reason": session.get("stop_reason"),
        "pauses": _json(session.get("pauses")),
        "gaps": _json(session.get("gaps")),
        "cut_spans": _json(session.get("cut_spans")),
        "timing_quality": _json(session.get("timing_quality")),
        "tasks": _json(session.get("tasks")),
        "notes": _json(session.get("notes")),
        "task_runs": len(session.get("tasks") or []),
        "note_count": len(session.get("notes") or []),
        **{f"{kind}_events": _count_of(session, kind) for kind in tables.KIND_NAMES.values()},
        "app_version": doc.get("app_version"),
        "environment": _json(env),
        "consent": _json(doc.get("consent")),
        "purposes": purposes,
        "study": opened.study_id,
        "participant": opened.participant_id,
        "session": session["session_id"],
    }
    types = {"utc_offset_minutes": pa.int64(), "duration_ms": pa.float64(), "events": pa.int64()}
    types.update({k: pa.int64() for k in row if k.endswith("_events") or k in ("task_runs", "note_count")})
    types["start_utc"] = pa.timestamp("ns", tz="UTC")
    types["purposes"] = pa.list_(pa.string())
    arrays = {k: pa.array([v], type=types.get(k, pa.string())) for k, v in row.items()}
    return pa.table(arrays)


def session_tables(opened: bundle.Opened) -> list[tuple[pa.Table, pa.Table]]:
    """(events, sessions) tables of each session in a verified bundle."""
    return [(_events_table(opened, s), _sessions_table(opened, s)) for s in opened.doc["sessions"]]


def trial_tables(opened: bundle.Opened) -> dict[str, pa.Table]:
    """Session id -> its trials table, for each session of the bundle that has trials."""
    out = {}
    for sid, data in opened.trials.items():
        table = read_trials_csv(data)
        n = table.num_rows
        for name, value in (
            ("bundle_id", opened.bundle_id),
            ("study", opened.study_id),
            ("participant", opened.participant_id),
            ("session", sid),
        ):
            table = table.append_column(name, constant(value, n))
        out[sid] = table
    return out


#: the events' per-row text columns, written without min/max statistics (see _write)
_NO_STATS = frozenset({*tables.VALUES, "key_id", "key_text"})
#: integer columns written delta-encoded (t_utc is a timestamp, stored as int64)
_DELTA_COLUMNS = ("t_utc", "x_px", "y_px")


def _write(table: pa.Table, root: Path, partition: tuple[str, str, str]) -> None:
    """One session's rows as its partition's only file (what write_to_dataset with
    delete_matching gives, at a fraction of its cost: the partition (study, participant,
    session) is known, one file, written beside and renamed into place, so a reader never
    sees half of it). Partition columns in ``table`` are left out of the file."""
    folder = root.joinpath(*(f"{k}={v}" for k, v in zip(PARTITIONS, partition, strict=True)))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = BASENAME.format(i=0)
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    table = table.drop_columns([c for c in PARTITIONS if c in table.column_names])
    # dictionary pages for the text columns only: trying them on the numbers (which have
    # too many distinct values and fall back to plain) was a quarter of the write's time
    text = [f.name for f in table.schema if pa.types.is_string(f.type) or pa.types.is_dictionary(f.type)]
    # times and pointer positions change little from row to row: delta-encoded, an events
    # file is about 45 % smaller and written a little faster (every Parquet reader knows it)
    deltas = {c: "DELTA_BINARY_PACKED" for c in _DELTA_COLUMNS if c in table.column_names}
    # dictionary-encoded columns (the checked text columns as read, a constant bundle_id) are
    # stored as Parquet's dictionary pages without hashing each value again; without the Arrow
    # schema in the file they read back as plain strings, as every other text column, in every
    # reader (the file's own types say UTF-8 text and a UTC nanosecond timestamp)
    plain = not any(pa.types.is_dictionary(f.type) for f in table.schema)
    # min/max statistics for the numbers, times and ids, by which a reader skips whole files;
    # not for the events' per-row text columns (a file holds nearly every kind, class and key,
    # so they skip nothing), whose statistics were a quarter of an events file's writing
    stats = [c for c in table.column_names if c not in _NO_STATS]
    pq.write_table(
        table,
        tmp,
        use_dictionary=text,
        column_encoding=deltas or None,
        store_schema=plain,
        write_statistics=stats,
    )
    os.replace(tmp, folder / name)
    for other in folder.iterdir():  # an older writer's files of this partition
        if other.name != name and other.name.endswith(".parquet"):
            other.unlink()


def check_against(opened: bundle.Opened, studies: Mapping[str, StudyCheck] | None) -> str:
    """Empty if the bundle fits a given manifest; else why it is foreign."""
    if studies is None:
        return ""
    check = studies.get(opened.study_id)
    if check is None:
        return f"it is for study {opened.study_id}, which none of the given manifests describes"
    made_under = opened.doc["study"]["manifest_sha256"]
    if made_under not in check.manifest_hashes:
        return (
            f"it was made under a manifest with hash {made_under[:16]}…, not one given here "
            "(pass that version of the manifest with --manifest)"
        )
    if set(opened.doc["study"].get("recipients") or []) - check.recipients:
        return "it was encrypted to a recipient key the study's manifest does not name"
    asked = check.purposes.get(made_under)
    try:
        claimed = bundle_purposes(opened.doc)
    except ValueError:  # malformed: refused when its tables are made
        claimed = []
    never_asked = [p for p in claimed if asked is not None and p not in asked]
    if never_asked:
        return (
            f"its consent allows {', '.join(never_asked)}, which its manifest never asked the participant "
            "about (a changed or forged consent record)"
        )
    return ""


@dataclass
class Prepared:
    """A bundle decrypted, verified and turned into tables, not yet written (a worker holds it)."""

    outcome: Outcome
    tables: list[tuple[pa.Table, pa.Table]] = field(default_factory=list)
    trials: dict[str, pa.Table] = field(default_factory=dict)  # by session id (sessions with trials)


def prepare_one(
    path: str,
    identity_text: str,
    studies: Mapping[str, StudyCheck] | None,
    max_unpacked: int = bundle.MAX_UNPACKED,
) -> Prepared:
    """Decrypt, verify and check one bundle and build its tables; never raises for a bad bundle.

    The outcome's status is ``ready`` when the tables may be written (the caller
    decides whether they are: a duplicate or a conflicting session is not).
    """
    result = Outcome(path, "bad")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        result.message = f"cannot be read ({exc.strerror})"
        return Prepared(result)
    result.sha256 = hashlib.sha256(data).hexdigest()
    try:
        plaintext = agecrypt.decrypt(data, agecrypt.identities_from_text(identity_text))
        if withdrawal_request.is_envelope(plaintext):
            result.request = withdrawal_request.open_envelope(plaintext)
            result.status = "request"
            result.participant_id, result.study_id = result.request.participant_id, result.request.study_id
            return Prepared(result)
        opened = bundle.open_plaintext(plaintext, max_unpacked)
        del plaintext
    except BundleError as exc:
        result.status = "foreign" if "not encrypted to your identity" in str(exc) else "bad"
        result.message = str(exc)
        return Prepared(result)
    del data
    result.bundle_id, result.study_id = opened.bundle_id, opened.study_id
    result.participant_id = opened.participant_id
    result.signer, result.created_utc = opened.signer, str(opened.doc.get("created_utc", ""))
    why = check_against(opened, studies)
    if why:
        result.status, result.message = "foreign", why
        return Prepared(result)
    try:
        tables_ = session_tables(opened)
        trials = trial_tables(opened)
    except TallylightError as exc:
        result.message = str(exc)
        return Prepared(result)
    except MemoryError:  # pyarrow's ArrowMemoryError is also an ArrowException: the caller reports it
        raise
    except MALFORMED as exc:
        # bundle.json passed the checks a reader needs but holds a value of the wrong shape
        result.message = f"its bundle.json holds a malformed value ({type(exc).__name__}); skipped"
        return Prepared(result)
    result.status = "ready"
    result.purposes = bundle_purposes(opened.doc)
    result.sessions = [s["session_id"] for s in opened.doc["sessions"]]
    result.rows = sum(e.num_rows for e, _ in tables_)
    return Prepared(result, tables_, trials)


def use_system_allocator() -> None:
    """Have pyarrow allocate with the C library's malloc in this process (a worker): with the
    tables of one bundle after another, mimalloc (pyarrow's default) gave its freed pages back
    and faulted them in again, three times the page faults and about 7 % more CPU per event."""
    pa.set_memory_pool(pa.system_memory_pool())


def release_memory() -> None:
    """Give the memory pyarrow holds free back to the system: a worker opening the next bundle
    starts from what it needs, not from what the largest bundle before it needed."""
    pa.default_memory_pool().release_unused()


def write_prepared(prepared: Prepared, out: str) -> Outcome:
    """Write a ready bundle's sessions into the dataset (each session's partition replaced)."""
    result = prepared.outcome
    try:
        for sid, (events, sessions) in zip(result.sessions, prepared.tables, strict=True):
            partition = (result.study_id, result.participant_id, sid)
            _write(events, Path(out) / "events", partition)
            _write(sessions, Path(out) / "sessions", partition)
        _write_trials(prepared, Path(out) / "trials")
    except OSError as exc:
        result.status, result.message = "bad", f"writing the dataset failed ({exc.strerror or exc})"
        return result
    result.status = "opened"
    return result


def _write_trials(prepared: Prepared, root: Path) -> None:
    """Each session's trials; a session that now has none (a newer version whose trials were all
    cut) loses the rows an earlier bundle of it wrote, as its events partition is replaced."""
    o = prepared.outcome
    for sid in o.sessions:
        if sid in prepared.trials:
            _write(prepared.trials[sid], root, (o.study_id, o.participant_id, sid))
            continue
        folder = root / f"study={o.study_id}" / f"participant={o.participant_id}" / f"session={sid}"
        if folder.is_dir():
            for old in folder.glob("*.parquet"):
                old.unlink()
            with contextlib.suppress(OSError):  # something else in it: left, but no rows
                folder.rmdir()


def load_registry(out: Path) -> dict[str, Any]:
    """Every bundle opened so far, from every registry file (tallylight.lab.ledger)."""
    from tallylight.lab import ledger

    return {"bundles": ledger.load_bundles(out)}


def session_owners(registry: Mapping[str, Any]) -> dict[str, str]:
    """Session id -> the bundle id that brought it, from the registry."""
    owners: dict[str, str] = {}
    for bundle_id, entry in registry["bundles"].items():
        sessions = entry.get("sessions") if isinstance(entry, dict) else None
        for sid in sessions if isinstance(sessions, list) else []:
            owners.setdefault(str(sid), str(bundle_id))
    return owners


def save_registry(out: Path, registry: dict[str, Any], shard: tuple[int, int] | None = None) -> None:
    """The registry (this run's file: the shard's own with ``--shard``), readable by its owner only."""
    from tallylight.lab import ledger

    ledger.save_bundles(out, registry["bundles"], shard)


def make_private(out: Path) -> None:
    """0700 folders and 0600 files under the dataset (an older Tallylight wrote 0755 / 0644)."""
    for root, dirs, files in os.walk(out):
        os.chmod(root, 0o700)
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, 0o600)
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
