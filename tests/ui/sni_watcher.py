"""A minimal org.kde.StatusNotifierWatcher on the session bus (what KDE, GNOME's AppIndicator
extension and most panels run), printing each tray icon that registers with it."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import ClassInfo, Property, QCoreApplication, QObject, Signal, Slot
from PySide6.QtDBus import QDBusConnection


@ClassInfo({"D-Bus Interface": "org.kde.StatusNotifierWatcher"})  # type: ignore[call-arg]  # PySide6 takes a dict; its stubs do not
class Watcher(QObject):  # type: ignore[operator]  # (the same)
    StatusNotifierItemRegistered = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.items: list[str] = []

    @Slot(str)
    def RegisterStatusNotifierItem(self, service: str) -> None:
        print("REGISTERED", service, flush=True)
        self.items.append(service)
        self.StatusNotifierItemRegistered.emit(service)

    @Slot(str)
    def RegisterStatusNotifierHost(self, service: str) -> None:
        pass

    IsStatusNotifierHostRegistered = Property(bool, lambda _self: True, constant=True)
    ProtocolVersion = Property(int, lambda _self: 0, constant=True)
    RegisteredStatusNotifierItems = Property("QStringList", lambda self: self.items, constant=True)  # type: ignore[arg-type]  # a Qt type name


def main() -> int:
    app = QCoreApplication(sys.argv)
    bus = QDBusConnection.sessionBus()
    watcher = Watcher()
    ok = bus.registerObject(
        "/StatusNotifierWatcher", watcher, QDBusConnection.RegisterOption.ExportAllContents
    ) and bus.registerService("org.kde.StatusNotifierWatcher")
    print("WATCHING" if ok else "FAILED", flush=True)
    if ok and len(sys.argv) > 1:
        Path(sys.argv[1]).touch()  # ready
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
