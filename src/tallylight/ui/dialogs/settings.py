"""Settings: what sessions capture by default, limits, pause hotkey, private apps."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from tallylight import settings as settings_mod
from tallylight import words
from tallylight.i18n import _
from tallylight.options import CaptureOptions, KeyMode
from tallylight.ui.capture_form import CaptureOptionsForm
from tallylight.ui.fit import fit_on_show, scroll_body
from tallylight.ui.hotkey_field import HotkeyField
from tallylight.ui.tasks import TaskRunner, quietly


class SettingsDialog(QDialog):
    saved = Signal(object)  # the new Settings, emitted on the main thread after the file is written
    erased = Signal()  # "Delete all my Tallylight data" is done: nothing of it is left

    def __init__(
        self,
        current: settings_mod.Settings,
        tasks: TaskRunner,
        parent: QWidget | None = None,
        recording: Callable[[], bool] = lambda: False,
    ) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.recording = recording  # data cannot be deleted while a session records
        self.current = current
        self.setWindowTitle(_("Tallylight settings"))
        self.setAccessibleName(_("Settings"))

        capture = self._capture_group(current)
        limits = self._limits_group(current)
        hot = self._hotkey_group(current)
        private = self._private_group(current)
        computer = self._computer_group(current)
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        self.tabs = self._tabs(
            (
                (_("&Capture"), (capture,)),
                (_("&Limits && hotkey"), (limits, hot)),
                (_("&Private apps"), (private,)),
                (_("&This computer"), (computer,)),
            )
        )
        when = QLabel(_("Changes apply from the next session you start (reminders at once)."))
        when.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(when)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        fit_on_show(self)

        self._validate()  # a stored hotkey that cannot work is said at once
        from tallylight.capture.focus import focus_support, open_apps

        self.tasks.run(open_apps, self._show_open_apps, quietly("listing the open applications"))

        self.tasks.run(
            focus_support, self._show_focus_support, lambda exc: self._show_focus_support((False, str(exc)))
        )

    def _capture_group(self, current: settings_mod.Settings) -> QGroupBox:
        """What sessions may capture: the ceiling the start dialog and the recorder narrow to."""
        capture = QGroupBox(_("What sessions capture (the start dialog can only narrow this)"))
        self.capture_form = CaptureOptionsForm(
            _("Keyboard capture"),
            {"mouse_moves": _("Mouse &movements"), "clicks": _("Mouse &clicks"), "scrolls": _("Scro&lling")},
            explain=True,
            parent=self,
        )
        self.capture_form.offer(CaptureOptions(keys=KeyMode.FULL))  # Settings is the ceiling: all of it
        self.capture_form.show_options(current.capture)
        self.keys = self.capture_form.keys
        self.moves, self.clicks, self.scrolls = self.capture_form.boxes.values()
        self.keys_help = QLabel()
        self.keys_help.setWordWrap(True)
        cform = QFormLayout(capture)
        keys_label = QLabel(_("&Keyboard:"))
        keys_label.setBuddy(self.keys)
        cform.addRow(keys_label, self.keys)
        cform.addRow("", self.keys_help)
        cform.addRow("", self.moves)
        cform.addRow("", self.clicks)
        cform.addRow("", self.scrolls)
        self.keys.currentIndexChanged.connect(self._update_keys_help)
        self._update_keys_help()
        return capture

    def _limits_group(self, current: settings_mod.Settings) -> QGroupBox:
        """Maximum length, idle stop and reminders, in minutes (0 = never)."""
        limits = QGroupBox(_("Limits and reminders"))
        self.max_duration = self._minutes_box(_("Maximum session length"), current.max_duration_min, 24 * 60)
        self.idle_timeout = self._minutes_box(_("Stop after no input for"), current.idle_timeout_min, 24 * 60)
        self.reminder = self._minutes_box(_("Remind me every"), current.reminder_every_min, 24 * 60)
        lform = QFormLayout(limits)
        for text, spin in (
            (_("Maximum session &length:"), self.max_duration),
            (_("Stop after no &input for:"), self.idle_timeout),
            (_("&Remind me every:"), self.reminder),
        ):
            label = QLabel(text)
            label.setBuddy(spin)
            lform.addRow(label, spin)
        return limits

    def _hotkey_group(self, current: settings_mod.Settings) -> QGroupBox:
        """The pause hotkey: pressed, not typed; read by the one hotkey parser (capture.hotkey)."""
        hot = QGroupBox(_("Pause hotkey"))
        self.hotkey = HotkeyField(current.pause_hotkey)
        hform = QFormLayout(hot)
        hot_label = QLabel(_("&Hotkey:"))
        hot_label.setBuddy(self.hotkey.edit)
        hform.addRow(hot_label, self.hotkey)
        self.hotkey.changed.connect(self._validate)
        return hot

    def _private_group(self, current: settings_mod.Settings) -> QGroupBox:
        """Private apps: capture pauses while one of them has focus."""
        private = QGroupBox(_("Private apps (capture pauses while one of them has focus)"))
        self.focus_note = QLabel(_("Checking whether Tallylight can tell which app has focus…"))
        self.focus_note.setObjectName("focusNote")
        self.focus_note.setWordWrap(True)
        self.focus_note.setAccessibleDescription(_("Whether private apps can pause capture here"))
        self.apps = QListWidget()
        self.apps.setAccessibleName(_("Private apps"))
        self.apps.addItems(current.private_apps)
        # chosen from the apps with a window open now, or typed
        self.app_choice = QComboBox()
        self.app_choice.setEditable(True)
        self.app_choice.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.app_choice.setAccessibleName(_("App to add"))
        self.app_choice.setAccessibleDescription(_("Choose one of the apps open now, or type an app's name"))
        edit = self.app_choice.lineEdit()
        assert edit is not None  # an editable combo box always has one
        self.new_app = edit
        self.new_app.setAccessibleName(_("App to add"))
        self.new_app.setPlaceholderText(_("Choose an open app, or type its name (e.g. KeePassXC)"))
        app_label = QLabel("A&pp:")
        app_label.setBuddy(self.app_choice)
        self.add_app = QPushButton(_("&Add"))
        self.add_app.setAccessibleName(_("Add private app"))
        self.remove_app = QPushButton(_("Remo&ve selected"))
        self.remove_app.setAccessibleName(_("Remove selected private app"))
        self.add_app.clicked.connect(self._add_app)
        self.new_app.returnPressed.connect(self._add_app)
        self.remove_app.clicked.connect(self._remove_app)
        row = QHBoxLayout()  # the app's name on a row of its own: its hint is never cut
        row.addWidget(app_label)
        row.addWidget(self.app_choice, 1)
        self.app_choice.setMinimumContentsLength(len(self.new_app.placeholderText()))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_app)
        buttons.addWidget(self.remove_app)
        pl = QVBoxLayout(private)
        pl.addWidget(self.focus_note)
        pl.addWidget(self.apps)
        pl.addLayout(row)
        pl.addLayout(buttons)
        note = QLabel(
            _(
                "While a private app has focus, the session records only that there was a gap — "
                "never which app."
            )
        )
        note.setWordWrap(True)
        pl.addWidget(note)
        return private

    def _computer_group(self, current: settings_mod.Settings) -> QGroupBox:
        group = QGroupBox(_("This computer"))
        column = QVBoxLayout(group)
        self.login = QCheckBox(_("&Start Tallylight when I log in (only its light: it starts no session)"))
        self.login.setChecked(current.start_at_login)
        column.addWidget(self.login)
        self.erase_button = QPushButton(_("&Delete all my Tallylight data…"))
        self.erase_button.clicked.connect(self.ask_erase)
        note = QLabel(
            _(
                "Deletes every recorded session, your key vault, your studies and these settings from "
                "this computer, so that uninstalling Tallylight leaves nothing behind. It cannot be undone."
            )
        )
        note.setWordWrap(True)
        column.addWidget(self.erase_button)
        column.addWidget(note)
        self.erase_box: QMessageBox | None = None
        return group

    @Slot()
    def ask_erase(self) -> None:
        """Ask first; then shred everything in a worker (never while a session records)."""
        if self.recording():
            self.error_label.setText(_("Stop the session first: data cannot be deleted while it records."))
            self.error_label.show()
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            _("Delete all my Tallylight data"),
            _(
                "Delete every recorded session, your key vault, your studies and your settings from this "
                "computer? Nothing that was already shared is affected. This cannot be undone."
            ),
            QMessageBox.StandardButton.Cancel,
            self,
        )
        delete = box.addButton(_("Delete everything"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        delete.clicked.connect(self._erase)
        self.erase_box = box
        box.open()

    @Slot()
    def _erase(self) -> None:
        from tallylight.autostart import LoginEntry
        from tallylight.store.erase import erase_all

        self.erase_button.setEnabled(False)

        def work() -> int:
            LoginEntry().set_enabled(False)
            return erase_all()

        def done(_count: object) -> None:
            self.error_label.setText(_("All your Tallylight data was deleted."))
            self.error_label.show()
            self.erased.emit()

        def failed(exc: BaseException) -> None:
            self.erase_button.setEnabled(True)
            self.error_label.setText(_("Could not delete everything: {exc}").format(exc=exc))
            self.error_label.show()

        self.tasks.run(work, done, failed)

    def _tabs(self, pages: tuple[tuple[str, tuple[QGroupBox, ...]], ...]) -> QTabWidget:
        """One scrollable tab per page, so the dialog fits small screens at 200% scaling."""
        tabs = QTabWidget()
        tabs.setAccessibleName(_("Settings sections"))
        # every section's tab in sight: scroll arrows hid tabs in long languages
        tabs.setUsesScrollButtons(False)
        for title, groups in pages:
            page = QWidget()
            column = QVBoxLayout(page)
            for g in groups:
                column.addWidget(g)
            column.addStretch(1)
            # a scroll area whose size hint is its page's: nothing scrolls where the screen has room
            tabs.addTab(scroll_body(page), title)
        return tabs

    def _minutes_box(self, name: str, value: int, maximum: int) -> QSpinBox:
        box = QSpinBox()
        box.setRange(0, maximum)
        box.setSuffix(_(" min"))
        box.setSpecialValueText(_("never"))
        box.setValue(value)
        box.setAccessibleName(name + _(" (minutes, 0 = never)"))
        return box

    def _show_open_apps(self, names: list[str]) -> None:
        try:
            typed = self.new_app.text()
            self.app_choice.clear()
            self.app_choice.addItems(names)
            self.new_app.setText(typed)
        except RuntimeError:  # dialog already gone
            pass

    def _show_focus_support(self, result: tuple[bool, str]) -> None:
        ok, text = result
        try:
            self.focus_note.setText(text)
        except RuntimeError:  # dialog already gone
            return
        self.focus_support = ok

    @Slot()
    def _update_keys_help(self) -> None:
        mode = self.keys.currentData()
        text = _("Keyboard: {keys}.").format(keys=words.key_mode(mode).plain)
        if mode == "full":
            text += " " + _(words.FULL_KEYS_WARNING)
        self.keys_help.setText(text)

    @Slot()
    def _add_app(self) -> None:
        name = self.new_app.text().strip()
        existing = {self.apps.item(i).text().lower() for i in range(self.apps.count())}
        if name and name.lower() not in existing:
            self.apps.addItem(name)
        self.new_app.clear()

    @Slot()
    def _remove_app(self) -> None:
        for item in self.apps.selectedItems():
            self.apps.takeItem(self.apps.row(item))

    @Slot()
    def _validate(self) -> bool:
        problem = self.hotkey.problem()
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setEnabled(not problem)
        if problem:
            self.error_label.setText(problem)
            self.error_label.show()
        else:
            self.error_label.hide()
        return not problem

    def value(self) -> settings_mod.Settings:
        s = settings_mod.Settings.from_dict(self.current.to_dict())
        s.capture = self.capture_form.options(s.capture)
        s.max_duration_min = self.max_duration.value()
        s.idle_timeout_min = self.idle_timeout.value()
        s.reminder_every_min = self.reminder.value()
        s.pause_hotkey = self.hotkey.spec()
        s.private_apps = [self.apps.item(i).text() for i in range(self.apps.count())]
        s.start_at_login = self.login.isChecked()
        return s

    @Slot()
    def save(self) -> None:
        if not self._validate():
            return
        new = self.value()
        self.buttons.setEnabled(False)

        def done(_path: object) -> None:
            self.saved.emit(new)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.buttons.setEnabled(True)
            self.error_label.setText(_("Could not save the settings: {exc}").format(exc=exc))
            self.error_label.show()

        def work() -> object:
            from tallylight.autostart import LoginEntry

            path = settings_mod.save(new)
            if new.start_at_login != self.current.start_at_login or new.start_at_login:
                LoginEntry().set_enabled(new.start_at_login)  # (rewritten: the app may have moved)
            return path

        self.tasks.run(work, done, failed)
