"""The tray app: QApplication setup, single instance, wiring, ``main()``."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import QGuiApplication, QSessionManager
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QSystemTrayIcon, QWidget

import tallylight
from tallylight import appctl, paths, words
from tallylight import settings as settings_mod
from tallylight.errors import AppNotRunning, TallylightError, UsageError
from tallylight.fsutil import FileLock
from tallylight.hardening import protect_process
from tallylight.i18n import _, ngettext
from tallylight.protocol import LastSession
from tallylight.session_model import RecorderLost, stop_summary
from tallylight.ui import data_watch, icons
from tallylight.ui.actions import AppActions
from tallylight.ui.controller import AppController
from tallylight.ui.fallback_window import FallbackWindow
from tallylight.ui.gui_gc import collect_on_gui_thread
from tallylight.ui.language import apply_language
from tallylight.ui.local_server import ControlServer
from tallylight.ui.tasks import TaskRunner, quietly
from tallylight.ui.tray import TrayUI

log = logging.getLogger(__name__)

ON_MACOS = sys.platform.startswith("darwin")
#: how often the app checks that its tray icon still has a host
TRAY_CHECK_MS = 1000


class TallylightApp(QObject):
    """Everything the running app owns. ``use_tray=None`` decides from the platform."""

    def __init__(
        self,
        qapp: QApplication,
        *,
        use_tray: bool | None = None,
        show_welcome: bool = True,
        settings: settings_mod.Settings | None = None,
    ) -> None:
        super().__init__()
        self.qapp = qapp
        self.settings = settings if settings is not None else settings_mod.load()
        self.tasks = TaskRunner(self)
        # the one watch of the data folder every window follows; started now, so it covers
        # every folder before the first window lists anything
        self.data_watch = data_watch.shared()
        self.controller = AppController(self.settings, self)
        self.actions = AppActions(self.controller, self)
        self.actions.start.triggered.connect(self.open_start_dialog)
        self.actions.sessions.triggered.connect(self.open_sessions)
        self.actions.share.triggered.connect(self.open_share)
        self.actions.studies.triggered.connect(self.open_studies)
        self.actions.settings.triggered.connect(self.open_settings)
        self.actions.live.triggered.connect(self.open_live_view)
        self.actions.about.triggered.connect(self.show_about)
        self.actions.quit.triggered.connect(self.quit)
        self.controller.task_started.connect(self._open_task_window)
        self.server = ControlServer(
            self.controller, self.bring_forward, self, precheck_start=self._precheck_start
        )
        self.tray: TrayUI | None = None
        self.window: FallbackWindow | None = None  # the indicator where there is no tray
        self.main_window: FallbackWindow | None = None  # opened by a second `tallylight`
        self.dialogs: dict[str, QWidget] = {}
        self.recovered: list[Any] | None = None  # set once start-up recovery has run
        self.permission: Any = None  # macOS Input Monitoring (capture.permission.PermissionFlow)
        if use_tray is None:
            use_tray = QSystemTrayIcon.isSystemTrayAvailable()
        if use_tray:
            self.tray = TrayUI(self.controller, self.actions, self)
            self.tray.open_session.connect(self.open_session)
            self.tray.show()
        else:
            self.show_fallback()
        # The tray host can go away (panel crash): then the window takes over.
        self._tray_check = QTimer(self)
        self._tray_check.setInterval(TRAY_CHECK_MS)
        self._tray_check.timeout.connect(self._check_tray)
        self._tray_check.start()
        self.controller.session_ended.connect(self._on_session_ended)
        self.controller.recorder_lost.connect(self._on_recorder_lost)
        qapp.aboutToQuit.connect(self._on_about_to_quit)
        qapp.commitDataRequest.connect(self._on_commit_data)
        self.server.listen()
        self._recover_sessions()
        self.outbox_sender: Any = None
        QTimer.singleShot(0, self._resend_outbox)
        if show_welcome and not self.settings.welcome_done:
            QTimer.singleShot(0, self.open_welcome)

    # ---- indicator -------------------------------------------------------
    def show_fallback(self) -> FallbackWindow:
        if self.window is None:
            self.window = FallbackWindow(self.controller, self.actions, tasks=self.tasks)
            self.window.open_session.connect(self.open_session)
            self.window.show()
        else:
            self.window.bring_forward()
        return self.window

    @Slot()
    def _check_tray(self) -> None:
        if self.tray is not None and self.window is None and not QSystemTrayIcon.isSystemTrayAvailable():
            log.warning("the system tray went away; showing the status window")
            self.show_fallback()

    def bring_forward(self) -> None:
        """What launching ``tallylight`` again does: the window with every command, focused."""
        if self.window is not None:
            self.window.bring_forward()
        else:
            self.show_main_window()

    def show_main_window(self) -> FallbackWindow:
        """The main window where there is a tray (the keyboard's way to every command)."""
        if self.main_window is None:
            self.main_window = FallbackWindow(
                self.controller, self.actions, indicator=False, tasks=self.tasks
            )
            self.main_window.open_session.connect(self.open_session)
        self.main_window.bring_forward()
        return self.main_window

    @Slot(object)
    def _on_session_ended(self, last: LastSession) -> None:
        """The stop summary: duration, counts, and a way to open the session."""
        for view in (self.tray, self.window, self.main_window):
            if view is not None:
                view.show_session_message(_("Recording stopped"), stop_summary(last), last.session_id)

    @Slot(object)
    def _on_recorder_lost(self, lost: RecorderLost) -> QDialog:
        """What happened, what was kept, and Start again in one click."""
        from tallylight.ui.dialogs.recorder_lost import RecorderLostDialog

        def make() -> QDialog:
            dlg = RecorderLostDialog(lost)
            dlg.start_again.connect(self.controller.start_again)
            dlg.open_session.connect(self.open_session)
            return dlg

        old = self.dialogs.pop("recorder_lost", None)  # a newer loss replaces an older window
        if old is not None:
            old.close()
        return self._show_dialog("recorder_lost", make)

    @Slot(str)
    def open_session(self, session_id: str) -> QDialog:
        """The Sessions window with ``session_id`` selected (and opened once unlocked)."""
        dlg = self.open_sessions()
        dlg.show_session(session_id)  # type: ignore[attr-defined]  # the SessionsDialog opened above
        return dlg

    def notify(self, title: str, message: str) -> None:
        self.controller.notify.emit(title, message)

    # ---- dialogs -------------------------------------------------------
    def _show_dialog(self, name: str, factory: Callable[[], QDialog]) -> QDialog:
        open_one = self.dialogs.get(name)
        if isinstance(open_one, QDialog) and open_one.isVisible():
            dlg = open_one
        else:
            dlg = factory()
            self.dialogs[name] = dlg
            dlg.finished.connect(lambda *_args: self.dialogs.pop(name, None))
            dlg.show()
        dlg.raise_()
        dlg.activateWindow()
        return dlg

    @Slot()
    def _open_task_window(self, study_id: str, task_id: str) -> None:
        """A typing or pointing task was started from the study task menu: its window opens.
        The manifest is read in a worker (never I/O on the GUI thread)."""
        from tallylight.ui.task_run import find_task

        def show(found: Any) -> None:
            from tallylight.ui.task_window import TaskWindow

            _sid, task = found
            if self.controller.task != task_id:
                return  # ended meanwhile
            win = TaskWindow(task, self.controller.send_task_window)
            win.paused_changed.connect(lambda p: self.controller.pause() if p else self.controller.resume())
            win.finished.connect(lambda _trials: self.controller.end_task())
            self.dialogs["task"] = win
            win.show_full_screen()

        def free_task(exc: BaseException) -> None:
            pass  # a free task (or no study): nothing to open, the marker is all

        if study_id:
            self.tasks.run(lambda: find_task(task_id, study_id), show, free_task)

    def check_input_monitoring(self) -> str:
        """macOS, at every start and before each session: '' when Input Monitoring is allowed,
        else the reason a session cannot start (and the window that asks for it is shown)."""
        if not ON_MACOS:
            return ""
        from tallylight.capture.permission import InputAccess, PermissionFlow
        from tallylight.ui.dialogs.input_monitoring import InputMonitoringDialog

        if self.permission is None:
            self.permission = PermissionFlow(InputAccess())
        reason = str(self.permission.may_start())
        if reason:
            flow = self.permission
            self._show_dialog("input-monitoring", lambda: InputMonitoringDialog(flow))
        return reason

    def open_start_dialog(self) -> None:
        """Open the start dialog, or the welcome first if no passphrase/vault exists yet."""
        if self.controller.active:
            return
        reason = self.check_input_monitoring()
        if reason:
            self.controller.notify.emit(_("Tallylight"), reason)
            return

        def decide(result: Any) -> None:
            has_vault, recovered, focus = result
            self._say_recovered(recovered)
            if has_vault is False:
                welcome = self.open_welcome()
                welcome.accepted.connect(self.open_start_dialog)
            else:
                self._show_start_dialog(focus)

        def undecided(_exc: BaseException) -> None:
            self._show_start_dialog()

        self.tasks.run(_before_start, decide, undecided)

    def _precheck_start(self, done: Any) -> None:
        """A CLI start needs a vault like a menu start; without one, open the welcome."""
        reason = self.check_input_monitoring()
        if reason:
            done(reason)
            return

        def decide(result: Any) -> None:
            has_vault, recovered, _no_focus = result
            self._say_recovered(recovered)
            if has_vault is False:
                self.open_welcome()
                done(
                    _(
                        "No passphrase is set up yet: finish the Tallylight welcome window (now open) first, "
                        "then start again."
                    )
                )
            else:
                done("")

        self.tasks.run(lambda: _before_start(focus=False), decide, lambda _exc: done(""))

    @Slot()
    def _show_start_dialog(self, focus: tuple[bool, str] | None = None) -> QDialog | None:
        if self.controller.active:
            return None
        from tallylight.ui.dialogs.start_session import StartSessionDialog

        def make() -> QDialog:
            dlg = StartSessionDialog(self.controller.settings, focus=focus)
            dlg.accepted.connect(
                lambda: self.controller.start_session(
                    dlg.session_label(),
                    dlg.options(),
                    study=dlg.study_id(),
                    focus_caveat_said=dlg.focus_caveat_said(),
                )
            )
            self.tasks.run(_startable_studies, dlg.set_studies)
            return dlg

        return self._show_dialog("start", make)

    @Slot()
    def open_live_view(self) -> QWidget:
        """The live view (one window; brought forward if it is open)."""
        from tallylight.ui.live_view import LiveView

        view = self.dialogs.get("live")
        if view is None:
            view = LiveView(self.controller)
            self.dialogs["live"] = view
        view.show()
        view.raise_()
        view.activateWindow()
        return view

    def open_settings(self) -> QDialog:
        from tallylight.ui.dialogs.settings import SettingsDialog

        def make() -> QDialog:
            recording = lambda: self.controller.active  # noqa: E731 - data cannot go while it records
            dlg = SettingsDialog(self.controller.settings, self.tasks, recording=recording)
            dlg.saved.connect(self._on_settings_saved)
            dlg.erased.connect(self._on_erased)
            return dlg

        return self._show_dialog("settings", make)

    @Slot(object)
    def _on_settings_saved(self, new: settings_mod.Settings) -> None:
        self.settings = new
        self.controller.apply_settings(new)

    @Slot()
    def _on_erased(self) -> None:
        """Everything was shredded: forget the old settings too (never written back)."""
        self._on_settings_saved(settings_mod.Settings())

    @Slot()
    def open_sessions(self) -> QDialog:
        from tallylight.ui.dialogs.sessions import SessionsDialog

        return self._show_dialog(
            "sessions", lambda: SessionsDialog(self.tasks, use_keychain=self.settings.use_keychain)
        )

    @Slot()
    def open_share(self) -> QDialog:
        from tallylight.ui.dialogs.share import ShareDialog

        return self._show_dialog("share", lambda: ShareDialog(self.tasks))

    def _resend_outbox(self) -> None:
        """Send bundles a crash or a dead network left in the outbox (confirmed earlier)."""
        from tallylight.share import outbox
        from tallylight.ui.outbox_sender import OutboxSender

        def waiting() -> tuple[list[Any], list[Any]]:
            from tallylight.share import withdrawal

            return outbox.pending(), withdrawal.pending_uploads()

        def send(found: tuple[list[Any], list[Any]]) -> None:
            bundles, requests = found
            if not bundles and not requests:
                return
            self.outbox_sender = sender = OutboxSender(bundles, requests=requests, parent=self)
            sender.all_done.connect(self._on_resent)
            sender.start()

        self.tasks.run(waiting, send, quietly("checking the outbox"))

    def _on_resent(self, sent: int, failed: int) -> None:
        if sent:
            self.notify(
                _("Tallylight"),
                _("Sent {count} that waited to go to the researcher.").format(
                    count=words.count(sent, "item")
                ),
            )
        if failed:
            self.notify(
                _("Tallylight"),
                _(
                    "{count} could not be sent yet; kept, and sent when Tallylight next starts (see "
                    "Sessions… → share log)."
                ).format(count=words.count(failed, "item")),
            )

    @Slot()
    def open_studies(self) -> QDialog:
        """Join a study (manifest by file dialog or drag and drop), see joined studies, withdraw."""
        from tallylight.ui.dialogs.studies import StudiesDialog

        return self._show_dialog("studies", lambda: StudiesDialog(self.tasks))

    def open_join_study(self, path: str = "") -> QDialog:
        """The consent screen straight away (``tallylight`` given a manifest, or tests)."""
        from tallylight.ui.dialogs.studies import StudiesDialog

        studies = self.open_studies()
        assert isinstance(studies, StudiesDialog)  # the "studies" slot only ever holds one
        dlg = studies.open_join()
        if path:
            from pathlib import Path

            dlg.load(Path(path))
        return dlg

    def open_welcome(self) -> QDialog:
        from tallylight.ui.dialogs.welcome import NEXT_STEP_TRAY, NEXT_STEP_WINDOW, WelcomeDialog

        def make() -> QDialog:
            dlg = WelcomeDialog(self.tasks)
            dlg.set_next_step(NEXT_STEP_TRAY if self.tray is not None else NEXT_STEP_WINDOW)
            dlg.accepted.connect(lambda: self._on_welcome_done(dlg))
            return dlg

        return self._show_dialog("welcome", make)

    def _on_welcome_done(self, dlg: Any) -> None:
        self.settings.welcome_done = True
        self.settings.use_keychain = bool(dlg.use_keychain())
        snapshot = settings_mod.Settings.from_dict(self.settings.to_dict())
        self.tasks.run(lambda: settings_mod.save(snapshot))
        if getattr(dlg, "start_requested", False):
            self.open_start_dialog()

    @Slot()
    def show_about(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.NoIcon, _("About Tallylight"), "", QMessageBox.StandardButton.Close
        )
        box.setIconPixmap(icons.app_icon().pixmap(64, 64))  # the app's icon, never the recording light
        box.setText(
            _(
                "<b>Tallylight {version}</b><br>Records keyboard and mouse timing for research, "
                "only in sessions you start, with a visible light while it records. Your data "
                "stays encrypted on this computer until you choose to share it."
            ).format(version=tallylight.__version__)
        )
        box.setInformativeText(licences_text())
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)  # the link opens
        self.dialogs["about"] = box
        box.open()

    def _recover_sessions(self) -> None:
        """Let the store close sessions left open by a crash (off the GUI thread)."""
        from tallylight.store.recovery import recover_unfinished

        def done(result: Any) -> None:
            self.recovered = list(result or [])
            self._say_recovered(self.recovered)

        self.tasks.run(
            lambda: _with_dates(recover_unfinished()),
            done,
            lambda exc: log.warning("session recovery failed: %s", exc),
        )

    def _say_recovered(self, recovered: list[Any]) -> None:
        """After a crash or a kill: which session was recovered, and how much of it was lost."""
        if recovered:
            self.notify(_("Tallylight recovered a session"), recovered_words(recovered))

    # ---- quitting ------------------------------------------------------
    @Slot()
    def quit(self) -> None:
        """Quit; while a session records, ask first (Ctrl+Q is easy to press by mistake)."""
        if not self.controller.active:
            self.qapp.exit(0)  # not quit(): that closes windows first, and the indicator's close asks
            return
        box = self.dialogs.get("quit")
        if isinstance(box, QMessageBox) and box.isVisible():
            box.raise_()
            box.activateWindow()
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            _("Stop recording and quit?"),
            _(
                "A session is recording. Quitting stops it and keeps what was recorded so far. "
                "Stop recording and quit Tallylight?"
            ),
            QMessageBox.StandardButton.NoButton,
        )
        stop = box.addButton(_("&Stop and quit"), QMessageBox.ButtonRole.AcceptRole)
        keep = box.addButton(_("&Keep recording"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)  # Enter keeps the session going
        box.setEscapeButton(keep)

        def answered() -> None:
            self.dialogs.pop("quit", None)
            if box.clickedButton() is stop:
                self.qapp.exit(0)  # not quit(): that closes windows first, and the indicator's close asks
            box.deleteLater()

        box.finished.connect(answered)
        self.dialogs["quit"] = box
        box.open()

    @Slot(QSessionManager)
    def _on_commit_data(self, _manager: QSessionManager) -> None:
        # Logout / shutdown: stop recording now.
        self.controller.shutdown(wait_ms=2000)

    @Slot()
    def _on_about_to_quit(self) -> None:
        self._tray_check.stop()
        self.controller.shutdown(wait_ms=3000)
        self.server.close()
        self.tasks.shutdown()
        if self.tray is not None:
            self.tray.hide()

    def dispose(self) -> None:
        """Tear down without quitting the QApplication (tests, embedding)."""
        try:
            self.qapp.aboutToQuit.disconnect(self._on_about_to_quit)
            self.qapp.commitDataRequest.disconnect(self._on_commit_data)
        except (RuntimeError, TypeError):
            pass
        self._on_about_to_quit()
        if self.outbox_sender is not None and self.outbox_sender.current is not None:
            self.outbox_sender.cancel()  # the bundle stays in the outbox
        for dlg in list(self.dialogs.values()):
            dlg.close()
            dlg.deleteLater()
        self.dialogs.clear()
        for win in (self.window, self.main_window):
            if win is not None:
                win.hide()
                win.deleteLater()
        self.window = self.main_window = None
        if self.tray is not None:
            self.tray.dispose()
        self.deleteLater()


def licences_text() -> str:
    """The About box's line on licences, with a link to the third-party licence texts."""
    from tallylight import resources
    from tallylight.errors import ResourceMissing

    try:
        url = QUrl.fromLocalFile(str(resources.path(resources.THIRD_PARTY_LICENSES))).toString()
    except ResourceMissing:
        return _("Tallylight is free software under the MIT licence.")
    return _(
        "Tallylight is free software under the MIT licence. It includes other free software: "
        '<a href="{url}">their licences</a>.'
    ).format(url=url)


def _with_dates(recovered: list[Any]) -> list[tuple[Any, str]]:
    from tallylight.ui.dialogs.sessions import started_guess

    return [(r, started_guess(r.session_id)) for r in recovered]


def _startable_studies() -> list[tuple[str, str, dict[str, Any], float, float]]:
    """(worker) The joined studies a session can be recorded for now, for the start dialog: id,
    title, capture ceiling, and the study's own limits in seconds (maximum length, idle stop)."""
    from tallylight.study.enrolment import session_terms, startable

    try:
        out = []
        for study_id, title, ceiling in startable():
            terms = session_terms(study_id)
            out.append((study_id, title, ceiling, terms.max_duration_s, terms.idle_timeout_s))
        return out
    except Exception as exc:  # noqa: BLE001 - a damaged study folder must not block a personal start
        log.warning("listing studies failed: %s", exc)
        return []


def _focus_support() -> tuple[bool, str] | None:
    try:
        from tallylight.capture.focus import focus_support

        return focus_support()
    except Exception:  # noqa: BLE001 - unknown: the dialog then promises nothing
        return None


def _before_start(
    focus: bool = True,
) -> tuple[bool | None, list[tuple[Any, str]], tuple[bool, str] | None]:
    """Before a session starts (worker): is there a vault, did a session end unexpectedly,
    and (with ``focus``: for the start dialog, which says so) can private apps pause
    capture here?

    A recorder killed while the app ran leaves its session open; closing it here lets
    the participant hear about it at the next start rather than never. Asking about
    focus opens an X connection whose python-xlib objects are cyclic garbage once it
    closes (about 25 KB, freed only by a full collection): a start that shows no
    dialog does not ask.
    """
    try:
        from tallylight.store.recovery import recover_unfinished

        recovered = _with_dates(recover_unfinished())
    except Exception as exc:  # noqa: BLE001 - recovery must never block a start
        log.warning("session recovery failed: %s", exc)
        recovered = []
    return _vault_exists(), recovered, _focus_support() if focus else None


def recovered_words(recovered: list[tuple[Any, str]]) -> str:
    """What to tell the participant about sessions closed after a crash."""
    parts = []
    for r, started in recovered:
        when = _(" (started {started})").format(started=started) if started else ""
        lost = (
            ngettext(
                "; {n} byte of a record being written was discarded",
                "; {n} bytes of a record being written were discarded",
                r.lost_bytes,
            ).format(n=r.lost_bytes)
            if r.lost_bytes
            else ""
        )
        parts.append(
            _(
                "A session{when} ended unexpectedly and was recovered: everything saved until then is kept, "
                "at most its last second is lost{lost}."
            ).format(when=when, lost=lost)
        )
    return " ".join(parts)


def _vault_exists() -> bool:
    from tallylight.store import vault

    return vault.exists()


def _install_signal_handlers(qapp: QApplication) -> QTimer:
    """SIGTERM/SIGINT/SIGHUP quit cleanly (which stops the recorder)."""

    def handler(_signum: int, _frame: Any) -> None:
        # exit(), not quit(): Qt 6's quit() first closes every window and gives up when one
        # refuses, and the indicator's close asks "Stop recording and quit?"
        qapp.exit(0)

    for sig in (signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, handler)
    # Python runs signal handlers only between bytecodes: wake it regularly.
    timer = QTimer()
    timer.start(250)
    timer.timeout.connect(lambda: None)
    return timer


def _forward_to_running(wait_s: float = 5.0) -> bool:
    """Ask a running app to come forward; True if one answered."""
    import time

    deadline = time.monotonic() + wait_s
    while True:
        try:
            appctl.send("show", timeout=3.0)
            return True
        except AppNotRunning:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        except TallylightError:
            return False


def _require_display() -> None:
    """Qt aborts the process without a display; say it in a sentence instead."""
    if not sys.platform.startswith("linux") and not sys.platform.startswith("freebsd"):
        return
    if os.environ.get("QT_QPA_PLATFORM") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    raise UsageError(
        _(
            "The tray app needs a desktop session (no DISPLAY or WAYLAND_DISPLAY is set). "
            "Start it from your desktop, or record in a terminal with `tallylight record`."
        )
    )


def main(argv: list[str] | None = None) -> int:
    """Run the tray app until it quits. A second instance brings the first forward."""
    argv = list(sys.argv if argv is None else [sys.argv[0], *argv])
    logging.basicConfig(
        level=os.environ.get("TALLYLIGHT_LOG", "WARNING").upper(),
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    _require_display()
    protect_process()  # the app may unlock the vault at any time: no core dumps, cwd /
    lock = FileLock(paths.private_runtime_dir() / "app.lock")
    if not lock.try_acquire():
        if _forward_to_running():
            print(_("Tallylight is already running; its window has been opened."))
            return 0
        print(_("Another Tallylight seems to be starting or stuck; try again in a moment."), file=sys.stderr)
        return 1
    settings = settings_mod.load()  # before the GUI thread has a GUI: a small file read
    QGuiApplication.setDesktopFileName("org.tallylight.Tallylight")  # resources/linux/
    existing = QApplication.instance()
    qapp = existing if isinstance(existing, QApplication) else QApplication(argv)
    apply_language(qapp)
    qapp.setApplicationName("Tallylight")
    qapp.setApplicationDisplayName("Tallylight")
    qapp.setWindowIcon(icons.app_icon())
    qapp.setQuitOnLastWindowClosed(False)
    keepalive = _install_signal_handlers(qapp)
    collector = collect_on_gui_thread(qapp)  # windows in cycles are freed here, never in a worker
    app = TallylightApp(qapp, settings=settings)
    app.check_input_monitoring()  # macOS: at every start (the grant can be revoked)
    try:
        return qapp.exec()
    finally:
        keepalive.stop()
        collector.stop()
        del app


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
