"""Helpers shared by UI tests."""

from __future__ import annotations

import threading
from typing import Any

PASSPHRASE = "correct horse battery staple"


def call_appctl(qtbot, command: str, timeout_ms: int = 20000, **fields: Any) -> dict:
    """Run appctl.send in a plain thread while the Qt event loop keeps running."""
    from tallylight import appctl

    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["reply"] = appctl.send(command, **fields)
        except BaseException as exc:  # noqa: BLE001
            box["error"] = exc

    t = threading.Thread(target=work, daemon=True)
    t.start()
    qtbot.waitUntil(lambda: not t.is_alive(), timeout=timeout_ms)
    if "error" in box:
        raise box["error"]
    return box["reply"]
