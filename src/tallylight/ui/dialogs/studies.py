"""Studies: join one (open or drop its manifest, check the signer, consent), see them, withdraw.

Reading, verifying and saving run in a worker (TaskRunner); every refusal is the
one-line reason from the study code, shown in the window. The consent screen is
generated from the manifest by ``study.presentation`` — the same sections the CLI
prints — and "Join study" is enabled only when every required box is ticked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tallylight import words
from tallylight.errors import TallylightError
from tallylight.i18n import _
from tallylight.options import CaptureOptions
from tallylight.share import withdrawal
from tallylight.study import enrolment, presentation
from tallylight.study.enrolment import Offer, Study
from tallylight.ui import data_watch
from tallylight.ui.capture_form import CaptureOptionsForm
from tallylight.ui.dialogs.consent_pages import ConsentPages, WrappedCheck
from tallylight.ui.fit import fit_on_show, fit_to_screen
from tallylight.ui.tasks import TaskRunner


def _message(exc: BaseException) -> str:
    if isinstance(exc, TallylightError):
        return str(exc)
    return _("Something went wrong ({kind}: {exc}). This is a bug in Tallylight.").format(
        kind=type(exc).__name__, exc=exc
    )


class _Pages(ConsentPages):
    """The consent pages ask for a comfortable reading size in lines of their own font (so it scales
    with it); the window never grows beyond the screen (fit.py), the scroll areas take the rest."""

    def sizeHint(self) -> QSize:
        fm = self.fontMetrics()
        return QSize(fm.averageCharWidth() * 72, fm.lineSpacing() * 20)


class JoinStudyDialog(QDialog):
    """Open a manifest (button or drag and drop), verify it, show the signer and the consent screen."""

    joined = Signal(str)  # study id

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.offer: Offer | None = None
        self.setWindowTitle(_("Join a study"))
        self.setAccessibleName(_("Join a study"))
        self.setAcceptDrops(True)
        fit_on_show(self)  # its content's size, never larger than the screen (200 % on 1280x720 too)

        self._build_intro()
        self._build_reading()
        self._build_consent_boxes()
        self._build_allow()
        self._build_buttons()
        self._lay_out()
        self._show_offer_widgets(False)

    def _build_intro(self) -> None:
        """How to open a study file, and why one was refused."""
        self.intro = QLabel(
            _(
                "Open the study file (a <b>.toml</b> manifest) the researchers gave you, or drop "
                "it on this window. Tallylight checks its signature and shows you exactly what "
                "the study asks for before you decide."
            )
        )
        self.intro.setWordWrap(True)
        self.open_button = QPushButton(_("&Open study file…"))
        self.open_button.setAccessibleName(_("Open study file"))
        self.open_button.clicked.connect(self.choose_file)

        self.problem = QLabel()
        self.problem.setObjectName("refusal")
        self.problem.setAccessibleDescription(_("Why this study file was refused"))
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #a40000; font-weight: bold;")
        self.problem.hide()

    def _build_reading(self) -> None:
        """The study's title, its signer and its pages; consent can be given only after reading."""
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setStyleSheet("font-size: 130%; font-weight: bold;")
        self.signer = QLabel()
        self.signer.setObjectName("signer")
        self.signer.setWordWrap(True)
        self.signer.setAccessibleDescription(_("Signer fingerprint"))
        self.signer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.signer.setStyleSheet("background: #fff6d5; padding: 6px; border: 1px solid #c8a800;")
        self.pages = _Pages()
        self.pages.setAccessibleName(_("Study information and consent"))
        self.pages.reached_end.connect(self._reached_end)
        # enabled once the last page was reached: consent is given after reading, never before
        self.have_read = QCheckBox(_("I have &read every page"))
        self.have_read.setObjectName("have-read")
        self.have_read.setEnabled(False)
        self.have_read.setToolTip(_("Turn to the last page first"))
        self.have_read.toggled.connect(self._update_join)

    def _build_consent_boxes(self) -> None:
        """The checkboxes the pages show: consent on the last page, one per purpose on its page."""
        self.consent_box = QWidget()  # the checkboxes, on the last page
        self.boxes_area = QVBoxLayout(self.consent_box)
        self.boxes_area.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        # one checkbox per purpose, on the purposes page: required ones ticked and fixed (saying no
        # to one is not joining), optional ones unticked, a new version included (Offer)
        self.purpose_box = QWidget()
        self.purpose_box.setObjectName("purposes")
        self.purposes_area = QVBoxLayout(self.purpose_box)
        self.purposes_area.setContentsMargins(0, 0, 0, 0)
        self.purpose_changes = QLabel()
        self.purpose_changes.setObjectName("purpose-changes")
        self.purpose_changes.setWordWrap(True)
        self.purpose_changes.setStyleSheet("font-weight: bold;")
        self.purposes_area.addWidget(self.purpose_changes)
        self.purposes: dict[str, QCheckBox] = {}

    def _build_allow(self) -> None:
        """What the participant allows: the manifest's streams, narrowed here if they wish."""
        # what the participant allows: the manifest's streams, narrowed here if they wish
        # the title is a wrapped label, not the group's own title, which never wraps (and was cut)
        self.allow = QGroupBox()
        self.allow.setAccessibleName(_("What you allow this study to record"))
        self.capture_form = CaptureOptionsForm(
            _("Keyboard you allow"),
            {"mouse_moves": _("Mouse movements"), "clicks": _("Mouse clicks"), "scrolls": _("Scrolling")},
            parent=self,
        )
        self.allow_keys = self.capture_form.keys
        self.allow_streams = self.capture_form.boxes
        allow_layout = QVBoxLayout(self.allow)  # one choice a line: fits a narrow window too
        allow_title = QLabel(_("What you allow this study to record (you can only allow less)"))
        allow_title.setWordWrap(True)
        allow_title.setStyleSheet("font-weight: bold;")
        allow_layout.addWidget(allow_title)
        keys_row = QHBoxLayout()
        keys_row.addWidget(QLabel(_("Keyboard:")))
        keys_row.addWidget(self.allow_keys, 1)
        allow_layout.addLayout(keys_row)
        for box in self.allow_streams.values():
            allow_layout.addWidget(box, 0, Qt.AlignmentFlag.AlignLeading)
        # a choice of its own, shown only for a study with a typing task (docs/TASKS.md)
        self.allow_typing_row = WrappedCheck(_(words.TYPING_CONSENT))
        self.allow_typing = self.allow_typing_row.box
        self.allow_typing.setObjectName("allow-typing-text")
        self.allow_typing_row.setVisible(False)

    def _build_buttons(self) -> None:
        """Join stays disabled until every page is read and the required boxes are ticked."""
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.join_button = self.buttons.addButton(_("&Join study"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.join_button.setAccessibleName(_("Join study"))
        self.join_button.setEnabled(False)
        self.join_button.setAutoDefault(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAutoDefault(False)
        self.join_button.clicked.connect(self.join)
        self.buttons.rejected.connect(self.reject)

    def _lay_out(self) -> None:
        """The opening row on top, the pages in the middle, the buttons below."""
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.intro, 1)
        top.addWidget(self.open_button)
        layout.addLayout(top)
        layout.addWidget(self.problem)
        layout.addWidget(self.heading)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.have_read, 0, Qt.AlignmentFlag.AlignLeading)
        layout.addWidget(self.buttons)

    # ---- opening -------------------------------------------------------
    @Slot()
    def choose_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Open a study manifest"), str(Path.home()), _("Study manifests (*.toml);;All files (*)")
        )
        if path:
            self.load(Path(path))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()
            self.load(Path(urls[0].toLocalFile()))

    def load(self, path: Path) -> None:
        """Read and verify ``path`` in a worker; then the consent screen or the reason it is refused."""
        self.offer = None
        self._show_offer_widgets(False)
        self.problem.hide()
        self.open_button.setEnabled(False)
        self.tasks.run(
            lambda: enrolment.check_offer(enrolment.read_manifest_file(path)), self._show_offer, self._refused
        )

    def _refused(self, exc: BaseException) -> None:
        self.open_button.setEnabled(True)
        self.problem.setText(_("This study file was refused: {message}").format(message=_message(exc)))
        self.problem.show()
        # grow to show the whole refusal (the first page is small), once the label is laid out
        QTimer.singleShot(0, self, self._grow_to_content)

    def _grow_to_content(self) -> None:
        """As tall as the content needs at this width (wrapped text included), never beyond the screen."""
        layout = self.layout()
        if layout is None or not self.isVisible():
            return
        layout.activate()
        need = (
            layout.totalHeightForWidth(self.width())
            if layout.hasHeightForWidth()
            else self.sizeHint().height()
        )
        if need > self.height():
            self.resize(self.width(), need)
            fit_to_screen(self)

    def _show_offer(self, offer: Offer) -> None:
        self.open_button.setEnabled(True)
        self.offer = offer
        m = offer.signed.manifest
        previous = offer.previous
        update = (
            _(" — a new version of a study you joined (you consented to version {version})").format(
                version=previous.study_version
            )
            if previous
            else ""
        )
        self.heading.setText(
            _("{title} (version {version}){update}").format(
                title=presentation.localise(m.title), version=m.version, update=update
            )
        )
        self.signer.setText(presentation.signer_line(offer.signed))
        for box in [*self.boxes.values(), *self.purposes.values()]:
            (box.parentWidget() or box).deleteLater()
        self.boxes = {}
        self.purposes = {}
        start_purposes = offer.start_purposes
        for p in m.purposes:
            line = presentation.purpose_line(p)
            row = WrappedCheck(line)
            box = row.box
            box.setObjectName(f"purpose-{p.id}")
            box.setAccessibleName(line)
            box.setChecked(start_purposes.get(p.id, False) or p.required)
            if p.required:  # part of joining: not joining is how to say no to it
                box.setEnabled(False)
                box.setToolTip(_("The study needs this; if you do not agree, do not join."))
            self.purposes_area.addWidget(row)
            self.purposes[p.id] = box
        changes = presentation.purpose_changes_text(m, *offer.purpose_changes())
        self.purpose_changes.setText(changes)
        self.purpose_changes.setVisible(bool(changes))
        for item in m.checkboxes:
            text = presentation.localise(item.text)
            row = WrappedCheck(
                (_("{text}  (required)") if item.required else _("{text}  (optional)")).format(text=text)
            )
            box = row.box
            box.setAccessibleName(text)
            box.setObjectName(f"consent-{item.id}")
            box.toggled.connect(self._update_join)
            self.boxes_area.addWidget(row)
            self.boxes[item.id] = box
        asked, start = m.capture, offer.start_capture  # a new version starts from the earlier narrowing
        # never offered what the study does not ask for; a new version starts from the earlier choice
        self.capture_form.offer(asked, keep=False, hide=True)
        self.capture_form.show_options(start)
        self.have_read.setChecked(False)
        self.have_read.setEnabled(False)
        self._show_offer_widgets(True)  # first: the first page's text takes the focus once shown
        self.pages.set_pages(
            presentation.consent_pages(offer.signed),
            {
                "who": [self.signer],
                "purposes": [self.purpose_box],
                "consent": [self.allow, self.allow_typing_row, self.consent_box],
            },
        )
        self.allow_typing.setChecked(False)  # never ticked for the participant
        self.allow_typing_row.setVisible(any(t.kind == "typing" for t in m.tasks))
        self._update_join()
        # grow to the consent page (the first page is small), up to the screen; once the new rows
        # and texts have been laid out (next event-loop turn)
        QTimer.singleShot(0, self, lambda: fit_to_screen(self) if self.isVisible() else None)

    def _show_offer_widgets(self, shown: bool) -> None:
        for widget in (self.heading, self.pages, self.have_read):
            widget.setVisible(shown)
        # once a study is open, its pages take the room of the introduction (Open stays on Alt+O)
        self.intro.setVisible(not shown)
        self.join_button.setVisible(shown)

    @Slot()
    def _reached_end(self) -> None:
        self.have_read.setEnabled(True)
        self.have_read.setToolTip("")

    @Slot()
    def _update_join(self) -> None:
        m = self.offer.signed.manifest if self.offer else None
        self.join_button.setEnabled(
            m is not None
            and self.have_read.isChecked()
            and all(self.boxes[c.id].isChecked() for c in m.checkboxes if c.required)
        )

    # ---- joining -------------------------------------------------------
    def choices(self) -> dict[str, bool]:
        return {cid: box.isChecked() for cid, box in self.boxes.items()}

    def purpose_choices(self) -> dict[str, bool]:
        return {pid: box.isChecked() for pid, box in self.purposes.items()}

    def capture(self) -> CaptureOptions | None:
        """The manifest's streams narrowed by what is unticked here (None before a manifest is open)."""
        if self.offer is None:
            return None
        asked, start = self.offer.signed.manifest.capture, self.offer.start_capture
        return self.capture_form.options(start, asked)

    @Slot()
    def join(self) -> None:
        offer = self.offer
        if offer is None or not self.join_button.isEnabled():
            return
        choices, capture, purposes = self.choices(), self.capture(), self.purpose_choices()
        typing_text = self.allow_typing.isVisible() and self.allow_typing.isChecked()
        self.join_button.setEnabled(False)
        self.tasks.run(
            lambda: enrolment.join(offer, choices, capture, typing_text=typing_text, purposes=purposes),
            self._joined,
            self._join_failed,
        )

    def _joined(self, result: tuple[Study, Any]) -> None:
        study, _record = result
        self.joined.emit(study.study_id)
        self.accept()

    def _join_failed(self, exc: BaseException) -> None:
        self.problem.setText(_("You have not joined the study: {message}").format(message=_message(exc)))
        self.problem.show()
        self._update_join()


