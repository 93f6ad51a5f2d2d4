"""Settings → This computer: the login entry (a real autostart file) and deleting all data."""

from __future__ import annotations

import pytest

from tallylight import paths
from tallylight import settings as settings_mod

AUTOSTART = "autostart/org.tallylight.Tallylight.desktop"


@pytest.fixture
def dialog(qapp, qtbot, xserver, tallylight_home, tmp_path, monkeypatch):
    from tallylight.ui.dialogs.settings import SettingsDialog
    from tallylight.ui.tasks import TaskRunner

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    tasks = TaskRunner()

    def make(current: settings_mod.Settings, recording: bool = False) -> SettingsDialog:
        dlg = SettingsDialog(current, tasks, recording=lambda: recording)
        qtbot.addWidget(dlg)
        dlg.show()
        return dlg

    return make


def test_start_at_login_is_off_by_default_and_writes_then_removes_the_entry(dialog, qtbot, tmp_path) -> None:
    entry = tmp_path / "xdg" / AUTOSTART
    dlg = dialog(settings_mod.Settings())
    assert not dlg.login.isChecked()
    dlg.login.click()
    assert dlg.login.isChecked()
    with qtbot.waitSignal(dlg.saved, timeout=10000) as saved:
        dlg.buttons.button(dlg.buttons.StandardButton.Save).click()
    assert saved.args[0].start_at_login
    assert entry.is_file()
    assert settings_mod.load().start_at_login

    dlg = dialog(settings_mod.load())
    assert dlg.login.isChecked()
    dlg.login.click()
    with qtbot.waitSignal(dlg.saved, timeout=10000):
        dlg.buttons.button(dlg.buttons.StandardButton.Save).click()
    assert not entry.exists()


def test_delete_all_data_asks_then_shreds_everything(dialog, qtbot, unlocked, tmp_path) -> None:
    (paths.data_dir() / "sessions" / "s1").mkdir(parents=True)
    (paths.data_dir() / "sessions" / "s1" / "seg-000001.tls").write_bytes(b"x" * 100)
    settings_mod.save(settings_mod.Settings(start_at_login=True))
    (tmp_path / "xdg" / "autostart").mkdir(parents=True)
    (tmp_path / "xdg" / AUTOSTART).write_text("[Desktop Entry]\n")
    dlg = dialog(settings_mod.load())
    dlg.erase_button.click()
    box = dlg.erase_box
    assert box is not None
    assert box.isVisible()
    box.button(box.StandardButton.Cancel).click()  # asked first: cancel keeps everything
    assert (paths.data_dir() / "sessions" / "s1").exists()
    dlg.erase_button.click()
    box = dlg.erase_box
    assert box is not None
    delete = next(b for b in box.buttons() if "Delete everything" in b.text())
    with qtbot.waitSignal(dlg.erased, timeout=20000):
        delete.click()
    assert not paths.data_dir().exists()
    assert not paths.config_dir().exists()
    assert not (tmp_path / "xdg" / AUTOSTART).exists()
    assert "deleted" in dlg.error_label.text()


def test_delete_all_data_is_refused_while_recording(dialog) -> None:
    dlg = dialog(settings_mod.Settings(), recording=True)
    dlg.erase_button.click()
    assert dlg.erase_box is None
    assert "Stop the session first" in dlg.error_label.text()
