"""Show every consent page of the Join dialog at one scale and language; report what does not fit.

Run by test_consent_pages.py as ``QT_SCALE_FACTOR=2 LANGUAGE=de python consent_check.py MANIFEST OUT``
on an Xvfb whose screen is 1280x720; prints one JSON object: the layout direction, the pages'
titles and, per page, the problems scale_check.check finds (window larger than the screen,
a control outside its window or cut). Screenshots: ``consent-<page>@<scale>x-<lang>.png``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from scale_check import check


def main(manifest: str, out_dir: str) -> int:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication, QScrollArea

    from tallylight.study import enrolment
    from tallylight.ui.dialogs.studies import JoinStudyDialog
    from tallylight.ui.language import apply_language
    from tallylight.ui.tasks import TaskRunner

    app = QApplication([sys.argv[0], "-platform", "xcb"])
    apply_language(app)

    def wait(ms: int = 250) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    tasks = TaskRunner()
    dlg = JoinStudyDialog(tasks)
    dlg.show()
    wait()
    dlg._show_offer(enrolment.check_offer(enrolment.read_manifest_file(Path(manifest))))
    wait(500)
    scale = os.environ.get("QT_SCALE_FACTOR", "1").replace(".", "_")
    lang = os.environ.get("LANGUAGE", "en").replace("@", "-")
    report = {}
    for i in range(dlg.pages.count()):
        while dlg.pages.current() < i:
            dlg.pages.next_button.click()
        wait()
        area = dlg.pages.stack.currentWidget()
        assert isinstance(area, QScrollArea)  # each page scrolls on its own
        key = area.objectName().removeprefix("consent-page-")
        report[key] = check(dlg, app)
        page = area.widget()
        assert page is not None
        need = page.minimumSizeHint().width()
        if need > area.viewport().width():  # no horizontal scrolling: wider content would be cut
            report[key].append(f"page content {need} px wide > its {area.viewport().width()} px view")
        dlg.grab().save(str(Path(out_dir) / f"consent-{key}@{scale}x-{lang}.png"), "PNG")
    print(
        json.dumps(
            {
                "rtl": app.layoutDirection().name == "RightToLeft",
                "titles": dlg.pages.titles,
                "have_read_enabled": dlg.have_read.isEnabled(),
                "report": report,
            }
        )
    )
    tasks.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
