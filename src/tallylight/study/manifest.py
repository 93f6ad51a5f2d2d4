"""The study manifest: what a study asks for, parsed strictly (docs/STUDY.md).

A manifest is TOML. Every field is checked here and only here; a malformed or
unknown field is a :class:`ManifestError` that names it (``study.end``,
``tasks[2].id``), so a researcher can fix the file without reading code and a
participant never sees a traceback. Pure: bytes and a date in, a value out.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tallylight.errors import ManifestError
from tallylight.i18n import N_, _
from tallylight.options import KEY_MODE_LABELS, CaptureOptions, KeyMode
from tallylight.study import signing

SCHEMA_VERSION = 1
MAX_MANIFEST_BYTES = 1 << 20  # 1 MiB: a manifest is a document, not a data set
MAX_DEPTH = 8
MAX_TASKS = 200
MAX_CHECKBOXES = 50
MAX_PURPOSES = 30
MAX_RECIPIENTS = 20
MAX_LIST = 100
MAX_LANGUAGES = 30
SHORT, MEDIUM, LONG = 200, 4_000, 200_000  # characters

# matched in full (fullmatch): "$" also matches before a final newline ("copy-text\n")
_LANG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}")
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
#: what manifest text may not hold: C0 controls but newline and tab, DEL, C1 controls (a terminal
#: obeys them) and the bidi embeddings, overrides and isolates (they reorder what the reader sees)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


# ---------------------------------------------------------------- the model


@dataclass(frozen=True)
class Text:
    """A text in one or more languages (language tag → text); the first is the default."""

    values: tuple[tuple[str, str], ...]

    def get(self, language: str | None = None) -> str:
        if language:
            for tag, text in self.values:
                if tag == language or tag.split("-")[0] == language.split("-")[0]:
                    return text
        return self.values[0][1]

    def __str__(self) -> str:
        return self.get()


@dataclass(frozen=True)
class Person:
    principal_investigator: str
    institution: str
    contact: str


@dataclass(frozen=True)
class Ethics:
    board: str
    protocol: str
    approval_expires: dt.date


@dataclass(frozen=True)
class SessionRules:
    max_duration_minutes: float  # 0 = no limit
    max_sessions: int  # 0 = no limit
    idle_stop_minutes: float  # 0 = never


#: task kinds (docs/TASKS.md): ``free`` is captured globally between task markers; ``typing`` and
#: ``pointing`` run in Tallylight's own task window
TASK_KINDS = ("free", "typing", "pointing")
MAX_PHRASES = 500
MAX_CONDITIONS = 20  # amplitudes or widths per pointing task


@dataclass(frozen=True)
class TypingTask:
    """Copy typing: each phrase is shown ``repetitions`` times, in an order drawn from ``seed``."""

    phrases: tuple[str, ...]
    repetitions: int
    seed: int | None


@dataclass(frozen=True)
class PointingTask:
    """ISO 9241-9 multi-directional tapping; sizes in ``unit`` ("px" or "mm", converted with the DPI)."""

    amplitudes: tuple[float, ...]
    amplitude_unit: str
    widths: tuple[float, ...]
    width_unit: str
    targets_per_circle: int
    sequences_per_condition: int
    seed: int | None
    devices: tuple[str, ...]


@dataclass(frozen=True)
class Task:
    id: str
    title: Text
    instructions: Text
    kind: str = "free"
    show_results: bool = False
    typing: TypingTask | None = None
    pointing: PointingTask | None = None

    @property
    def in_window(self) -> bool:
        """True for the kinds that run in the task window (and need no global capture)."""
        return self.kind != "free"


@dataclass(frozen=True)
class Checkbox:
    id: str
    text: Text
    required: bool


#: the purpose ids docs/STUDY.md suggests (any other id is allowed, with the manifest's own text)
STANDARD_PURPOSES = ("analysis", "publication-aggregate", "dataset-release", "model-training", "third-party")
#: the purpose a manifest without ``[[purposes]]`` has: the study's own analysis, required
DEFAULT_PURPOSE_ID = "analysis"
DEFAULT_PURPOSE_TITLE = N_("Analysis for this study")
DEFAULT_PURPOSE_DESCRIPTION = N_(
    "The researchers analyse your data for the questions this study describes, and for nothing else."
)


@dataclass(frozen=True)
class Purpose:
    """One use of the data the participant says yes or no to (required: the study needs it)."""

    id: str
    title: Text
    description: Text
    required: bool
    recipients: Text | None = None  # who gets the data for this use, in the researcher's words
    #: the purpose a manifest without purposes has (its words are Tallylight's, translated)
    implicit: bool = False


DEFAULT_PURPOSES = (
    Purpose(
        id=DEFAULT_PURPOSE_ID,
        title=Text((("", DEFAULT_PURPOSE_TITLE),)),
        description=Text((("", DEFAULT_PURPOSE_DESCRIPTION),)),
        required=True,
        implicit=True,
    ),
)


@dataclass(frozen=True)
class Manifest:
    """One version of one study, as the researcher signed it."""

    schema: int
    study_id: str
    version: int
    title: Text
    summary: Text
    description: Text
    researcher: Person
    ethics: Ethics
    start: dt.date
    end: dt.date
    capture: CaptureOptions  # the most the study captures
    not_collected: tuple[Text, ...]
    sessions: SessionRules
    tasks: tuple[Task, ...]
    retention: Text
    deletion: Text
    withdrawal: Text
    risks: Text
    compensation: Text
    recipients: tuple[str, ...]
    upload_url: str | None
    consent_text: Text
    checkboxes: tuple[Checkbox, ...]
    #: the uses the participant says yes or no to, one by one (never empty: DEFAULT_PURPOSES)
    purposes: tuple[Purpose, ...] = DEFAULT_PURPOSES

    def task(self, task_id: str) -> Task:
        for task in self.tasks:
            if task.id == task_id:
                return task
        known = ", ".join(t.id for t in self.tasks) or "none"
        raise ManifestError(
            _("This study has no task {task_id!r} (its tasks: {known}).").format(
                task_id=task_id, known=known
            ),
            "tasks",
        )

    def task_number(self, task_id: str) -> int:
        """1-based position of a task: what a task marker stores (docs/FORMAT.md)."""
        return self.tasks.index(self.task(task_id)) + 1

    @property
    def required_checkboxes(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.checkboxes if c.required)

    @property
    def required_purposes(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.purposes if p.required)

    def purpose(self, purpose_id: str) -> Purpose | None:
        for p in self.purposes:
            if p.id == purpose_id:
                return p
        return None


@dataclass(frozen=True)
class SignedManifest:
    """A manifest whose signature holds: the model, the exact file and who signed it."""

    manifest: Manifest
    raw: bytes
    public_key: bytes
    hash: str

    @property
    def fingerprint(self) -> str:
        return signing.fingerprint(self.public_key)

    @property
    def study_id(self) -> str:
        return self.manifest.study_id


# ---------------------------------------------------------------- entry points


def load(raw: bytes, today: dt.date | None = None) -> SignedManifest:
    """Verify and parse a signed manifest file; refuse it if it is not current on ``today``."""
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ManifestError(
            _("The manifest file is {raw:,} bytes; a manifest may be at most {MAX_MANIFEST_BYTES:,}.").format(
                raw=len(raw), MAX_MANIFEST_BYTES=MAX_MANIFEST_BYTES
            ),
            "file",
        )
    envelope = signing.split(raw)
    public_key = signing.verify(envelope)
    manifest = parse(envelope.body)
    if today is not None:
        check_current(manifest, today)
    return SignedManifest(manifest, raw, public_key, signing.body_hash(envelope.body))


def parse(body: bytes) -> Manifest:
    """Parse manifest text (signature or not); ManifestError naming the first bad field."""
    if len(body) > MAX_MANIFEST_BYTES:
        raise ManifestError(
            _("The manifest is larger than {MAX_MANIFEST_BYTES:,} bytes.").format(
                MAX_MANIFEST_BYTES=MAX_MANIFEST_BYTES
            ),
            "file",
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(
            _("The manifest is not UTF-8 text (byte {start}).").format(start=exc.start), "file"
        ) from None
    try:
        doc = tomllib.loads(text)
    except ValueError as exc:  # TOMLDecodeError, or a number too long to convert
        raise ManifestError(
            _("The manifest is not valid TOML: {exc}.").format(exc=_clip(str(exc), 200)), "file"
        ) from None
    except RecursionError:
        raise ManifestError(_("The manifest is nested too deeply."), "file") from None
    _check_depth(doc, 0)
    return _Reader(doc).manifest()


def check_current(manifest: Manifest, today: dt.date) -> None:
    """Refuse a manifest whose study has ended or whose ethics approval has expired."""
    if today > manifest.ethics.approval_expires:
        raise ManifestError(
            _("The study's ethics approval expired on {isoformat}; it may not collect data any more.").format(
                isoformat=manifest.ethics.approval_expires.isoformat()
            ),
            "ethics.approval_expires",
        )
    if today > manifest.end:
        raise ManifestError(
            _("The study ended on {isoformat}.").format(isoformat=manifest.end.isoformat()), "study.end"
        )


def check_running(manifest: Manifest, today: dt.date) -> None:
    """Refuse a session outside the study's dates (enrolment may come before the start)."""
    check_current(manifest, today)
    if today < manifest.start:
        raise ManifestError(
            _("The study starts on {isoformat}; sessions for it can be recorded from then.").format(
                isoformat=manifest.start.isoformat()
            ),
            "study.start",
        )


