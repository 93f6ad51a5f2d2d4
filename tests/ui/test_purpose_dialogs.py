"""Consent per purpose in the app (issue 22): the consent pages list each purpose with its own
checkbox, and the Studies window changes the choice — with real clicks on Xvfb."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest_helpers import PASSPHRASE, click
from test_study_dialogs import _drop, _join_dialog, _read_every_page, _shot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "study"))
from study_helpers import RESEARCHER, STUDY_ID, TRAINING, current_body, write_signed

from tallylight.share import withdrawal, withdrawal_request
from tallylight.study import enrolment, signing

pytestmark = pytest.mark.x11

TRAIN = "model-training"


@pytest.fixture
def tasks(qapp):
    from tallylight.ui.tasks import TaskRunner

    runner = TaskRunner()
    yield runner
    runner.shutdown()


def test_the_consent_pages_list_each_purpose_with_its_own_checkbox(
    qtbot, tasks, vault_ready, tmp_path
) -> None:
    dlg = _join_dialog(qtbot, tasks)
    _drop(dlg, write_signed(tmp_path / "study.toml", RESEARCHER, **TRAINING))
    qtbot.waitUntil(lambda: dlg.join_button.isVisible(), timeout=10000)
    keys = [p.key for p in dlg.pages.pages]
    assert "purposes" in keys
    while dlg.pages.current() < keys.index("purposes"):
        click(dlg.pages.next_button)
    analysis, training = dlg.purposes["analysis"], dlg.purposes[TRAIN]
    assert analysis.isVisible()  # both on the page shown now
    assert training.isVisible()
    assert analysis.isChecked()  # required: part of joining, ticked and fixed
    assert not analysis.isEnabled()
    assert "(required)" in analysis.accessibleName()
    assert not training.isChecked()  # optional: starts unticked
    assert training.isEnabled()
    assert "(optional)" in training.accessibleName()
    assert "Who gets the data for this" in training.accessibleName()
    _shot(dlg, "study-consent-purposes.png")
    click(training)
    assert training.isChecked()
    _read_every_page(dlg)
    click(dlg.boxes["read"])
    click(dlg.boxes["agree"])
    click(dlg.join_button)
    qtbot.waitUntil(lambda: not dlg.isVisible(), timeout=10000)
    assert enrolment.load(STUDY_ID).purposes() == {"analysis": True, TRAIN: True}


def _studies(qtbot, tasks):
    from tallylight.ui.dialogs.studies import StudiesDialog

    dlg = StudiesDialog(tasks)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    qtbot.waitUntil(lambda: dlg.list.count() == 1 and dlg.purposes_button.isEnabled(), timeout=10000)
    return dlg


def test_the_studies_window_declines_a_purpose_and_keeps_the_participant(
    qtbot,
    tasks,
    vault_ready,
    tmp_path,
) -> None:
    path = write_signed(tmp_path / "study.toml", RESEARCHER, **TRAINING)
    offer = enrolment.check_offer(path.read_bytes())
    enrolment.join(offer, {"read": True, "agree": True}, purposes={"analysis": True, TRAIN: True})
    dlg = _studies(qtbot, tasks)
    click(dlg.purposes_button)
    qtbot.waitUntil(lambda: dlg.purpose_panel.isVisible(), timeout=10000)
    assert dlg.purpose_checks[TRAIN].isChecked()
    assert not dlg.purpose_save.isEnabled()  # nothing changed yet
    click(dlg.purpose_checks[TRAIN])
    assert dlg.purpose_save.isEnabled()
    assert not dlg.purpose_note.isVisible()
    _shot(dlg, "study-purposes.png")
    click(dlg.purpose_save)
    qtbot.waitUntil(lambda: dlg.receipt.isVisible() and "You said no to" in dlg.receipt.text(), timeout=10000)
    assert "You stay in the study" in dlg.receipt.text()
    # named as the participant ticked them, not by bare ids
    assert f"You said no to: Training machine-learning models ({TRAIN})." in dlg.receipt.text()
    assert "may still be used for: Analysis for this study (analysis)." in dlg.receipt.text()
    study = enrolment.load(STUDY_ID)
    assert study.purposes() == {"analysis": True, TRAIN: False}
    (folder,) = list(withdrawal.withdrawals_dir().iterdir())
    request = json.loads((folder / withdrawal.REQUEST_FILE).read_text())
    assert request["format"] == withdrawal_request.PURPOSE_REQUEST_FORMAT
    assert request["purposes_declined"] == [TRAIN]
    # saying yes again is a new consent: it asks for the passphrase
    click(dlg.purposes_button)
    qtbot.waitUntil(lambda: dlg.purpose_panel.isVisible(), timeout=10000)
    assert not dlg.purpose_checks[TRAIN].isChecked()
    click(dlg.purpose_checks[TRAIN])
    assert dlg.purpose_passphrase.isVisible()
    from PySide6.QtTest import QTest

    QTest.keyClicks(dlg.purpose_passphrase, PASSPHRASE)
    click(dlg.purpose_save)
    qtbot.waitUntil(lambda: "You now allow" in dlg.receipt.text(), timeout=10000)
    assert f"You now allow: Training machine-learning models ({TRAIN}) (consent" in dlg.receipt.text()
    assert enrolment.load(STUDY_ID).purposes()[TRAIN] is True


def test_unticking_a_required_purpose_says_it_is_a_withdrawal(qtbot, tasks, vault_ready, tmp_path) -> None:
    path = write_signed(tmp_path / "study.toml", RESEARCHER, **TRAINING)
    enrolment.join(enrolment.check_offer(path.read_bytes()), {"read": True, "agree": True})
    dlg = _studies(qtbot, tasks)
    click(dlg.purposes_button)
    qtbot.waitUntil(lambda: dlg.purpose_panel.isVisible(), timeout=10000)
    click(dlg.purpose_checks["analysis"])
    assert dlg.purpose_note.isVisible()
    assert "withdrawing from the study" in dlg.purpose_note.text()
    _shot(dlg, "study-purposes-required.png")
    click(dlg.purpose_save)
    assert dlg.confirm.isVisible()  # the withdrawal question, asked as every withdrawal is
    assert not dlg.purpose_panel.isVisible()
    click(dlg.confirm_no)
    assert enrolment.enrolled_ids() == [STUDY_ID]
    assert enrolment.load(STUDY_ID).purposes()["analysis"] is True


def test_a_new_version_never_ticks_a_purpose_the_participant_has_not_seen(
    qtbot, tasks, vault_ready, tmp_path
) -> None:
    v1 = write_signed(tmp_path / "v1.toml", RESEARCHER, **TRAINING)
    enrolment.join(
        enrolment.check_offer(v1.read_bytes()),
        {"read": True, "agree": True},
        purposes={"analysis": True, TRAIN: True},
    )
    dlg = _join_dialog(qtbot, tasks)
    v2 = tmp_path / "v2.toml"
    body = current_body(**TRAINING, **{"version = 1 ": "version = 2 "}).decode()
    body += '\n[[purposes]]\nid = "dataset-release"\ntitle = "A public data set"\n'
    body += 'description = "Published for anyone."\nrequired = false\n'
    v2.write_bytes(signing.sign(body.encode(), RESEARCHER))
    _drop(dlg, v2)
    qtbot.waitUntil(lambda: dlg.join_button.isVisible(), timeout=10000)
    # allowed before, yet unticked: a carried "yes" would come from a file a hand can edit
    assert not dlg.purposes[TRAIN].isChecked()
    assert not dlg.purposes["dataset-release"].isChecked()  # never seen: never ticked
    assert "dataset-release" in dlg.purpose_changes.text()
    assert not dlg.purpose_changes.isHidden()
