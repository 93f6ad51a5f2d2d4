"""A session that records only the task window (no global capture here) says so to the participant."""

from __future__ import annotations

import pytest

from tallylight import settings as settings_mod
from tallylight.i18n import _
from tallylight.words import WINDOW_TASKS_ONLY

pytestmark = pytest.mark.x11


@pytest.mark.parametrize("window_only", [True, False])
def test_the_main_window_says_when_only_study_tasks_are_recorded(
    make_app, fake_recorder, qtbot, monkeypatch, window_only
):
    if window_only:
        monkeypatch.setenv("FAKE_RECORDER_WINDOW_ONLY", "1")
    app = make_app(use_tray=False)
    app.controller.apply_settings(settings_mod.Settings(reminder_every_min=0))
    said = []
    app.controller.notify.connect(lambda _title, message: said.append(message))
    app.controller.start_session()
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=8000)
    if window_only:
        qtbot.waitUntil(lambda: "typing and pointing tasks" in app.window.message_label.text(), timeout=5000)
        assert _(WINDOW_TASKS_ONLY) in said
    else:
        qtbot.waitUntil(lambda: app.controller.session_id == "fake-session", timeout=5000)
        assert _(WINDOW_TASKS_ONLY) not in said
    app.controller.stop()
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=8000)
