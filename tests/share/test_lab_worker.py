"""One worker's turn on one bundle (tallylight.lab.isolate._open_one), with the parent played here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_lab_open import Study

from tallylight.lab import dataset, isolate


class _Parent:
    """The parent's end of the pipe: says write to every bundle, keeps what the worker sent."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, message: Any) -> None:
        self.sent.append(message)

    def recv(self) -> None:
        return None


@pytest.mark.parametrize(
    ("max_memory", "release_rows", "released"),
    [(None, isolate.RELEASE_ROWS, False), (1 << 40, isolate.RELEASE_ROWS, True), (None, 1, True)],
)
def test_memory_goes_back_after_a_large_bundle_or_under_a_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, max_memory: int | None, release_rows: int, released: bool
) -> None:
    study = Study(tmp_path, "a")
    path = tmp_path / study.bundle(tmp_path, "p1", ["s1"]).filename
    calls: list[None] = []
    monkeypatch.setattr(dataset, "release_memory", lambda: calls.append(None))
    monkeypatch.setattr(isolate, "RELEASE_ROWS", release_rows)
    limits = isolate.Limits(max_memory=max_memory)
    setup = isolate.Setup(study.identity.read_text(), str(tmp_path / "out"), None, limits)
    parent = _Parent()
    assert isolate._open_one(parent, str(path), setup)  # type: ignore[arg-type]
    assert [m[0] for m in parent.sent] == [isolate.READY, isolate.DONE]
    assert parent.sent[-1][1].status == "opened"
    assert bool(calls) == released


#: a worker told at once that there is nothing to open, then the allocator it left pyarrow with
CHECK = """
import pyarrow as pa
from tallylight.lab import isolate


class Parent:
    def recv(self):
        return None


isolate.worker(Parent(), isolate.Setup("", ".", None, isolate.Limits()))
print(pa.default_memory_pool().backend_name)
"""


def test_a_worker_allocates_with_the_system_malloc(tmp_path: Path) -> None:
    """In a process of its own: a worker changes its process for good (allocator, umask, imports)."""
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "system"
