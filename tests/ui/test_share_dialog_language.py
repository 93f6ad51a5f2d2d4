"""The share dialog in the participant's language, driven with real clicks and keys: the preview
(what they read before anything leaves, promise 5), its status line and its controls in German and
in the pseudo-locale; the purposes named by the manifest's titles (issues 21 and 22)."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "share"))

from conftest_helpers import click, key
from scale_check import untranslated
from share_helpers import JoinedStudy, make_vault
from test_preview_language import GERMAN_TITLES, english_lines

from tallylight import i18n


@pytest.mark.parametrize("lang", ["de", i18n.PSEUDO])
def test_the_share_dialog_previews_in_the_participants_language(
    lang: str, tmp_path: Path, tallylight_home: Path, qapp, qtbot, language: Callable[[str], None]
) -> None:
    from PySide6.QtCore import Qt

    from tallylight.ui.dialogs.share import ShareDialog
    from tallylight.ui.tasks import TaskRunner

    data = tallylight_home / "data"
    vault = make_vault(data)
    study = JoinedStudy(tmp_path, data, replace=GERMAN_TITLES)  # no upload address: to a file
    study.record(data, "s1")
    language(lang)
    dlg = ShareDialog(TaskRunner(), vault)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    qtbot.waitUntil(lambda: dlg.session_list.count() == 1 and not dlg._timer.isActive(), timeout=15000)
    qtbot.waitUntil(
        lambda: (
            dlg.status.text()
            == i18n._("Tick the sessions to share; nothing is written or sent before Share.")
        ),
        timeout=10000,
    )
    # tick the session: a real click on it, then Space
    item = dlg.session_list.item(0)
    click(dlg.session_list.viewport(), dlg.session_list.visualItemRect(item).center())
    key(dlg.session_list, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dlg.share_button.isEnabled(), timeout=15000)
    text = dlg.preview.toPlainText()
    lines = text.splitlines()
    # the researcher's texts are shown as the manifest has them (German, else its first language)
    data_texts = ["Typing rhythm and fatigue", "Training machine-learning models", "Analysis for this study"]
    assert english_lines(lines, data_texts) == []
    assert english_lines([dlg.status.text(), dlg.windowTitle()]) == []
    if lang == "de":
        assert lines[0].startswith("Studie: Typing rhythm and fatigue (Version 1, Kennung ")
        assert "Es darf verwendet werden für: Auswertung in dieser Studie (analysis)\n" in text
        assert "(es darf nicht dafür verwendet werden): Training von Modellen (model-training)\n" in text
        assert "Wohin es geht: in einer Datei gespeichert, die Sie nach „Teilen“ wählen" in text
        assert dlg.status.text().startswith("Noch wurde nichts geschrieben. Drücken Sie „Teilen“")
        assert item.text().endswith("„task 1“")  # the session's label, quoted as German quotes
    else:
        # every line of ours is accented, every visible control's text came from the catalog
        assert all(re.search("[áéíóúŧšñ]", line) for line in lines), lines
        assert untranslated(dlg) == []
        assert "(analysis)" in text
        assert "(model-training)" in text
