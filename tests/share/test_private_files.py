"""issue 17 item 9 (files and the share log): everything sharing and withdrawal write is 0600 under
umask 000, and withdrawing removes the study's share-log entries."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from share_helpers import PASS, JoinedStudy, make_vault

from tallylight.cli.main import main as cli
from tallylight.share import outbox


@pytest.fixture
def data_dir(tallylight_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tallylight_home / "data"
    make_vault(d)
    monkeypatch.setenv("TALLYLIGHT_PASSPHRASE", PASS)
    return d


@pytest.fixture
def umask_000() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_shared_and_withdrawal_files_are_private_under_umask_000(
    tmp_path: Path, data_dir: Path, umask_000: None
) -> None:
    study = JoinedStudy(tmp_path, data_dir)
    other = JoinedStudy(tmp_path / "other", data_dir)
    study.record(data_dir, "s1")
    other.record(data_dir, "o1")
    out = tmp_path / "saved" / "b.tallylight.age"
    out.parent.mkdir()
    assert cli(["share", "s1", "--study", study.study_id, "--out", str(out), "--yes"]) == 0
    assert cli(["share", "o1", "--study", other.study_id, "--out", str(tmp_path / "o.age"), "--yes"]) == 0
    assert _mode(out) == 0o600
    assert _mode(data_dir / outbox.LOG_FILE) == 0o600
    copies = tmp_path / "receipt"
    assert cli(["study", "withdraw", study.study_id, "--yes", "--out", str(copies)]) == 0
    written = [p for p in copies.rglob("*") if p.is_file()]
    written += [p for p in (data_dir / "withdrawals").rglob("*") if p.is_file()]
    assert len(written) >= 4
    assert {str(p): _mode(p) for p in written} == {str(p): 0o600 for p in written}
    # the share log forgot the withdrawn study, and only it
    assert [e.study_id for e in outbox.read_log()] == [other.study_id]
    assert _mode(data_dir / outbox.LOG_FILE) == 0o600
