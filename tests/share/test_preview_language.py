"""The share preview (promise 5: what the participant reads before anything leaves) is in their
language, German and the pseudo-locale, in ``tallylight share`` (issue 21, item 3); it names the
purposes by the manifest's titles, with the ids ``study purposes`` takes (issue 22, item 5).

The study dialog's side is tests/ui/test_share_dialog_language.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from share_helpers import PASS, JoinedStudy, make_vault
from study_helpers import TRAINING
from test_preview_truth import _rich_doc

from tallylight import i18n
from tallylight.cli.main import main as cli
from tallylight.share.preview import destination_words, preview_lines
from tallylight.study.manifest import DEFAULT_PURPOSES, Purpose, Text

TRAIN = "model-training"
#: English words no German or pseudo-locale line of ours holds (the researcher's texts aside)
ENGLISH = re.compile(r"\b(the|and|with|you|your|this|of|its|when|how|what|where|which|that|whether)\b")
#: the manifest's own purpose, in its two languages (the researcher's words)
TRAINING_PURPOSE = Purpose(
    id=TRAIN,
    title=Text((("en", "Training machine-learning models"), ("de", "Training von Modellen"))),
    description=Text((("en", "We train models."),)),
    required=False,
)
#: the manifest's titles in German, for `tallylight share` (the template's are English only)
GERMAN_TITLES = {
    **TRAINING,
    'title = "Training machine-learning models"': (
        'title = { en = "Training machine-learning models", de = "Training von Modellen" }'
    ),
    'title = "Analysis for this study"': (
        'title = { en = "Analysis for this study", de = "Auswertung in dieser Studie" }'
    ),
}


def english_lines(lines: Sequence[str], data: Sequence[str] = ()) -> list[str]:
    """Lines holding English words once ``data`` (texts sent as they are: titles, notes) is left out."""
    found = []
    for line in lines:
        for text in data:
            line = line.replace(text, " ")
        if ENGLISH.search(line):
            found.append(line)
    return found


def _doc() -> dict:
    doc = _rich_doc()
    doc["consent"]["purposes"] = {"analysis": True, TRAIN: False}
    return doc


def test_purposes_are_named_by_their_titles_and_ids() -> None:
    doc = _doc()
    text = "\n".join(preview_lines(doc, "nowhere yet", (*DEFAULT_PURPOSES, TRAINING_PURPOSE)))
    assert "It may be used for: Analysis for this study (analysis)\n" in text
    assert (
        "You said no to (it may not be used for): Training machine-learning models (model-training)\n" in text
    )
    # a purpose the manifest does not hold (none given here) is named by its id
    assert "It may be used for: analysis\n" in "\n".join(preview_lines(doc, "nowhere yet"))


@pytest.mark.parametrize("lang", ["de", i18n.PSEUDO])
def test_every_line_of_the_preview_is_in_the_participants_language(
    lang: str, language: Callable[[str], None]
) -> None:
    doc = _doc()
    purposes = (*DEFAULT_PURPOSES, TRAINING_PURPOSE)
    english = preview_lines(doc, destination_words("/home/p/b.age", None), purposes)
    language(lang)
    shown = preview_lines(doc, destination_words("/home/p/b.age", None), purposes)
    assert len(shown) == len(english)
    # sent as they are: the study's title (the researcher's) and the timing record's notes
    data = [doc["study"]["title"], *doc["sessions"][0]["timing_quality"]["notes"]]
    if lang == i18n.PSEUDO:  # no pseudo-locale in the manifest: its first language
        data.append("Training machine-learning models")
    assert english_lines(shown, data) == []
    assert [e for e, s in zip(english, shown, strict=True) if ENGLISH.search(e) and e == s] == []
    # every group of "item by item" and every sentence is ours, translated
    if lang == i18n.PSEUDO:
        assert all(re.search("[áéíóúŧšñ]", line) for line in shown), shown
    else:
        text = "\n".join(shown)
        assert "Es darf verwendet werden für: Auswertung für diese Studie (analysis)\n" in text
        assert "Training von Modellen (model-training)\n" in text
        assert "  das Paket: dass es ein Tallylight-Paket ist;" in text
        assert "Wohin es geht: in der Datei /home/p/b.age gespeichert" in text
        assert "„task 1“" in text


def test_tallylight_share_shows_the_preview_in_german(
    tmp_path: Path,
    tallylight_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tallylight_home / "data"
    make_vault(data)
    monkeypatch.setenv("TALLYLIGHT_PASSPHRASE", PASS)
    study = JoinedStudy(tmp_path, data, replace=GERMAN_TITLES)  # joined with the required purpose only
    study.record(data, "s1")
    monkeypatch.setenv("LANGUAGE", "de")
    i18n.use_languages(None)
    asked: list[str] = []

    def answer(prompt: str = "") -> str:
        asked.append(prompt)
        return "n"

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", answer)
    out = tmp_path / "b.age"
    try:
        assert cli(["share", "s1", "--study", study.study_id, "--out", str(out)]) == 1
    finally:
        i18n.use_languages(None)
    shown = capsys.readouterr().out
    assert asked == ["Genau das teilen? [y/N] "]
    assert not out.exists()
    assert shown.splitlines()[-1] == "Es wurde nichts geteilt."
    assert f"Wohin es geht: in der Datei {out} gespeichert (Sie geben sie selbst weiter)" in shown
    assert "Es darf verwendet werden für: Auswertung in dieser Studie (analysis)\n" in shown
    assert "(es darf nicht dafür verwendet werden): Training von Modellen (model-training)\n" in shown
    assert "Sitzungen (1):" in shown
    assert "Alles, was bundle.json enthält, Punkt für Punkt:" in shown
    assert english_lines(shown.splitlines(), ["Typing rhythm and fatigue", str(out)]) == []


def test_why_sending_failed_and_a_bad_address_are_in_german(language: Callable[[str], None]) -> None:
    """What the dialog's status line and the preview's "Where it goes" say of the upload."""
    from tallylight.share import outbox, transfer

    language("de")
    assert transfer.judge(503).message == "der Server ist ausgelastet oder gestört (HTTP 503)"
    assert transfer.judge(None, timed_out=True).message == "das Hochladen hat zu lange gedauert"
    assert transfer.judge(None).message == "die Netzwerkverbindung schlug fehl (keine Antwort)"
    assert destination_words(None, "https://[bad") == "hochgeladen nach (eine ungültige Adresse)"
    assert outbox.redact_url("https://[bad") == "(eine ungültige Adresse)"


def test_tallylight_share_saves_and_logs_in_german(
    tmp_path: Path,
    tallylight_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tallylight_home / "data"
    make_vault(data)
    monkeypatch.setenv("TALLYLIGHT_PASSPHRASE", PASS)
    study = JoinedStudy(tmp_path, data)
    study.record(data, "s1")
    monkeypatch.setenv("LANGUAGE", "de")
    i18n.use_languages(None)
    out = tmp_path / "b.age"
    try:
        assert cli(["share", "s1", "--study", study.study_id, "--out", str(out), "--yes"]) == 0
        assert "Das verschlüsselte Paket" in capsys.readouterr().out
        assert cli(["share", "--log"]) == 0
    finally:
        i18n.use_languages(None)
    assert f"gespeichert Studie {study.study_id}  Sitzungen s1  Paket " in capsys.readouterr().out


def test_study_show_names_each_purpose_by_its_title_in_german(
    tmp_path: Path,
    tallylight_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`study show` names purposes as the preview does: title in the participant's language, and id."""
    data = tallylight_home / "data"
    make_vault(data)
    study = JoinedStudy(tmp_path, data, replace=GERMAN_TITLES)  # joined with the required purpose only
    monkeypatch.setenv("LANGUAGE", "de")
    i18n.use_languages(None)
    try:
        assert cli(["study", "show", study.study_id]) == 0
    finally:
        i18n.use_languages(None)
    shown = capsys.readouterr().out
    assert "[x] Auswertung in dieser Studie (analysis): ja, erforderlich." in shown
    assert "[ ] Training von Modellen (model-training): nein, freiwillig." in shown
