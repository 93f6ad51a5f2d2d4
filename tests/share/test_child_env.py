"""Every child process gets the scrubbed environment: no secret (the passphrase) ever reaches one."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from share_helpers import PASS, JoinedStudy, PutServer, make_vault

import sources
from tallylight.cli.main import main as cli
from tallylight.hardening import SECRET_ENV

SRC = Path(__file__).resolve().parents[2] / "src" / "tallylight"
SPAWNERS = {"Popen", "run", "call", "check_call", "check_output"}

# a sitecustomize on PYTHONPATH runs in every Python child and notes what it was given
SPY = """
import json, os
with open({out!r}, "a") as fh:
    fh.write(json.dumps({{"pid": os.getpid(), "secrets": [n for n in {names!r} if n in os.environ]}}) + "\\n")
"""


def test_share_upload_starts_its_uploader_without_the_passphrase(
    tmp_path: Path, tallylight_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tallylight_home / "data"
    make_vault(data_dir)
    monkeypatch.setenv("TALLYLIGHT_PASSPHRASE", PASS)
    spy_dir, seen = tmp_path / "spy", tmp_path / "children.jsonl"
    spy_dir.mkdir()
    (spy_dir / "sitecustomize.py").write_text(SPY.format(out=str(seen), names=list(SECRET_ENV)))
    srv = PutServer(tmp_path / "server")
    try:
        study = JoinedStudy(tmp_path, data_dir, upload_url=srv.url("/drop/"))
        study.record(data_dir, "s1")
        monkeypatch.setenv("PYTHONPATH", str(spy_dir))
        assert cli(["share", "s1", "--study", study.study_id, "--upload", "--yes"]) == 0
    finally:
        srv.stop()
    children = [json.loads(line) for line in seen.read_text().splitlines()]
    assert children, "the uploader child did not run"
    assert all(c["secrets"] == [] for c in children), children


def _spawns(tree: ast.AST) -> list[ast.Call]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = node.func.value
            if isinstance(base, ast.Name) and base.id == "subprocess" and node.func.attr in SPAWNERS:
                out.append(node)
    return out


def test_every_subprocess_in_the_package_gets_child_env() -> None:
    """A static guard: a new ``subprocess`` call without ``env=child_env(...)`` fails here."""
    missing = []
    count = 0
    for path in sources.files(SRC):
        for call in _spawns(sources.tree(path)):
            count += 1
            env = next((k.value for k in call.keywords if k.arg == "env"), None)
            ok = isinstance(env, ast.Call) and getattr(env.func, "id", "") == "child_env"
            if not ok:
                missing.append(f"{path.relative_to(SRC)}:{call.lineno}")
    assert count >= 3
    assert missing == []
