"""The participant's export is the bundle's event table: same columns, names, units and cells."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from share_helpers import columns, identity, inputs, sample_events
from store_helpers import CHEAP, write_session

from tallylight.events import Kind
from tallylight.share import bundle, tables
from tallylight.share.export import export, write_table
from tallylight.store import vault


def _bundle_events_csv() -> bytes:
    who = identity()
    built = bundle.build(inputs([str(who.to_public())]))
    return bundle.open_plaintext(built.plaintext).events["s1"]


def test_the_participants_csv_header_is_the_bundles() -> None:
    ours = io.StringIO()
    write_table(columns(sample_events()), ours, "csv")
    theirs = _bundle_events_csv().decode("utf-8")
    assert ours.getvalue().splitlines()[0] == theirs.splitlines()[0]
    assert list(csv.reader(io.StringIO(ours.getvalue())))[1:] == list(csv.reader(io.StringIO(theirs)))[1:]


def test_json_lines_use_the_same_names_with_nulls_and_numbers() -> None:
    evs = sample_events()
    out = io.StringIO()
    assert write_table(columns(evs), out, "jsonl") == len(evs)
    docs = [json.loads(line) for line in out.getvalue().splitlines()]
    assert all(list(d) == list(tables.COLUMN_NAMES) for d in docs)
    rows = tables.event_rows(columns(evs))
    for d, row in zip(docs, rows, strict=True):
        assert [("" if v is None else v) for v in d.values()] == [
            (cell if name not in ("t_ms", "x_px", "y_px", "scroll_dx_steps", "scroll_dy_steps", "note_number")
             or cell == "" else (float(cell) if name == "t_ms" else int(cell)))
            for name, cell in zip(tables.COLUMN_NAMES, row, strict=True)
        ]  # fmt: skip
    moves = [d for d, e in zip(docs, evs, strict=True) if e.kind == Kind.MOVE]
    assert moves
    assert all(isinstance(d["x_px"], int) and d["button"] is None for d in moves)


def test_a_stored_session_exports_as_the_bundle_table(data_dir: Path, tmp_path: Path) -> None:
    v = vault.create_vault("pw", data_dir, params=CHEAP)
    evs = sample_events()
    write_session(data_dir, "e1", [evs])
    out = tmp_path / "e1.csv"
    assert export("e1", v, out, "csv", data_dir) == len(evs)
    assert out.read_bytes().replace(b"\r\n", b"\n") == tables.events_csv(columns(evs)).replace(b"\r\n", b"\n")
