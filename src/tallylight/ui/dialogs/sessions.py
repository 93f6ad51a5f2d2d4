"""Sessions: a plain list of recorded sessions (date, label, duration, counts, verdict), with Delete.

Reading needs the vault's private key: the dialog tries the OS keychain (if the
participant chose it) and otherwise asks for the passphrase. All store calls run
in a worker; results land on the main thread.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from tallylight import words
from tallylight.i18n import _, ngettext
from tallylight.ui import data_watch
from tallylight.ui.fit import fit_on_show
from tallylight.ui.tasks import TaskRunner
from tallylight.ui.vault_unlock import unlock_in_worker

COLUMNS = ("Date", "Label", "Duration", "Captured", "State")


@dataclass
class Row:
    session_id: str
    date: str
    label: str
    duration: str
    counts: str
    verdict: str
    recording: bool


DATE_FORMAT = "%Y-%m-%d %H:%M"


def started_guess(session_id: str) -> str:
    """Roughly when a session started, without its key: its key file is written once, just after the
    start. Said as "about …" because the exact start time is encrypted (docs/STORE.md) and may fall in
    the minute before the file's timestamp."""
    from tallylight.store.layout import KEY_FILE, session_path

    try:
        mtime = (session_path(session_id) / KEY_FILE).stat().st_mtime
    except Exception:  # noqa: BLE001 - no date is better than no list
        return ""
    return "about " + dt.datetime.fromtimestamp(mtime).strftime(DATE_FORMAT)


def row_from_summary(session_id: str, doc: dict[str, Any]) -> Row:
    """One line of the list from a session's encrypted summary (tallylight.store.index)."""
    started = int(doc.get("started_wall_ns") or 0)
    date = dt.datetime.fromtimestamp(started / 1e9).strftime(DATE_FORMAT) if started else ""
    duration = words.clock(float(doc.get("recorded_s") or 0))
    paused = float(doc.get("paused_s") or 0)
    if paused >= 1:
        duration += f" (paused {words.clock(paused)})"
    verdict = words.verdict_words(str(doc.get("verdict") or ""))
    if doc.get("verdict") not in ("complete", None) and doc.get("verdict_note"):
        verdict += f": {doc['verdict_note']}"
    return Row(
        session_id,
        date,
        str(doc.get("label") or ""),
        duration,
        words.counts_summary(doc.get("counts") or {}),
        verdict,
        False,
    )


def load_rows(vault: Any) -> list[Row]:
    """Every session, newest first (worker thread). With the vault, each row comes from the
    session's small encrypted summary, so the list opens without decrypting any events."""
    from tallylight.review.summary import list_summary
    from tallylight.store import edit
    from tallylight.store import sessions as store

    rows = []
    for sid in store.session_ids():
        try:
            s = store.summary(sid, None)
            recording = s.recording
        except Exception:  # noqa: BLE001 - a session that cannot be looked at is listed as not recording
            recording = False
        if vault is None:  # the date is not secret: when the session's key file was written
            when = started_guess(sid)
            rows.append(Row(sid, when, "", "", "", "recording now" if recording else "locked", recording))
            continue
        if recording:
            rows.append(Row(sid, "", "", "", "", "recording now", True))
            continue
        try:
            doc = edit.ensure_summary(
                store.session_dir(sid), vault, summarize=list_summary
            )  # the encrypted summary, once computed
            rows.append(row_from_summary(sid, doc))
        except Exception as exc:  # noqa: BLE001 - corrupt or unreadable: say so, keep listing
            rows.append(Row(sid, "", "", "", "", f"unreadable ({exc})", False))
    rows.sort(key=lambda r: (r.date, r.session_id), reverse=True)
    return rows


