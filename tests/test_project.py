"""The project stands alone: one version, a licence that matches, nothing pointing outside the repo."""

from __future__ import annotations

import importlib.metadata
import subprocess
import tomllib
from pathlib import Path

import pytest

import tallylight

ROOT = Path(__file__).resolve().parents[1]


def _tracked_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        pytest.skip("not a git checkout (an sdist): the tracked files are unknown")
    return [ROOT / name for name in out.decode().split("\0") if name]


def test_one_version() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    assert importlib.metadata.version("tallylight") == tallylight.__version__


def test_the_licence_file_matches_pyproject() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_nothing_refers_outside_the_repository() -> None:
    outside = ("../" + "shared", "DESIGN" + ".md")  # in two parts so this file does not match itself
    offenders = []
    for path in _tracked_files():
        if path.suffix in (".png", ".age", ".parquet") or not path.is_file():
            continue
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError:
            continue
        if any(word in text for word in outside):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
