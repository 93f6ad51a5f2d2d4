"""Joining a study: consent recorded encrypted; refused manifests with the reason; new versions."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from study_helpers import OTHER, STUDY_ID, current_body, write_signed

from tallylight.errors import AuthenticationError, ManifestError, StudyError, UsageError, VaultError
from tallylight.options import CaptureOptions, KeyMode
from tallylight.store import vault
from tallylight.study import enrolment, signing

AGREE = {"read": True, "agree": True}


def join(path: Path, data_dir: Path, boxes: dict[str, bool] = AGREE, **kw: object):
    offer = enrolment.check_offer(path.read_bytes(), data_dir)
    return enrolment.join(offer, boxes, data_dir=data_dir, **kw)  # type: ignore[arg-type]


def test_join_records_consent_encrypted(
    manifest_file: Path, data_dir: Path, unlocked: vault.UnlockedVault
) -> None:
    when = dt.datetime(2026, 11, 29, 12, 0, 5, 123, tzinfo=dt.UTC)
    study, record = join(manifest_file, data_dir, {**AGREE, "contact-later": True}, now=when)
    assert record.given_at == "2026-11-29T12:00:05Z"
    assert (
        record.manifest_hash
        == study.signed.hash
        == signing.body_hash(signing.split(manifest_file.read_bytes()).body)
    )
    assert record.checkboxes == {"read": True, "agree": True, "contact-later": True}
    assert record.app_version
    assert record.study_id == STUDY_ID
    # no plaintext of the record on disk: not the choices, not the time
    files = list(study.path.rglob("*"))
    consent_files = [p for p in files if p.name.startswith("consent-")]
    assert len(consent_files) == 1
    raw = consent_files[0].read_bytes()
    for needle in (b"contact-later", b"2026-11-29T12", b"given_at", record.participant_id.encode()):
        assert needle not in raw
    for p in files:
        if p.is_file():
            assert b"given_at" not in p.read_bytes()
            assert b'contact-later": true' not in p.read_bytes()
    assert enrolment.read_consent(study, unlocked) == record
    assert (study.path.stat().st_mode & 0o777) == 0o700


def test_consent_record_does_not_open_with_another_vault(
    manifest_file: Path, data_dir: Path, tmp_path: Path
) -> None:
    vault.create_vault("pw", data_dir, params=vault.KdfParams(1, 1, 64))
    study, _ = join(manifest_file, data_dir)
    other = vault.create_vault("pw", tmp_path / "other", params=vault.KdfParams(1, 1, 64))
    with pytest.raises(VaultError):
        enrolment.read_consent(study, other)


def test_tampered_consent_record_fails(
    manifest_file: Path, data_dir: Path, unlocked: vault.UnlockedVault
) -> None:
    study, record = join(manifest_file, data_dir)
    path = study.path / enrolment.consent_file(record.consent_id)
    raw = bytearray(path.read_bytes())
    raw[-3] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(AuthenticationError):
        enrolment.read_consent(study, unlocked)


def test_a_required_box_unticked_saves_nothing(manifest_file: Path, data_dir: Path, unlocked: object) -> None:
    with pytest.raises(StudyError, match="required"):
        join(manifest_file, data_dir, {"read": True})
    assert enrolment.enrolled_ids(data_dir) == []
    with pytest.raises(UsageError, match="no consent box"):
        join(manifest_file, data_dir, {**AGREE, "sneaky": True})


def test_joining_needs_a_vault(manifest_file: Path, data_dir: Path) -> None:
    with pytest.raises(VaultError):
        join(manifest_file, data_dir)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.write_bytes(current_body()), "not signed"),
        (
            lambda p: p.write_bytes(signing.sign(current_body(), OTHER).replace(b"Jane", b"Jone")),
            "does not match",
        ),
        (lambda p: write_signed(p, **{'keys = "class"': 'keys = "all"'}), "capture.keys"),
        (
            lambda p: write_signed(p, **{"approval_expires = ": "approval_expires = 2020-01-01 #"}),
            "approval expired",
        ),
    ],
)
def test_refused_manifests_say_why(
    tmp_path: Path, data_dir: Path, unlocked: object, make, reason: str
) -> None:
    path = tmp_path / "m.toml"
    make(path)
    with pytest.raises(ManifestError, match=reason):
        enrolment.check_offer(path.read_bytes(), data_dir)


def test_changed_after_consent_and_new_versions(
    tmp_path: Path, data_dir: Path, unlocked: vault.UnlockedVault
) -> None:
    v1 = write_signed(tmp_path / "v1.toml")
    _study, first = join(v1, data_dir)
    with pytest.raises(StudyError, match="already joined"):
        enrolment.check_offer(v1.read_bytes(), data_dir)
    # the same version, other text (re-signed by the same key): changed after consent
    changed = write_signed(tmp_path / "v1b.toml", **{"Dr. Jane Example": "Dr. Evil"})
    with pytest.raises(ManifestError, match="changed after your consent"):
        enrolment.check_offer(changed.read_bytes(), data_dir)
    # a new version signed by another key
    other = write_signed(tmp_path / "v2x.toml", OTHER, **{"version = 1 ": "version = 2 "})
    with pytest.raises(ManifestError, match="another key"):
        enrolment.check_offer(other.read_bytes(), data_dir)
    # a new version by the same key: consent again
    v2 = write_signed(
        tmp_path / "v2.toml", **{"version = 1 ": "version = 2 ", 'keys = "class"': 'keys = "none"'}
    )
    offer = enrolment.check_offer(v2.read_bytes(), data_dir)
    assert offer.is_update
    assert offer.previous is not None
    assert offer.previous.consent_id == first.consent_id
    study2, second = enrolment.join(offer, AGREE, data_dir=data_dir)
    assert second.consent_id != first.consent_id
    assert second.participant_id == first.participant_id
    assert study2.enrolment.earlier_consents == (first.consent_id,)
    assert study2.ceiling().keys == KeyMode.NONE
    assert enrolment.read_consent(study2, unlocked, first.consent_id) == first  # history kept
    # and the old version is now refused
    with pytest.raises(ManifestError, match="already consented to version 2"):
        enrolment.check_offer(v1.read_bytes(), data_dir)


def test_a_hand_edited_stored_manifest_is_refused(
    manifest_file: Path, data_dir: Path, unlocked: object
) -> None:
    study, _ = join(manifest_file, data_dir)
    stored = study.path / enrolment.MANIFEST_FILE
    # edited and left unsigned-matching: the signature fails
    stored.write_bytes(stored.read_bytes().replace(b'keys = "class"', b'keys = "full" '))
    with pytest.raises(ManifestError):
        enrolment.load(STUDY_ID, data_dir)
    # edited and re-signed by someone else's key: not the one consented to
    stored.write_bytes(signing.sign(current_body(**{'keys = "class"': 'keys = "full"'}), OTHER))
    with pytest.raises(ManifestError, match="not the one you consented to"):
        enrolment.load(STUDY_ID, data_dir)
    with pytest.raises(ManifestError):
        enrolment.session_terms(STUDY_ID, data_dir)


def test_a_hand_edited_enrolment_cannot_widen(manifest_file: Path, data_dir: Path, unlocked: object) -> None:
    study, _ = join(manifest_file, data_dir, capture=CaptureOptions(keys=KeyMode.NONE, scrolls=False))
    assert enrolment.load(STUDY_ID, data_dir).ceiling() == CaptureOptions(keys=KeyMode.NONE, scrolls=False)
    path = study.path / enrolment.ENROLMENT_FILE
    doc = json.loads(path.read_text())
    doc["capture"] = {"keys": "full", "scrolls": True, "mouse_moves": True, "clicks": True}
    path.write_text(json.dumps(doc))
    # the manifest's ceiling still holds: class at most
    assert enrolment.session_terms(STUDY_ID, data_dir).ceiling == CaptureOptions(keys=KeyMode.CLASS)


def test_consent_may_narrow_but_not_widen(manifest_file: Path, data_dir: Path, unlocked: object) -> None:
    with pytest.raises(UsageError, match="wider"):
        join(manifest_file, data_dir, capture=CaptureOptions(keys=KeyMode.FULL))


def test_session_terms_limits(tmp_path: Path, data_dir: Path, unlocked: object) -> None:
    path = write_signed(tmp_path / "m.toml", **{"max_sessions = 20": "max_sessions = 2"})
    _study, record = join(path, data_dir)
    terms = enrolment.session_terms(STUDY_ID, data_dir)
    assert terms.consent_id == record.consent_id
    assert terms.manifest_hash == record.manifest_hash
    assert terms.max_duration_s == 3600
    assert terms.idle_timeout_s == 600
    assert terms.limit_duration(0) == 3600
    assert terms.limit_duration(60) == 60
    assert terms.limit_duration(7200) == 3600
    enrolment.register_session(STUDY_ID, "s1", data_dir)
    enrolment.register_session(STUDY_ID, "s2", data_dir)
    with pytest.raises(StudyError, match="all 2 sessions"):
        enrolment.session_terms(STUDY_ID, data_dir)
    with pytest.raises(ManifestError, match="starts on"):
        enrolment.session_terms(STUDY_ID, data_dir, today=dt.date.today() - dt.timedelta(days=5))


def test_unknown_and_malformed_study_ids(data_dir: Path) -> None:
    with pytest.raises(StudyError, match="not joined"):
        enrolment.load(STUDY_ID, data_dir)
    with pytest.raises(UsageError):
        enrolment.load("../../etc", data_dir)


def test_no_session_once_the_study_ended_or_its_approval_expired(
    manifest_file: Path, data_dir: Path, unlocked: object
) -> None:
    study, _ = join(manifest_file, data_dir)
    m = study.manifest
    with pytest.raises(ManifestError, match="approval expired"):
        enrolment.session_terms(STUDY_ID, data_dir, today=m.ethics.approval_expires + dt.timedelta(days=1))
    assert enrolment.startable(data_dir, today=m.end + dt.timedelta(days=1)) == []
    assert [s[0] for s in enrolment.startable(data_dir)] == [STUDY_ID]
    # joined studies stay listed (and can be withdrawn from) after they end
    assert enrolment.enrolled_ids(data_dir) == [STUDY_ID]
