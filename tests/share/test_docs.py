"""docs/BUNDLE.md and docs/LAB.md stay true: every column and field documented, the SQL runs."""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import pytest
from share_helpers import inputs
from test_lab_open import Study, _open

from tallylight.lab.main import main as lab_main
from tallylight.recorder.timing import SessionTiming
from tallylight.share import bundle, tables

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_bundle_md_documents_every_column_and_field() -> None:
    text = (DOCS / "BUNDLE.md").read_text()
    for name in tables.COLUMN_NAMES:
        assert f"| `{name}` |" in text, name
    doc = bundle.build(inputs(["age1x"])).doc
    for field in doc:
        assert f"| `{field}` |" in text, field
    for field in doc["sessions"][0]:
        assert f"`{field}`" in text, field
    for member in bundle.TIMING_MEMBERS:
        assert f"`{member}`" in text.split("`timing_quality` is the session's timing record")[1], member


def test_a_bundle_carries_every_member_the_recorder_writes() -> None:
    """The recorder's TIMING record and the members a bundle carries (and BUNDLE.md documents) agree."""
    written = SessionTiming(0, "perf_counter_ns").quality(1.0)
    assert list(written) == list(bundle.TIMING_MEMBERS)


def test_lab_md_sql_runs_on_an_opened_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = Study(tmp_path, "a")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(2):
        a.bundle(inbox, f"p{i}", [f"s{i}"], seed=i + 1)
    assert _open(a, tmp_path / "dataset", inbox) == 0
    assert lab_main(["features", str(tmp_path / "dataset"), "--quiet"]) == 0
    sql = re.search(r"```sql\n(.*?)```", (DOCS / "LAB.md").read_text(), re.S).group(1)  # type: ignore[union-attr]
    statements = [s.strip() for s in sql.split(";") if s.strip()]
    monkeypatch.chdir(tmp_path)
    with duckdb.connect() as con:
        results = [con.execute(s).fetchall() for s in statements]
    assert results[3] == [("p0", 15, 1), ("p1", 15, 1)]
    assert ("p0", "letter", 1) in results[4]
    assert [r[:2] for r in results[5]] == [("p0", "hashed"), ("p1", "hashed")]
    assert len(results[6]) == 2
    assert os.getcwd() == str(tmp_path)


def test_the_lab_extra_installs_what_lab_md_uses() -> None:
    """LAB.md's and BUNDLE.md's recipes run after `pip install 'tallylight[lab]'` alone."""
    import re
    import tomllib

    root = Path(__file__).resolve().parents[2]
    extra = tomllib.loads((root / "pyproject.toml").read_text())["project"]["optional-dependencies"]["lab"]
    names = {re.split(r"[<>=!;\[ ]", d, maxsplit=1)[0].lower() for d in extra}
    text = (root / "docs" / "LAB.md").read_text() + (root / "docs" / "BUNDLE.md").read_text()
    used = {m for m in ("duckdb", "pandas", "pyarrow", "polars") if re.search(rf"\b(import {m}|{m}\b)", text)}
    used.discard("polars")  # named as an alternative reader, never in a recipe
    assert used, "LAB.md names no library: this test reads the wrong file"
    assert used <= names, f"used in the docs but not in the lab extra: {sorted(used - names)}"
