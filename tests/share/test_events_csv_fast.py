"""The column-wise events.csv writer gives exactly the bytes of the plain row-by-row one.

The reference below is the writer Tallylight used before (``csv.writer`` over one Python
tuple per row); the fast one must never differ from it, for any events at all.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from share_helpers import columns

from strategies import event_streams, events
from tallylight.events import Kind, Marker
from tallylight.share import tables
from tallylight.share.tables import (
    BUTTON_NAMES,
    COLUMN_NAMES,
    GAP_NAMES,
    KEY_CLASS_NAMES,
    KIND_NAMES,
    MARKER_NAMES,
    STOP_NAMES,
)
from tallylight.store.encoding import EventColumns


def _reference_ms(t_ns: np.ndarray) -> list[str]:
    out = []
    for t in t_ns.tolist():
        whole, frac = divmod(abs(t), 1_000_000)
        sign = "-" if t < 0 else ""
        out.append(f"{sign}{whole}.{frac:06d}".rstrip("0").rstrip(".") if frac else f"{sign}{whole}")
    return out


def reference_rows(cols: EventColumns, task_ids: Sequence[str] = ()) -> list[tuple[str, ...]]:
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
    reason, task, note = [""] * n, [""] * n, [""] * n
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
    cells = [
        _reference_ms(cols.t_ns),
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
    return list(zip(*cells, strict=True))


def reference_csv(cols: EventColumns, task_ids: Sequence[str] = ()) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(COLUMN_NAMES)
    w.writerows(reference_rows(cols, task_ids))
    return buf.getvalue().encode("utf-8")


TASKS = st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), max_size=3)


@given(event_streams(max_size=80), TASKS)
def test_fast_csv_equals_the_row_by_row_writer(evs: list, task_ids: list[str]) -> None:
    cols = columns(evs)
    assert tables.events_csv(cols, task_ids) == reference_csv(cols, task_ids)
    assert tables.event_rows(cols, task_ids) == reference_rows(cols, task_ids)


@given(st.lists(events(), min_size=1, max_size=40))
def test_any_values_and_any_text_are_written_as_the_csv_module_writes_them(evs: list) -> None:
    cols = columns(evs)
    assert tables.events_csv(cols) == reference_csv(cols)


def test_text_needing_quotes_and_an_empty_session() -> None:
    from tallylight.events import Event

    evs = [
        Event(1, Kind.KEY_DOWN, key_class=1, key=5, text=t) for t in ("a,b", 'say "hi"', "x\ny", "\r", " ")
    ]
    cols = columns(evs)
    assert tables.events_csv(cols) == reference_csv(cols)
    assert tables.events_csv(columns([])) == reference_csv(columns([]))


@given(event_streams(max_size=50), st.integers(1, 7))
def test_pieces_join_to_the_whole_file(evs: list, rows: int) -> None:
    cols = columns(evs)
    assert b"".join(tables.events_csv_chunks(cols, (), rows)) == reference_csv(cols)
