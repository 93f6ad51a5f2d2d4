"""Reading the windows the way a screen reader does: through Qt's accessibility tree."""

from __future__ import annotations

import re


def walk(iface, depth: int = 0):
    if iface is None or not iface.isValid() or depth > 40:
        return
    yield iface
    for i in range(iface.childCount()):
        yield from walk(iface.child(i), depth + 1)


def _plain(text: str) -> str:
    from PySide6.QtGui import QTextDocument

    doc = QTextDocument()
    doc.setHtml(text)
    return " ".join(doc.toPlainText().split())


def problems(widget) -> list[str]:
    """Unnamed interactive controls, and labels whose text a screen reader cannot reach."""
    from PySide6.QtGui import QAccessible
    from PySide6.QtWidgets import QLabel

    R = QAccessible.Role
    interactive = {
        R.PushButton,
        R.CheckBox,
        R.RadioButton,
        R.ComboBox,
        R.EditableText,
        R.SpinBox,
        R.List,
        R.Table,
        R.PageTab,
        R.Slider,
        R.ButtonMenu,
        R.ButtonDropDown,
        R.Link,
    }
    T = QAccessible.Text
    bad = []
    for iface in walk(QAccessible.queryAccessibleInterface(widget)):
        if iface.state().invisible:
            continue
        obj = iface.object()
        name = iface.text(T.Name).strip()
        parent = iface.parent()
        inside_composite = parent is not None and parent.role() in (R.SpinBox, R.ComboBox)
        if iface.role() in interactive and not name and not inside_composite:
            object_name = getattr(obj, "objectName", lambda: "")()
            bad.append(f"unnamed {iface.role().name} {type(obj).__name__} {object_name!r}")
        if isinstance(obj, QLabel) and obj.isVisible() and obj.text().strip() and obj.pixmap().isNull():
            text = _plain(obj.text())
            reach = " ".join(" ".join(iface.text(t).split()) for t in (T.Name, T.Description, T.Value))
            if text and text.replace("&", "") not in reach.replace("&", ""):
                bad.append(f"label text not reachable: {text[:60]!r} (reads {reach[:60]!r})")
    return bad


def names(widget) -> list[str]:
    from PySide6.QtGui import QAccessible

    return [i.text(QAccessible.Text.Name) for i in walk(QAccessible.queryAccessibleInterface(widget))]


__all__ = ["names", "problems", "re"]
