"""Render every window at one scale factor and report what does not fit (run as a script).

Used by test_scaling.py: ``QT_SCALE_FACTOR=2 python scale_check.py OUT_DIR`` on an Xvfb
whose screen is 1280x720. Prints one JSON object: per window, the problems found
(window larger than the screen or off it, a control outside its window or squeezed below
its minimum size, a wrapped label cut short). Controls inside a scroll area only need the
scroll area to fit: their content can be scrolled to.
"""

from __future__ import annotations

import faulthandler
import json
import os
import sys
from pathlib import Path

# a crash (a signal) prints every thread's Python stack to stderr, which the test shows
faulthandler.enable()


def check(window, app) -> list[str]:
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QAbstractSpinBox,
        QComboBox,
        QKeySequenceEdit,
        QLabel,
        QLineEdit,
        QScrollArea,
        QTabBar,
    )

    from tallylight.ui.fit import screen_of

    bad = []
    screen = screen_of(window)
    assert screen is not None
    avail = screen.availableGeometry()
    frame = window.frameGeometry()
    if frame.width() > avail.width() or frame.height() > avail.height():
        bad.append(f"window {frame.width()}x{frame.height()} > screen {avail.width()}x{avail.height()}")
    if not avail.contains(frame):
        bad.append(f"window at {frame.x()},{frame.y()} {frame.width()}x{frame.height()} is partly off screen")
    inner = QRect(0, 0, window.width(), window.height())
    kinds = (
        QAbstractButton,
        QLineEdit,
        QComboBox,
        QAbstractSpinBox,
        QAbstractItemView,
        QTabBar,
        QLabel,
        QKeySequenceEdit,
    )
    for w in window.findChildren(kinds[0].__mro__[-2]):  # every QWidget
        if not isinstance(w, kinds) or not w.isVisible():
            continue
        if w.parent() is not None and isinstance(w.parent(), (QComboBox, QAbstractSpinBox, QKeySequenceEdit)):
            continue
        scroller = w.parent()
        while scroller is not None and scroller is not window and not isinstance(scroller, QScrollArea):
            scroller = scroller.parent()
        if isinstance(scroller, QScrollArea) and scroller is not w:
            continue  # reachable by scrolling; the scroll area itself is checked
        name = f"{type(w).__name__} {(w.text() if hasattr(w, 'text') else w.objectName())!s:.30}"
        top_left = w.mapTo(window, w.rect().topLeft())
        rect = QRect(top_left, w.size())
        if not inner.contains(rect):
            bad.append(f"{name}: outside the window ({rect.x()},{rect.y()} {rect.width()}x{rect.height()})")
        hint = w.minimumSizeHint()
        if isinstance(w, QLabel) and w.wordWrap():
            need = w.heightForWidth(w.width())
            if need > w.height() + 1:
                bad.append(f"{name}: wrapped text cut ({w.height()} < {need})")
        elif (
            isinstance(w, (QAbstractButton, QLabel, QLineEdit, QComboBox))
            and hint.isValid()
            and (w.width() + 1 < hint.width() or w.height() + 1 < hint.height())
        ):
            bad.append(f"{name}: squeezed to {w.width()}x{w.height()} < {hint.width()}x{hint.height()}")
    return bad


QT_OWN_WORDS = frozenset({"Cancel", "Save", "Close", "OK", "Yes", "No", "Press shortcut"})