class SessionsDialog(QDialog):
    def __init__(self, tasks: TaskRunner, use_keychain: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.vault: Any = None
        self.rows: list[Row] = []
        self._listing = 0  # the newest refresh: an older listing that finishes later is dropped
        self.confirm_box: QMessageBox | None = None  # the open "Delete this session?" question
        self._wanted = ""  # a session to select (and open once unlocked): show_session()
        self.setWindowTitle(_("Tallylight sessions"))
        self.setAccessibleName(_("Sessions"))

        self.lock_note = QLabel(
            _("Your recordings are encrypted. Enter your passphrase to see their details.")
        )
        self.lock_note.setWordWrap(True)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName(_("Passphrase"))
        self.unlock_button = QPushButton(_("&Unlock"))
        self.unlock_button.setAccessibleName(_("Unlock sessions"))
        self.unlock_button.clicked.connect(self.unlock)
        self.passphrase.returnPressed.connect(self.unlock)
        unlock_row = QHBoxLayout()
        unlock_row.addWidget(self.passphrase, 1)
        unlock_row.addWidget(self.unlock_button)
        self.unlock_box = QWidget()
        ul = QVBoxLayout(self.unlock_box)
        ul.setContentsMargins(0, 0, 0, 0)
        ul.addWidget(self.lock_note)
        ul.addLayout(unlock_row)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName(_("Recorded sessions"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.status = QLabel(_("Loading…"))
        self.status.setObjectName("statusLabel")
        self.status.setWordWrap(True)
        self.status.setAccessibleDescription(_("Status"))
        self.open_button = QPushButton(_("&Open"))
        self.open_button.setAccessibleName(_("Review the selected session"))
        self.open_button.clicked.connect(lambda _checked=False: self.open_selected())
        # a double click, or Enter on a row (activated is both)
        self.table.activated.connect(lambda _index: self.open_selected())
        self.reviews: dict[str, QWidget] = {}
        self.delete_button = QPushButton(_("&Delete…"))
        self.delete_button.setAccessibleName(_("Delete the selected session"))
        self.delete_button.clicked.connect(lambda _checked=False: self.delete_selected())
        self.share_button = QPushButton(_("S&hare…"))
        self.share_button.setAccessibleName(_("Share sessions with your study's researcher"))
        self.share_button.clicked.connect(lambda _checked=False: self.open_share())
        self.share_log = QLabel("")
        self.share_log.setWordWrap(True)
        self.share_log.setAccessibleDescription(_("Share log"))
        self.refresh_button = QPushButton(_("&Refresh"))
        self.refresh_button.setAccessibleName(_("Refresh the list"))
        self.refresh_button.clicked.connect(self.refresh)
        self.close_button = QPushButton(_("&Close"))
        self.close_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.share_button)
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        self.table.itemSelectionChanged.connect(self._sync_buttons)

        layout = QVBoxLayout(self)
        layout.addWidget(self.unlock_box)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.share_log)
        layout.addLayout(buttons)
        self.resize(760, 420)
        fit_on_show(self)  # never wider than the screen (Close stays on it)
        self._sync_buttons()
        # the review window's analysis takes a while to import: do it now, off the GUI thread; its
        # plotting library patches PySide6 when imported, so that happens on the GUI thread, once
        # the list is up (in a worker it raced the GUI thread and crashed the app)
        self.tasks.run(_warm_review_imports)
        QTimer.singleShot(500, _import_plotting)
        if use_keychain:
            self.tasks.run(_keychain_vault, self._on_keychain, lambda _exc: self.refresh())
        else:
            self.refresh()
        # recorded, cut, deleted or withdrawn elsewhere (a CLI, another window): list it again
        data_watch.shared().changed.connect(self.refresh)

    # ---- loading -------------------------------------------------------
    def _on_keychain(self, vault: Any) -> None:
        if vault is not None:
            self._set_vault(vault)
        self.refresh()

    def _set_vault(self, vault: Any) -> None:
        self.vault = vault
        self.unlock_box.hide()

    @Slot()
    def unlock(self) -> None:
        passphrase = self.passphrase.text()
        if not passphrase:
            return
        self.unlock_button.setEnabled(False)
        self.status.setText(_("Unlocking…"))

        def done(vault: Any) -> None:
            self.passphrase.clear()
            self.unlock_button.setEnabled(True)
            self._set_vault(vault)
            self.refresh()

        def failed(exc: BaseException) -> None:
            self.unlock_button.setEnabled(True)
            self.status.setText(str(exc) or _("That passphrase is not right."))
            self.passphrase.selectAll()
            self.passphrase.setFocus()

        unlock_in_worker(self.tasks, passphrase, done, failed)

    @Slot()
    def refresh(self) -> None:
        if not self.rows:
            self.status.setText(_("Loading…"))  # a list already shown stays until the new one is there
        vault = self.vault
        self._listing += 1
        listing = self._listing
        self.tasks.run(
            lambda: load_rows(vault),
            lambda rows: self._show_rows(rows) if listing == self._listing else None,
            lambda exc: self.status.setText(_("Could not list sessions: {exc}").format(exc=exc)),
        )
        self.tasks.run(share_log_text, self._show_share_log, lambda exc: self._show_share_log(str(exc)))

    def _show_share_log(self, text: str) -> None:
        with contextlib.suppress(RuntimeError):  # the dialog is gone
            self.share_log.setText(text)

    def _show_rows(self, rows: list[Row]) -> None:
        try:
            was = self.selected()
            kept = was.session_id if was is not None else ""  # a new listing keeps the selected row
            self.rows = rows
            self.table.setRowCount(len(rows))
            for r, row in enumerate(rows):
                values = (row.date or row.session_id, row.label, row.duration, row.counts, row.verdict)
                for c, value in enumerate(values):
                    item = QTableWidgetItem(value)
                    item.setData(Qt.ItemDataRole.UserRole, row.session_id)
                    self.table.setItem(r, c, item)
            n = len(rows)
            self.status.setText(_("No sessions recorded yet.") if n == 0 else words.count(n, "session") + ".")
            notice, self.notice = getattr(self, "notice", ""), ""  # e.g. bundles dropped by a delete
            if notice:
                self.status.setText(f"{self.status.text()} {notice}")
            ids = [row.session_id for row in rows]
            if kept in ids and not self._wanted:
                self.table.selectRow(ids.index(kept))
            self._select_wanted()
            if rows and not self.table.selectionModel().hasSelection():
                self.table.selectRow(0)  # Open and Delete work at once, and Enter opens it
            if rows and self.vault is not None and not self.unlock_box.isVisible():
                self.table.setFocus()
            self._sync_buttons()
        except RuntimeError:  # the dialog is gone
            pass

    def show_session(self, session_id: str) -> None:
        """Select ``session_id`` once it is listed, and open it once the sessions are unlocked."""
        self._wanted = session_id
        self._select_wanted()

    def _select_wanted(self) -> None:
        ids = [row.session_id for row in self.rows]
        if not self._wanted or self._wanted not in ids:
            return
        self.table.selectRow(ids.index(self._wanted))
        if self.vault is None:
            self.status.setText(_("Enter your passphrase to open the session you just recorded."))
            self.passphrase.setFocus()
        elif self.rows[ids.index(self._wanted)].verdict != "locked":
            self._wanted = ""
            self.open_selected()

    # ---- delete --------------------------------------------------------
    def selected(self) -> Row | None:
        r = self.table.currentRow()
        if r < 0 or r >= len(self.rows) or not self.table.selectionModel().hasSelection():
            return None
        return self.rows[r]

    @Slot()
    def _sync_buttons(self) -> None:
        row = self.selected()
        self.delete_button.setEnabled(row is not None and not row.recording)
        self.open_button.setEnabled(row is not None and not row.recording and self.vault is not None)

    def open_share(self) -> QWidget:
        """The share dialog, with the selected session ticked (its study chosen)."""
        from tallylight.ui.dialogs.share import ShareDialog

        row = self.selected()
        dlg = ShareDialog(self.tasks, self.vault, session_ids=[row.session_id] if row else [], parent=self)
        dlg.finished.connect(lambda _result=0: self.refresh())
        dlg.show()
        self.share_dialog = dlg
        return dlg

    def open_selected(self) -> QWidget | None:
        """The review window of the selected session (one per session; brought forward if open)."""
        row = self.selected()
        if row is None or row.recording or self.vault is None:
            return None
        from tallylight.ui.review.window import ReviewWindow

        win = self.reviews.get(row.session_id)
        if win is None:
            win = ReviewWindow(self.tasks, row.session_id, self.vault, on_changed=self.refresh)
            win.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            win.destroyed.connect(lambda _obj=None, sid=row.session_id: self.reviews.pop(sid, None))
            self.reviews[row.session_id] = win
        win.show()
        win.raise_()
        win.activateWindow()
        return win

    @Slot()
    def delete_selected(self) -> None:
        """Ask first, always: which session (date, label, duration), and that it cannot be undone."""
        row = self.selected()
        if row is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            _("Delete this session?"),
            delete_question(row),
            QMessageBox.StandardButton.Cancel,
            self,
        )
        delete = box.addButton(_("&Delete for good"), QMessageBox.ButtonRole.DestructiveRole)
        delete.setAccessibleName(_("Delete the session for good"))
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)  # Enter keeps the data
        box.setEscapeButton(QMessageBox.StandardButton.Cancel)
        box.setAccessibleName(_("Delete this session?"))
        box.setAccessibleDescription(delete_question(row))
        self.confirm_box = box

        def answered() -> None:
            self.confirm_box = None
            if box.clickedButton() is delete:
                self.delete_session(row.session_id)
            box.deleteLater()

        box.finished.connect(answered)
        box.open()

    def delete_session(self, session_id: str) -> None:
        self.delete_button.setEnabled(False)
        self.status.setText(_("Deleting…"))

        def work() -> list[str]:
            from tallylight.share.edits import delete_session

            return delete_session(session_id)

        def done(dropped: list[str]) -> None:
            from tallylight.share.outbox import dropped_words

            self.notice = dropped_words(len(dropped))
            self.refresh()

        self.tasks.run(
            work,
            done,
            lambda exc: self.status.setText(_("Could not delete: {exc}").format(exc=exc)),
        )


