"""macOS Input Monitoring window: real widgets, the OS faked at its one seam."""

from __future__ import annotations

from tallylight.capture.permission import PermissionFlow
from test_first_run_os import FakeMac


def test_macos_window_opens_settings_and_closes_once_allowed(qapp, qtbot, xserver) -> None:
    from PySide6.QtCore import Qt

    from tallylight.ui.dialogs.input_monitoring import InputMonitoringDialog

    mac = FakeMac(granted=False)
    flow = PermissionFlow(mac)
    dlg = InputMonitoringDialog(flow)
    qtbot.addWidget(dlg)
    dlg.show()
    assert "nothing outside a session" in dlg.text.text()
    qtbot.mouseClick(dlg.open_button, Qt.MouseButton.LeftButton)
    assert mac.calls == ["request", "open"]
    qapp.applicationStateChanged.emit(Qt.ApplicationState.ApplicationActive)  # back, still off
    assert dlg.isVisible() and "cannot start" in dlg.status.text()  # noqa: PT018
    mac.granted = True
    with qtbot.waitSignal(dlg.granted, timeout=2000):
        qapp.applicationStateChanged.emit(Qt.ApplicationState.ApplicationActive)
    assert not dlg.isVisible()
