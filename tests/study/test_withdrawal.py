"""Withdrawal destroys exactly the study's sessions and consent, and leaves a request and a receipt."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from study_helpers import PASS, STUDY_ID, record, write_signed

from tallylight.cli.main import main
from tallylight.errors import AuthenticationError, StudyError
from tallylight.share import withdrawal
from tallylight.store import sessions, vault
from tallylight.store.crypto import KdfParams
from tallylight.study import enrolment

OTHER_STUDY = "0b6a1a52-3c1e-4f7e-9d35-2d0f6c8f7a99"


@pytest.fixture
def joined(tmp_path: Path) -> dict[str, list[str]]:
    vault.create_vault(PASS, params=KdfParams(1, 1, 64))
    for path in (
        write_signed(tmp_path / "a.toml"),
        write_signed(tmp_path / "b.toml", **{STUDY_ID: OTHER_STUDY}),
    ):
        enrolment.join(enrolment.check_offer(path.read_bytes()), {"read": True, "agree": True})
    return {
        "study": [record(STUDY_ID), record(STUDY_ID)],
        "personal": [record()],
        "other": [record(OTHER_STUDY)],
    }


def test_withdraw_destroys_exactly_the_study(joined: dict[str, list[str]], tmp_path: Path) -> None:
    study = enrolment.load(STUDY_ID)
    consent_id = study.enrolment.consent_id
    participant = study.enrolment.participant_id
    key_files = [sessions.session_dir(s) / "key" for s in joined["study"]]
    assert all(k.exists() for k in key_files)
    receipt = withdrawal.withdraw(STUDY_ID, copy_to=tmp_path / "mine")
    # exactly the study's sessions are gone, their keys first; the others are intact and readable
    assert sorted(receipt.sessions_destroyed) == sorted(joined["study"])
    assert not any(k.exists() for k in key_files)
    remaining = sessions.session_ids()
    assert sorted(remaining) == sorted(joined["personal"] + joined["other"])
    unlocked = vault.unlock(PASS)
    for sid in remaining:
        assert sessions.read(sid, unlocked).info is not None
    # the consent and the enrolment are gone; the other study is untouched
    assert receipt.consent_records_destroyed == [consent_id]
    assert not enrolment.study_dir(STUDY_ID).exists()
    assert enrolment.enrolled_ids() == [OTHER_STUDY]
    with pytest.raises(StudyError):
        enrolment.session_terms(STUDY_ID)
    # the request names what the researcher must delete; the receipt hashes it
    request_path = Path(receipt.request_file)
    request = json.loads(request_path.read_text())
    assert request["participant_id"] == participant
    assert request["study_id"] == STUDY_ID
    assert request["consent_ids"] == [consent_id]
    assert receipt.request_sha256 == hashlib.sha256(request_path.read_bytes()).hexdigest()
    saved = json.loads((request_path.parent / withdrawal.RECEIPT_FILE).read_text())
    assert saved["sessions_destroyed"] == receipt.sessions_destroyed
    assert saved["withdrawn_at"] == receipt.withdrawn_at
    assert (tmp_path / "mine" / withdrawal.REQUEST_FILE).read_bytes() == request_path.read_bytes()
    # no upload target in this manifest: nothing waits for upload
    assert withdrawal.pending_uploads() == []


def test_withdraw_finds_unlisted_sessions_by_their_header_with_the_vault(
    joined: dict[str, list[str]],
) -> None:
    listed = enrolment.study_dir(STUDY_ID) / enrolment.SESSIONS
    (listed / joined["study"][1]).unlink()  # as if noting it had failed
    assert withdrawal.study_sessions(STUDY_ID) == [joined["study"][0]]
    receipt = withdrawal.withdraw(STUDY_ID, vault=vault.unlock(PASS))
    assert sorted(receipt.sessions_destroyed) == sorted(joined["study"])


def test_withdraw_works_with_a_damaged_manifest(joined: dict[str, list[str]]) -> None:
    stored = enrolment.study_dir(STUDY_ID) / enrolment.MANIFEST_FILE
    stored.write_bytes(b"garbage")
    receipt = withdrawal.withdraw(STUDY_ID)
    assert sorted(receipt.sessions_destroyed) == sorted(joined["study"])
    assert receipt.study_title == ""


def test_upload_target_marks_the_request_for_upload(tmp_path: Path) -> None:
    vault.create_vault(PASS, params=KdfParams(1, 1, 64))
    path = write_signed(
        tmp_path / "u.toml",
        **{"# upload_url = ": "upload_url = ", "https://files.example.edu/s/abc123": "http://127.0.0.1:9/u"},
    )
    enrolment.join(enrolment.check_offer(path.read_bytes()), {"read": True, "agree": True})
    receipt = withdrawal.withdraw(STUDY_ID)
    (pending,) = withdrawal.pending_uploads()
    assert pending.request_id == receipt.request_id
    assert pending.url == "http://127.0.0.1:9/u"
    withdrawal.mark_sent(pending.request_id, "201 Created")
    assert withdrawal.pending_uploads() == []


def test_cli_withdraw(
    joined: dict[str, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["study", "withdraw", STUDY_ID]) == 2  # no terminal, no --yes: nothing happens
    assert enrolment.study_dir(STUDY_ID).exists()
    capsys.readouterr()
    assert main(["study", "withdraw", STUDY_ID, "--yes", "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "Destroyed: 2 sessions, 1 consent record." in out
    assert "SHA-256" in out
    assert (tmp_path / "r" / withdrawal.RECEIPT_FILE).exists()
    assert main(["study", "withdraw", STUDY_ID, "--yes"]) == 8


def test_a_withdrawn_session_cannot_be_read(joined: dict[str, list[str]]) -> None:
    sid = joined["study"][0]
    d = sessions.session_dir(sid)
    segments = {p.name: p.read_bytes() for p in d.iterdir() if p.name.startswith("seg-")}
    withdrawal.withdraw(STUDY_ID)
    # even if the segments had survived (copied away before), without the key file they do not open
    d.mkdir(parents=True)
    for name, data in segments.items():
        (d / name).write_bytes(data)
    with pytest.raises(AuthenticationError):
        sessions.read(sid, vault.unlock(PASS))


def test_cli_withdraw_relative_out_and_passphrase(
    joined: dict[str, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unlocking moves the process to / (no core dumps in the cwd): relative paths are taken first."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TALLYLIGHT_PASSPHRASE", PASS)
    assert main(["study", "withdraw", STUDY_ID, "--yes", "--out", "mine"]) == 0
    assert (tmp_path / "mine" / withdrawal.RECEIPT_FILE).exists()
