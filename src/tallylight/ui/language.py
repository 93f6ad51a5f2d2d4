"""The app's language in Qt: the OS's UI languages where the environment names none, Qt's own
words in it, and the layout direction of the language (right to left for the pseudo-locale)."""

from __future__ import annotations

from PySide6.QtCore import QLibraryInfo, QLocale, Qt, QTranslator
from PySide6.QtWidgets import QApplication

from tallylight import i18n


def apply_language(qapp: QApplication) -> None:
    """Choose the catalog, translate Qt's own buttons, mirror the layout for a right-to-left language.

    On Linux the environment (LANGUAGE, LC_ALL, LC_MESSAGES, LANG) says it; on
    Windows and macOS, where apps started from the desktop usually get none of these,
    Qt's ``QLocale.system().uiLanguages()`` does.
    """
    if not i18n.desktop_languages():
        i18n.use_languages([lang.replace("-", "_") for lang in QLocale.system().uiLanguages()])
    # Qt's own words (Cancel, Yes, the file dialog) from the translations Qt ships
    translator = QTranslator(qapp)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(f"qtbase_{i18n.language()}", folder):
        qapp.installTranslator(translator)
    rtl = i18n.is_rtl()
    qapp.setLayoutDirection(Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight)
