"""`tallylight study add | list | show` as a participant runs them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from study_helpers import CONSENT_HEADINGS, PASS, STUDY_ID, current_body, write_signed

from tallylight.cli.main import main
from tallylight.study import enrolment, manifest


@pytest.fixture(autouse=True)
def passphrase(monkeypatch: pytest.MonkeyPatch, cheap_kdf: None) -> None:
    monkeypatch.setenv("TALLYLIGHT_PASSPHRASE", PASS)


def test_add_yes_list_show(manifest_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["study", "add", str(manifest_file), "--yes"]) == 0
    out = capsys.readouterr().out
    fingerprint = enrolment.load(STUDY_ID).signed.fingerprint
    assert f"fingerprint {fingerprint}" in out
    for heading in CONSENT_HEADINGS:
        assert f"== {heading}" in out
    assert "[x] I have read" in out
    assert "[ ] You may contact me" in out
    assert main(["study", "list"]) == 0
    listing = capsys.readouterr().out
    assert STUDY_ID in listing
    assert "0/20 sessions" in listing
    assert main(["study", "show", STUDY_ID, "--consent"]) == 0
    shown = capsys.readouterr().out
    assert "Consent given at" in shown
    assert "[ ] You may contact me" in shown
    # the purposes of the record named as the consent page named them (title and id)
    assert (
        "Purposes you allowed in this record: "
        f"{manifest.DEFAULT_PURPOSE_TITLE} ({manifest.DEFAULT_PURPOSE_ID})\n" in shown
    )


def test_add_asks_each_box_in_a_terminal(
    manifest_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    answers = iter(["y", "n", "n"])
    monkeypatch.setattr("builtins.input", lambda _prompt="": next(answers))
    assert main(["study", "add", str(manifest_file)]) == 8
    assert "not joined" in capsys.readouterr().err
    assert enrolment.enrolled_ids() == []
    answers = iter(["yes", "y", "y"])
    assert main(["study", "add", str(manifest_file)]) == 0
    assert enrolment.load(STUDY_ID).enrolment.consent_id


def test_without_a_terminal_consent_needs_yes(
    manifest_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["study", "add", str(manifest_file)]) == 2
    assert "--yes" in capsys.readouterr().err


def test_refused_manifests_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    unsigned = tmp_path / "u.toml"
    unsigned.write_bytes(current_body())
    assert main(["study", "add", str(unsigned), "--yes"]) == 8
    err = capsys.readouterr().err
    assert err.startswith("tallylight: The manifest is not signed")
    assert err.count("\n") == 1
    bad = write_signed(tmp_path / "b.toml", **{"max_sessions = 20": "max_sessions = -1"})
    assert main(["study", "add", str(bad), "--yes"]) == 8
    assert "sessions.max_sessions" in capsys.readouterr().err
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (100 << 20))
    assert main(["study", "add", str(big), "--yes"]) == 8
    assert "larger than" in capsys.readouterr().err
    assert main(["study", "add", str(tmp_path / "none.toml"), "--yes"]) == 2
    assert main(["study", "show", "nope"]) == 2
    assert main(["study", "show", STUDY_ID]) == 8


def test_add_can_narrow_what_the_study_may_record(
    manifest_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["study", "add", str(manifest_file), "--yes", "--keys", "full"]) == 2  # wider: refused
    assert "only allow less" in capsys.readouterr().err
    assert enrolment.enrolled_ids() == []
    assert main(["study", "add", str(manifest_file), "--yes", "--keys", "none", "--no-scrolls"]) == 0
    assert "You allow it at most:" in capsys.readouterr().out
    from tallylight.options import CaptureOptions, KeyMode

    assert enrolment.session_terms(STUDY_ID).ceiling == CaptureOptions(keys=KeyMode.NONE, scrolls=False)


def test_show_consent_says_what_the_consent_record_allows_even_if_enrolment_was_edited(
    manifest_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """enrolment.json is plain; the encrypted consent record is what the participant agreed to."""
    import json

    assert main(["study", "add", str(manifest_file), "--yes", "--no-moves"]) == 0
    path = enrolment.study_dir(STUDY_ID) / "enrolment.json"
    doc = json.loads(path.read_text("utf-8"))
    doc["capture"]["mouse_moves"] = True
    path.write_text(json.dumps(doc), "utf-8")
    capsys.readouterr()
    assert main(["study", "show", STUDY_ID, "--consent"]) == 0
    shown = capsys.readouterr().out
    consented = shown.split("Consent given at")[1]
    assert "Mouse movement: not recorded." in consented
    assert "differs from your consent" in shown


def test_a_new_version_starts_from_the_earlier_narrowing(
    manifest_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """issue 17 item 5: consenting to version 2 keeps what the participant narrowed in version 1."""
    from tallylight.options import CaptureOptions, KeyMode

    assert main(["study", "add", str(manifest_file), "--yes", "--keys", "none", "--no-scrolls"]) == 0
    v2 = write_signed(tmp_path / "v2.toml", **{"version = 1 ": "version = 2 "})
    assert main(["study", "add", str(v2), "--yes"]) == 0
    capsys.readouterr()
    ceiling = enrolment.session_terms(STUDY_ID).ceiling
    assert ceiling == CaptureOptions(keys=KeyMode.NONE, scrolls=False)
