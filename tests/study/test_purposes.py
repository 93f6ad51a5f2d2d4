"""Consent per purpose (issue 22): ``[[purposes]]`` in the manifest, the choice per purpose in the
consent record and the enrolment, ``study add --allow/--decline``, ``study show``, ``study
purposes``, what a bundle says, and new versions that never carry a yes to an unseen purpose."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from study_helpers import PASS, RESEARCHER, STUDY_ID, TRAINING, body, current_body, record, write_signed

from tallylight.cli.main import main
from tallylight.errors import ManifestError, StudyError, UsageError
from tallylight.share import gather, withdrawal, withdrawal_request
from tallylight.store import vault
from tallylight.study import consent, enrolment, manifest, presentation, signing
from tallylight.study.consent import ConsentRecord

AGREE = {"read": True, "agree": True}
TRAIN = "model-training"
PURPOSES_BLOCK = body().decode().split("# What the data may be used for")[1]


def _body(**replace: str) -> bytes:
    return body(**{**TRAINING, **replace})


def _parse(raw: bytes) -> manifest.Manifest:
    return manifest.parse(raw)


# ---------------------------------------------------------------- the manifest


def test_a_manifest_without_purposes_has_one_required_analysis_purpose() -> None:
    text = body().decode()
    old = text[: text.index("# What the data may be used for")]
    m = _parse(old.encode())
    assert [(p.id, p.required, p.implicit) for p in m.purposes] == [("analysis", True, True)]
    assert m.required_purposes == ("analysis",)


def test_manifest_new_writes_an_example_purpose() -> None:
    from tallylight.study import template

    m = _parse(body())  # the template, as `manifest new --example` writes it
    assert [(p.id, p.required, p.implicit) for p in m.purposes] == [("analysis", True, False)]
    assert '# id = "model-training"' in template.render(example=False)  # optional, to uncomment


def test_purposes_are_read_with_their_words_and_are_part_of_the_signed_text() -> None:
    m = _parse(_body())
    assert [(p.id, p.required) for p in m.purposes] == [("analysis", True), (TRAIN, False)]
    training = m.purpose(TRAIN)
    assert training is not None
    assert "train models" in str(training.description)
    assert str(training.recipients).startswith("The research team only")
    # an id of the researcher's own, with its text, is allowed
    own = _parse(_body(**{'id = "model-training"': 'id = "our-own-use"'}))
    assert own.purpose("our-own-use") is not None
    # the purposes are signed: changing one after signing breaks the signature
    raw = signing.sign(_body(), RESEARCHER)
    manifest.load(raw)
    changed = raw.replace(b'id = "model-training"', b'id = "model-trainin"')
    with pytest.raises(ManifestError):
        manifest.load(changed)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('only."\nrequired = true', 'only."\nrequired = false', "purposes"),
        ('id = "model-training"', 'id = "analysis"', "purposes[1].id"),
        ('id = "model-training"', 'id = "Model Training"', "purposes[1].id"),
        ('title = "Training', 'titel = "Training', "purposes[1].titel"),
        ('anyone."\nrequired = false', 'anyone."\nrequired = "no"', "purposes[1].required"),
        ('recipients = "The research team only; the', "recipients = 5\n#", "purposes[1].recipients"),
    ],
)
def test_bad_purposes_name_their_field(old: str, new: str, field: str) -> None:
    raw = _body()
    assert old.encode() in raw, old
    with pytest.raises(ManifestError) as info:
        _parse(raw.replace(old.encode(), new.encode(), 1))
    assert info.value.field == field


def test_an_empty_purposes_list_is_refused() -> None:
    text = body().decode()
    old = text[: text.index("# What the data may be used for")]
    with pytest.raises(ManifestError) as info:
        _parse((old.replace("schema = 1\n", "schema = 1\npurposes = []\n", 1)).encode())
    assert info.value.field == "purposes"


ids = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True)
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cf")), min_size=1, max_size=40)
purpose_lists = st.lists(
    st.tuples(ids, words, words, st.booleans(), st.none() | words),
    min_size=1,
    max_size=6,
    unique_by=lambda p: p[0],
).filter(lambda ps: any(p[3] for p in ps))


@given(purpose_lists)
def test_any_purposes_table_reads_back_as_written(
    purposes: list[tuple[str, str, str, bool, str | None]],
) -> None:
    text = body().decode()
    head = text[: text.index("# What the data may be used for")]
    blocks = []
    for pid, title, description, required, recipients in purposes:
        block = [
            "[[purposes]]",
            f"id = {json.dumps(pid)}",
            f"title = {json.dumps(title, ensure_ascii=False)}",
            f"description = {json.dumps(description, ensure_ascii=False)}",
            f"required = {'true' if required else 'false'}",
        ]
        if recipients is not None:
            block.append(f"recipients = {json.dumps(recipients, ensure_ascii=False)}")
        blocks.append("\n".join(block))
    raw = (head + "\n" + "\n\n".join(blocks) + "\n").encode()
    try:
        m = _parse(raw)
    except ManifestError as exc:  # only a text the parser refuses for its content (blank, control)
        assert exc.field.startswith("purposes[")  # noqa: PT017
        return
    got = [
        (
            p.id,
            str(p.title),
            str(p.description),
            p.required,
            None if p.recipients is None else str(p.recipients),
        )
        for p in m.purposes
    ]
    assert got == purposes


# ---------------------------------------------------------------- the consent record

records = st.builds(
    ConsentRecord,
    consent_id=st.just("5ba79775-4486-4f64-bd24-20d4f6f1282b"),
    study_id=st.uuids().map(str),
    study_version=st.integers(1, 1 << 31),
    manifest_hash=st.text("0123456789abcdef", min_size=64, max_size=64),
    signer_fingerprint=st.text(max_size=19),
    participant_id=st.text("0123456789abcdef", min_size=16, max_size=16),
    given_at=st.text(max_size=20),
    checkboxes=st.dictionaries(st.text(max_size=10), st.booleans(), max_size=5),
    capture=st.just({"keys": "class"}),
    app_version=st.just("0.1.0"),
    purposes=st.dictionaries(ids, st.booleans(), max_size=6),
)


@given(records)
def test_a_consent_record_keeps_its_choice_per_purpose(record_: ConsentRecord) -> None:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from tallylight.store import crypto

    device = X25519PrivateKey.from_private_bytes(bytes(range(100, 132)))
    raw = consent.seal(record_, crypto.public_bytes(device.public_key()))
    back = consent.open_record(raw, record_.consent_id, device)
    assert back.purposes == record_.purposes
    allowed = back.allowed_purposes()
    # (the sealed JSON sorts its keys: the order is the manifest's, taken from there when shown)
    assert sorted(allowed) == (
        sorted(k for k, v in record_.purposes.items() if v) if record_.purposes else ["analysis"]
    )


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    )
)
def test_damaged_purposes_in_a_record_or_enrolment_are_one_clear_error(value: object) -> None:
    doc = ConsentRecord("c-00000001", "s", 1, "h", "f", "p", "t", {}, {}, "0").to_dict()
    doc["purposes"] = value
    ok = isinstance(value, dict) and all(isinstance(v, bool) for v in value.values())
    if ok:
        assert ConsentRecord.from_dict(doc).purposes == value
    else:
        with pytest.raises(StudyError, match="damaged"):
            ConsentRecord.from_dict(doc)


# ---------------------------------------------------------------- joining


def _offer(path: Path, data_dir: Path) -> enrolment.Offer:
    return enrolment.check_offer(path.read_bytes(), data_dir)


def test_joining_records_the_choice_per_purpose(tmp_path: Path, data_dir: Path, unlocked: object) -> None:
    path = write_signed(tmp_path / "s.toml", RESEARCHER, **TRAINING)
    offer = _offer(path, data_dir)
    assert offer.start_purposes == {"analysis": True, TRAIN: False}  # optional ones start unticked
    with pytest.raises(StudyError, match="not taking part"):
        enrolment.join(offer, AGREE, data_dir=data_dir, purposes={"analysis": False})
    with pytest.raises(UsageError, match="no purpose"):
        enrolment.join(offer, AGREE, data_dir=data_dir, purposes={"analysis": True, "selling": True})
    assert not enrolment.study_dir(STUDY_ID, data_dir).exists()
    study, rec = enrolment.join(offer, AGREE, data_dir=data_dir)  # no choice given: required only
    assert rec.purposes == {"analysis": True, TRAIN: False}
    assert study.purposes() == {"analysis": True, TRAIN: False}
    assert enrolment.read_consent(study, unlocked).purposes == rec.purposes  # type: ignore[arg-type]


def test_a_new_version_never_carries_a_yes_to_a_purpose_not_seen(
    tmp_path: Path, data_dir: Path, unlocked: object
) -> None:
    v1 = write_signed(tmp_path / "v1.toml", RESEARCHER, **TRAINING)
    enrolment.join(_offer(v1, data_dir), AGREE, data_dir=data_dir, purposes={"analysis": True, TRAIN: True})
    # version 2, same words for model-training, and a new optional purpose
    extra = (
        '\n[[purposes]]\nid = "dataset-release"\ntitle = "A public data set"\n'
        'description = "Published."\nrequired = false\n'
    )
    v2_body = current_body(**TRAINING, **{"version = 1 ": "version = 2 "}) + extra.encode()
    v2 = tmp_path / "v2.toml"
    v2.write_bytes(signing.sign(v2_body, RESEARCHER))
    offer = _offer(v2, data_dir)
    # nothing carried over: the yes would come from a file a hand can edit
    assert offer.start_purposes == {"analysis": True, TRAIN: False, "dataset-release": False}
    assert offer.purpose_changes() == (("dataset-release",), ())
    # the participant reads the purpose as the consent page names it: title and id
    assert presentation.purpose_changes_text(offer.signed.manifest, *offer.purpose_changes()) == (
        "New or reworded purposes, not ticked for you: A public data set (dataset-release)."
    )
    # version 2 rewords model-training and makes it required: nothing carried, and it says so
    v3_body = current_body(
        **TRAINING,
        **{
            "version = 1 ": "version = 2 ",
            "train models that": "train and sell models that",
            "required = false\n": "required = true\n",
        },
    )
    v3 = tmp_path / "v3.toml"
    v3.write_bytes(signing.sign(v3_body, RESEARCHER))
    offer3 = _offer(v3, data_dir)
    assert offer3.start_purposes == {"analysis": True, TRAIN: True}  # required now, so ticked to join
    assert offer3.purpose_changes() == ((TRAIN,), ())
    # only required (not reworded): listed as now required
    v4_body = current_body(
        **TRAINING, **{"version = 1 ": "version = 2 ", "required = false\n": "required = true\n"}
    )
    v4 = tmp_path / "v4.toml"
    v4.write_bytes(signing.sign(v4_body, RESEARCHER))
    offer4 = _offer(v4, data_dir)
    assert offer4.purpose_changes() == ((), (TRAIN,))
    assert presentation.purpose_changes_text(offer4.signed.manifest, *offer4.purpose_changes()) == (
        f"Purposes that are now required: Training machine-learning models ({TRAIN})."
    )


def test_a_hand_edited_enrolment_never_pre_ticks_a_purpose_on_a_new_version(
    tmp_path: Path, data_dir: Path, unlocked: object
) -> None:
    v1 = write_signed(tmp_path / "v1.toml", RESEARCHER, **TRAINING)
    enrolment.join(_offer(v1, data_dir), AGREE, data_dir=data_dir, purposes={"analysis": True, TRAIN: False})
    plain = enrolment.study_dir(STUDY_ID, data_dir) / enrolment.ENROLMENT_FILE
    doc = json.loads(plain.read_text())
    doc["purposes"][TRAIN] = True  # a hand edit: the participant never allowed it
    plain.write_text(json.dumps(doc))
    v2 = tmp_path / "v2.toml"
    v2.write_bytes(signing.sign(current_body(**TRAINING, **{"version = 1 ": "version = 2 "}), RESEARCHER))
    assert _offer(v2, data_dir).start_purposes == {"analysis": True, TRAIN: False}


def test_a_reworded_optional_purpose_starts_unticked_again(
    tmp_path: Path, data_dir: Path, unlocked: object
) -> None:
    v1 = write_signed(tmp_path / "v1.toml", RESEARCHER, **TRAINING)
    enrolment.join(_offer(v1, data_dir), AGREE, data_dir=data_dir, purposes={"analysis": True, TRAIN: True})
    v2 = tmp_path / "v2.toml"
    v2.write_bytes(
        signing.sign(
            current_body(
                **TRAINING,
                **{"version = 1 ": "version = 2 ", "train models that": "train models we sell that"},
            ),
            RESEARCHER,
        )
    )
    assert _offer(v2, data_dir).start_purposes == {"analysis": True, TRAIN: False}


# ---------------------------------------------------------------- the command line and sharing


@pytest.fixture
def training_file(tmp_path: Path) -> Path:
    return write_signed(tmp_path / "study.toml", RESEARCHER, **TRAINING)


def test_study_add_yes_accepts_the_required_purposes_only(
    training_file: Path, unlocked: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["study", "add", str(training_file), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "[x] analysis" in out
    assert f"[ ] {TRAIN}" in out
    assert enrolment.load(STUDY_ID).purposes() == {"analysis": True, TRAIN: False}
    assert main(["study", "show", STUDY_ID]) == 0
    shown = capsys.readouterr().out
    # each purpose named by title and id, as the share preview names it (issue 22 walkthrough)
    assert f"[ ] Training machine-learning models ({TRAIN}): no, optional." in shown
    assert "[x] Analysis for this study (analysis): yes, required." in shown


def test_study_add_allow_and_decline(
    training_file: Path, unlocked: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["study", "add", str(training_file), "--yes", "--decline", "analysis"]) == 8
    assert "not taking part" in capsys.readouterr().err
    assert main(["study", "add", str(training_file), "--yes", "--allow", "selling"]) == 2
    assert not enrolment.study_dir(STUDY_ID).exists()
    assert main(["study", "add", str(training_file), "--yes", "--allow", TRAIN]) == 0
    assert enrolment.load(STUDY_ID).purposes() == {"analysis": True, TRAIN: True}


def test_declining_a_purpose_later_keeps_the_participant_and_signs_a_request(
    training_file: Path, unlocked: vault.UnlockedVault, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("TALLYLIGHT_PASSPHRASE", PASS)
    assert main(["study", "add", str(training_file), "--yes", "--allow", TRAIN]) == 0
    session = record(STUDY_ID)
    before = gather.gather(STUDY_ID, [session], unlocked, probe=dict)
    assert before.consent["purposes"] == {"analysis": True, TRAIN: True}
    capsys.readouterr()
    assert main(["study", "purposes", STUDY_ID, "--decline", TRAIN]) == 0
    out = capsys.readouterr().out
    assert "You stay in the study" in out
    study = enrolment.load(STUDY_ID)
    assert study.purposes() == {"analysis": True, TRAIN: False}
    assert study.session_ids() == [session]
    # the signed request for the researchers
    (folder,) = list(withdrawal.withdrawals_dir().iterdir())
    request = json.loads((folder / withdrawal.REQUEST_FILE).read_text())
    assert request["format"] == withdrawal_request.PURPOSE_REQUEST_FORMAT
    assert request["purposes_declined"] == [TRAIN]
    assert request["participant_id"] == study.enrolment.participant_id
    # what is shared from now on says so
    after = gather.gather(STUDY_ID, [session], unlocked, probe=dict)
    assert after.consent["purposes"] == {"analysis": True, TRAIN: False}
    # declining it again changes nothing; allowing it again is a new consent record
    assert main(["study", "purposes", STUDY_ID, "--decline", TRAIN]) == 8
    old_consent = study.enrolment.consent_id
    enrolment.allow_purposes(enrolment.load(STUDY_ID), [TRAIN], unlocked)
    again = enrolment.load(STUDY_ID)
    assert again.purposes()[TRAIN] is True
    assert again.enrolment.consent_id != old_consent
    assert old_consent in again.enrolment.earlier_consents
    assert enrolment.read_consent(again, unlocked).purposes[TRAIN] is True


def test_a_hand_edited_enrolment_never_widens_what_a_bundle_says(
    training_file: Path, unlocked: vault.UnlockedVault
) -> None:
    assert main(["study", "add", str(training_file), "--yes"]) == 0
    path = enrolment.study_dir(STUDY_ID) / enrolment.ENROLMENT_FILE
    doc = json.loads(path.read_text())
    doc["purposes"][TRAIN] = True
    path.write_text(json.dumps(doc))
    assert enrolment.load(STUDY_ID).purposes()[TRAIN] is True
    inputs = gather.gather(STUDY_ID, [record(STUDY_ID)], unlocked, probe=dict)
    assert inputs.consent["purposes"] == {"analysis": True, TRAIN: False}


def test_allowing_a_purpose_already_allowed_or_required_changes_nothing(
    training_file: Path, unlocked: object, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """No new consent record for a yes the participant already gave (or that joining gave)."""
    monkeypatch.setenv("TALLYLIGHT_PASSPHRASE", PASS)
    assert main(["study", "add", str(training_file), "--yes", "--allow", TRAIN]) == 0
    before = enrolment.load(STUDY_ID).enrolment.consent_id
    files = sorted(p.name for p in enrolment.study_dir(STUDY_ID).iterdir())
    capsys.readouterr()
    assert main(["study", "purposes", STUDY_ID, "--allow", TRAIN, "--allow", "analysis"]) == 0
    out = capsys.readouterr().out
    assert "You now allow" not in out
    assert "You already allow: Training machine-learning models (model-training); Analysis" in out
    assert enrolment.load(STUDY_ID).enrolment.consent_id == before
    assert sorted(p.name for p in enrolment.study_dir(STUDY_ID).iterdir()) == files


def test_declining_a_required_purpose_is_withdrawing_and_the_cli_says_so(
    training_file: Path, unlocked: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["study", "add", str(training_file), "--yes"]) == 0
    with pytest.raises(StudyError, match="withdrawing"):
        withdrawal.decline_purposes(STUDY_ID, ["analysis"])
    capsys.readouterr()
    assert main(["study", "purposes", STUDY_ID, "--decline", "analysis", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "means withdrawing from the study" in out
    assert "You withdrew" in out
    assert not enrolment.study_dir(STUDY_ID).exists()


def test_the_share_preview_names_the_purposes_allowed_and_declined(
    training_file: Path, unlocked: vault.UnlockedVault
) -> None:
    from tallylight.share import bundle, contents
    from tallylight.share.preview import preview_lines

    assert main(["study", "add", str(training_file), "--yes"]) == 0
    inputs = gather.gather(STUDY_ID, [record(STUDY_ID)], unlocked, probe=dict)
    built = bundle.build(inputs)
    assert built.doc["consent"]["purposes"] == {"analysis": True, TRAIN: False}
    contents.check(built.doc)  # the preview names every item, purposes included
    text = "\n".join(preview_lines(built.doc, "nowhere yet", inputs.study.purposes))
    # by the manifest's titles, with the id `study purposes --decline` takes
    assert "It may be used for: Analysis for this study (analysis)\n" in text
    assert f"You said no to (it may not be used for): Training machine-learning models ({TRAIN})" in text
    # without the manifest's purposes, by id
    bare = "\n".join(preview_lines(built.doc, "nowhere yet"))
    assert f"It may be used for: analysis\nYou said no to (it may not be used for): {TRAIN}\n" in bare
    assert "what your data may be used for: each purpose, allowed or declined" in text


def test_study_add_in_a_terminal_asks_each_optional_purpose(
    training_file: Path, unlocked: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter(["y", "y", "n", "y"])  # read, agree, contact-later, then model-training
    asked: list[str] = []

    def answer(question: str) -> str:
        asked.append(question)
        return next(answers)

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", answer)
    assert main(["study", "add", str(training_file)]) == 0
    assert len(asked) == 4
    assert asked[-1].startswith("Allow this use of your data? Training machine-learning models (optional)")
    assert ".?" not in asked[-1]  # the purpose's own sentence ends it; no stray question mark
    assert enrolment.load(STUDY_ID).purposes() == {"analysis": True, TRAIN: True}
    assert f"[x] {TRAIN}" in capsys.readouterr().out


def test_declining_a_purpose_a_new_version_requires_keeps_the_earlier_consent_and_says_so(
    tmp_path: Path, training_file: Path, unlocked: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """A participant already in the study is not told they have not joined it."""
    assert main(["study", "add", str(training_file), "--yes"]) == 0
    v2 = tmp_path / "v2.toml"
    v2.write_bytes(
        signing.sign(
            current_body(
                **TRAINING, **{"version = 1 ": "version = 2 ", "required = false\n": "required = true\n"}
            ),
            RESEARCHER,
        )
    )
    capsys.readouterr()
    assert main(["study", "add", str(v2), "--yes", "--decline", TRAIN]) != 0
    err = capsys.readouterr().err
    assert "You have not joined" not in err
    assert f"Version 2 of the study needs the purpose {TRAIN!r}" in err
    assert "You stay in the study under your consent to version 1; nothing was saved." in err
    assert enrolment.load(STUDY_ID).enrolment.study_version == 1


def test_a_hand_edit_of_enrolment_after_declining_never_brings_the_purpose_back(
    training_file: Path, unlocked: vault.UnlockedVault, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Declining writes no new consent record, so the plain enrolment.json alone must not decide:
    the signed purpose withdrawal on disk still narrows every bundle made under that consent."""
    assert main(["study", "add", str(training_file), "--yes", "--allow", TRAIN]) == 0
    withdrawal.decline_purposes(STUDY_ID, [TRAIN])
    path = enrolment.study_dir(STUDY_ID) / enrolment.ENROLMENT_FILE
    doc = json.loads(path.read_text())
    assert doc["purposes"][TRAIN] is False
    doc["purposes"][TRAIN] = True  # the hand edit
    path.write_text(json.dumps(doc))
    inputs = gather.gather(STUDY_ID, [record(STUDY_ID)], unlocked, probe=dict)
    assert inputs.consent["purposes"] == {"analysis": True, TRAIN: False}
    assert main(["study", "purposes", STUDY_ID]) == 0  # and the participant is shown the same
    assert f"({TRAIN}): no, optional." in capsys.readouterr().out
    # saying yes again is a new consent record, and then the purpose is allowed again
    enrolment.allow_purposes(enrolment.load(STUDY_ID), [TRAIN], unlocked)
    again = gather.gather(STUDY_ID, [record(STUDY_ID)], unlocked, probe=dict)
    assert again.consent["purposes"] == {"analysis": True, TRAIN: True}
