"""The package's own source, read and parsed once per test process.

Several static guards walk every module's syntax tree (gettext, resources, child_env); parsing
the package's 160-odd files costs about 0.4 s of CPU, so they share one parse per process. The
trees are shared: a test reads them and never changes them.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "tallylight"


def files(under: Path = SRC) -> list[Path]:
    """The ``.py`` files under ``under``, sorted."""
    return sorted(under.rglob("*.py"))


def text(path: Path) -> str:
    return _text(path.resolve())


def tree(path: Path) -> ast.Module:
    """``path``'s syntax tree (shared: read it, do not change it)."""
    return _tree(path.resolve())


@functools.cache
def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(_text(path), filename=str(path))
