"""The researcher's event table: one source for the CSV columns, their named values and the codebook.

A bundle's ``events.csv`` must be readable without Tallylight's source: units go
into column names, every code becomes a name (``key_down``, ``letter``,
``paused_by_participant``), and a field that does not apply to a row is an empty
cell, never 0 (0,0 is a real screen coordinate). ``tallylight-lab open`` reads
the same columns back with the types declared here, so CSV, codebook and
Parquet cannot drift apart.
"""

from __future__ import annotations

import csv
import enum
import io
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tallylight.events import Button, GapReason, KeyClass, Kind, Marker, StopReason
from tallylight.store.encoding import EventColumns


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # "decimal", "integer", "text", "name" (one of the listed values), "boolean"
    unit: str
    applies_to: str
    description: str


COLUMNS: tuple[Column, ...] = (
    Column(
        "t_ms",
        "decimal",
        "milliseconds",
        "every row",
        "Time since the session started (its absolute UTC start is in bundle.json). Exact to the "
        "nanosecond as written; not always increasing (keyboard and mouse are stamped on different threads).",
    ),
    Column("kind", "name", "", "every row", "What happened; see the values below."),
    Column(
        "x_px",
        "integer",
        "pixels",
        "move, button_down, button_up, scroll",
        "Pointer x in screen coordinates (virtual desktop, may be negative).",
    ),
    Column("y_px", "integer", "pixels", "move, button_down, button_up, scroll", "Pointer y, downwards."),
    Column("button", "name", "", "button_down, button_up", "Which mouse button."),
    Column("scroll_dx_steps", "integer", "wheel steps", "scroll", "Horizontal scroll, positive = right."),
    Column("scroll_dy_steps", "integer", "wheel steps", "scroll", "Vertical scroll, positive = up."),
    Column(
        "key_class",
        "name",
        "",
        "key_down, key_up",
        "The key's role (never its character unless the study captured full keys).",
    ),
    Column(
        "key_id",
        "text",
        "16 hex digits",
        "key_down, key_up in key modes hashed and full",
        "In hashed mode a per-session keyed hash of the physical key (equal within a session, "
        "unrelated across sessions); in full mode the physical key code. Pair a key_up with its "
        "key_down by this column, not by key_text.",
    ),
    Column("key_text", "text", "", "key_down, key_up in key mode full", "The character or key name."),
    Column(
        "marker",
        "name",
        "",
        "marker",
        "Session structure (start, stop, pause, resume, gap) and study tasks and notes.",
    ),
    Column(
        "reason",
        "name",
        "",
        "marker pause, gap, session_stop",
        "Why a pause or gap happened (a gap reason) or why the session stopped (a stop reason).",
    ),
    Column(
        "task",
        "text",
        "",
        "marker task_start, task_end",
        "The study task that started or ended: its id in the study manifest (task_N if unknown).",
    ),
    Column(
        "note_number",
        "integer",
        "",
        "marker note",
        "The participant flagged this moment; notes are numbered 1, 2, … within the session.",
    ),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)


def _name(member: enum.Enum) -> str:
    return member.name.lower()


#: what each named value means (for the codebook); a value of an enum missing here is still listed,
#: described from its name, so the codebook always covers every value the CSV can hold
_MEANINGS: dict[str, str] = {
    "key_down": "a key was pressed",
    "key_up": "a key was released",
    "move": "the pointer moved",
    "button_down": "a mouse button was pressed",
    "button_up": "a mouse button was released",
    "scroll": "the wheel or touchpad scrolled",
    "marker": "a session structure marker (see the marker column)",
    "letter": "a letter key",
    "digit": "a digit key",
    "punctuation": "a punctuation or symbol key",
    "space": "the space bar",
    "enter": "Enter / Return",
    "backspace_delete": "Backspace or Delete",
    "modifier": "Shift, Ctrl, Alt, Super and similar",
    "navigation": "arrows, Home, End, Page Up/Down, Tab",
    "function": "F1–F24",
    "other": "any other key",
    "session_start": "the session started",
    "session_stop": "the session stopped (reason: a stop reason)",
    "pause": "the participant paused (reason: a gap reason); nothing captured until resume",
    "resume": "capture resumed after a pause or gap",
    "gap": "capture stopped for a reason (reason: a gap reason) until resume",
    "task_start": "a study task started (task: which)",
    "task_end": "the study task ended (task: which)",
    "note": "the participant flagged this moment (note_number)",
    "trimmed": "gap reason: the participant cut this span out before sharing (its events are not included)",
}


