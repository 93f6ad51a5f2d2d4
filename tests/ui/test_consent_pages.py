"""Consent that can be read at any size (issue 21, item 2): the consent flow is pages, each fitting
a 1280x720 screen at 100 %, 150 % and 200 %, in English, German and the pseudo-locale (40 % longer,
right to left); "I have read" only after the last page."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest_helpers import screenshot_dir

from xserver import xvfb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "study"))
from study_helpers import write_signed

SCRIPT = Path(__file__).with_name("consent_check.py")
PAGES = ["about", "who", "recorded", "where", "risks", "purposes", "consent"]


@pytest.fixture(scope="module")
def small_screen():
    with xvfb(screen="1280x720x24") as server:
        yield server


@pytest.mark.slow  # every page in three languages at three scales: seconds each
@pytest.mark.parametrize("scale", ["1", "1.5", "2"])
@pytest.mark.parametrize("language", ["en", "de", "en@pseudo"])
def test_every_consent_page_fits_1280x720(small_screen, scale, language, tallylight_home, tmp_path):
    manifest = write_signed(tmp_path / "study.toml")
    out = screenshot_dir() / "consent"
    out.mkdir(parents=True, exist_ok=True)
    env = small_screen.env(
        QT_QPA_PLATFORM="xcb", QT_SCALE_FACTOR=scale, TALLYLIGHT_HOME=str(tallylight_home), LANGUAGE=language
    )
    env.pop("QT_SCREEN_SCALE_FACTORS", None)
    env["PYTHONPATH"] = str(Path(__file__).parent)
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(manifest), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert list(result["report"]) == PAGES
    problems = {page: bad for page, bad in result["report"].items() if bad}
    assert not problems, json.dumps(problems, indent=1)
    assert result["have_read_enabled"]  # the last page was reached
    assert result["rtl"] == (language == "en@pseudo")
    if language == "de":
        assert result["titles"][1] == "Wer fragt"


def test_a_screen_reader_reads_each_page_in_order(qapp, qtbot, tmp_path, vault_ready) -> None:
    """Through Qt's accessibility tree (what AT-SPI hands a screen reader): Next moves the focus to
    the new page's text, inside a scroll area named after the page; every page's text is reachable
    and every control named, page after page, and "I have read" is named and enabled at the end."""
    from a11y_tree import _plain, problems
    from conftest_helpers import click
    from PySide6.QtGui import QAccessible

    from tallylight.study import enrolment
    from tallylight.ui.dialogs.studies import JoinStudyDialog
    from tallylight.ui.tasks import TaskRunner

    tasks = TaskRunner()
    try:
        dlg = JoinStudyDialog(tasks)
        qtbot.addWidget(dlg)
        dlg.show()
        qtbot.waitExposed(dlg)
        dlg.activateWindow()
        manifest = write_signed(tmp_path / "study.toml")
        dlg._show_offer(enrolment.check_offer(enrolment.read_manifest_file(manifest)))
        heard = []
        for i in range(dlg.pages.count()):
            if i:
                click(dlg.pages.next_button)
            qtbot.waitUntil(lambda i=i: dlg.focusWidget() is dlg.pages.texts[i], timeout=3000)
            focus = QAccessible.queryAccessibleInterface(dlg.focusWidget())
            area = focus.parent()
            while (
                area is not None
                and area.role() != QAccessible.Role.ScrollBar
                and not area.text(QAccessible.Text.Name)
            ):
                area = area.parent()
            heard.append(area.text(QAccessible.Text.Name))
            said = " ".join(focus.text(QAccessible.Text.Name).split())
            assert _plain(dlg.pages.texts[i].text())[:40] in said or said[:40] in _plain(
                dlg.pages.texts[i].text()
            )
            assert problems(dlg) == [], (i, problems(dlg))
        assert heard == dlg.pages.titles
        assert [p.key for p in dlg.pages.pages] == PAGES
        read = QAccessible.queryAccessibleInterface(dlg.have_read)
        assert "read every page" in read.text(QAccessible.Text.Name)
        assert dlg.have_read.isEnabled()
    finally:
        tasks.shutdown()
