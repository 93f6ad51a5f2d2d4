"""issue 17 item 3: the outbox follows the participant. A bundle confirmed before a cut, a delete or
a withdrawal is dropped (and the share log says so): nothing the participant removed is ever sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from share_helpers import PASS, JoinedStudy, PutServer, make_vault

from tallylight.cli.main import main as cli
from tallylight.share import outbox


@pytest.fixture
def data_dir(tallylight_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tallylight_home / "data"
    make_vault(d)
    monkeypatch.setenv("TALLYLIGHT_PASSPHRASE", PASS)
    return d


def _queue(study: JoinedStudy, *sessions: str) -> outbox.Pending:
    """A confirmed share whose upload did not happen yet (the network was down)."""
    from tallylight.share import bundle
    from tallylight.share.gather import gather
    from tallylight.store import vault

    unlocked = vault.unlock(PASS)
    inputs = gather(study.study_id, list(sessions), unlocked)
    enc = bundle.encrypt(bundle.build(inputs), inputs.study.recipients)
    return outbox.put(enc, study.study_id, list(sessions), inputs.study.upload_url)


def test_cut_delete_and_withdraw_drop_every_bundle_holding_those_sessions(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tallylight.share import edits
    from tallylight.store import vault
    from tallylight.store.layout import sessions_root

    srv = PutServer(tmp_path / "server")
    try:
        study = JoinedStudy(tmp_path, data_dir, upload_url=srv.url("/drop/"))
        for sid in ("s1", "s2", "s3", "s4"):
            study.record(data_dir, sid)
        cut_one = _queue(study, "s1", "s2")
        deleted_one = _queue(study, "s3")
        untouched = _queue(study, "s4")
        # a cut (as the review window makes it) drops the bundle with the uncut session
        unlocked = vault.unlock(PASS)
        edits.cut_session(sessions_root(data_dir) / "s1", unlocked, 0, 2_000_000, summarize=_no_summary)
        assert {p.bundle_id for p in outbox.pending()} == {deleted_one.bundle_id, untouched.bundle_id}
        # a delete from the command line drops and says so
        assert cli(["sessions", "delete", "s3", "--yes"]) == 0
        assert "1 bundle waiting to be sent held it and was dropped" in capsys.readouterr().err
        assert [p.bundle_id for p in outbox.pending()] == [untouched.bundle_id]
        dropped = {e.bundle_id: e.answer for e in outbox.read_log() if e.action == "dropped"}
        assert dropped == {
            cut_one.bundle_id: "a span of the session was cut out",
            deleted_one.bundle_id: "the session was deleted",
        }
        # withdrawal: the last one goes too, and nothing was ever sent
        assert cli(["study", "withdraw", study.study_id, "--yes"]) == 0
        assert outbox.pending() == []
        assert srv.requests() == [] or all("withdrawal" in r["path"] for r in srv.requests())
    finally:
        srv.stop()


def _no_summary(*_args: object) -> dict:
    return {}


def test_a_cut_from_the_command_line_says_it_dropped_the_waiting_bundle(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = JoinedStudy(tmp_path, data_dir)
    study.record(data_dir, "s1")
    held = _queue(study, "s1")
    capsys.readouterr()
    assert cli(["sessions", "cut", "s1", "--from", "0", "--to", "0.001", "--yes"]) == 0
    out = capsys.readouterr()
    assert "Cut 0.0 s – 0.0 s out of session s1" in out.out
    assert "1 bundle waiting to be sent held it and was dropped, so it is never sent." in out.err
    assert outbox.pending() == []
    assert [e.bundle_id for e in outbox.read_log() if e.action == "dropped"] == [held.bundle_id]