def _values(enum_cls: type[enum.IntEnum], prefix: str = "", what: str = "") -> dict[str, str]:
    out = {}
    for m in enum_cls:
        if m.name == "NONE":
            continue
        name = prefix + _name(m)
        out[name] = _MEANINGS.get(name) or (what + _name(m).replace("_", " "))
    return out


#: named values of each "name" column: value -> meaning (for the codebook)
VALUES: dict[str, dict[str, str]] = {
    "kind": _values(Kind),
    "button": _values(Button, what="the button: "),
    "key_class": _values(KeyClass, what="key class: "),
    "marker": _values(Marker, what="marker: "),
    "reason": {**_values(GapReason, what="gap reason: "), **_values(StopReason, "stop_", "stop reason: ")},
}


def _lookup(enum_cls: type[enum.IntEnum], prefix: str = "") -> dict[int, str]:
    return {int(m): prefix + _name(m) for m in enum_cls}


KIND_NAMES = _lookup(Kind)
BUTTON_NAMES = _lookup(Button)
KEY_CLASS_NAMES = _lookup(KeyClass)
MARKER_NAMES = _lookup(Marker)
GAP_NAMES = _lookup(GapReason)
STOP_NAMES = _lookup(StopReason, "stop_")
GAP_NAMES[int(GapReason.NONE)] = ""
STOP_NAMES[int(StopReason.NONE)] = ""


def _code(name: str, table: dict[int, str]) -> int:
    inverse = _INVERSE.setdefault(id(table), {v: k for k, v in table.items() if v})
    if name in inverse:
        return inverse[name]
    if name.startswith("code_") and name[5:].isdigit():
        return int(name[5:])
    return 0


_INVERSE: dict[int, dict[str, int]] = {}
#: for each "name" column, the code table its names come from (reason: gap and stop names share it)
NAME_TABLES: dict[str, dict[int, str]] = {
    "kind": KIND_NAMES,
    "button": BUTTON_NAMES,
    "key_class": KEY_CLASS_NAMES,
    "marker": MARKER_NAMES,
}


def codes(column: str, names: list[str | None]) -> np.ndarray:
    """The integer codes of a named column's values (None/empty → 0): the inverse of the CSV names."""
    if column == "reason":
        return np.array(
            [
                _code(n, STOP_NAMES) if n and n.startswith("stop_") else _code(n or "", GAP_NAMES)
                for n in names
            ],
            np.int64,
        )
    table = NAME_TABLES[column]
    return np.array([_code(n, table) if n else 0 for n in names], np.int64)


def _text(values: list[str]) -> list[str]:
    """Column cells as RFC 4180 wants them (what ``csv.writer`` with QUOTE_MINIMAL writes): a cell
    holding a comma, a quote, CR or LF is quoted, its quotes doubled."""
    return ['"' + v.replace('"', '""') + '"' if v and any(c in v for c in _QUOTED) else v for v in values]


_QUOTED = (",", '"', "\r", "\n")


def _by_value(values: np.ndarray, mask: np.ndarray, name: Callable[[int], str]) -> list[str]:
    """``name(v)`` where ``mask`` holds, else "": each distinct value is formatted once
    (a session has few distinct codes, key ids or coordinates), then placed by index."""
    out = np.full(len(values), "", dtype=object)
    if mask.any():
        out[mask] = _formatted(values[mask], name)
    return list(out.tolist())


#: a value range up to this wide (and not much wider than the values are many) is formatted
#: through a table indexed by value, without sorting
_TABLE_SPAN = 1 << 16


def _formatted(values: np.ndarray, name: Callable[[int], str]) -> np.ndarray:
    """``name(v)`` of each value as an object array, each distinct value formatted once."""
    if values.size == 0:
        return np.zeros(0, dtype=object)
    lo, hi = int(values.min()), int(values.max())
    if hi - lo < min(_TABLE_SPAN, 4 * values.size + 64):
        table = np.array([name(v) for v in range(lo, hi + 1)], dtype=object)
        picked: np.ndarray = table[(values - np.asarray(lo, dtype=values.dtype)).astype(np.int64)]
        return picked
    distinct, where = np.unique(values, return_inverse=True)
    return np.array([name(v) for v in distinct.tolist()], dtype=object)[where.reshape(-1)]


