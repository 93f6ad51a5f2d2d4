"""The core never imports Qt: the import-linter contract in pyproject.toml holds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contract_holds() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout and "Contracts: 1 kept" not in result.stdout


def test_every_core_package_is_under_the_contract() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]
    covered = set(config["source_modules"])
    packages = {
        f"tallylight.{p.stem}"
        for p in (ROOT / "src" / "tallylight").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
    }
    assert packages - covered == {"tallylight.ui", "tallylight.launcher"}
