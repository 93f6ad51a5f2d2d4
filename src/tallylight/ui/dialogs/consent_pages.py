"""The consent flow as pages: one topic per page, its text in a scroll area, Back and Next.

A single long consent screen could not be read at 200 % on a small screen (the
study text showed two lines and the last checkbox was cut). Here each page is a
heading and a scroll area, so every page fits any screen the window fits; the
pages come from ``study.presentation.consent_pages`` (adding a page is a line in
its table). :attr:`reached_end` fires once the participant has turned to the
last page, which is what enables "I have read every page".

For screen readers, each page's scroll area is named after the page and its text
takes the focus when the page is shown, so a screen reader announces the page and
reads its text next, page after page.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from tallylight.i18n import _
from tallylight.study.presentation import Page


def _markdown(page: Page) -> str:
    if len(page.sections) == 1 and page.sections[0].heading == page.title:
        return page.sections[0].body
    return "\n\n".join(f"#### {s.heading}\n\n{s.body}" for s in page.sections)


class ConsentPages(QWidget):
    """Pages of reading, one shown at a time; ``reached_end`` once the last one was shown."""

    reached_end = Signal()
    page_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pages: list[Page] = []
        self.titles: list[str] = []
        self.texts: list[QLabel] = []
        self.seen_last = False
        self.title = QLabel()
        self.title.setObjectName("consent-page-title")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: bold;")
        self.stack = QStackedWidget()
        self.back_button = QPushButton(_("< &Back"))
        self.back_button.setAccessibleName(_("Previous page"))
        self.next_button = QPushButton(_("&Next >"))
        self.next_button.setAccessibleName(_("Next page"))
        for button in (self.back_button, self.next_button):
            button.setAutoDefault(False)
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.next)
        self.position = QLabel()
        self.position.setObjectName("consent-page-position")

        nav = QHBoxLayout()
        nav.addWidget(self.back_button)
        nav.addWidget(self.position, 1, Qt.AlignmentFlag.AlignCenter)
        nav.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.stack, 1)
        layout.addLayout(nav)

    def set_pages(self, pages: Sequence[Page], extra: dict[str, Sequence[QWidget]] | None = None) -> None:
        """Show ``pages`` from the first; ``extra`` adds widgets below a page's text (by page key)."""
        extra = extra or {}
        while self.stack.count():
            old = self.stack.widget(0)
            assert old is not None
            self.stack.removeWidget(old)
            for widgets in extra.values():  # kept widgets move to the new page, never deleted with the old
                for w in widgets:
                    if w.parent() is not None and old.isAncestorOf(w):
                        w.setParent(None)
            old.deleteLater()
        self.titles, self.texts, self.seen_last = [], [], False
        self.pages = list(pages)
        for page in pages:
            text = QLabel()
            text.setTextFormat(Qt.TextFormat.MarkdownText)
            text.setText(_markdown(page))
            text.setWordWrap(True)
            text.setObjectName(f"consent-text-{page.key}")
            text.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
            )
            text.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            text.setAlignment(Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignTop)
            body = QWidget()
            column = QVBoxLayout(body)
            column.addWidget(text)
            for w in extra.get(page.key, ()):
                column.addWidget(w)
            column.addStretch(1)
            scroll = QScrollArea()
            scroll.setObjectName(f"consent-page-{page.key}")
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.StyledPanel)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            scroll.setAccessibleName(page.title)
            scroll.setWidget(body)
            self.stack.addWidget(scroll)
            self.titles.append(page.title)
            self.texts.append(text)
        self._show(0)

    def count(self) -> int:
        return self.stack.count()

    def current(self) -> int:
        return self.stack.currentIndex()

    @Slot()
    def next(self) -> None:
        self._show(self.current() + 1)

    @Slot()
    def back(self) -> None:
        self._show(self.current() - 1)

    def _show(self, index: int) -> None:
        if not 0 <= index < self.count():
            return
        self.stack.setCurrentIndex(index)
        n = self.count()
        self.title.setText(self.titles[index])
        self.position.setText(_("Page {page} of {pages}").format(page=index + 1, pages=n))
        self.back_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < n - 1)
        self.texts[index].setFocus(Qt.FocusReason.OtherFocusReason)  # a screen reader reads it next
        self.page_changed.emit(index)
        if index == n - 1 and not self.seen_last:
            self.seen_last = True
            self.reached_end.emit()


class WrappedCheck(QWidget):
    """A checkbox whose text wraps (a QCheckBox's never does, and a manifest's consent sentence is
    long): the box, then a wrapped label that toggles it when clicked. ``box`` is the checkbox."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box = QCheckBox()
        self.box.setAccessibleName(text)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setBuddy(self.box)
        self.label.mousePressEvent = lambda _event: self.box.toggle()  # type: ignore[method-assign]
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.box, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.label, 1)
