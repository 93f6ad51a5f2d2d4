"""Share: choose a study's sessions, read exactly what the bundle holds, then — and only then — Share.

The preview is the bundle's own bundle.json in plain words (tallylight.share.preview),
built in memory in a worker; nothing is written or sent before the participant
presses Share. Then the bundle is encrypted, kept in the outbox, and sent (or
saved to a file). If sending fails the bundle stays in the outbox (it is sent
again at the next start) and "Save bundle…" lets the participant pass it on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from tallylight.i18n import _
from tallylight.ui import data_watch
from tallylight.ui.fit import fit_on_show, scroll_body
from tallylight.ui.tasks import TaskRunner, quietly
from tallylight.ui.vault_unlock import unlock_in_worker

PathChooser = Callable[[QWidget, str], "Path | None"]


def choose_save_path(parent: QWidget, suggested: str) -> Path | None:
    from tallylight.ui.files import save_folder

    name, _filter = QFileDialog.getSaveFileName(
        parent, _("Save bundle"), str(save_folder() / suggested), _("Tallylight bundles (*.age)")
    )
    return Path(name) if name else None


class ShareDialog(QDialog):
    def __init__(
        self,
        tasks: TaskRunner,
        vault: Any = None,
        *,
        study_id: str | None = None,
        session_ids: Sequence[str] = (),
        choose_path: PathChooser = choose_save_path,
        sender_options: dict[str, Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.vault = vault
        self.want_study = study_id
        self.want_sessions = set(session_ids)
        self.choose_path = choose_path
        self.sender_options = sender_options or {}
        self.studies: list[Any] = []
        self.prepared: tuple[Any, Any] | None = None  # (inputs, built) of the current preview
        self.pending: Any = None
        self.sender: Any = None
        self._generation = 0
        self.setWindowTitle(_("Share with the researcher"))
        self.setAccessibleName(_("Share sessions"))

        self._build_unlock_row()
        self._build_choices()
        self._build_actions()
        self._lay_out()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self._build_preview)
        self.unlock_box.setVisible(vault is None)
        self.tasks.run(lambda: _load_studies(vault), self._show_studies, self._fail)
        # a session recorded, cut or deleted, a study left, while this is open: list them again
        data_watch.shared().changed.connect(self.refresh)

    def _build_unlock_row(self) -> None:
        """The passphrase row, shown only when no unlocked vault was handed in."""
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName(_("Passphrase"))
        self.unlock_button = QPushButton(_("&Unlock"))
        self.unlock_button.clicked.connect(self.unlock)
        self.passphrase.returnPressed.connect(self.unlock)
        self.unlock_box = QWidget()
        ul = QHBoxLayout(self.unlock_box)
        ul.setContentsMargins(0, 0, 0, 0)
        ul.addWidget(QLabel(_("Your passphrase (to read your sessions):")))
        ul.addWidget(self.passphrase, 1)
        ul.addWidget(self.unlock_button)

    def _build_choices(self) -> None:
        """The study, its sessions, the preview of exactly what is shared, and how it goes."""
        self.study_combo = QComboBox()
        self.study_combo.setAccessibleName(_("Study"))
        self.study_combo.currentIndexChanged.connect(self._on_study)
        self.session_list = QListWidget()
        self.session_list.setAccessibleName(_("Sessions to share"))
        self.session_list.itemChanged.connect(lambda _item: self._schedule_preview())
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setAccessibleName(_("Exactly what will be shared"))
        self.preview.setPlaceholderText(_("Choose sessions to see exactly what would be shared."))
        self.upload_radio = QRadioButton(_("Send it to the researcher's upload address"))
        self.file_radio = QRadioButton(_("Save it to a file (you pass it on yourself)"))
        self.upload_radio.toggled.connect(lambda _on: self._show_preview())

    def _build_actions(self) -> None:
        """Progress, status and the buttons; Cancel and Save show only while they apply."""
        self.progress = QProgressBar()
        self.progress.setAccessibleName(_("Sending progress"))
        self.progress.hide()
        self.status = QLabel(_("Loading your studies…"))
        self.status.setWordWrap(True)
        self.status.setAccessibleDescription(_("Status"))
        self.share_button = QPushButton(_("&Share"))
        self.share_button.setAccessibleName(_("Share exactly what is shown"))
        self.share_button.setEnabled(False)
        self.share_button.clicked.connect(self.share)
        self.cancel_button = QPushButton(_("Cancel sending"))
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel_sending)
        self.save_button = QPushButton(_("Save bundle…"))
        self.save_button.setAccessibleName(_("Save the encrypted bundle to a file"))
        self.save_button.hide()
        self.save_button.clicked.connect(self.save_bundle)
        self.close_button = QPushButton(_("&Close"))
        self.close_button.clicked.connect(self.reject)

    def _lay_out(self) -> None:
        """Everything but the buttons scrolls on a small screen."""
        body = QWidget()  # scrolls on a small screen; the buttons never do
        form = QVBoxLayout(body)
        form.setContentsMargins(0, 0, 0, 0)
        form.addWidget(self.unlock_box)
        row = QHBoxLayout()
        row.addWidget(QLabel(_("Study:")))
        row.addWidget(self.study_combo, 1)
        form.addLayout(row)
        form.addWidget(
            _wrapped(_("Sessions recorded for this study (sessions without a study are never shared):"))
        )
        form.addWidget(self.session_list, 1)
        form.addWidget(
            _wrapped(_("What the researcher will receive, encrypted so that only they can read it:"))
        )
        form.addWidget(self.preview, 2)
        form.addWidget(self.upload_radio)
        form.addWidget(self.file_radio)
        form.addWidget(self.progress)
        form.addWidget(self.status)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.share_button)
        buttons.addWidget(self.close_button)
        outer = QVBoxLayout(self)
        outer.addWidget(scroll_body(body), 1)
        outer.addLayout(buttons)
        self.resize(780, 620)
        fit_on_show(self)  # never larger than the screen (200 % on 1280x720 too)

    @Slot()
    def refresh(self) -> None:
        """List the studies and their sessions again, keeping the study and the sessions chosen."""
        vault = self.vault
        self.tasks.run(lambda: _load_studies(vault), self._relist, quietly("listing the studies again"))

    def _relist(self, studies: list[Any]) -> None:
        if studies == self.studies or not self.session_list.isEnabled():
            return  # nothing changed that this shows, or a bundle is being sent
        index = self.study_combo.currentIndex()
        if 0 <= index < len(self.studies):
            self.want_study = self.studies[index]["study_id"]
            self.want_sessions = set(self.chosen_sessions())
        self._show_studies(studies)

    # ---- loading --------------------------------------------------------------------------
    def _fail(self, exc: BaseException) -> None:
        self.status.setText(str(exc) or _("Something went wrong; nothing was shared."))

    @Slot()
    def unlock(self) -> None:
        passphrase = self.passphrase.text()
        if not passphrase:
            return
        self.unlock_button.setEnabled(False)

        def done(v: Any) -> None:
            self.vault = v
            self.passphrase.clear()
            self.unlock_box.hide()
            self.refresh()  # the sessions' labels and start times, now readable
            self._schedule_preview()

        def failed(exc: BaseException) -> None:
            self.unlock_button.setEnabled(True)
            self._fail(exc)

        unlock_in_worker(self.tasks, passphrase, done, failed)

    def _show_studies(self, studies: list[Any]) -> None:
        self.studies = studies
        self.study_combo.blockSignals(True)
        self.study_combo.clear()
        for s in studies:
            self.study_combo.addItem(f"{s['title']} ({s['study_id'][:8]}…)", s["study_id"])
        self.study_combo.blockSignals(False)
        self.study_combo.setEnabled(bool(studies))
        if not studies:  # the empty box says why, not only the status line
            self.study_combo.setPlaceholderText(_("No study joined: nothing to share"))
            self.study_combo.setCurrentIndex(-1)
            self.status.setText(
                _(
                    "You have not joined a study, so there is nothing to share (nothing is shared "
                    "from personal mode)."
                )
            )
            return
        index = next(
            (
                i
                for i, s in enumerate(studies)
                if s["study_id"] == self.want_study
                or (not self.want_study and self.want_sessions & set(s["sessions"]))
            ),
            0,
        )
        self.study_combo.setCurrentIndex(index)
        self._on_study(index)

    @Slot(int)
    def _on_study(self, index: int) -> None:
        if index < 0 or index >= len(self.studies):
            return
        study = self.studies[index]
        self.session_list.blockSignals(True)
        self.session_list.clear()
        for sid, started in zip(study["sessions"], study["started"], strict=True):
            item = QListWidgetItem(started or sid)  # the start time and label (the id while locked)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if sid in self.want_sessions else Qt.CheckState.Unchecked
            )
            item.setData(Qt.ItemDataRole.UserRole, sid)
            self.session_list.addItem(item)
        self.session_list.blockSignals(False)
        self.upload_radio.setEnabled(bool(study["upload_url"]))
        (self.upload_radio if study["upload_url"] else self.file_radio).setChecked(True)
        if not study["sessions"]:
            self.status.setText(_("No session was recorded for this study yet."))
        self._schedule_preview()

    def chosen_sessions(self) -> list[str]:
        out = []
        for i in range(self.session_list.count()):
            item = self.session_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return out

    # ---- preview --------------------------------------------------------------------------
    def _schedule_preview(self) -> None:
        self.prepared = None
        self.share_button.setEnabled(False)
        self._generation += 1
        self._timer.start()

    @Slot()
    def _build_preview(self) -> None:
        index = self.study_combo.currentIndex()
        ids = self.chosen_sessions()
        if index < 0 or not ids:
            self.preview.clear()
            if index >= 0 and self.session_list.count():
                self.status.setText(_("Tick the sessions to share; nothing is written or sent before Share."))
            return
        if self.vault is None:
            self.status.setText(_("Enter your passphrase to see what would be shared."))
            return
        study_id = self.studies[index]["study_id"]
        vault, generation = self.vault, self._generation
        self.status.setText(_("Preparing the preview…"))

        def work() -> tuple[Any, Any]:
            from tallylight.share import bundle
            from tallylight.share.gather import gather

            inputs = gather(study_id, ids, vault)
            return inputs, bundle.build(inputs)

        def done(result: tuple[Any, Any]) -> None:
            if generation != self._generation:
                return  # the choice changed meanwhile
            self.prepared = result
            self._show_preview()

        self.tasks.run(work, done, self._fail)

    def _destination(self) -> str:
        from tallylight.share.preview import destination_words, file_chosen_later_words

        if self.prepared is None:
            return ""
        url = self.prepared[0].study.upload_url
        if self.upload_radio.isChecked() and url:
            return destination_words(None, url)
        return file_chosen_later_words()

    def _show_preview(self) -> None:
        if self.prepared is None:
            return
        from tallylight.share.preview import preview_lines

        inputs, built = self.prepared
        lines = preview_lines(built.doc, self._destination(), inputs.study.purposes)
        self.preview.setPlainText("\n".join(lines))
        self.share_button.setEnabled(True)
        if self.upload_radio.isChecked():
            self.status.setText(_("Nothing has been written or sent. Press Share to send exactly this."))
        else:  # to a file: Share saves it, it sends nothing
            self.status.setText(
                _("Nothing has been written yet. Press Share to save exactly this to a file you choose.")
            )

    # ---- sharing --------------------------------------------------------------------------
    @Slot()
    def share(self) -> None:
        if self.prepared is None:
            return
        inputs, built = self.prepared
        upload = self.upload_radio.isChecked() and bool(inputs.study.upload_url)
        path: Path | None = None
        if not upload:
            path = self.choose_path(self, f"{built.bundle_id}.tallylight.age")
            if path is None:
                return
        self._busy(True)
        self.status.setText(_("Encrypting…"))
        sessions = [s["session_id"] for s in built.doc["sessions"]]

        def work() -> Any:
            from tallylight.share import bundle, outbox

            enc = bundle.encrypt(built, inputs.study.recipients)
            if path is not None:
                outbox.save_copy(enc.data, path)
                outbox.log("saved", enc, inputs.study.study_id, sessions, str(path))
                return None
            pending = outbox.put(enc, inputs.study.study_id, sessions, inputs.study.upload_url)
            outbox.log("queued", pending, inputs.study.study_id, sessions, inputs.study.upload_url or "")
            return pending

        def done(pending: Any) -> None:
            if pending is None:
                self._busy(False)
                self.share_button.setEnabled(False)
                self.status.setText(_("Saved the encrypted bundle to {path}.").format(path=path))
                return
            self.pending = pending
            self._send(pending)

        def failed(exc: BaseException) -> None:
            self._busy(False)
            self.share_button.setEnabled(self.prepared is not None)  # nothing left: try again
            self._fail(exc)

        self.tasks.run(work, done, failed)

    def _send(self, pending: Any) -> None:
        from tallylight.ui.outbox_sender import OutboxSender

        self.status.setText(_("Sending…"))
        self.progress.setRange(0, max(1, pending.bytes))
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.sender = OutboxSender([pending], parent=self, **self.sender_options)
        self.sender.progress.connect(lambda _bid, sent, _total: self.progress.setValue(sent))
        self.sender.bundle_done.connect(self._on_sent)
        self.sender.start()

    def _on_sent(self, _bundle_id: str, ok: bool, message: str) -> None:
        self.cancel_button.hide()
        self._busy(False)
        if ok:
            self.progress.setValue(self.progress.maximum())
            self.share_button.setEnabled(False)
            self.status.setText(_("Sent. The researcher can now open it; it is listed in your share log."))
        else:
            self.status.setText(message)
            self.save_button.show()
            self.share_button.setEnabled(False)

    @Slot()
    def cancel_sending(self) -> None:
        if self.sender is not None:
            self.sender.cancel()

    @Slot()
    def save_bundle(self) -> None:
        if self.pending is None:
            return
        pending = self.pending
        path = self.choose_path(self, f"{pending.bundle_id}.tallylight.age")
        if path is None:
            return

        def work() -> None:
            from tallylight.share import outbox

            outbox.copy_from_outbox(pending, path)
            outbox.log("saved", pending, pending.study_id, pending.sessions, str(path))

        self.tasks.run(
            work,
            lambda _result: self.status.setText(_("Saved the encrypted bundle to {path}.").format(path=path)),
            self._fail,
        )

    def _busy(self, busy: bool) -> None:
        for w in (self.study_combo, self.session_list, self.upload_radio, self.file_radio):
            w.setEnabled(not busy)
        if busy:
            self.share_button.setEnabled(False)
        elif self.prepared is not None:
            self.upload_radio.setEnabled(bool(self.prepared[0].study.upload_url))


def _load_studies(vault: Any = None) -> list[dict[str, Any]]:
    """Joined studies that verify, with their sessions oldest first (worker thread).

    With the vault each session is named as the Sessions window and the preview name it: its
    start time and label from its encrypted summary. Without it, only the time its key file was
    written (``about …``) is known.
    """
    from tallylight.store import sessions as store
    from tallylight.study import enrolment
    from tallylight.study.presentation import localise
    from tallylight.ui.dialogs.sessions import load_rows, started_guess

    stored = set(store.session_ids())
    rows = {r.session_id: r for r in load_rows(vault)} if vault is not None else {}
    out = []
    for s in enrolment.list_studies():
        if isinstance(s, tuple):
            continue  # a study that no longer verifies is listed by `tallylight study list`, not here
        named = []
        for sid in s.session_ids():
            if sid not in stored:
                continue
            row = rows.get(sid)
            if row is not None and row.date:
                named.append((row.date, sid, f"{row.date}   {_label_words(row.label)}"))
            else:
                when = started_guess(sid)
                named.append((when.removeprefix("about "), sid, f"{when}   {sid}" if when else sid))
        named.sort()
        out.append(
            {
                "study_id": s.study_id,
                "title": localise(s.manifest.title),
                "upload_url": s.manifest.upload_url,
                "sessions": [sid for _when, sid, _text in named],
                "started": [text for _when, _sid, text in named],
            }
        )
    return out


def _label_words(label: str) -> str:
    # the preview's quotation marks (tallylight.share.preview), in the participant's language
    return _("“{label}”").format(label=label) if label else _("no label")


def _wrapped(text: str) -> QLabel:
    """A label that wraps: a long language at 200 % never makes the dialog scroll sideways."""
    label = QLabel(text)
    label.setWordWrap(True)
    return label