class StudiesDialog(QDialog):
    """The joined studies; join another; withdraw from one (asked in the window, with a receipt)."""

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.setWindowTitle(_("Your studies"))
        self.setAccessibleName(_("Your studies"))
        self.resize(560, 420)
        fit_on_show(self)  # never larger than the screen (200 % on 1280x720 too)
        self.join_dialog: JoinStudyDialog | None = None
        self._counts: dict[str, int] = {}

        self._build_list()
        self._build_withdraw_question()
        self._build_purpose_panel()
        self.receipt = QLabel()
        self.receipt.setObjectName("receipt")
        self.receipt.setAccessibleDescription(_("Withdrawal receipt"))
        self.receipt.setWordWrap(True)
        self.receipt.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.receipt.hide()

        self._lay_out()
        self.refresh()
        # sessions recorded or deleted, studies joined or left elsewhere: the counts follow
        data_watch.shared().changed.connect(self.refresh)

    def _build_list(self) -> None:
        """The joined studies and what can be done with the selected one."""
        self.list = QListWidget()
        self.list.setAccessibleName(_("Studies you joined"))
        self.empty = QLabel(_("You have not joined any study. Tallylight then records only for yourself."))
        self.empty.setWordWrap(True)
        self.join_button = QPushButton(_("&Join a study…"))
        self.withdraw_button = QPushButton(_("&Withdraw…"))
        self.withdraw_button.setAccessibleName(_("Withdraw from the selected study"))
        self.withdraw_button.setEnabled(False)
        self.purposes_button = QPushButton(_("P&urposes…"))
        self.purposes_button.setAccessibleName(_("What your data for the selected study may be used for"))
        self.purposes_button.setEnabled(False)
        self.purposes_button.clicked.connect(self.show_purposes)
        self.join_button.clicked.connect(self.open_join)
        self.withdraw_button.clicked.connect(self.ask_withdraw)
        self.list.currentItemChanged.connect(lambda *_args: self._sync_buttons())

    def _build_withdraw_question(self) -> None:
        """The withdrawal question, asked in the window: no modal box to hide behind."""
        self.confirm = QWidget()
        self.confirm.setObjectName("confirmWithdraw")
        self.confirm_text = QLabel()
        self.confirm_text.setWordWrap(True)
        self.confirm_yes = QPushButton(_("Withdraw and &destroy my data here"))
        self.confirm_yes.setAccessibleName(_("Confirm withdrawal"))
        self.confirm_no = QPushButton(_("&Keep taking part"))
        self.confirm_yes.clicked.connect(self.withdraw)
        self.confirm_no.clicked.connect(self.confirm.hide)
        row = QHBoxLayout()
        row.addWidget(self.confirm_yes)
        row.addWidget(self.confirm_no)
        # the passphrase: the study's sessions are found from their encrypted headers too, so a
        # session whose note in the study folder was lost is withdrawn all the same
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName(_("Passphrase"))
        self.passphrase.returnPressed.connect(self.withdraw)
        passphrase_label = QLabel(_("Your &passphrase (to find every session of this study):"))
        passphrase_label.setBuddy(self.passphrase)
        confirm_layout = QVBoxLayout(self.confirm)
        confirm_layout.addWidget(self.confirm_text)
        confirm_layout.addWidget(passphrase_label)
        confirm_layout.addWidget(self.passphrase)
        confirm_layout.addLayout(row)
        self.confirm.hide()

    def _build_purpose_panel(self) -> None:
        """The selected study's purposes, each with its checkbox as it stands, in the window."""
        self.purpose_panel = QWidget()
        self.purpose_panel.setObjectName("purposePanel")
        self.purpose_intro = QLabel()
        self.purpose_intro.setWordWrap(True)
        self.purpose_rows = QVBoxLayout()
        self.purpose_checks: dict[str, QCheckBox] = {}
        self.purpose_required: set[str] = set()
        self.purpose_allowed: dict[str, bool] = {}
        self.purpose_note = QLabel()
        self.purpose_note.setObjectName("purposeNote")
        self.purpose_note.setWordWrap(True)
        self.purpose_note.setStyleSheet("color: #a40000; font-weight: bold;")
        self.purpose_note.hide()
        self.purpose_passphrase = QLineEdit()
        self.purpose_passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.purpose_passphrase.setAccessibleName(_("Passphrase"))
        self.purpose_passphrase_label = QLabel(_("Your passp&hrase (saying yes again is a new consent):"))
        self.purpose_passphrase_label.setBuddy(self.purpose_passphrase)
        self.purpose_save = QPushButton(_("&Save my choice"))
        self.purpose_save.setAccessibleName(_("Save my choice of purposes"))
        self.purpose_cancel = QPushButton(_("Do &not change"))
        self.purpose_save.clicked.connect(self.save_purposes)
        self.purpose_cancel.clicked.connect(self.purpose_panel.hide)
        purpose_buttons = QHBoxLayout()
        purpose_buttons.addWidget(self.purpose_save)
        purpose_buttons.addWidget(self.purpose_cancel)
        purpose_layout = QVBoxLayout(self.purpose_panel)
        purpose_layout.addWidget(self.purpose_intro)
        purpose_layout.addLayout(self.purpose_rows)
        purpose_layout.addWidget(self.purpose_note)
        purpose_layout.addWidget(self.purpose_passphrase_label)
        purpose_layout.addWidget(self.purpose_passphrase)
        purpose_layout.addLayout(purpose_buttons)
        self.purpose_panel.hide()

    def _lay_out(self) -> None:
        """The list, its buttons, then the question, the purposes or the receipt, whichever shows."""
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.join_button)
        buttons.addWidget(self.purposes_button)
        buttons.addWidget(self.withdraw_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.confirm)
        layout.addWidget(self.purpose_panel)
        layout.addWidget(self.receipt)
        layout.addWidget(close)

    @Slot()
    def refresh(self) -> None:
        self.tasks.run(_listing, self._show_list, lambda _exc: self._show_list([]))

    def _show_list(self, rows: list[tuple[str, str, int]]) -> None:
        kept = self.selected()  # a new listing keeps the study chosen
        self.list.clear()
        self._counts = {}
        for study_id, text, n in rows:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, study_id)
            self.list.addItem(item)
            self._counts[study_id] = n
        self.empty.setVisible(not rows)
        ids = [study_id for study_id, _text, _n in rows]
        if rows:
            self.list.setCurrentRow(ids.index(kept) if kept in ids else 0)
        if not self.confirm.isHidden():
            if kept in ids:
                self._say_what_withdrawing_destroys(kept)  # the question names today's count
            else:
                self.confirm.hide()  # the study is gone (withdrawn elsewhere): nothing to ask
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.withdraw_button.setEnabled(self.selected() != "")
        self.purposes_button.setEnabled(self.selected() != "")

    # ---- purposes ------------------------------------------------------
    @Slot()
    def show_purposes(self) -> None:
        """List the selected study's purposes with the participant's choice now (read in a worker)."""
        study_id = self.selected()
        if not study_id:
            return
        self.confirm.hide()
        self.receipt.hide()

        def work() -> list[tuple[str, str, bool, bool]]:
            study = enrolment.load(study_id)
            now = study.purposes()
            return [
                (p.id, presentation.purpose_line(p), p.required, now[p.id]) for p in study.manifest.purposes
            ]

        self.tasks.run(work, self._show_purposes, self._purposes_failed)

    def _show_purposes(self, rows: list[tuple[str, str, bool, bool]]) -> None:
        for box in self.purpose_checks.values():
            (box.parentWidget() or box).deleteLater()
        self.purpose_checks, self.purpose_required, self.purpose_allowed = {}, set(), {}
        for pid, line, required, allowed in rows:
            row = WrappedCheck(line)
            row.box.setObjectName(f"purpose-{pid}")
            row.box.setChecked(allowed)
            row.box.toggled.connect(self._purpose_toggled)
            self.purpose_rows.addWidget(row)
            self.purpose_checks[pid] = row.box
            self.purpose_allowed[pid] = allowed
            if required:
                self.purpose_required.add(pid)
        self.purpose_intro.setText(
            _(
                "What your data for this study may be used for. Untick a purpose to say no to it from "
                "now on: you stay in the study, and the researchers get a signed request that also "
                "covers what you already shared."
            )
        )
        self.purpose_passphrase.clear()
        self._purpose_toggled()
        self.purpose_panel.show()
        self.purpose_cancel.setFocus()

    def _purpose_changes(self) -> tuple[list[str], list[str], list[str]]:
        """(optional purposes unticked, purposes ticked again, required purposes unticked)."""
        now = {pid: box.isChecked() for pid, box in self.purpose_checks.items()}
        declined = [p for p, yes in now.items() if not yes and self.purpose_allowed[p]]
        allowed = [p for p, yes in now.items() if yes and not self.purpose_allowed[p]]
        required = [p for p in declined if p in self.purpose_required]
        return [p for p in declined if p not in required], allowed, required

    @Slot()
    def _purpose_toggled(self) -> None:
        declined, allowed, required = self._purpose_changes()
        if required:
            self.purpose_note.setText(
                _(
                    "The study needs “{purpose}”: saying no to it means withdrawing from the study. "
                    "Saving asks you to confirm the withdrawal, which destroys your sessions for it here."
                ).format(purpose=required[0])
            )
        self.purpose_note.setVisible(bool(required))
        self.purpose_passphrase.setVisible(bool(allowed))
        self.purpose_passphrase_label.setVisible(bool(allowed))
        self.purpose_save.setEnabled(bool(declined or allowed or required))

    @Slot()
    def save_purposes(self) -> None:
        study_id = self.selected()
        declined, allowed, required = self._purpose_changes()
        if not study_id:
            return
        if required:  # a withdrawal: asked as every withdrawal is
            self.purpose_panel.hide()
            self.ask_withdraw()
            return
        passphrase = self.purpose_passphrase.text()
        if allowed and not passphrase:
            self.purpose_passphrase.setFocus()
            self.receipt.setText(_("Enter your passphrase first: saying yes again is a new consent."))
            self.receipt.show()
            return
        self.purpose_panel.hide()
        self.purpose_passphrase.clear()

        def work() -> str:
            from tallylight.store import vault

            lines = []
            manifest = enrolment.load(study_id).manifest
            if declined:
                r = withdrawal.decline_purposes(study_id, declined)
                sent = (
                    _("It is sent to the researchers the next time Tallylight runs.")
                    if r.upload_to
                    else _("Send it to the researchers: {file}").format(file=r.sealed_file)
                )
                lines.append(
                    _(
                        "You said no to: {purposes}. You stay in the study; your data may still be used "
                        "for: {allowed}. A signed request for the researchers was made. {sent}"
                    ).format(
                        purposes=presentation.purpose_names(manifest, r.purposes_declined),
                        allowed=presentation.purpose_names(manifest, r.purposes_allowed) or _("nothing"),
                        sent=sent,
                    )
                )
            if allowed:
                _study, record = enrolment.allow_purposes(
                    enrolment.load(study_id), allowed, vault.unlock(passphrase)
                )
                lines.append(
                    _("You now allow: {purposes} (consent recorded at {given_at}).").format(
                        purposes=presentation.purpose_names(manifest, allowed), given_at=record.given_at
                    )
                )
            return "\n".join(lines)

        self.tasks.run(work, self._purposes_saved, self._purposes_failed)

    def _purposes_saved(self, text: str) -> None:
        self.receipt.setText(text)
        self.receipt.show()

    def _purposes_failed(self, exc: BaseException) -> None:
        self.receipt.setText(_("Your choice was not changed: {message}").format(message=_message(exc)))
        self.receipt.show()

    def selected(self) -> str:
        item = self.list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""

    @Slot()
    def open_join(self) -> JoinStudyDialog:
        """The Join dialog, modal to this window with the focus on Open; never a second one on top
        (Enter on "Join a study…" again raises the one that is open)."""
        if self.join_dialog is not None and self.join_dialog.isVisible():
            self.join_dialog.raise_()
            self.join_dialog.activateWindow()
            return self.join_dialog
        dlg = JoinStudyDialog(self.tasks, self)
        dlg.setWindowModality(Qt.WindowModality.WindowModal)
        dlg.joined.connect(lambda _id: self.refresh())
        self.join_dialog = dlg
        dlg.show()
        dlg.open_button.setFocus(Qt.FocusReason.OtherFocusReason)
        return dlg

    @Slot()
    def ask_withdraw(self) -> None:
        study_id = self.selected()
        if not study_id:
            return
        self._say_what_withdrawing_destroys(study_id)
        self.receipt.hide()
        self.confirm.show()
        self.confirm_no.setFocus()  # the safe choice is the default

    def _say_what_withdrawing_destroys(self, study_id: str) -> None:
        n = self._counts.get(study_id, 0)
        self.confirm_text.setText(
            _(
                "Withdrawing destroys the {count} recorded for this study on this computer and "
                "your consent, and makes a withdrawal request for the researchers (so they "
                "delete what you already shared). This cannot be undone."
            ).format(count=words.count(n, "session"))
        )

    @Slot()
    def withdraw(self) -> None:
        study_id = self.selected()
        passphrase = self.passphrase.text()
        if study_id and not passphrase:
            self.passphrase.setFocus()
            self.receipt.setText(_("Enter your passphrase first: it finds every session of this study."))
            self.receipt.show()
            return
        self.confirm.hide()
        self.passphrase.clear()
        if not study_id:
            return
        self.withdraw_button.setEnabled(False)

        def work() -> withdrawal.Receipt:
            from tallylight.store import vault

            return withdrawal.withdraw(study_id, vault=vault.unlock(passphrase))

        self.tasks.run(work, self._withdrawn, self._withdraw_failed)

    def _withdrawn(self, receipt: withdrawal.Receipt) -> None:
        contact = f" ({receipt.researcher_contact})" if receipt.researcher_contact else ""
        sent = (
            _("It is sent to the researchers the next time Tallylight runs.")
            if receipt.upload_to
            else _("Send it to the researchers{contact}.").format(contact=contact)
        )
        self.receipt.setText(
            _(
                "You withdrew from {study} at {withdrawn_at}. Destroyed: {sessions} and "
                "{records}.\nWithdrawal request: {request_file} (SHA-256 {request_sha256}…). "
                "{sent}\nYour receipt is saved next to it."
            ).format(
                study=receipt.study_title or receipt.study_id,
                withdrawn_at=receipt.withdrawn_at,
                sessions=words.count(len(receipt.sessions_destroyed), "session"),
                records=words.count(len(receipt.consent_records_destroyed), "consent record"),
                request_file=receipt.request_file,
                request_sha256=receipt.request_sha256[:16],
                sent=sent,
            )
        )
        self.receipt.show()
        self.refresh()

    def _withdraw_failed(self, exc: BaseException) -> None:
        self.receipt.setText(_("Nothing was withdrawn: {message}").format(message=_message(exc)))
        self.receipt.show()
        self._sync_buttons()


def _listing() -> list[tuple[str, str, int]]:
    """(worker) One row per joined study: id, a line of text, sessions recorded for it."""
    rows = []
    for item in enrolment.list_studies():
        if isinstance(item, Study):
            m = item.manifest
            n = len(item.session_ids())
            text = _("{title} — version {version}, {sessions}, until {end}").format(
                title=presentation.localise(m.title),
                version=m.version,
                sessions=words.count(n, "session"),
                end=m.end.isoformat(),
            )
            rows.append((item.study_id, text, n))
        else:
            study_id, reason = item
            rows.append(
                (
                    study_id,
                    _("{study_id} — cannot be used: {reason}").format(study_id=study_id, reason=reason),
                    0,
                )
            )
    return rows
