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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from tallylight.events import Button, GapReason, KeyClass, Kind, Marker, StopReason
from tallylight.store.encoding import EventColumns


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # "decimal", "integer", "text", "name" (one of the listed values)
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


def _ms(t_ns: np.ndarray) -> list[str]:
    """Exact decimal milliseconds: integer part, then up to 6 fractional digits without trailing zeros."""
    out = []
    for t in t_ns.tolist():
        whole, frac = divmod(abs(t), 1_000_000)
        sign = "-" if t < 0 else ""
        out.append(f"{sign}{whole}.{frac:06d}".rstrip("0").rstrip(".") if frac else f"{sign}{whole}")
    return out


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


def event_rows(cols: EventColumns, task_ids: Sequence[str] = ()) -> list[tuple[str, ...]]:
    """The events as CSV rows of strings (columns in :data:`COLUMN_NAMES` order).

    Text goes through Python lists, never numpy string arrays (which drop trailing NULs).
    """
    n = len(cols)
    kind = cols.kind.astype(np.int64)
    positional = np.isin(kind, [Kind.MOVE, Kind.BUTTON_DOWN, Kind.BUTTON_UP, Kind.SCROLL]).tolist()
    buttons = np.isin(kind, [Kind.BUTTON_DOWN, Kind.BUTTON_UP]).tolist()
    scroll = (kind == Kind.SCROLL).tolist()
    keys = np.isin(kind, [Kind.KEY_DOWN, Kind.KEY_UP]).tolist()
    markers = (kind == Kind.MARKER).tolist()

    def ints(values: np.ndarray, mask: list[bool]) -> list[str]:
        return [str(v) if m else "" for v, m in zip(values.tolist(), mask, strict=True)]

    def named(values: np.ndarray, mask: list[bool], table: dict[int, str]) -> list[str]:
        return [table.get(v, f"code_{v}") if m else "" for v, m in zip(values.tolist(), mask, strict=True)]

    key_id = [f"{k:016x}" if m and k else "" for k, m in zip(cols.key.tolist(), keys, strict=True)]
    key_text = [t if m else "" for t, m in zip(cols.text.tolist(), keys, strict=True)]
    reason = [""] * n
    task = [""] * n
    note = [""] * n
    for i in np.flatnonzero(kind == Kind.MARKER).tolist():
        m, r = int(cols.marker[i]), int(cols.reason[i])
        if m == Marker.SESSION_STOP:
            reason[i] = STOP_NAMES.get(r, f"code_{r}")
        elif m in (Marker.TASK_START, Marker.TASK_END):
            task[i] = task_ids[r - 1] if 0 < r <= len(task_ids) else f"task_{r}"
        elif m == Marker.NOTE:
            note[i] = str(r)
        elif m in (Marker.PAUSE, Marker.GAP) or r:
            reason[i] = GAP_NAMES.get(r, f"code_{r}")
    columns = [
        _ms(cols.t_ns),
        [KIND_NAMES.get(k, f"code_{k}") for k in kind.tolist()],
        ints(cols.x, positional),
        ints(cols.y, positional),
        named(cols.button, buttons, BUTTON_NAMES),
        ints(cols.dx, scroll),
        ints(cols.dy, scroll),
        named(cols.key_class, keys, KEY_CLASS_NAMES),
        key_id,
        key_text,
        named(cols.marker, markers, MARKER_NAMES),
        reason,
        task,
        note,
    ]
    return list(zip(*columns, strict=True))


def events_csv(cols: EventColumns, task_ids: Sequence[str] = ()) -> bytes:
    """``events.csv``: UTF-8, comma-separated, a header row, RFC 4180 quoting and CRLF line ends."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(COLUMN_NAMES)
    w.writerows(event_rows(cols, task_ids))
    return buf.getvalue().encode("utf-8")


def codebook_rows() -> Iterable[list[str]]:
    yield ["column", "value", "type", "unit", "applies_to", "meaning"]
    for c in COLUMNS:
        yield [c.name, "", c.type, c.unit, c.applies_to, c.description]
        for value, meaning in VALUES.get(c.name, {}).items():
            yield [c.name, value, "", "", "", meaning]


def codebook_csv() -> bytes:
    """``codebook.csv``: one row per column, then one row per named value of that column."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(codebook_rows())
    return buf.getvalue().encode("utf-8")
