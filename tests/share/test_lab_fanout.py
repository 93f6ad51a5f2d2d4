"""docs/LAB.md's Dask fan-out, run as written: `open --shard K/N` tasks on a local Dask cluster
write one dataset, every bundle once, as a single run would."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from test_lab_open import N, Study, _count, _open, _sql

DOC = Path(__file__).resolve().parents[2] / "docs" / "LAB.md"

pytestmark = pytest.mark.slow  # starts a Dask cluster of worker processes


def _recipe() -> dict[str, object]:
    """The Python block of LAB.md's Dask section, executed: its functions."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### Many bundles: shards, and a Dask cluster", 1)[1]
    (code,) = re.findall(r"```python\n(.*?)```", section.split("\n### ", 1)[0], re.S)
    namespace: dict[str, object] = {"__name__": "lab_md_recipe"}
    exec(compile(code, str(DOC), "exec"), namespace)
    return namespace


def test_the_documented_dask_fan_out_writes_one_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = Study(tmp_path, "a")
    inbox, out = tmp_path / "inbox", tmp_path / "dataset"
    inbox.mkdir()
    for i in range(5):
        a.bundle(inbox, f"p{i}", [f"s{i}"], seed=i + 1)
    # the workers run `tallylight-lab` from this environment, as a researcher's shell would
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    recipe = _recipe()
    results = recipe["open_with_dask"](  # type: ignore[operator]
        str(inbox), str(a.identity), str(a.manifest), str(out), shards=3, workers=2
    )
    assert sorted(k for k, _, _ in results) == [1, 2, 3]
    assert all(code == 0 for _, code, _ in results), results
    assert _count(out) == 5 * N  # every bundle's rows, once
    assert _sql(f"select count(distinct participant) from read_parquet('{out}/sessions/**/*.parquet')") == [
        (5,)
    ]
    assert len(list(out.glob("_bundles.*-of-3.json"))) == 3  # one registry per shard: no two wrote one file
    # and the shards' registries are one ledger: opening everything again finds only duplicates
    assert _open(a, out, inbox) == 0
    assert _count(out) == 5 * N
