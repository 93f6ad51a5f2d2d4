"""Every control has an accessible name (or a visible text / buddy label) and takes keyboard focus."""

from __future__ import annotations

from tallylight import settings as settings_mod


def _unnamed(root) -> list[str]:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QAbstractSpinBox,
        QComboBox,
        QLabel,
        QLineEdit,
    )

    buddies = {id(lbl.buddy()) for lbl in root.findChildren(QLabel) if lbl.buddy() is not None}
    bad = []
    found = []
    for cls in (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractItemView):
        found += [w for w in root.findChildren(cls) if w not in found]
    for w in found:
        if w.parent() is not None and type(w.parent()).__name__ in (
            "QComboBox",
            "QAbstractSpinBox",
            "QSpinBox",
        ):
            continue  # a composite control's internals
        if type(w).__name__ == "QHeaderView":
            continue  # part of its table, which is named
        if not w.isVisibleTo(root):
            continue
        text = w.text() if isinstance(w, QAbstractButton) else ""
        if not (w.accessibleName() or text.replace("&", "").strip() or id(w) in buddies):
            bad.append(f"{type(w).__name__} {w.objectName()!r}")
        if w.isEnabled() and w.focusPolicy() == Qt.FocusPolicy.NoFocus:
            bad.append(f"{type(w).__name__} {w.objectName()!r} cannot take keyboard focus")
    return bad


def test_all_windows_are_named_and_keyboard_reachable(make_app, fake_recorder, qtbot):
    from tallylight.ui.dialogs.sessions import SessionsDialog
    from tallylight.ui.dialogs.settings import SettingsDialog
    from tallylight.ui.dialogs.start_session import StartSessionDialog
    from tallylight.ui.dialogs.welcome import WelcomeDialog

    app = make_app(use_tray=False)
    widgets = {
        "fallback": app.window,
        "start": StartSessionDialog(settings_mod.Settings()),
        "settings": SettingsDialog(settings_mod.Settings(), app.tasks),
        "welcome": WelcomeDialog(app.tasks),
        "sessions": SessionsDialog(app.tasks),
    }
    problems = {}
    for name, w in widgets.items():
        if name != "fallback":
            qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        assert w.accessibleName(), name
        bad = _unnamed(w)
        if bad:
            problems[name] = bad
    widgets["welcome"].next_button.click()
    bad = _unnamed(widgets["welcome"])
    if bad:
        problems["welcome page 2"] = bad
    assert not problems, problems
