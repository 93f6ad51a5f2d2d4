"""Issue 7 item 7: the participant's settings are the ceiling for every session.

Enforced in one place, the recorder's start command, so the app menu,
``tallylight start`` and ``tallylight record`` cannot skip it.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from helpers import NoHooks, PtyProcess
from tallylight import settings, words
from tallylight.options import CaptureOptions, KeyMode
from tallylight.recorder import ceiling
from tallylight.recorder.process import RecorderProcess
from tallylight.recorder.sink import MemorySink
from xserver import XServer

PASS = "correct horse battery staple"


def test_apply_names_what_each_ceiling_narrowed() -> None:
    asked = CaptureOptions(keys=KeyMode.FULL, clicks=True, scrolls=True)
    mine = ceiling.Ceiling(CaptureOptions(keys=KeyMode.HASHED, scrolls=False), words.PARTICIPANT_CEILING)
    study = ceiling.Ceiling(CaptureOptions(keys=KeyMode.CLASS), words.STUDY_CEILING)
    got, notes = ceiling.apply(asked, [mine, study])
    assert got == CaptureOptions(keys=KeyMode.CLASS, clicks=True, scrolls=False)
    assert [n.describe() for n in notes] == [
        "keys: kind only — your study does not allow more",
        "scrolls: off — your settings do not allow more",
    ]
    assert notes[0].requested == KeyMode.FULL
    narrow_enough = CaptureOptions(keys=KeyMode.NONE, scrolls=False)
    assert ceiling.apply(narrow_enough, [mine, study]) == (narrow_enough, [])


def test_start_command_enforces_the_settings_whoever_sends_it() -> None:
    settings.save(settings.Settings(capture=CaptureOptions(keys=KeyMode.CLASS, scrolls=False)))
    out = io.StringIO()
    proc = RecorderProcess(out, sink_factory=MemorySink, hooks=NoHooks, check_capture=lambda: None)
    proc.handle(json.dumps({"cmd": "start", "id": 1, "options": {"keys": "full", "scrolls": True}}))
    started = json.loads(out.getvalue().splitlines()[-1])
    proc.stop(__import__("tallylight.events").events.StopReason.PARTICIPANT)
    assert started["event"] == "started", started
    assert started["options"]["keys"] == "class"
    assert started["options"]["scrolls"] is False
    assert [n["message"] for n in started["narrowed"]] == [
        "keys: kind only — your settings do not allow more",
        "scrolls: off — your settings do not allow more",
    ]
    assert proc.session is not None
    assert proc.session.options.keys == KeyMode.CLASS


@pytest.mark.x11
def test_record_keys_full_cannot_widen_the_settings(xserver: XServer, tallylight_home: Path) -> None:
    """The real CLI and recorder: settings say kind of key only, `record --keys full` asks for more."""
    settings.save(settings.Settings(capture=CaptureOptions(keys=KeyMode.CLASS)))
    env = xserver.env(TALLYLIGHT_PASSPHRASE=PASS)
    p = PtyProcess(
        [sys.executable, "-m", "tallylight.cli.main", "record", "--for", "3s", "--keys", "full"], env
    )
    p.read_until(b"RECORDING IS ON")
    p.read_until(b"Press Ctrl-C")
    assert b"keys: kind only \xe2\x80\x94 your settings do not allow more" in p.output
    xserver.xdotool("type", "--delay", "30", "secret")
    assert p.wait(60) == 0, p.output
    from tallylight.store import sessions, vault

    v = vault.unlock(PASS)
    (sid,) = sessions.session_ids()
    data = sessions.read(sid, v)
    assert data.info is not None
    assert data.info.options.keys.label == "class"
    keys = [e for e in data.events() if e.kind in (1, 2)]
    assert keys
    assert all(e.text == "" and e.key == 0 for e in keys)


def test_status_says_what_was_narrowed() -> None:
    """`tallylight start` and `status` print the narrowing the app's recorder reported."""
    from tallylight import appctl

    reply = {
        "state": "recording",
        "options": {"keys": "class", "mouse_moves": True, "clicks": True, "scrolls": True},
        "narrowed": ["keys: kind only — your settings do not allow more"],
    }
    assert "Narrowed: keys: kind only — your settings do not allow more." in appctl.format_status(reply)
