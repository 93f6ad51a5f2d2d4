"""The key-mode choice that Settings, Start and Join share: the modes up to a ceiling, narrowest first.

Each dialog offers only what its ceiling allows (Settings: every mode; Start: what
Settings and the chosen study allow; Join: what the study asks for). Item data is
the mode's label, so ``currentData()`` and ``findData("full")`` read as before.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QWidget

from tallylight import words
from tallylight.i18n import _
from tallylight.options import KeyMode


class KeyModeChoice(QComboBox):
    """A combo box of the key modes up to ``offer``'s ceiling."""

    def __init__(self, accessible_name: str, *, explain: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(accessible_name)
        self._explain = explain  # each mode's full sentence as its tooltip (Settings)

    def offer(self, up_to: KeyMode, *, keep: bool = True) -> None:
        """Offer the modes up to ``up_to``; keep the current choice if still offered (``keep``), else
        select the widest offered."""
        chosen = self.currentData() if keep else None
        self.blockSignals(True)
        self.clear()
        for mode in KeyMode:
            if mode <= up_to:  # only narrower or equal
                self.addItem(words.key_mode(mode).title, mode.label)
                if self._explain:
                    self.setItemData(
                        self.count() - 1,
                        _("Keyboard: {keys}.").format(keys=words.key_mode(mode).plain),
                        Qt.ItemDataRole.ToolTipRole,
                    )
        index = self.findData(chosen) if chosen is not None else -1
        self.setCurrentIndex(index if index >= 0 else self.count() - 1)
        self.blockSignals(False)

    def select(self, mode: KeyMode) -> None:
        index = self.findData(mode.label)
        if index >= 0:
            self.setCurrentIndex(index)

    def mode(self) -> KeyMode:
        return KeyMode.parse(str(self.currentData()))
