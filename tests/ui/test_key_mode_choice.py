"""The one key-mode choice of Settings, Start and Join: only modes up to the ceiling, choice kept."""

from __future__ import annotations

from tallylight.options import KeyMode
from tallylight.ui.capture_form import KeyModeChoice


def _offered(box: KeyModeChoice) -> list[str]:
    return [box.itemData(i) for i in range(box.count())]


def test_offers_only_up_to_the_ceiling_and_keeps_a_choice_still_offered(qapp) -> None:
    box = KeyModeChoice("Keyboard capture")
    box.offer(KeyMode.FULL)
    assert _offered(box) == ["none", "class", "hashed", "full"]
    assert box.mode() is KeyMode.FULL  # the widest offered at first
    box.select(KeyMode.CLASS)
    box.offer(KeyMode.HASHED)  # a study narrows: the choice stays
    assert _offered(box) == ["none", "class", "hashed"]
    assert box.mode() is KeyMode.CLASS
    box.offer(KeyMode.NONE)
    assert box.mode() is KeyMode.NONE
    box.offer(KeyMode.HASHED, keep=False)  # Join: a new study starts at what it asks for
    assert box.mode() is KeyMode.HASHED
    assert box.accessibleName() == "Keyboard capture"


def test_settings_explain_each_mode(qapp) -> None:
    from PySide6.QtCore import Qt

    box = KeyModeChoice("Keyboard capture", explain=True)
    box.offer(KeyMode.FULL)
    tip = box.itemData(box.findData("class"), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Keyboard: ")
    assert "never which letter" in tip


def _form():
    from tallylight.ui.capture_form import CaptureOptionsForm

    return CaptureOptionsForm(
        "Keyboard capture",
        {"mouse_moves": "Mouse &movements", "clicks": "Mouse clicks", "scrolls": "Scrolling"},
    )


def test_the_form_offers_up_to_a_ceiling_and_ticks_a_stream_allowed_again(qapp) -> None:
    from tallylight.options import CaptureOptions

    form = _form()
    wide = CaptureOptions(keys=KeyMode.FULL)
    form.show_options(wide)
    form.offer(wide)
    narrow = CaptureOptions(keys=KeyMode.CLASS, mouse_moves=False, scrolls=False)
    form.offer(narrow)  # a study's ceiling: what it does not allow is off and cannot be ticked
    assert _offered(form.keys) == ["none", "class"]
    assert [(b.isChecked(), b.isEnabled()) for b in form.boxes.values()] == [
        (False, False),
        (True, True),
        (False, False),
    ]
    assert form.options(CaptureOptions(move_min_interval_ms=8.0)) == CaptureOptions(
        keys=KeyMode.CLASS, mouse_moves=False, move_min_interval_ms=8.0, scrolls=False
    )
    form.offer(wide)  # back to the wider choice: allowed again, ticked as at first
    assert [(b.isChecked(), b.isEnabled()) for b in form.boxes.values()] == [(True, True)] * 3
    assert form.boxes["mouse_moves"].accessibleName() == "Mouse movements"


def test_the_form_never_reads_back_wider_than_its_ceiling(qapp) -> None:
    from tallylight.options import CaptureOptions

    form = _form()
    form.offer(CaptureOptions(keys=KeyMode.FULL))
    form.show_options(CaptureOptions(keys=KeyMode.FULL))
    ceiling = CaptureOptions(keys=KeyMode.HASHED, clicks=False)
    assert form.options(CaptureOptions(), ceiling) == CaptureOptions(keys=KeyMode.HASHED, clicks=False)


def test_join_hides_what_a_study_does_not_ask_for_and_keeps_the_ticks(qapp) -> None:
    from tallylight.options import CaptureOptions

    form = _form()
    asked = CaptureOptions(keys=KeyMode.HASHED, scrolls=False)
    form.offer(asked, keep=False, hide=True)
    form.show_options(CaptureOptions(keys=KeyMode.CLASS, clicks=False))
    assert form.boxes["scrolls"].isHidden()
    assert not form.boxes["clicks"].isHidden()
    assert form.options(CaptureOptions(), asked) == CaptureOptions(
        keys=KeyMode.CLASS, clicks=False, scrolls=False
    )


def test_settings_start_and_join_share_the_one_form(qapp, qtbot, tallylight_home) -> None:
    from tallylight import settings as settings_mod
    from tallylight.ui.capture_form import CaptureOptionsForm
    from tallylight.ui.dialogs.settings import SettingsDialog
    from tallylight.ui.dialogs.start_session import StartSessionDialog
    from tallylight.ui.dialogs.studies import JoinStudyDialog
    from tallylight.ui.tasks import TaskRunner

    tasks = TaskRunner()
    try:
        for dlg in (
            SettingsDialog(settings_mod.Settings(), tasks),
            StartSessionDialog(settings_mod.Settings(), focus=(False, "")),
            JoinStudyDialog(tasks),
        ):
            qtbot.addWidget(dlg)
            assert isinstance(dlg.capture_form, CaptureOptionsForm), type(dlg).__name__
    finally:
        tasks.shutdown()
