"""A purpose withdrawal reaches the researchers as a withdrawal request does (issue 22): signed with
the participant's key, encrypted to the study's recipients, sent to its upload address at once."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from share_helpers import PASS, JoinedStudy, PutServer, make_vault

from tallylight.cli.main import main as cli
from tallylight.share import agecrypt, withdrawal, withdrawal_request
from tallylight.store import vault
from tallylight.study import enrolment

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "study"))
from study_helpers import TRAINING

TRAIN = "model-training"


def test_declining_a_purpose_sends_the_signed_request(
    tmp_path: Path, tallylight_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tallylight_home / "data"
    make_vault(data)
    monkeypatch.setenv("TALLYLIGHT_PASSPHRASE", PASS)
    srv = PutServer(tmp_path / "server")
    try:
        study = JoinedStudy(tmp_path, data, upload_url=srv.url("/drop/"), replace=TRAINING)
        joined = enrolment.load(study.study_id, data)
        enrolment.allow_purposes(joined, [TRAIN], vault.unlock(PASS, data))
        assert cli(["study", "purposes", study.study_id, "--decline", TRAIN]) == 0
        out = capsys.readouterr().out
        assert "It was sent to the researchers." in out
        (name,) = srv.files()
        assert name.endswith(withdrawal_request.SUFFIX)
        request = withdrawal_request.open_request(
            srv.files()[name], agecrypt.identities_from_text(study.identity.read_text())
        )
        assert request.is_purpose_withdrawal
        assert request.purposes_declined == (TRAIN,)
        assert request.participant_id == joined.enrolment.participant_id
        assert withdrawal.pending_uploads() == []  # marked sent
        assert enrolment.load(study.study_id, data).purposes() == {"analysis": True, TRAIN: False}
    finally:
        srv.stop()
