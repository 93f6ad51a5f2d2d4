"""The capture choices that Settings, Start and Join share (:class:`CaptureOptionsForm`), and its
key-mode choice: the modes up to a ceiling, narrowest first.

Each dialog offers only what its ceiling allows (Settings: every mode; Start: what
Settings and the chosen study allow; Join: what the study asks for). Item data is
the mode's label, so ``currentData()`` and ``findData("full")`` read as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QWidget

from tallylight import words
from tallylight.i18n import _
from tallylight.options import CaptureOptions, KeyMode, narrow


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


#: the streams a participant ticks, each a bool field of CaptureOptions
STREAMS = ("mouse_moves", "clicks", "scrolls")


class CaptureOptionsForm(QObject):
    """The capture choices Settings, Start and Join share: the key-mode choice and a box per
    stream, offered up to a ceiling and read back as :class:`CaptureOptions`.

    Each dialog lays the controls out as it needs (``keys`` and ``boxes``); what may be
    chosen, and how a ceiling narrows the choice, is decided here once: a stream the ceiling
    does not allow is unticked and disabled (or hidden, for Join: never offered what a study
    does not ask for), and ticked again when a wider ceiling allows it back.
    """

    changed = Signal()

    def __init__(
        self,
        keys_name: str,
        texts: Mapping[str, str],
        *,
        names: Mapping[str, str] | None = None,
        explain: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.keys = KeyModeChoice(keys_name, explain=explain)
        self.boxes: dict[str, QCheckBox] = {}
        for name in STREAMS:
            box = QCheckBox(texts[name])
            box.setAccessibleName((names or {}).get(name) or texts[name].replace("&", ""))
            box.toggled.connect(lambda _on: self.changed.emit())
            self.boxes[name] = box
        self.keys.currentIndexChanged.connect(lambda _index: self.changed.emit())

    def offer(self, ceiling: CaptureOptions, *, keep: bool = True, hide: bool = False) -> None:
        """Offer what ``ceiling`` allows (``keep``: the key choice stays if still offered);
        ``hide``: a stream it does not allow is not shown, and the ticks are left as they are."""
        self.keys.offer(ceiling.keys, keep=keep)
        for name, box in self.boxes.items():
            on = bool(getattr(ceiling, name))
            if hide:
                box.setVisible(on)
                continue
            if not on:
                box.setChecked(False)
            elif not box.isEnabled():
                box.setChecked(True)  # allowed again (back to a wider choice): on, as at first
            box.setEnabled(on)

    def show_options(self, options: CaptureOptions) -> None:
        """Show ``options`` as the current choice (within what is offered)."""
        self.keys.select(options.keys)
        for name, box in self.boxes.items():
            box.setChecked(bool(getattr(options, name)))

    def options(self, base: CaptureOptions, ceiling: CaptureOptions | None = None) -> CaptureOptions:
        """``base`` (its move filters) with the choices here, never wider than ``ceiling``."""
        chosen: dict[str, Any] = {name: box.isChecked() for name, box in self.boxes.items()}
        wanted = replace(base, keys=self.keys.mode(), **chosen)
        return narrow(ceiling, wanted) if ceiling is not None else wanted
