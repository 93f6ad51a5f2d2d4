"""Capture follows consent: a study session captures at most the consented streams, whoever starts it."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from study_helpers import OTHER, PASS, STUDY_ID, NoHooks, current_body, write_signed

from helpers import PtyProcess
from tallylight import settings
from tallylight.events import Kind, Marker, StopReason
from tallylight.options import CaptureOptions, KeyMode
from tallylight.recorder.process import RecorderProcess
from tallylight.recorder.sink import MemorySink
from tallylight.store import vault
from tallylight.store.crypto import KdfParams
from tallylight.study import enrolment, signing
from xserver import XServer

WIDE = {"keys": "full", "mouse_moves": True, "clicks": True, "scrolls": True}


def _join(path: Path, capture: CaptureOptions | None = None) -> enrolment.Study:
    if not vault.exists():
        vault.create_vault(PASS, params=KdfParams(1, 1, 64))
    offer = enrolment.check_offer(path.read_bytes())
    return enrolment.join(offer, {"read": True, "agree": True}, capture)[0]


def _start(fields: dict) -> tuple[RecorderProcess, dict]:
    out = io.StringIO()
    proc = RecorderProcess(out, sink_factory=MemorySink, hooks=NoHooks, check_capture=lambda: None)
    proc.handle(json.dumps({"cmd": "start", "id": 1, **fields}))
    reply = json.loads(out.getvalue().splitlines()[-1])
    return proc, reply


@pytest.fixture
def study(tmp_path: Path) -> enrolment.Study:
    """Manifest: keys class, everything else on; consent narrowed scrolls off."""
    # the participant's settings allow everything
    settings.save(settings.Settings(capture=CaptureOptions(keys=KeyMode.FULL)))
    return _join(write_signed(tmp_path / "m.toml"), CaptureOptions(keys=KeyMode.CLASS, scrolls=False))


def test_start_command_applies_the_study_ceiling(study: enrolment.Study) -> None:
    proc, started = _start({"options": WIDE, "study": STUDY_ID, "max_duration_s": 7200})
    try:
        assert started["event"] == "started", started
        assert started["options"]["keys"] == "class"
        assert started["options"]["scrolls"] is False
        assert started["study"] == STUDY_ID
        assert started["study_title"] == "Typing rhythm and fatigue"
        assert "keys: kind only — your study does not allow more" in [
            n["message"] for n in started["narrowed"]
        ]
        assert proc.session is not None
        assert proc.session.options == CaptureOptions(keys=KeyMode.CLASS, scrolls=False)
        info = proc.session.info
        assert info is not None
        assert info.study_id == STUDY_ID
        assert info.manifest_hash == study.signed.hash
        assert info.consent_id == study.enrolment.consent_id
        assert proc._limits == (3600.0, 600.0)  # the study's limits are tighter than the 2 h asked
        assert enrolment.load(STUDY_ID).session_ids() == [info.session_id]
    finally:
        proc.stop(StopReason.PARTICIPANT)


def test_settings_narrower_than_the_study_still_win(study: enrolment.Study) -> None:
    settings.save(settings.Settings(capture=CaptureOptions(keys=KeyMode.NONE, clicks=False)))
    proc, started = _start({"options": WIDE, "study": STUDY_ID})
    proc.stop(StopReason.PARTICIPANT)
    assert started["options"]["keys"] == "none"
    assert started["options"]["clicks"] is False


def test_personal_sessions_are_unchanged(study: enrolment.Study) -> None:
    proc, started = _start({"options": WIDE})
    proc.stop(StopReason.PARTICIPANT)
    assert (started["options"]["keys"] == "full" and "study" not in started) or started["study"] is None
    assert proc.session is not None
    assert proc.session.info is not None
    assert proc.session.info.study_id == ""


def test_no_session_for_an_unknown_withdrawn_or_changed_study(study: enrolment.Study, tmp_path: Path) -> None:
    proc, reply = _start({"options": WIDE, "study": "0b6a1a52-3c1e-4f7e-9d35-2d0f6c8f7a11"})
    assert reply["event"] == "error"
    assert "not joined" in reply["message"]
    assert proc.session is None
    proc, reply = _start({"options": WIDE, "study": ["x"]})
    assert reply["event"] == "error"
    assert proc.session is None
    # a hand-edited manifest, even one re-signed by some other key, never starts a session
    stored = study.path / enrolment.MANIFEST_FILE
    stored.write_bytes(signing.sign(current_body(**{'keys = "class"': 'keys = "full"'}), OTHER))
    proc, reply = _start({"options": WIDE, "study": STUDY_ID})
    assert reply["event"] == "error"
    assert "consented to" in reply["message"]
    assert proc.session is None


def test_max_sessions(tmp_path: Path) -> None:
    _join(write_signed(tmp_path / "m.toml", **{"max_sessions = 20": "max_sessions = 1"}))
    proc, reply = _start({"options": WIDE, "study": STUDY_ID})
    proc.stop(StopReason.PARTICIPANT)
    assert reply["event"] == "started"
    proc, reply = _start({"options": WIDE, "study": STUDY_ID})
    assert reply["event"] == "error"
    assert "all 1 sessions" in reply["message"]


@pytest.mark.x11
def test_record_for_a_study_stores_exactly_the_consented_streams(xserver: XServer, tmp_path: Path) -> None:
    """The real CLI, recorder and store: `record --study --keys full` with moves off in the consent."""
    settings.save(settings.Settings(capture=CaptureOptions(keys=KeyMode.FULL)))
    study = _join(write_signed(tmp_path / "m.toml"), CaptureOptions(keys=KeyMode.CLASS, mouse_moves=False))
    env = xserver.env(TALLYLIGHT_PASSPHRASE=PASS)
    p = PtyProcess(
        [
            sys.executable,
            "-m",
            "tallylight.cli.main",
            "record",
            "--for",
            "3s",
            "--keys",
            "full",
            "--study",
            STUDY_ID,
        ],
        env,
    )
    p.read_until(b"Press Ctrl-C")
    assert b"For study " + STUDY_ID.encode() in p.output
    assert b"your study does not allow more" in p.output
    xserver.xdotool("mousemove", "10", "10")
    xserver.xdotool("type", "--delay", "30", "secret")
    xserver.xdotool("mousemove", "200", "150")
    xserver.xdotool("click", "1")
    assert p.wait(60) == 0, p.output
    from tallylight.store import sessions

    (sid,) = sessions.session_ids()
    data = sessions.read(sid, vault.unlock(PASS))
    info = data.info
    assert info is not None
    assert info.options.keys.label == "class"
    assert info.options.mouse_moves is False
    assert (info.study_id, info.manifest_hash, info.consent_id) == (
        STUDY_ID,
        study.signed.hash,
        study.enrolment.consent_id,
    )
    events = list(data.events())
    kinds = {e.kind for e in events}
    assert Kind.KEY_DOWN in kinds
    assert Kind.BUTTON_DOWN in kinds
    assert Kind.MOVE not in kinds
    assert all(e.text == "" and e.key == 0 for e in events if e.kind in (Kind.KEY_DOWN, Kind.KEY_UP))
    assert enrolment.load(STUDY_ID).session_ids() == [sid]


def test_record_refuses_an_unknown_study_before_starting(capsys: pytest.CaptureFixture[str]) -> None:
    from tallylight.cli.main import main

    assert main(["record", "--study", STUDY_ID]) == 8
    assert "not joined" in capsys.readouterr().err


def test_task_and_note_markers_go_into_the_event_stream(tmp_path: Path) -> None:
    two_tasks = '[[tasks]]\nid = "b"\ntitle = "B"\ninstructions = "do b"\n\n[data]'
    _join(write_signed(tmp_path / "m.toml", **{"[data]": two_tasks}))
    out = io.StringIO()
    proc = RecorderProcess(out, sink_factory=MemorySink, hooks=NoHooks, check_capture=lambda: None)

    def send(**msg: object) -> dict:
        proc.handle(json.dumps({"id": 9, **msg}))
        return json.loads(out.getvalue().splitlines()[-1])

    started = send(cmd="start", options=WIDE, study=STUDY_ID)
    assert started["tasks"] == [{"id": "copy-text", "title": "Copy a paragraph"}, {"id": "b", "title": "B"}]
    assert send(cmd="task", action="start", task="copy-text")["number"] == 1
    assert send(cmd="status")["task"] == "copy-text"
    assert send(cmd="note")["number"] == 1
    assert send(cmd="task", action="start", task="b")["number"] == 2  # ends copy-text first
    assert send(cmd="pause")["event"] == "paused"
    assert send(cmd="note")["number"] == 2  # a note while paused is kept (no input is)
    assert send(cmd="resume")["event"] == "resumed"
    assert send(cmd="task", action="end")["task"] == "b"
    bad = send(cmd="task", action="end")
    assert bad["event"] == "error"
    assert "No task is running" in bad["message"]
    bad = send(cmd="task", action="start", task="nope")
    assert bad["event"] == "error"
    assert "copy-text, b" in bad["message"]
    proc.stop(StopReason.PARTICIPANT)
    assert proc.session is not None
    assert isinstance(proc.session.sink, MemorySink)
    markers = [(e.marker, e.reason) for e in proc.session.sink.events if e.kind == Kind.MARKER]
    M = Marker
    assert markers == [
        (M.SESSION_START, 0),
        (M.TASK_START, 1),
        (M.NOTE, 1),
        (M.TASK_END, 1),
        (M.TASK_START, 2),
        (M.PAUSE, 1),
        (M.NOTE, 2),
        (M.RESUME, 0),
        (M.TASK_END, 2),
        (M.SESSION_STOP, int(StopReason.PARTICIPANT)),
    ]


def test_tasks_need_a_study_session() -> None:
    proc, _started = _start({"options": WIDE})
    out = proc._out
    proc.handle(json.dumps({"cmd": "task", "action": "start", "task": "x"}))
    assert "not for a study" in out.getvalue().splitlines()[-1]  # type: ignore[attr-defined]
    proc.handle(json.dumps({"cmd": "note"}))
    assert json.loads(out.getvalue().splitlines()[-1])["event"] == "note"  # type: ignore[attr-defined]
    proc.stop(StopReason.PARTICIPANT)
