"""Start session: what will be captured, in plain words; toggles can only narrow."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from tallylight import words
from tallylight.capture.hotkey import human_hotkey
from tallylight.i18n import _
from tallylight.options import CaptureOptions, narrow
from tallylight.settings import Settings
from tallylight.ui.capture_form import CaptureOptionsForm
from tallylight.ui.fit import fit_on_show, scroll_body

#: how long a released Enter waits for the press that would show it was an auto-repeat
ENTER_SETTLE_MS = 100


def _apps(settings: Settings) -> str:
    apps = list(settings.private_apps)
    return apps[0] if len(apps) == 1 else ", ".join(apps[:-1]) + " or " + apps[-1]


class StartSessionDialog(QDialog):
    def __init__(
        self, settings: Settings, parent: QWidget | None = None, *, focus: tuple[bool, str] | None = None
    ) -> None:
        """``focus``: ``capture.focus.focus_support()`` (found off the GUI thread), so the
        dialog says before Start whether private apps really pause capture here."""
        super().__init__(parent)
        self.settings = settings
        self.focus_known = focus[0] if focus is not None else None
        self.setWindowTitle(_("Start a Tallylight session"))
        self.setAccessibleName(_("Start session"))

        intro = QLabel(
            _(
                "<b>This session will capture:</b> only while the tally light shows recording, "
                "and only what is ticked below. You can pause or stop at any time."
            )
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        self._build_capture_form()
        self._build_study_and_label()
        form = self._form()
        self._build_summary()
        self._build_buttons()
        self._lay_out(intro, form)

        self.capture_form.changed.connect(self._update_summary)
        self.study.currentIndexChanged.connect(self._apply_study_ceiling)
        self._update_summary()
        self.start_button.setFocus()

    def _build_capture_form(self) -> None:
        """The kinds of capture, offered only as far as Settings allow them."""
        allowed = self.settings.capture
        plain = {"mouse_moves": _("Mouse movements"), "clicks": _("Mouse clicks"), "scrolls": _("Scrolling")}
        self.capture_form = CaptureOptionsForm(
            _("Keyboard capture"),
            {  # a kind turned off in Settings says so, and cannot be widened here
                name: text
                if getattr(allowed, name)
                else _("{text} (turned off in Settings)").format(text=text)
                for name, text in plain.items()
            },
            names=plain,
            parent=self,
        )
        self.capture_form.show_options(allowed)
        self.capture_form.offer(allowed)
        self.keys = self.capture_form.keys
        self.moves, self.clicks, self.scrolls = self.capture_form.boxes.values()

    def _build_study_and_label(self) -> None:
        """A joined study (set_studies fills it from a worker; its ceiling can only narrow) and a label."""
        self.study = QComboBox()
        self.study.setAccessibleName(_("Record for a study"))
        self.study.addItem(_("Personal (no study: nothing is shared)"), "")
        self._study_ceilings: dict[str, dict[str, Any]] = {}
        self.study_label = QLabel(_("St&udy:"))
        self.study_label.setBuddy(self.study)

        self.label = QLineEdit()
        self.label.setAccessibleName(_("Session label (optional)"))
        self.label.setPlaceholderText(_("e.g. “morning typing task” (optional)"))
        self.label.setMaxLength(200)

    def _form(self) -> QFormLayout:
        """The fields in their rows; the study's row shows once a study is joined."""
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        keys_label = QLabel(_("&Keyboard:"))
        keys_label.setBuddy(self.keys)
        form.addRow(keys_label, self.keys)
        form.addRow("", self.moves)
        form.addRow("", self.clicks)
        form.addRow("", self.scrolls)
        form.addRow(self.study_label, self.study)
        self.study_label.setVisible(False)
        self.study.setVisible(False)
        label_label = QLabel(_("&Label:"))
        label_label.setBuddy(self.label)
        form.addRow(label_label, self.label)
        return form

    def _build_summary(self) -> None:
        """What will be captured and the session's limits, in sentences."""
        self.summary = QLabel()
        self.summary.setObjectName("captureSummary")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleDescription(_("What will be captured"))
        self.summary.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard | Qt.TextInteractionFlag.TextSelectableByMouse
        )

        self._study_limits: dict[str, tuple[float, float]] = {}  # study id -> (max, idle) seconds
        limits = QLabel(self._limits_text())
        self.limits = limits
        limits.setWordWrap(True)
        limits.setAccessibleDescription(_("Limits"))

    def _build_buttons(self) -> None:
        """Start and Cancel; Enter starts only on a fresh press, never on auto-repeat."""
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = self.buttons.addButton(
            _("&Start recording"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.start_button.setAccessibleName(_("Start recording"))
        # Enter is handled by keyPressEvent (Start from every field, only on a fresh press),
        # never by Qt's moving "default button", which made Cancel the default.
        for button in (self.start_button, self.cancel_button):
            button.setAutoDefault(False)
            button.installEventFilter(self)  # a default button would click on auto-repeat
        self._enter_armed = False  # a fresh Enter press was seen while visible
        self._enter_released_at = -1
        self._enter_timer = QTimer(self)
        self._enter_timer.setSingleShot(True)
        self._enter_timer.setInterval(ENTER_SETTLE_MS)
        self._enter_timer.timeout.connect(self._on_enter)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def _lay_out(self, intro: QLabel, form: QFormLayout) -> None:
        """Everything but the buttons scrolls on a small screen."""
        body = QWidget()
        bl = QVBoxLayout(body)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(intro)
        bl.addLayout(form)
        bl.addWidget(self.summary)
        bl.addWidget(self.limits)
        bl.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll_body(body), 1)  # scrolls on a small screen; the buttons never do
        layout.addWidget(self.buttons)
        fit_on_show(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The buttons would act on Enter themselves (a default button even on auto-repeat).
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) and _is_enter(event):
            self.event(event)
            return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter means Start from every field (Cancel only when Cancel has focus); Escape cancels.

        Enter acts when it is released, and only after a fresh press made while this
        dialog is visible that did not auto-repeat: a held key (the Enter that opened
        the dialog from a menu, still down; a tremor; a sticky key) never starts a session.
        Auto-repeat is recognised by Qt's flag and also by a press stamped at the same
        server time as the release before it (the X server sends repeats as such pairs,
        and Qt does not always flag them).
        """
        if not _is_enter(event):
            super().keyPressEvent(event)
            return
        event.accept()
        if event.isAutoRepeat() or event.timestamp() == self._enter_released_at:
            self._enter_armed = False  # held down: not a deliberate press
            self._enter_timer.stop()
        else:
            self._enter_armed = self.isVisible()

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if not _is_enter(event):
            super().keyReleaseEvent(event)
            return
        event.accept()
        self._enter_released_at = event.timestamp()
        if event.isAutoRepeat() or not self._enter_armed:
            self._enter_armed = False
            return
        self._enter_timer.start()  # acts unless a press at the same time shows this was a repeat

    @Slot()
    def _on_enter(self) -> None:
        if not self._enter_armed or not self.isVisible():
            return
        self._enter_armed = False
        if self.focusWidget() is self.cancel_button:
            self.reject()
        elif self.start_button.isEnabled():
            self.accept()

    def session_limits(self) -> tuple[int, int]:
        """The limits this session will have, in minutes (0 = none): Settings', or the stricter of
        Settings' and the chosen study's, as the recorder applies them."""
        from tallylight.study.enrolment import tighter

        s = self.settings
        study = self._study_limits.get(self.study_id()) if hasattr(self, "study") else None
        if study is None:
            return s.max_duration_min, s.idle_timeout_min
        max_s = tighter(study[0], s.max_duration_min * 60.0)
        idle_s = tighter(study[1], s.idle_timeout_min * 60.0)
        return round(max_s / 60), round(idle_s / 60)

    def _limits_text(self) -> str:
        s = self.settings
        limit, idle = self.session_limits()
        if idle > 0:
            parts = [
                _("Stops by itself after {limit} or after {idle} without input.").format(
                    limit=words.minutes(limit), idle=words.minutes(idle)
                )
            ]
        else:
            parts = [_("Stops by itself after {limit}.").format(limit=words.minutes(limit))]
        if s.reminder_every_min > 0:
            parts.append(
                _("A reminder appears every {every}.").format(every=words.minutes(s.reminder_every_min))
            )
        if s.pause_hotkey:
            parts.append(
                _("Pause or resume at any time with {hotkey} (that key press is not recorded).").format(
                    hotkey=human_hotkey(s.pause_hotkey)
                )
            )
        if s.private_apps and self.focus_known:
            parts.append(
                _("Capture pauses by itself while one of these apps is in front: {apps}.").format(
                    apps=_apps(s)
                )
            )
        elif s.private_apps and self.focus_known is False:
            if s.pause_hotkey:
                text = _(
                    "Tallylight cannot tell which app is in front here, so it will not pause by itself in "
                    "{apps}: pause with {hotkey} or from the Tallylight menu while you use them."
                )
            else:
                text = _(
                    "Tallylight cannot tell which app is in front here, so it will not pause by itself in "
                    "{apps}: pause from the Tallylight menu while you use them."
                )
            parts.append(text.format(apps=_apps(s), hotkey=human_hotkey(s.pause_hotkey)))
        return " ".join(parts)

    def focus_caveat_said(self) -> bool:
        """True if this dialog said that private apps cannot pause capture here."""
        return bool(self.settings.private_apps) and self.focus_known is False

    def options(self) -> CaptureOptions:
        """What this session will capture: the choices here, within Settings and the study."""
        return self.capture_form.options(self.settings.capture, self._allowed())

    def _allowed(self) -> CaptureOptions:
        """The widest this session may capture: Settings, narrowed by the chosen study's ceiling
        (which the recorder applies too, reading the consent itself: shown here honestly)."""
        ceiling = self._study_ceilings.get(self.study_id())
        mine = self.settings.capture
        return mine if ceiling is None else narrow(CaptureOptions.from_dict(ceiling), mine)

    def set_studies(self, studies: list[tuple[Any, ...]]) -> None:
        """Offer the joined studies a session can be recorded for now: (id, title, ceiling), and
        the study's limits in seconds (maximum length, idle stop) where known."""
        for study_id, title, ceiling, *limits in studies:
            self._study_ceilings[study_id] = ceiling
            if len(limits) == 2:
                self._study_limits[study_id] = (float(limits[0]), float(limits[1]))
            self.study.addItem(_("Study: {title}").format(title=title), study_id)
        self.study_label.setVisible(bool(studies))
        self.study.setVisible(bool(studies))
        self._update_summary()

    def study_id(self) -> str:
        return str(self.study.currentData() or "")

    @Slot()
    def _apply_study_ceiling(self) -> None:
        """Offer only what the chosen study allows (the settings' ceiling for a personal session)."""
        self.capture_form.offer(self._allowed())
        self.limits.setText(self._limits_text())  # a study's own limits, if stricter
        self._update_summary()

    def session_label(self) -> str:
        return self.label.text().strip()

    @Slot()
    def _update_summary(self) -> None:
        self.summary.setText("\n".join("• " + line for line in words.describe_capture(self.options())))


def _is_enter(event: QEvent) -> bool:
    return (
        isinstance(event, QKeyEvent)
        and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        and not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
    )
