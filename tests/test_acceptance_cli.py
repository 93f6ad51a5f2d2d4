"""Acceptance: the installed commands run the way people type them (relative paths, scripts, bad input).

Each test runs the real CLI in a child process from the participant's own folder, because the
CLI moves to ``/`` once a vault is unlocked (no core dumps in the working directory): a path
the participant typed relative to their folder must still mean that folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from share_helpers import PASS, JoinedStudy, make_vault

TL = [sys.executable, "-m", "tallylight.cli.main"]


def _run(args: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TALLYLIGHT_HOME": str(home), "TALLYLIGHT_PASSPHRASE": PASS}
    return subprocess.run(
        [*TL, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )


def test_relative_paths_mean_the_participants_folder(tmp_path: Path, tallylight_home: Path) -> None:
    data_dir = tallylight_home / "data"
    make_vault(data_dir)
    study = JoinedStudy(tmp_path, data_dir)
    study.record(data_dir, "s1")
    work = tmp_path / "work"
    work.mkdir()
    share = ["share", "s1", "--study", study.study_id, "--out", "bundle.age", "--yes"]
    done = _run(share, work, tallylight_home)
    assert done.returncode == 0, done.stderr
    assert (work / "bundle.age").stat().st_size > 0
    assert not Path("/bundle.age").exists()
    done = _run(["study", "withdraw", study.study_id, "--yes", "--out", "receipts"], work, tallylight_home)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (work / "receipts").iterdir())
    # the signed request sealed to the researchers (to send yourself), the plain request, the receipt
    sealed = [n for n in names if n.endswith("-withdrawal-request.tallylight-withdrawal.age")]
    assert len(sealed) == 1, names
    assert sorted(set(names) - set(sealed)) == ["withdrawal-receipt.json", "withdrawal-request.json"]
