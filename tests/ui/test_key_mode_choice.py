"""The one key-mode choice of Settings, Start and Join: only modes up to the ceiling, choice kept."""

from __future__ import annotations

from tallylight.options import KeyMode
from tallylight.ui.capture_form import KeyModeChoice


def _offered(box: KeyModeChoice) -> list[str]:
    return [box.itemData(i) for i in range(box.count())]


def test_offers_only_up_to_the_ceiling_and_keeps_a_choice_still_offered(qapp) -> None:
    box = KeyModeChoice("Keyboard capture")
    box.offer(KeyMode.FULL)
    assert _offered(box) == ["none", "class", "hashed", "full"]
    assert box.mode() is KeyMode.FULL  # the widest offered at first
    box.select(KeyMode.CLASS)
    box.offer(KeyMode.HASHED)  # a study narrows: the choice stays
    assert _offered(box) == ["none", "class", "hashed"]
    assert box.mode() is KeyMode.CLASS
    box.offer(KeyMode.NONE)
    assert box.mode() is KeyMode.NONE
    box.offer(KeyMode.HASHED, keep=False)  # Join: a new study starts at what it asks for
    assert box.mode() is KeyMode.HASHED
    assert box.accessibleName() == "Keyboard capture"


def test_settings_explain_each_mode(qapp) -> None:
    from PySide6.QtCore import Qt

    box = KeyModeChoice("Keyboard capture", explain=True)
    box.offer(KeyMode.FULL)
    tip = box.itemData(box.findData("class"), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Keyboard: ")
    assert "never which letter" in tip
