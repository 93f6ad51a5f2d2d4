"""Qt fixtures for the UI tests: one QApplication on the shared Xvfb (xcb, not offscreen)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest_helpers import PASSPHRASE, settle

import helpers
from xserver import XServer

HERE = Path(__file__).resolve().parent
FAKE_RECORDER = HERE / "fake_recorder.py"


@pytest.fixture(scope="session")
def qapp(request: pytest.FixtureRequest):  # overrides pytest-qt's qapp
    """One QApplication: Qt's offscreen platform where ``QT_QPA_PLATFORM=offscreen`` (``make
    test-fast``: no X server), else the shared Xvfb through the real xcb platform.

    The X server is asked for only when it is used, so a test that needs nothing but
    widgets is not marked ``x11`` and runs offscreen in the fast lane; a test that needs
    the real X server asks for the ``xserver`` fixture (and is marked). The display is
    passed on Qt's command line rather than in os.environ, so tests outside tests/ui
    never see a DISPLAY they did not ask for.
    """
    from PySide6.QtWidgets import QApplication

    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        argv = [sys.argv[0], "-platform", "offscreen"]
    else:
        server: XServer = request.getfixturevalue("xserver_session")
        argv = [sys.argv[0], "-platform", "xcb", "-display", server.display]
    from tallylight.ui.gui_gc import collect_on_gui_thread

    app = QApplication.instance() or QApplication(argv)
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    # as in the app: a window in a cycle is freed on this thread, never in a worker (a test's
    # TaskRunner or appctl thread), which crashed Qt when it deleted a widget in use here
    collector = collect_on_gui_thread(app)
    helpers.gui_collectors.append(collector)
    yield app
    for w in app.topLevelWidgets():
        w.close()
    app.processEvents()
    helpers.gui_collectors.remove(collector)
    collector.stop()


@pytest.fixture
def fake_recorder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Make the app launch tests/ui/fake_recorder.py; returns its command log path."""
    log = tmp_path / "fake-recorder.log"
    monkeypatch.setenv("TALLYLIGHT_RECORDER_CMD", json.dumps([sys.executable, str(FAKE_RECORDER)]))
    monkeypatch.setenv("FAKE_RECORDER_LOG", str(log))
    return log


@pytest.fixture
def vault_ready(tallylight_home):
    """A vault (cheap KDF parameters) so sessions can be recorded and read."""
    from tallylight.store import vault
    from tallylight.store.crypto import KdfParams

    vault.create_vault(PASSPHRASE, params=KdfParams(iterations=1, lanes=1, memory_kib=64))
    return PASSPHRASE


@pytest.fixture
def make_app(qapp, qtbot, request: pytest.FixtureRequest, vault_ready) -> Iterator:
    """Build TallylightApp instances in-process; disposed after the test.

    On the X server (DISPLAY set for the recorders it starts) unless the app runs offscreen.
    """
    from tallylight.ui.app import TallylightApp

    if os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        request.getfixturevalue("xserver")

    made: list[TallylightApp] = []

    def make(**kwargs) -> TallylightApp:
        kwargs.setdefault("show_welcome", False)
        app = TallylightApp(qapp, **kwargs)
        made.append(app)
        return app

    yield make
    for app in made:
        app.dispose()
    settle()


@pytest.fixture
def tray_host(xserver, qtbot) -> Iterator[None]:
    """A real system tray (trayer) for the test; apps made after it use it."""
    from PySide6.QtWidgets import QSystemTrayIcon

    from xserver import trayer

    with trayer(xserver):
        qtbot.waitUntil(QSystemTrayIcon.isSystemTrayAvailable, timeout=5000)
        yield