def _check_depth(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ManifestError(
            _("The manifest is nested more than {MAX_DEPTH} levels deep.").format(MAX_DEPTH=MAX_DEPTH), "file"
        )
    if isinstance(value, dict):
        for v in value.values():
            _check_depth(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _check_depth(v, depth + 1)


# ---------------------------------------------------------------- the strict reader


class _Reader:
    """Reads the TOML document table by table; every value checked, every key accounted for."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def manifest(self) -> Manifest:
        doc = self.doc
        _known(
            doc,
            "",
            {
                "schema",
                "study",
                "researcher",
                "ethics",
                "capture",
                "sessions",
                "tasks",
                "data",
                "withdrawal",
                "risks",
                "consent",
                "purposes",
            },
        )
        schema = _int(doc, "", "schema", 1, 1 << 31)
        if schema != SCHEMA_VERSION:
            raise ManifestError(
                _(
                    "The manifest has schema version {schema}; this Tallylight reads version "
                    "{SCHEMA_VERSION}. An update of Tallylight may be needed."
                ).format(schema=schema, SCHEMA_VERSION=SCHEMA_VERSION),
                "schema",
            )
        study = _table(doc, "", "study")
        _known(study, "study", {"id", "version", "title", "summary", "description", "start", "end"})
        researcher = _table(doc, "", "researcher")
        _known(researcher, "researcher", {"principal_investigator", "institution", "contact"})
        ethics = _table(doc, "", "ethics")
        _known(ethics, "ethics", {"board", "protocol", "approval_expires"})
        sessions = _table(doc, "", "sessions")
        _known(sessions, "sessions", {"max_duration_minutes", "max_sessions", "idle_stop_minutes"})
        data = _table(doc, "", "data")
        _known(data, "data", {"retention", "deletion", "recipients", "upload_url"})
        withdrawal = _table(doc, "", "withdrawal")
        _known(withdrawal, "withdrawal", {"procedure"})
        risks = _table(doc, "", "risks")
        _known(risks, "risks", {"risks", "compensation"})
        consent = _table(doc, "", "consent")
        _known(consent, "consent", {"text", "checkboxes"})

        start = _date(study, "study", "start")
        end = _date(study, "study", "end")
        if end < start:
            raise ManifestError(_("study.end is before study.start."), "study.end")
        capture, not_collected = _capture(_table(doc, "", "capture"))
        return Manifest(
            schema=schema,
            study_id=_uuid(study, "study", "id"),
            version=_int(study, "study", "version", 1, 1 << 31),
            title=_text(study, "study", "title", SHORT),
            summary=_text(study, "study", "summary", MEDIUM),
            description=_text(study, "study", "description", LONG),
            researcher=Person(
                principal_investigator=_str(researcher, "researcher", "principal_investigator", SHORT),
                institution=_str(researcher, "researcher", "institution", SHORT),
                contact=_str(researcher, "researcher", "contact", SHORT),
            ),
            ethics=Ethics(
                board=_str(ethics, "ethics", "board", SHORT),
                protocol=_str(ethics, "ethics", "protocol", SHORT),
                approval_expires=_date(ethics, "ethics", "approval_expires"),
            ),
            start=start,
            end=end,
            capture=capture,
            not_collected=not_collected,
            sessions=SessionRules(
                max_duration_minutes=_number(sessions, "sessions", "max_duration_minutes", 0, 24 * 60),
                max_sessions=_int(sessions, "sessions", "max_sessions", 0, 100_000),
                idle_stop_minutes=_number(sessions, "sessions", "idle_stop_minutes", 0, 24 * 60),
            ),
            tasks=_tasks(doc),
            retention=_text(data, "data", "retention", MEDIUM),
            deletion=_text(data, "data", "deletion", MEDIUM),
            withdrawal=_text(withdrawal, "withdrawal", "procedure", MEDIUM),
            risks=_text(risks, "risks", "risks", MEDIUM),
            compensation=_text(risks, "risks", "compensation", MEDIUM),
            recipients=_recipients(data),
            upload_url=_upload_url(data),
            consent_text=_text(consent, "consent", "text", LONG),
            checkboxes=_checkboxes(consent),
            purposes=_purposes(doc),
        )


def _name(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _known(table: Mapping[str, Any], where: str, allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            name = _clip(_name(where, key), 80)
            raise ManifestError(
                _("Unknown field {name!r} (a typo? the fields here are: {items}).").format(
                    name=name, items=", ".join(sorted(allowed))
                ),
                name,
            )


def _get(table: Mapping[str, Any], where: str, key: str) -> Any:
    if key not in table:
        raise ManifestError(
            _("The field {where!r} is missing.").format(where=_name(where, key)), _name(where, key)
        )
    return table[key]


def _table(table: Mapping[str, Any], where: str, key: str) -> dict[str, Any]:
    value = _get(table, where, key)
    if not isinstance(value, dict):
        raise ManifestError(
            _("{where} must be a table ([{where}]).").format(where=_name(where, key)), _name(where, key)
        )
    return value


def _str(table: Mapping[str, Any], where: str, key: str, limit: int, *, empty: bool = False) -> str:
    value = _get(table, where, key)
    return _check_str(value, _name(where, key), limit, empty=empty)


def _check_str(value: Any, name: str, limit: int, *, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise ManifestError(
            _("{name} must be text in quotes, not {value}.").format(name=name, value=_kind(value)), name
        )
    if not empty and not value.strip():
        raise ManifestError(_("{name} must not be empty.").format(name=name), name)
    if len(value) > limit:
        raise ManifestError(
            _("{name} is {value:,} characters long; at most {limit:,} are allowed.").format(
                name=name, value=len(value), limit=limit
            ),
            name,
        )
    bad = _CONTROL.search(value)
    if bad:
        raise ManifestError(
            _("{name} contains a control or text-direction character (U+{group:04X}).").format(
                name=name, group=ord(bad.group())
            ),
            name,
        )
    return value


def _text(table: Mapping[str, Any], where: str, key: str, limit: int) -> Text:
    return _check_text(_get(table, where, key), _name(where, key), limit)


def _check_text(value: Any, name: str, limit: int) -> Text:
    """A string, or a table of language tags (``en``, ``de-CH``) to strings."""
    if isinstance(value, dict):
        if not value:
            raise ManifestError(_("{name} must name at least one language.").format(name=name), name)
        if len(value) > MAX_LANGUAGES:
            raise ManifestError(
                _("{name} has more than {MAX_LANGUAGES} languages.").format(
                    name=name, MAX_LANGUAGES=MAX_LANGUAGES
                ),
                name,
            )
        pairs = []
        for tag, text in value.items():
            if not _LANG.fullmatch(tag):
                raise ManifestError(
                    _("{name}.{tag} is not a language tag (use codes such as en, de or pt-BR).").format(
                        name=name, tag=tag
                    ),
                    f"{name}.{tag}",
                )
            pairs.append((tag, _check_str(text, f"{name}.{tag}", limit)))
        return Text(tuple(pairs))
    return Text((("", _check_str(value, name, limit)),))


def _int(table: Mapping[str, Any], where: str, key: str, low: int, high: int) -> int:
    value = _get(table, where, key)
    name = _name(where, key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ManifestError(
            _("{name} must be a whole number, not {value}.").format(name=name, value=_kind(value)), name
        )
    if not low <= value <= high:
        raise ManifestError(
            _("{name} must be between {low} and {high:,}, not {value}.").format(
                name=name, low=low, high=high, value=_show(value)
            ),
            name,
        )
    return value


def _number(table: Mapping[str, Any], where: str, key: str, low: float, high: float) -> float:
    return _check_number(_get(table, where, key), _name(where, key), low, high)


def _check_number(value: Any, name: str, low: float, high: float) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ManifestError(
            _("{name} must be a number, not {value}.").format(name=name, value=_kind(value)), name
        )
    if not low <= value <= high:  # also refuses nan
        raise ManifestError(
            _("{name} must be between {low:g} and {high:g}, not {value}.").format(
                name=name, low=low, high=high, value=_show(value)
            ),
            name,
        )
    return float(value)


def _bool(table: Mapping[str, Any], where: str, key: str) -> bool:
    value = _get(table, where, key)
    if not isinstance(value, bool):
        name = _name(where, key)
        raise ManifestError(
            _("{name} must be true or false, not {value}.").format(name=name, value=_kind(value)), name
        )
    return value


def _date(table: Mapping[str, Any], where: str, key: str) -> dt.date:
    value = _get(table, where, key)
    name = _name(where, key)
    if isinstance(value, (dt.datetime, dt.time)):
        raise ManifestError(
            _("{name} must be a date such as 2027-03-31, without a time.").format(name=name), name
        )
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise ManifestError(
                _("{name} must be a date such as 2027-03-31, not {value}.").format(
                    name=name, value=_show(value)
                ),
                name,
            ) from None
    if not isinstance(value, dt.date):
        raise ManifestError(
            _("{name} must be a date such as 2027-03-31, not {value}.").format(name=name, value=_kind(value)),
            name,
        )
    if not 2000 <= value.year <= 2200:
        raise ManifestError(
            _("{name} ({isoformat}) is not a plausible date.").format(name=name, isoformat=value.isoformat()),
            name,
        )
    return value


def _uuid(table: Mapping[str, Any], where: str, key: str) -> str:
    value = _str(table, where, key, 64)
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        name = _name(where, key)
        raise ManifestError(
            _("{name} must be a UUID such as 0b6a1a52-3c1e-4f7e-9d35-2d0f6c8f7a10, not {value}.").format(
                name=name, value=_show(value)
            ),
            name,
        ) from None
    if str(parsed) != value:
        name = _name(where, key)
        raise ManifestError(
            _("{name} must be written in lower case with dashes: {parsed}.").format(name=name, parsed=parsed),
            name,
        )
    return value


def _list(table: Mapping[str, Any], where: str, key: str, limit: int, *, optional: bool = False) -> list[Any]:
    if optional and key not in table:
        return []
    value = _get(table, where, key)
    name = _name(where, key)
    if not isinstance(value, list):
        raise ManifestError(
            _("{name} must be a list ([...]), not {value}.").format(name=name, value=_kind(value)), name
        )
    if len(value) > limit:
        raise ManifestError(
            _("{name} has {value} entries; at most {limit} are allowed.").format(
                name=name, value=len(value), limit=limit
            ),
            name,
        )
    return value


def _capture(table: dict[str, Any]) -> tuple[CaptureOptions, tuple[Text, ...]]:
    where = "capture"
    _known(
        table,
        where,
        {
            "keys",
            "mouse_moves",
            "move_min_interval_ms",
            "move_min_distance_px",
            "clicks",
            "scrolls",
            "not_collected",
        },
    )
    keys = _str(table, where, "keys", 20)
    if keys not in KEY_MODE_LABELS:
        raise ManifestError(
            _("capture.keys must be one of {items}, not {keys}.").format(
                items=", ".join(KEY_MODE_LABELS), keys=_show(keys)
            ),
            "capture.keys",
        )
    options = CaptureOptions(
        keys=KeyMode.parse(keys),
        mouse_moves=_bool(table, where, "mouse_moves"),
        move_min_interval_ms=_number(table, where, "move_min_interval_ms", 0, 1e6),
        move_min_distance_px=_number(table, where, "move_min_distance_px", 0, 1e6),
        clicks=_bool(table, where, "clicks"),
        scrolls=_bool(table, where, "scrolls"),
    )
    items = _list(table, where, "not_collected", MAX_LIST)
    not_collected = tuple(_check_text(v, f"capture.not_collected[{i}]", MEDIUM) for i, v in enumerate(items))
    return options, not_collected


def _entries(
    doc: Mapping[str, Any], where: str, key: str, limit: int, fields: set[str], optional: bool = False
) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for i, entry in enumerate(_list(doc, where, key, limit, optional=optional)):
        name = f"{_name(where, key)}[{i}]"
        if not isinstance(entry, dict):
            raise ManifestError(
                _("{name} must be a table ([[{where}]]).").format(name=name, where=_name(where, key)), name
            )
        _known(entry, name, fields)
        out.append((name, entry))
    return out


def _unique_id(table: Mapping[str, Any], name: str, seen: set[str]) -> str:
    value = _str(table, name, "id", 64)
    if not _ID.fullmatch(value):
        raise ManifestError(
            _(
                "{name}.id must be lower-case letters, digits, '-' or '_' (such as 'copy-text'), not {value}."
            ).format(name=name, value=_show(value)),
            f"{name}.id",
        )
    if value in seen:
        raise ManifestError(
            _("{name}.id {value!r} is used twice.").format(name=name, value=value), f"{name}.id"
        )
    seen.add(value)
    return value


_TASK_FIELDS = {"id", "title", "instructions", "kind", "show_results"}
_KIND_FIELDS = {
    "free": set[str](),
    "typing": {"phrases", "repetitions", "seed"},
    "pointing": {
        "amplitudes_px",
        "amplitudes_mm",
        "widths_px",
        "widths_mm",
        "targets_per_circle",
        "sequences_per_condition",
        "seed",
        "devices",
    },
}


def _tasks(doc: Mapping[str, Any]) -> tuple[Task, ...]:
    seen: set[str] = set()
    fields = _TASK_FIELDS.union(*_KIND_FIELDS.values())
    return tuple(
        _task(entry, name, seen)
        for name, entry in _entries(doc, "", "tasks", MAX_TASKS, fields, optional=True)
    )


def _task(entry: Mapping[str, Any], name: str, seen: set[str]) -> Task:
    task_id = _unique_id(entry, name, seen)
    kind = _str(entry, name, "kind", 20) if "kind" in entry else "free"
    if kind not in TASK_KINDS:
        raise ManifestError(
            _("{name}.kind must be one of {items}, not {kind}.").format(
                name=name, items=", ".join(TASK_KINDS), kind=_show(kind)
            ),
            f"{name}.kind",
        )
    _known(entry, name, _TASK_FIELDS | _KIND_FIELDS[kind])
    return Task(
        id=task_id,
        title=_text(entry, name, "title", SHORT),
        instructions=_text(entry, name, "instructions", MEDIUM),
        kind=kind,
        show_results=_bool(entry, name, "show_results") if "show_results" in entry else False,
        typing=_typing(entry, name) if kind == "typing" else None,
        pointing=_pointing(entry, name) if kind == "pointing" else None,
    )


def _seed(entry: Mapping[str, Any], name: str) -> int | None:
    return _int(entry, name, "seed", 0, (1 << 63) - 1) if "seed" in entry else None


def _typing(entry: Mapping[str, Any], name: str) -> TypingTask:
    items = _list(entry, name, "phrases", MAX_PHRASES)
    if not items:
        raise ManifestError(
            _("{name}.phrases must hold at least one phrase.").format(name=name), f"{name}.phrases"
        )
    phrases = []
    for i, value in enumerate(items):
        phrase = _check_str(value, f"{name}.phrases[{i}]", 500)
        if any(c in phrase for c in "\n\r\t"):
            raise ManifestError(
                _("{name}.phrases[{i}] must be one line.").format(name=name, i=i), f"{name}.phrases[{i}]"
            )
        phrases.append(phrase)
    return TypingTask(tuple(phrases), _int(entry, name, "repetitions", 1, 100), _seed(entry, name))


def _sizes(entry: Mapping[str, Any], name: str, what: str, low: float) -> tuple[tuple[float, ...], str]:
    """``amplitudes_px`` or ``amplitudes_mm`` (exactly one), each a positive number."""
    given = [unit for unit in ("px", "mm") if f"{what}_{unit}" in entry]
    if len(given) != 1:
        raise ManifestError(
            _("{name} needs exactly one of {what}_px or {what}_mm.").format(name=name, what=what),
            f"{name}.{what}_{given[1] if given else 'px'}",
        )
    key = f"{what}_{given[0]}"
    items = _list(entry, name, key, MAX_CONDITIONS)
    if not items:
        raise ManifestError(
            _("{name}.{key} must hold at least one size.").format(name=name, key=key), f"{name}.{key}"
        )
    values = tuple(_check_number(v, f"{name}.{key}[{i}]", low, 100_000) for i, v in enumerate(items))
    if len(set(values)) != len(values):
        raise ManifestError(
            _("{name}.{key} names the same size twice.").format(name=name, key=key), f"{name}.{key}"
        )
    return values, given[0]


def _pointing(entry: Mapping[str, Any], name: str) -> PointingTask:
    amplitudes, amplitude_unit = _sizes(entry, name, "amplitudes", 1)
    widths, width_unit = _sizes(entry, name, "widths", 0.5)
    targets = _int(entry, name, "targets_per_circle", 3, 99)
    if targets % 2 == 0:
        raise ManifestError(
            _(
                "{name}.targets_per_circle must be odd (the ISO 9241-9 circle alternates across it), not "
                "{targets}."
            ).format(name=name, targets=targets),
            f"{name}.targets_per_circle",
        )
    devices = tuple(
        _check_str(v, f"{name}.devices[{i}]", 64)
        for i, v in enumerate(_list(entry, name, "devices", MAX_LIST, optional=True))
    )
    if len(set(devices)) != len(devices):
        raise ManifestError(
            _("{name}.devices names the same device twice.").format(name=name), f"{name}.devices"
        )
    return PointingTask(
        amplitudes=amplitudes,
        amplitude_unit=amplitude_unit,
        widths=widths,
        width_unit=width_unit,
        targets_per_circle=targets,
        sequences_per_condition=_int(entry, name, "sequences_per_condition", 1, 100),
        seed=_seed(entry, name),
        devices=devices,
    )


def _checkboxes(consent: Mapping[str, Any]) -> tuple[Checkbox, ...]:
    seen: set[str] = set()
    boxes = tuple(
        Checkbox(
            id=_unique_id(entry, name, seen),
            text=_text(entry, name, "text", MEDIUM),
            required=_bool(entry, name, "required"),
        )
        for name, entry in _entries(
            consent, "consent", "checkboxes", MAX_CHECKBOXES, {"id", "text", "required"}
        )
    )
    if not any(box.required for box in boxes):
        raise ManifestError(
            _(
                "consent.checkboxes must hold at least one box with required = true (consent is given by "
                "ticking the required boxes)."
            ),
            "consent.checkboxes",
        )
    return boxes


_PURPOSE_FIELDS = {"id", "title", "description", "required", "recipients"}


def _purposes(doc: Mapping[str, Any]) -> tuple[Purpose, ...]:
    """``[[purposes]]``; none at all means the one required ``analysis`` purpose (older manifests)."""
    if "purposes" not in doc:
        return DEFAULT_PURPOSES
    seen: set[str] = set()
    purposes = tuple(
        Purpose(
            id=_unique_id(entry, name, seen),
            title=_text(entry, name, "title", SHORT),
            description=_text(entry, name, "description", MEDIUM),
            required=_bool(entry, name, "required"),
            recipients=_text(entry, name, "recipients", MEDIUM) if "recipients" in entry else None,
        )
        for name, entry in _entries(doc, "", "purposes", MAX_PURPOSES, _PURPOSE_FIELDS)
    )
    if not any(p.required for p in purposes):
        raise ManifestError(
            _(
                "purposes must hold at least one purpose with required = true (the use the study "
                "needs; leave [[purposes]] out for the one required 'analysis' purpose)."
            ),
            "purposes",
        )
    return purposes


def _recipients(data: Mapping[str, Any]) -> tuple[str, ...]:
    items = _list(data, "data", "recipients", MAX_RECIPIENTS)
    if not items:
        raise ManifestError(
            _(
                "data.recipients must name at least one age recipient key (age1…) from `tallylight-lab "
                "keygen`."
            ),
            "data.recipients",
        )
    out = []
    for i, value in enumerate(items):
        name = f"data.recipients[{i}]"
        key = _check_str(value, name, 200).strip()
        if not key.startswith("age1") or not _valid_age_recipient(key):
            raise ManifestError(
                _(
                    "{name} is not an age recipient key (it starts with age1 and is printed by "
                    "`tallylight-lab keygen`)."
                ).format(name=name),
                name,
            )
        out.append(key)
    if len(set(out)) != len(out):
        raise ManifestError(_("data.recipients names the same key twice."), "data.recipients")
    return tuple(out)


def _valid_age_recipient(key: str) -> bool:
    from pyrage import x25519

    try:
        x25519.Recipient.from_str(key)
    except Exception:  # noqa: BLE001 - pyrage raises its own RecipientError (and others on garbage)
        return False
    return True


def _upload_url(data: Mapping[str, Any]) -> str | None:
    if "upload_url" not in data:
        return None
    url = _str(data, "data", "upload_url", 4000)
    check_upload_url(url, "data.upload_url")
    return url


def check_upload_url(url: str, field: str = "data.upload_url") -> None:
    """Only HTTPS, or plain HTTP to this machine (loopback) for testing."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _port = parts.port  # raises ValueError for a bad port
    except ValueError:
        raise ManifestError(_("{field} is not a valid URL.").format(field=field), field) from None
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and host in LOOPBACK_HOSTS:
        return
    raise ManifestError(
        _("{field} must be an https:// address (plain http is only allowed to this machine).").format(
            field=field
        ),
        field,
    )


def is_id(text: str) -> bool:
    """Whether ``text`` has the form of a task, checkbox or purpose id (such as model-training)."""
    return bool(_ID.fullmatch(text))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _show(value: Any) -> str:
    """A value quoted in an error message: never more than a short line."""
    return _clip(repr(value), 60)


def _kind(value: Any) -> str:
    names: dict[type, str] = {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a table",
        dt.date: "a date",
        dt.datetime: "a date and time",
        dt.time: "a time",
    }
    return names.get(type(value), type(value).__name__)


Clock = Callable[[], dt.date]


def today_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date()
