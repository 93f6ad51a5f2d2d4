"""Private apps: the recorder removes its hooks while one has focus; the gap never names it."""

from __future__ import annotations

import pytest
from fake_wm import FakeWM
from store_helpers import CHEAP

from helpers import wait_until
from tallylight.capture.focus import is_private, normalise
from tallylight.events import GapReason, Kind, Marker
from tallylight.recorder.client import RecorderClient
from tallylight.store import sessions, vault
from xserver import XServer

pytestmark = pytest.mark.x11
PASS = "private apps test passphrase"


def test_matching_is_by_wm_class_either_part_case_insensitive() -> None:
    private = normalise(["KeePassXC", " banking "])
    assert is_private(("keepassxc", "KeePassXC"), private)
    assert is_private(("Banking", "Other"), private)
    assert not is_private(("xterm", "XTerm"), private)
    assert not is_private(None, private)
    assert not is_private(("keepassxc", "KeePassXC"), normalise([]))


@pytest.fixture
def wm(xserver: XServer):
    w = FakeWM(xserver.display)
    yield w
    w.close()


def test_nothing_captured_while_a_private_app_has_focus(
    allow_full_keys: None, xserver: XServer, wm: FakeWM
) -> None:
    vault.create_vault(PASS, params=CHEAP)  # the production KDF has its own test (test_vault)
    editor = wm.window("xterm", "XTerm")
    secret = wm.window("keepassxc", "KeePassXC")
    wm.focus(secret)  # the session starts inside a private app
    with RecorderClient(env=xserver.env()) as rec:
        started = rec.request("start", options={"keys": "full"}, private_apps=["KeePassXC"])
        assert started["private_apps_watched"] is True
        assert rec.request("status")["private"] is True
        xserver.xdotool("type", "pin1")
        wm.focus(editor)
        wait_until(lambda: rec.request("status")["private"] is False)
        xserver.xdotool("type", "ab")
        wait_until(lambda: rec.request("status")["counts"].get("key_up", 0) >= 2)
        wm.focus(secret)
        wait_until(lambda: rec.request("status")["private"] is True)
        xserver.xdotool("type", "hunter2")
        rec.request("pause")  # the participant pauses inside the private app...
        wm.focus(editor)
        wait_until(lambda: rec.request("status")["private"] is False)
        xserver.xdotool("type", "zz")  # ...so leaving it does not resume capture
        rec.request("resume")
        xserver.xdotool("type", "cd")
        wait_until(lambda: rec.request("status")["counts"].get("key_up", 0) >= 4)
        session_id = rec.request("stop")["summary"]["session_id"]
    events = list(sessions.iter_events(session_id, vault.unlock(PASS)))
    assert [e.text for e in events if e.kind == Kind.KEY_DOWN] == ["a", "b", "c", "d"]
    markers = [(Marker(e.marker), e.reason) for e in events if e.kind == Kind.MARKER]
    assert markers == [
        (Marker.SESSION_START, 0),
        (Marker.GAP, GapReason.PRIVATE_APP),
        (Marker.RESUME, 0),
        (Marker.GAP, GapReason.PRIVATE_APP),
        (Marker.PAUSE, GapReason.PAUSED_BY_PARTICIPANT),
        (Marker.RESUME, 0),
        (Marker.SESSION_STOP, 1),
    ]
    assert not any("keepass" in e.text.lower() for e in events)
    assert "keepass" not in repr(sessions.summary(session_id, vault.unlock(PASS))).lower()


def test_without_an_ewmh_window_manager_the_participant_is_told(xserver: XServer) -> None:
    with RecorderClient(env=xserver.env(TALLYLIGHT_SINK="memory")) as rec:
        started = rec.request("start", private_apps=["KeePassXC"])
        assert started["private_apps_watched"] is False
        notice = rec.wait_for("error", timeout=5)
        assert notice["fatal"] is False
        assert "Private apps cannot be detected here" in notice["message"]