def delete_question(row: Row) -> str:
    """The confirmation's words: the session by date, label and duration; no undo."""
    details = [f"“{row.label}”" if row.label else _("no label")]
    if row.duration:
        details.append(_("{duration} long").format(duration=row.duration))
    if row.date:
        question = _("Delete the session from {what} ({details})?")
    else:
        question = _("Delete the selected session ({details})?")
    return (
        question.format(what=row.date, details=", ".join(details))
        + "\n\n"
        + _("Its recording is removed from this computer for good. This cannot be undone.")
    )


def share_log_text() -> str:
    """The share log in a few plain lines (worker thread): what went where, what still waits."""
    from tallylight.share import outbox

    entries = [e for e in outbox.read_log() if e.action in ("saved", "sent", "failed")]
    waiting = outbox.pending()
    if not entries and not waiting:
        return _("Nothing was shared yet.")
    lines = [_("Share log ({entries}):").format(entries=words.count(len(entries), "entry"))]
    for e in entries[-5:]:
        when = e.time_utc.replace("T", " ").replace("Z", " UTC")
        line = {
            "saved": _("  {when}: {sessions} saved to {destination} — bundle {bundle}…"),
            "sent": _("  {when}: {sessions} sent to {destination} — bundle {bundle}…"),
            "failed": _("  {when}: {sessions} not sent to {destination} — bundle {bundle}…"),
        }[e.action]
        lines.append(
            line.format(
                when=when,
                sessions=words.count(len(e.sessions), "session"),
                destination=e.destination,
                bundle=e.bundle_id[:8],
            )
        )
    if waiting:
        lines.append(
            ngettext(
                "  {n} bundle waits to be sent; Tallylight tries again when it starts.",
                "  {n} bundles wait to be sent; Tallylight tries again when it starts.",
                len(waiting),
            ).format(n=len(waiting))
        )
    return "\n".join(lines)


def _warm_review_imports() -> None:
    """Worker thread: Qt-free modules only."""
    import tallylight.review.prepare  # noqa: F401 - imported for its import time only (warm-up)


def _import_plotting() -> None:
    """GUI thread: pyqtgraph changes PySide6's modules as it is imported."""
    import pyqtgraph  # noqa: F401 - warm-up


def _keychain_vault() -> Any:
    from tallylight.store import vault

    if not vault.exists():
        return None
    return vault.unlock_with_keychain()
