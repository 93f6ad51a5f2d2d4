"""The import-linter contracts in pyproject.toml hold: the layers, and no Qt outside tallylight.ui."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def test_import_contract_holds() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout
    assert "Layers: each imports only from the layers below it" in result.stdout
    assert "Contracts: 1 kept" not in result.stdout


def _contract(name_starts: str) -> dict[str, Any]:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c["name"].startswith(name_starts))


def _top_level() -> set[str]:
    return {
        f"tallylight.{p.stem}"
        for p in (ROOT / "src" / "tallylight").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
    }


def test_every_core_package_is_under_the_qt_contract() -> None:
    covered = set(_contract("Only tallylight.ui imports Qt")["source_modules"])
    assert _top_level() - covered == {"tallylight.ui", "tallylight.launcher"}


def test_every_module_has_its_place_in_the_layers() -> None:
    placed = [m.strip() for layer in _contract("Layers")["layers"] for m in layer.split("|")]
    assert len(placed) == len(set(placed))
    assert set(placed) == _top_level()


def test_the_layers_see_imports_inside_functions() -> None:
    """A deferred import (inside a function) counts like one at the top of the module."""
    import grimp

    graph = grimp.build_graph("tallylight")
    lines = [
        d["line_contents"]
        for d in graph.get_import_details(
            importer="tallylight.store.writer", imported="tallylight.store.rewrite"
        )
    ]
    assert lines
    assert all(line.startswith("from tallylight.store import rewrite") for line in lines)
    source = (ROOT / "src" / "tallylight" / "store" / "writer.py").read_text()
    assert "\n            from tallylight.store import rewrite" in source  # indented: inside a method