def _fractions(frac: np.ndarray) -> np.ndarray:
    """``.ddd`` (up to 6 digits, no trailing zeros; "" for 0) of each sub-millisecond part in ns.

    The recorder keeps 100 µs, so the fractions share a power of ten: formatted once per
    value of ``frac // 10**k``, never once per row."""
    step = 1
    while step < 1_000_000 and frac.size and not (frac % (step * 10)).any():
        step *= 10
    return _formatted(frac // step, lambda f: "." + f"{f * step:06d}".rstrip("0") if f else "")


def _ms(t_ns: np.ndarray) -> list[str]:
    """Exact decimal milliseconds: integer part, then up to 6 fractional digits without trailing zeros."""
    t = np.asarray(t_ns, dtype=np.int64)
    whole, frac = np.divmod(np.abs(t), 1_000_000)
    out = list(map(str.__add__, map(str, whole.tolist()), _fractions(frac).tolist()))
    for i in np.flatnonzero(t < 0).tolist():
        out[i] = "-" + out[i]
    return out


def event_columns(cols: EventColumns, task_ids: Sequence[str] = ()) -> list[list[str]]:
    """The events as CSV cells, one list of strings per column in :data:`COLUMN_NAMES` order.

    Column-wise with numpy (no per-row Python objects beyond the cells themselves), so a
    million-event session is written in well under a second. Text goes through Python
    lists, never numpy string arrays (which drop trailing NULs).
    """
    n = len(cols)
    kind = cols.kind.astype(np.int64)
    positional = np.isin(kind, [Kind.MOVE, Kind.BUTTON_DOWN, Kind.BUTTON_UP, Kind.SCROLL])
    buttons = np.isin(kind, [Kind.BUTTON_DOWN, Kind.BUTTON_UP])
    scroll = kind == Kind.SCROLL
    keys = np.isin(kind, [Kind.KEY_DOWN, Kind.KEY_UP])
    markers = kind == Kind.MARKER
    everywhere = np.ones(n, dtype=bool)

    def named(table: dict[int, str]) -> Callable[[int], str]:
        return lambda v: table.get(v, f"code_{v}")

    key = cols.key.astype(np.uint64)
    key_text = np.full(n, "", dtype=object)
    key_text[keys] = cols.text[keys]
    reason = [""] * n
    task = [""] * n
    note = [""] * n
    for i in np.flatnonzero(markers).tolist():
        m, r = int(cols.marker[i]), int(cols.reason[i])
        if m == Marker.SESSION_STOP:
            reason[i] = STOP_NAMES.get(r, f"code_{r}")
        elif m in (Marker.TASK_START, Marker.TASK_END):
            task[i] = task_ids[r - 1] if 0 < r <= len(task_ids) else f"task_{r}"
        elif m == Marker.NOTE:
            note[i] = str(r)
        elif m in (Marker.PAUSE, Marker.GAP) or r:
            reason[i] = GAP_NAMES.get(r, f"code_{r}")
    return [
        _ms(cols.t_ns),
        _by_value(kind, everywhere, named(KIND_NAMES)),
        _by_value(cols.x.astype(np.int64), positional, str),
        _by_value(cols.y.astype(np.int64), positional, str),
        _by_value(cols.button.astype(np.int64), buttons, named(BUTTON_NAMES)),
        _by_value(cols.dx.astype(np.int64), scroll, str),
        _by_value(cols.dy.astype(np.int64), scroll, str),
        _by_value(cols.key_class.astype(np.int64), keys, named(KEY_CLASS_NAMES)),
        _key_ids(key, keys),
        list(key_text.tolist()),
        _by_value(cols.marker.astype(np.int64), markers, named(MARKER_NAMES)),
        reason,
        task,
        note,
    ]


def event_rows(cols: EventColumns, task_ids: Sequence[str] = ()) -> list[tuple[str, ...]]:
    """The events as CSV rows of strings (columns in :data:`COLUMN_NAMES` order)."""
    return list(zip(*event_columns(cols, task_ids), strict=True))


#: the line of each common kind, from (whole ms, fraction, fields): what the general
#: column-wise path writes for that kind (tests/share/test_events_csv_fast.py). A field is an
#: integer column, or ``class``, ``key_id`` and ``text``: the key's cells as formatted below
_TEMPLATES: dict[int, tuple[str, tuple[str, ...]]] = {
    int(Kind.MOVE): ("%d%s,move,%s,%s,,,,,,,,,,", ("x", "y")),
    int(Kind.SCROLL): ("%d%s,scroll,%s,%s,,%s,%s,,,,,,,", ("x", "y", "dx", "dy")),
    int(Kind.KEY_DOWN): ("%d%s,key_down,,,,,,%s,%s,%s,,,,", ("class", "key_id", "text")),
    int(Kind.KEY_UP): ("%d%s,key_up,,,,,,%s,%s,%s,,,,", ("class", "key_id", "text")),
}


def _template_field(cols: EventColumns, rows: np.ndarray, field: str) -> list[Any]:
    """One field of a template's lines, for the given rows."""
    if field == "class":
        return list(_formatted(cols.key_class[rows].astype(np.int64), _named(KEY_CLASS_NAMES)).tolist())
    if field == "key_id":
        return _key_ids(cols.key[rows].astype(np.uint64))
    if field == "text":
        return _text([str(v) for v in cols.text[rows].tolist()])
    # coordinates and steps have few distinct values: each is made a string once (%s of a
    # string is cheaper than %d of an int, once per row)
    return list(_formatted(getattr(cols, field)[rows].astype(np.int64), str).tolist())


_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_NIBBLES = np.arange(60, -4, -4, dtype=np.uint64)  # the shifts of a 64-bit value's 16 hex digits


def _key_ids(key: np.ndarray, where: np.ndarray | None = None) -> list[str]:
    """``f"{k:016x}"`` of each key id (uint64) that is not 0 (and where ``where`` holds), else "".

    Hashed key ids are many distinct 64-bit values, so they are formatted with numpy, 16 hex
    digits at once, not once per value in Python."""
    mask = key != 0 if where is None else where & (key != 0)
    out = np.full(len(key), "", dtype=object)
    picked = key[mask]
    if picked.size:
        digits = _HEX_DIGITS[((picked[:, None] >> _NIBBLES) & np.uint64(15)).astype(np.intp)]
        out[mask] = digits.view("S16").reshape(-1).astype("U16").astype(object)
    return list(out.tolist())


def _named(table: dict[int, str]) -> Callable[[int], str]:
    return lambda v: table.get(v, f"code_{v}")


def events_csv(cols: EventColumns, task_ids: Sequence[str] = ()) -> bytes:
    """``events.csv``: UTF-8, comma-separated, a header row, RFC 4180 quoting and CRLF line ends."""
    return b"".join(events_csv_chunks(cols, task_ids))


#: rows per piece of :func:`events_csv_chunks` (about 2.5 MB of CSV)
CHUNK_ROWS = 1 << 16


def events_csv_chunks(
    cols: EventColumns, task_ids: Sequence[str] = (), rows: int = CHUNK_ROWS
) -> Iterator[bytes]:
    """``events.csv`` in pieces of ``rows`` rows (the header in the first), so the bundle can
    compress one piece in another thread while this one formats the next."""
    header = ",".join(COLUMN_NAMES) + "\r\n"
    n = len(cols)
    if n == 0:
        yield header.encode("utf-8")
        return
    for start in range(0, n, rows):
        lines = _lines(cols.take(slice(start, start + rows)), task_ids)
        text = "\r\n".join(lines) + "\r\n"
        yield ((header if start == 0 else "") + text).encode("utf-8")


def _lines(cols: EventColumns, task_ids: Sequence[str]) -> list[str]:
    """The CSV lines (without line ends) of these events: the bytes ``csv.writer`` would write
    (tests/share/test_events_csv_fast.py holds it to that), built without a Python object per
    cell: moves, scrolls and keys (most rows) are formatted by one template per kind from their
    columns, the rest column-wise, and the lines are placed back in recording order by index.
    The only free-text column (``key_text``) is quoted where it needs it."""
    n = len(cols)
    lines = np.empty(n, dtype=object)
    kind = cols.kind.astype(np.int64)
    t = cols.t_ns.astype(np.int64)
    rest = np.ones(n, dtype=bool)
    for code, (template, fields) in _TEMPLATES.items():
        rows = np.flatnonzero((kind == code) & (t >= 0))
        if rows.size == 0:
            continue
        whole, frac = np.divmod(t[rows], 1_000_000)
        values = [whole.tolist(), _fractions(frac).tolist()]
        values += [_template_field(cols, rows, f) for f in fields]
        lines[rows] = list(map(template.__mod__, zip(*values, strict=True)))
        rest[rows] = False
    others = np.flatnonzero(rest)
    if others.size:
        part = event_columns(cols.take(others), task_ids)
        part[COLUMN_NAMES.index("key_text")] = _text(part[COLUMN_NAMES.index("key_text")])
        lines[others] = list(map(",".join, zip(*part, strict=True)))
    return list(lines.tolist())


def codebook_rows() -> Iterable[list[str]]:
    """The codebook's rows: events.csv's columns, then trials.csv's (the last cell names the file)."""
    yield ["column", "value", "type", "unit", "applies_to", "meaning", "file"]
    for file, columns, values in (
        (EVENTS_FILE, COLUMNS, VALUES),
        (TRIALS_FILE, TRIAL_COLUMNS, TRIAL_VALUES),
    ):
        for c in columns:
            yield [c.name, "", c.type, c.unit, c.applies_to, c.description, file]
            for value, meaning in values.get(c.name, {}).items():
                yield [c.name, value, "", "", "", meaning, file]


def codebook_csv() -> bytes:
    """``codebook.csv``: one row per column, then one row per named value of that column, for
    each table a bundle holds (its ``file`` cell says which)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(codebook_rows())
    return buf.getvalue().encode("utf-8")


# ---- trials.csv: the task window's trials (docs/FORMAT.md section 14) ----------------------

EVENTS_FILE = "events.csv"
TRIALS_FILE = "trials.csv"
_POINTING = "pointing trials"
_SELECTED = "pointing trials not skipped"

#: trials.csv's columns; each is a member of the stored trial (TRIAL_MEMBERS), times in ms
TRIAL_COLUMNS: tuple[Column, ...] = (
    Column("task", "text", "", "every row", "The study task: its id in the manifest's [[tasks]]."),
    Column("task_number", "integer", "", "every row", "The task's 1-based position in the manifest."),
    Column("kind", "name", "", "every row", "What kind of task; see the values below."),
    Column(
        "condition",
        "text",
        "",
        "trials of a task that lists devices",
        "The input device the participant chose before the task (the condition results are grouped by).",
    ),
    Column(
        "sequence",
        "integer",
        "",
        "pointing trials",
        "The sequence (one amplitude and width), 1-based in presentation order across the task.",
    ),
    Column(
        "trial",
        "integer",
        "",
        "every row",
        "Pointing: the target's number within its sequence (1…n); typing: the phrase's number (1, 2, …).",
    ),
    Column(
        "start_ms",
        "decimal",
        "milliseconds",
        "every row",
        "Start of the trial, on the clock of events.csv's t_ms: pointing, the previous selection; "
        "typing, the phrase's first keystroke.",
    ),
    Column(
        "end_ms",
        "decimal",
        "milliseconds",
        "every row",
        "End of the trial: pointing, this selection; typing, the phrase's last keystroke.",
    ),
    Column(
        "skipped",
        "boolean",
        "",
        "every row",
        "true if the participant skipped the trial (the measures leave it out), else false.",
    ),
    Column("amplitude_px", "decimal", "pixels", _POINTING, "Nominal amplitude (the circle's diameter)."),
    Column("width_px", "decimal", "pixels", _POINTING, "Nominal target width (diameter)."),
    Column("from_x_px", "decimal", "pixels", _POINTING, "Centre of the previous target, x (screen)."),
    Column("from_y_px", "decimal", "pixels", _POINTING, "Centre of the previous target, y (downwards)."),
    Column("target_x_px", "decimal", "pixels", _POINTING, "Centre of this target, x."),
    Column("target_y_px", "decimal", "pixels", _POINTING, "Centre of this target, y."),
    Column("select_x_px", "decimal", "pixels", _SELECTED, "Where the button went down, x."),
    Column("select_y_px", "decimal", "pixels", _SELECTED, "Where the button went down, y."),
    Column("hit", "boolean", "", _SELECTED, "true if the selection fell inside the target, else false."),
    Column(
        "dpi",
        "decimal",
        "dots per inch",
        _POINTING,
        "The screen's physical DPI (sizes given in mm were converted with it).",
    ),
    Column("screen_width_px", "integer", "pixels", _POINTING, "The screen's width."),
    Column("screen_height_px", "integer", "pixels", _POINTING, "The screen's height."),
    Column("presented", "text", "", "typing trials", "The phrase shown (the study's own text)."),
    Column(
        "transcribed",
        "text",
        "",
        "typing trials not skipped",
        "The text in the field when the participant ended the phrase.",
    ),
    Column(
        "input",
        "text",
        "",
        "typing trials not skipped",
        "Every character typed into the task's field, in order, with U+0008 (backspace) for each "
        "backspace: the input stream the error rates are computed from.",
    ),
)

TRIAL_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in TRIAL_COLUMNS)
#: the stored trial's member behind each column (times: ``start_ns``/``end_ns``, written as ms)
TRIAL_MEMBERS: dict[str, str] = {
    c.name: c.name.removesuffix("_px").replace("start_ms", "start_ns").replace("end_ms", "end_ns")
    for c in TRIAL_COLUMNS
}
TRIAL_VALUES: dict[str, dict[str, str]] = {
    "kind": {
        "pointing": "a target of an ISO 9241-9 multi-directional tapping sequence",
        "typing": "a phrase of a copy-typing task",
    },
}
_TRIAL_TYPES = {c.name: c.type for c in TRIAL_COLUMNS}


def _trial_cell(column: str, value: Any) -> str:
    """One trials.csv cell; a member the trial lacks, or of the wrong type, is an empty cell."""
    typ = _TRIAL_TYPES[column]
    if column == "skipped":
        return "true" if value is True else "false"
    if value is None:
        return ""
    if typ == "boolean":
        return ("true" if value else "false") if isinstance(value, bool) else ""
    if isinstance(value, bool):
        return ""
    if column in ("start_ms", "end_ms") and isinstance(value, int):
        return _ms(np.array([value], np.int64))[0]
    if typ == "integer":
        return str(value) if isinstance(value, int) else ""
    if typ == "decimal":
        ok = isinstance(value, (int, float)) and math.isfinite(value)
        return repr(float(value)).removesuffix(".0") if ok else ""
    return value if isinstance(value, str) else ""


def trial_rows(trials: Sequence[dict[str, Any]]) -> list[tuple[str, ...]]:
    """The trials as trials.csv rows of strings (columns in :data:`TRIAL_COLUMN_NAMES` order).

    Only the documented members leave: a member the task window adds later stays in the
    store until this table (and BUNDLE.md) names it.
    """
    return [tuple(_trial_cell(c, t.get(TRIAL_MEMBERS[c])) for c in TRIAL_COLUMN_NAMES) for t in trials]


def trials_csv(trials: Sequence[dict[str, Any]]) -> bytes:
    """``trials.csv``: the same CSV dialect as events.csv, one row per trial in stored order."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(TRIAL_COLUMN_NAMES)
    w.writerows(trial_rows(trials))
    return buf.getvalue().encode("utf-8")


def trials_from_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Trial objects (FORMAT.md section 14 members) from trials-table rows (typed values, None for
    empty): the inverse of :func:`trial_rows`, so measures are computed by the one module that
    computes them (tallylight.tasks.results) wherever the trials come from."""
    out = []
    for row in rows:
        trial: dict[str, Any] = {}
        for column, member in TRIAL_MEMBERS.items():
            value = row.get(column)
            if value is None:
                continue
            if column in ("start_ms", "end_ms"):
                value = round(float(value) * 1_000_000)
            trial[member] = value
        if trial.get("skipped") is False:
            del trial["skipped"]
        out.append(trial)
    return out
