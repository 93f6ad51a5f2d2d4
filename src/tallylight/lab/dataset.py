"""One study as one Parquet dataset: bundles in, hive partitions study / participant / session out.

    OUT/events/study=<id>/participant=<id>/session=<id>/part-0.parquet   one row per event
    OUT/sessions/study=<id>/participant=<id>/session=<id>/part-0.parquet one row per session
    OUT/_bundles.json                                                    bundles opened so far

Each session's partition is written with ``existing_data_behavior="delete_matching"``
and a fixed file name, so opening a bundle again replaces its rows instead of
adding them twice. ``_bundles.json`` starts with ``_`` so dataset readers skip it.
Workers are separate processes (``open_one`` takes and returns plain values).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from tallylight import safejson
from tallylight.errors import BundleError, TallylightError
from tallylight.fsutil import atomic_write
from tallylight.share import agecrypt, bundle, tables

PARTITIONS = ("study", "participant", "session")
#: what building the tables raises for a bundle.json value of the wrong shape (the bundle is skipped)
MALFORMED = (TypeError, ValueError, AttributeError, KeyError, OverflowError, pa.ArrowException)
REGISTRY = "_bundles.json"
BASENAME = "part-{i}.parquet"

_ARROW = {"decimal": pa.float64(), "integer": pa.int64(), "text": pa.string(), "name": pa.string()}
#: events.csv columns with their Arrow types (from the one column list in share.tables)
CSV_TYPES: dict[str, pa.DataType] = {c.name: _ARROW[c.type] for c in tables.COLUMNS}


@dataclass(frozen=True)
class StudyCheck:
    """What a given manifest says a bundle of its study must match."""

    study_id: str
    manifest_hashes: frozenset[str]
    recipients: frozenset[str]


@dataclass
class Outcome:
    """What happened to one bundle file."""

    path: str
    status: str  # opened | bad | foreign | duplicate
    message: str = ""
    bundle_id: str = ""
    study_id: str = ""
    participant_id: str = ""
    sessions: list[str] = field(default_factory=list)
    rows: int = 0
    sha256: str = ""


def read_events_csv(data: bytes) -> pa.Table:
    """An events.csv as an Arrow table with the codebook's types; empty cells become nulls."""
    opts = pacsv.ConvertOptions(
        column_types=CSV_TYPES,
        strings_can_be_null=True,
        null_values=[""],
        include_columns=list(tables.COLUMN_NAMES),
    )
    try:
        table = pacsv.read_csv(io.BytesIO(data), convert_options=opts)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else "unreadable"
        raise BundleError(f"An events table in the bundle is malformed ({first}).") from None
    if tuple(table.column_names) != tables.COLUMN_NAMES:
        raise BundleError("An events table in the bundle does not have the documented columns.")
    t_ms = table["t_ms"]
    if t_ms.null_count or pc.any(pc.invert(pc.is_finite(t_ms))).as_py():
        raise BundleError("An events table in the bundle has an event whose t_ms is not a number.")
    return table


def _events_table(opened: bundle.Opened, session: Mapping[str, Any]) -> pa.Table:
    sid = session["session_id"]
    table = read_events_csv(opened.events[sid])
    n = table.num_rows
    start = pa.scalar(int(session["start_unix_ns"]), pa.int64())
    # absolute time = session start + t_ms (exact to the microsecond, beyond that a double)
    offset_ns = pc.cast(pc.multiply(table["t_ms"], 1_000_000.0), pa.int64(), safe=False)
    t_utc = pc.cast(pc.add(offset_ns, start), pa.timestamp("ns", tz="UTC"))
    table = table.add_column(1, "t_utc", t_utc)
    for name, value in (
        ("bundle_id", opened.bundle_id),
        ("study", opened.study_id),
        ("participant", opened.participant_id),
        ("session", sid),
    ):
        table = table.append_column(name, pa.array([value] * n, pa.string()))
    return table


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _sessions_table(opened: bundle.Opened, session: Mapping[str, Any]) -> pa.Table:
    doc = opened.doc
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
        "app_version": doc.get("app_version"),
        "environment": _json(env),
        "consent": _json(doc.get("consent")),
        "study": opened.study_id,
        "participant": opened.participant_id,
        "session": session["session_id"],
    }
    types = {"utc_offset_minutes": pa.int64(), "duration_ms": pa.float64(), "events": pa.int64()}
    types["start_utc"] = pa.timestamp("ns", tz="UTC")
    arrays = {k: pa.array([v], type=types.get(k, pa.string())) for k, v in row.items()}
    return pa.table(arrays)


def session_tables(opened: bundle.Opened) -> list[tuple[pa.Table, pa.Table]]:
    """(events, sessions) tables of each session in a verified bundle."""
    return [(_events_table(opened, s), _sessions_table(opened, s)) for s in opened.doc["sessions"]]


def _write(table: pa.Table, root: Path) -> None:
    pq.write_to_dataset(
        table,
        root_path=str(root),
        partition_cols=list(PARTITIONS),
        basename_template=BASENAME,
        existing_data_behavior="delete_matching",
    )


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
    return ""


def open_one(
    path: str,
    identity_text: str,
    out: str,
    studies: Mapping[str, StudyCheck] | None,
    known_bundles: Sequence[str] = (),
) -> Outcome:
    """Decrypt, verify, check and write one bundle; never raises for a bad bundle."""
    result = Outcome(path, "bad")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        result.message = f"cannot be read ({exc.strerror})"
        return result
    result.sha256 = hashlib.sha256(data).hexdigest()
    try:
        opened = bundle.open_bundle(data, agecrypt.identities_from_text(identity_text))
    except BundleError as exc:
        result.status = "foreign" if "not encrypted to your identity" in str(exc) else "bad"
        result.message = str(exc)
        return result
    result.bundle_id, result.study_id = opened.bundle_id, opened.study_id
    result.participant_id = opened.participant_id
    if opened.bundle_id in known_bundles:
        result.status, result.message = "duplicate", "this bundle was opened before; skipped"
        return result
    why = check_against(opened, studies)
    if why:
        result.status, result.message = "foreign", why
        return result
    try:
        tables_ = session_tables(opened)
        for events, sessions in tables_:
            _write(events, Path(out) / "events")
            _write(sessions, Path(out) / "sessions")
    except TallylightError as exc:
        result.message = str(exc)
        return result
    except MALFORMED as exc:
        # bundle.json passed the checks a reader needs but holds a value of the wrong shape
        result.message = f"its bundle.json holds a malformed value ({type(exc).__name__}); skipped"
        return result
    except OSError as exc:
        result.message = f"writing the dataset failed ({exc.strerror or exc})"
        return result
    result.status = "opened"
    result.sessions = [s["session_id"] for s in opened.doc["sessions"]]
    result.rows = sum(e.num_rows for e, _ in tables_)
    return result


def load_registry(out: Path) -> dict[str, Any]:
    try:
        doc = safejson.loads((out / REGISTRY).read_text("utf-8"))
    except (OSError, ValueError):
        return {"bundles": {}}
    return doc if isinstance(doc, dict) and isinstance(doc.get("bundles"), dict) else {"bundles": {}}


def save_registry(out: Path, registry: dict[str, Any]) -> None:
    atomic_write(out / REGISTRY, json.dumps(registry, indent=1, sort_keys=True).encode("utf-8"), mode=0o644)
