"""Issue 7 item 12: bad input on the app's control socket gets one clear answer, never a hang."""

from __future__ import annotations

import json
import socket
import threading


def raw_request(qtbot, payload: bytes) -> dict:
    from tallylight import appctl

    box: dict = {}

    def work() -> None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        try:
            s.connect(str(appctl.socket_path()))
            s.sendall(payload)
            data = b""
            while b"\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            box["reply"] = json.loads(data.split(b"\n")[0])
        except BaseException as exc:  # noqa: BLE001
            box["error"] = exc
        finally:
            s.close()

    t = threading.Thread(target=work, daemon=True)
    t.start()
    qtbot.waitUntil(lambda: not t.is_alive(), timeout=15000)
    if "error" in box:
        raise box["error"]
    return box["reply"]


def test_deep_or_long_requests_are_answered(make_app, fake_recorder, qtbot) -> None:
    app = make_app()
    reply = raw_request(qtbot, b"[" * 60_000 + b"]" * 60_000 + b"\n")
    assert reply["ok"] is False
    assert reply["error"] == "The request was not understood."
    reply = raw_request(qtbot, b"[" * 100_000)  # and no end of line: never a hang
    assert reply["ok"] is False
    assert reply["error"] == "The request is too long."
    reply = raw_request(qtbot, b'{"cmd": "status"}\n')
    assert reply["ok"] is True
    assert reply["state"] == "idle"
    assert app.controller.state == "idle"
