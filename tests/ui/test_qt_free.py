"""appctl and settings are Qt-free and work without a display or a running app."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading

import pytest

from tallylight import appctl, settings
from tallylight.errors import AppNotRunning, RecorderError, UsageError
from tallylight.options import CaptureOptions, KeyMode


def test_modules_do_not_import_qt():
    code = (
        "import sys, tallylight.appctl, tallylight.settings, tallylight.cli.main; "
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_send_without_app_says_so():
    with pytest.raises(AppNotRunning, match="not running"):
        appctl.send("status")


def test_send_unknown_command():
    with pytest.raises(UsageError):
        appctl.send("explode")


def _serve_once(reply: dict) -> tuple[threading.Thread, list]:
    path = appctl.socket_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(path))
    srv.listen(1)
    got: list = []

    def run() -> None:
        conn, _ = srv.accept()
        data = b""
        while not data.endswith(b"\n"):
            data += conn.recv(4096)
        got.append(json.loads(data))
        conn.sendall(json.dumps(reply).encode() + b"\n")
        conn.close()
        srv.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, got


def test_send_roundtrip_and_error():
    t, got = _serve_once(
        {
            "ok": True,
            "state": "recording",
            "elapsed_s": 65,
            "counts": {"key_down": 3},
            "options": {"keys": "class", "mouse_moves": False, "clicks": True, "scrolls": True},
        }
    )
    reply = appctl.send("start", label="L")
    t.join(5)
    assert got == [{"cmd": "start", "label": "L"}]
    text = appctl.format_status(reply)
    assert "State: recording" in text
    assert "0:01:05" in text
    assert "3 key presses" in text
    assert "Capturing: kind of key only (never which letter), clicks, scrolls" in text
    os.unlink(appctl.socket_path())
    t, got = _serve_once({"ok": False, "error": "No session is recording."})
    with pytest.raises(RecorderError, match="No session is recording"):
        appctl.send("stop")
    t.join(5)


def test_stale_socket_file_means_not_running():
    path = appctl.socket_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.close()  # file remains, nobody listens
    with pytest.raises(AppNotRunning):
        appctl.send("status")


def test_settings_roundtrip_and_atomic(tallylight_home):
    s = settings.load()
    assert s == settings.Settings()
    s.capture = CaptureOptions(keys=KeyMode.HASHED, move_min_interval_ms=8)
    s.private_apps = ["KeePassXC", " ", "Signal"]
    s.reminder_every_min = 5
    path = settings.save(s)
    assert path.parent == tallylight_home / "config"
    loaded = settings.load()
    assert loaded.capture == CaptureOptions(keys=KeyMode.HASHED, move_min_interval_ms=8)
    assert loaded.reminder_every_min == 5
    assert loaded.private_apps == ["KeePassXC", "Signal"]
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temp files left


def test_settings_bad_file_falls_back(tallylight_home):
    p = settings.settings_path()
    p.parent.mkdir(parents=True)
    p.write_text(json.dumps({"keys": "everything", "max_duration_min": "lots", "clicks": False, "extra": 1}))
    s = settings.load()  # a file from before settings held a CaptureOptions: its flat fields still count
    assert s.capture == CaptureOptions(clicks=False)
    assert s.max_duration_min == 120
    p.write_text(
        json.dumps({"capture": {"keys": "none", "scrolls": "no", "move_min_distance_px": -1, "x": 1}})
    )
    assert settings.load().capture == CaptureOptions(keys=KeyMode.NONE)  # bad fields fall back one by one
    p.write_text(json.dumps({"capture": [1], "keys": "full"}))
    assert settings.load().capture == CaptureOptions(keys=KeyMode.FULL)
    p.write_text("{not json")
    assert settings.load() == settings.Settings()


def test_narrow_never_widens():
    s = settings.Settings(capture=CaptureOptions(keys="class", mouse_moves=False))
    out = s.narrow(CaptureOptions(keys=KeyMode.FULL, mouse_moves=True, clicks=False))
    assert out == CaptureOptions(keys=KeyMode.CLASS, mouse_moves=False, clicks=False, scrolls=True)
    assert s.narrow(CaptureOptions(keys=KeyMode.NONE)).keys is KeyMode.NONE