def untranslated(window) -> list[str]:
    """In the pseudo-locale every word of ours is accented: visible text with a plain ASCII word of
    three letters or more escaped gettext (or is data: a label, a key name)."""
    import re

    from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QLineEdit, QWidget

    found = []
    texts = [window.windowTitle()]
    for w in window.findChildren(QWidget):
        if not w.isVisible():
            continue
        if isinstance(w, (QLabel, QAbstractButton)):
            texts.append(w.text())
        if isinstance(w, QGroupBox):
            texts.append(w.title())
        if isinstance(w, QLineEdit):
            texts.append(w.placeholderText())
        texts.append(w.toolTip())
        texts.append(w.accessibleName())
    for text in texts:
        if text in QT_OWN_WORDS:
            continue  # Qt's own buttons: translated by Qt's catalogs (German), none for the pseudo-locale
        plain = re.sub(r"<[^>]*>|&\w+;", " ", text or "")
        plain = re.sub(r"\b(?:Ctrl|Alt|Shift|Meta|Super)\+\S+", " ", plain)  # key names are data
        from tallylight import settings as settings_mod

        data_words = [
            *os.environ.get("SCALE_CHECK_DATA", "").split("|"),
            *settings_mod.Settings().private_apps,
        ]
        for data in filter(None, data_words):  # app names in the default private apps are data too
            plain = plain.replace(data, " ")  # and what the test itself recorded (a session label)
        words = re.findall(r"\b[A-Za-z]{3,}\b", plain)
        if words:
            found.append(f"untranslated {words[:4]} in {plain[:50]!r}")
    return sorted(set(found))


def scrolls_sideways(window) -> list[str]:
    """Text to be read by scrolling sideways: a visible horizontal scroll bar (the preview, its labels)."""
    from PySide6.QtWidgets import QAbstractScrollArea

    return [
        f"{type(w).__name__} {w.accessibleName()!s:.30}: scrolls sideways"
        for w in window.findChildren(QAbstractScrollArea)
        if w.isVisible() and w.horizontalScrollBar().isVisible()
    ]


def targets_off_screen(window) -> list[str]:
    """Every target of every sequence, drawn whole inside the task window (the layout is in
    physical pixels; the window draws in logical ones, so a scale of 2 halves them)."""
    from PySide6.QtCore import QRectF

    area = QRectF(window.canvas.rect())
    bad = []
    for t in window.targets:
        centre = window.to_local(t.x, t.y)
        r = t.width / 2 / window.ratio
        if not area.contains(QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r)):
            bad.append(f"target {t.sequence}/{t.trial} at ({t.x:.0f}, {t.y:.0f}) is not wholly on screen")
    if window.task.pointing is not None and not window.targets:
        bad.append("the pointing task laid out no targets")
    return bad


def task_window_tasks() -> dict:
    from tallylight.study.manifest import PointingTask, Task, Text, TypingTask

    def text(t: str) -> Text:
        return Text((("", t),))

    long = "Click each highlighted circle as quickly and accurately as you can. " * 3
    return {
        "pointing": Task(
            "tap",
            text("Click the circles"),
            text(long),
            kind="pointing",
            pointing=PointingTask((256.0, 512.0), "px", (32.0, 64.0), "px", 9, 1, 7, ("mouse", "trackpad")),
        ),
        "typing": Task(
            "copy",
            text("Copy the phrases"),
            text("Type each phrase as shown, then press Enter."),
            kind="typing",
            typing=TypingTask(("the quick brown fox jumps over the lazy dog",), 1, None),
        ),
    }


