"""The participant's own plain-text export: the same event table a bundle's ``events.csv`` holds.

``tallylight sessions export`` and the review window's Export write the columns,
names and units of :mod:`tallylight.share.tables` (named values, empty cells where
a field does not apply), so what a participant looks at is what a researcher would
receive. JSON lines use the same field names: an empty cell is ``null``, integers
and milliseconds are numbers.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from tallylight.errors import StudyError, UsageError
from tallylight.events import SessionInfo
from tallylight.fsutil import create_private, storage_error
from tallylight.i18n import _
from tallylight.share import tables
from tallylight.store.encoding import EventColumns
from tallylight.store.reader import Keys
from tallylight.store.sessions import check_export_target, read
from tallylight.study import enrolment

FORMATS = ("csv", "jsonl")
_NUMBER_TYPES = {c.name: c.type for c in tables.COLUMNS if c.type in ("decimal", "integer")}


def _json_value(column: str, cell: str) -> Any:
    if cell == "":
        return None
    kind = _NUMBER_TYPES.get(column)
    if kind == "integer":
        return int(cell)
    if kind == "decimal":
        return float(cell)
    return cell


def write_table(cols: EventColumns, fh: IO[str], fmt: str, task_ids: Sequence[str] = ()) -> int:
    """Write ``cols`` as the bundle's event table, CSV or JSON lines, to ``fh``; returns the count."""
    rows = tables.event_rows(cols, task_ids)
    if fmt == "csv":
        w = csv.writer(fh)
        w.writerow(tables.COLUMN_NAMES)
        w.writerows(rows)
    else:
        for row in rows:
            doc = {name: _json_value(name, cell) for name, cell in zip(tables.COLUMN_NAMES, row, strict=True)}
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return len(cols)


def _task_ids(info: SessionInfo | None, data_dir: Path | None) -> tuple[str, ...]:
    """The joined study's task ids, which name a session's task markers as the bundle does."""
    if info is None or not info.study_id:
        return ()
    try:
        return tuple(t.id for t in enrolment.load(info.study_id, data_dir).manifest.tasks)
    except StudyError:  # left or expired: the markers are named task_N
        return ()


def export(
    session_id: str,
    keys: Keys,
    out: Path | None,
    fmt: str,
    data_dir: Path | None = None,
    *,
    force: bool = False,
    stdout: IO[str] | None = None,
) -> int:
    """Write the session's events in plain text (the participant asked for it); returns the count.

    ``out`` None writes to ``stdout``. A file is never written inside the data
    folder and never replaces an existing file unless ``force`` (then atomically).
    """
    if fmt not in FORMATS:
        raise UsageError(_("The export format must be csv or jsonl."))
    target = None if out is None else check_export_target(out, data_dir)
    if target is not None and not force and os.path.lexists(target):
        raise UsageError(
            _("{target} already exists; nothing was written. Add --force to replace it.").format(
                target=target
            )
        )
    data = read(session_id, keys, data_dir)
    cols, task_ids = data.columns(), _task_ids(data.info, data_dir)
    if target is None:
        assert stdout is not None
        return write_table(cols, stdout, fmt, task_ids)
    try:
        with create_private(target, replace=force) as fh:
            n = write_table(cols, fh, fmt, task_ids)
    except FileExistsError:
        raise UsageError(
            _("{target} already exists; nothing was written. Add --force to replace it.").format(
                target=target
            )
        ) from None
    except OSError as exc:
        raise storage_error(exc, _("exporting to {target}").format(target=target)) from None
    return n