def main(out_dir: str) -> int:
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0], "-platform", "xcb"])
    from tallylight.ui.gui_gc import collect_on_gui_thread
    from tallylight.ui.language import apply_language

    collect_on_gui_thread(app)  # as the app does: windows are freed on this thread only

    apply_language(app)  # LANGUAGE=de or en@pseudo: the same windows in German or the pseudo-locale
    app.setApplicationName("Tallylight")
    from tallylight import settings as settings_mod
    from tallylight.ui.actions import AppActions
    from tallylight.ui.controller import AppController
    from tallylight.ui.dialogs.sessions import SessionsDialog
    from tallylight.ui.dialogs.settings import SettingsDialog
    from tallylight.ui.dialogs.start_session import StartSessionDialog
    from tallylight.ui.dialogs.welcome import WelcomeDialog
    from tallylight.ui.fallback_window import FallbackWindow
    from tallylight.ui.tasks import TaskRunner

    s = settings_mod.Settings()
    tasks = TaskRunner()
    c = AppController(s)
    actions = AppActions(c)

    def wait(ms: int = 300) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    report: dict[str, list[str]] = {}
    scale = os.environ.get("QT_SCALE_FACTOR", "1").replace(".", "_")
    lang = os.environ.get("LANGUAGE", "en").replace("@", "-")
    lang = "" if lang == "en" else f"-{lang}"
    out = Path(out_dir)

    def run(name: str, widget, prepare=None) -> None:
        widget.show()
        wait()
        if prepare:
            prepare(widget)
            wait()
        report[name] = check(widget, app)
        if os.environ.get("SCALE_CHECK_UNTRANSLATED"):
            report[name] += untranslated(widget)
        widget.grab().save(str(out / f"{name}@{scale}x{lang}.png"), "PNG")

    run("start", StartSessionDialog(s, focus=(False, "")))
    settings = SettingsDialog(s, tasks)
    for i, tab in enumerate(("settings-capture", "settings-limits", "settings-private")):
        run(tab, settings, lambda w, i=i: w.tabs.setCurrentIndex(i))
    welcome = WelcomeDialog(tasks)
    run("welcome", welcome)
    run("welcome-passphrase", welcome, lambda w: w.next_page())
    run("welcome-next-step", welcome, lambda w: w.show_next_step())
    run("sessions", SessionsDialog(tasks))
    run("window", FallbackWindow(c, actions))
    run("main-window", FallbackWindow(c, actions, indicator=False))
    from tallylight.ui.dialogs.share import ShareDialog
    from tallylight.ui.dialogs.studies import JoinStudyDialog, StudiesDialog
    from tallylight.ui.live_view import LiveView
    from tallylight.ui.tally_window import TallyWindow

    run("studies", StudiesDialog(tasks))
    run("join-study", JoinStudyDialog(tasks))
    run("share", ShareDialog(tasks))
    if os.environ.get("SCALE_CHECK_SHARE_SESSION"):  # with a study session ticked: the preview shown
        from tallylight.store import vault as vault_mod

        unlocked = vault_mod.unlock(os.environ["SCALE_CHECK_PASSPHRASE"])
        share = ShareDialog(tasks, unlocked, session_ids=[os.environ["SCALE_CHECK_SHARE_SESSION"]])

        def previewed(w) -> None:
            for _ in range(600):  # until the preview is built in its worker (at most a minute)
                if w.share_button.isEnabled():
                    return
                wait(100)
            raise SystemExit("share: the preview was never shown")

        run("share-preview", share, previewed)
        report["share-preview"] += scrolls_sideways(share)  # what is shared is read top to bottom
    run("live-view", LiveView(c))
    run("record-tally-window", TallyWindow())
    if os.environ.get("SCALE_CHECK_PASSPHRASE"):
        from tallylight.store import vault
        from tallylight.ui.review.window import ReviewWindow

        v = vault.unlock(os.environ["SCALE_CHECK_PASSPHRASE"])
        run("review", ReviewWindow(tasks, os.environ["SCALE_CHECK_SESSION"], v), lambda _w: wait(1500))
    study_texts = [
        text
        for task in task_window_tasks().values()
        for text in (
            str(task.title),
            str(task.instructions).strip(),
            *(task.typing.phrases if task.typing else ()),
        )
    ]
    # the study's own words (titles, instructions, phrases) are data in the manifest's language
    os.environ["SCALE_CHECK_DATA"] = "|".join([os.environ.get("SCALE_CHECK_DATA", ""), *study_texts])
    for kind, task in task_window_tasks().items():  # the task window, full screen (docs/TASKS.md)
        from tallylight.ui.task_window import TaskWindow

        run(f"task-{kind}-intro", TaskWindow(task, lambda *_a, **_k: None), lambda w: w.show_full_screen())
        window = TaskWindow(task, lambda *_a, **_k: None)
        run(f"task-{kind}", window, lambda w: (w.show_full_screen(), w.start()))
        report[f"task-{kind}"] += targets_off_screen(window)
    print(json.dumps({"dpr": app.primaryScreen().devicePixelRatio(), "report": report}), flush=True)
    tasks.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
