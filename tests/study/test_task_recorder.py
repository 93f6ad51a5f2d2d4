"""The recorder takes the task window's events and trials, and enforces the typing consent."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from study_helpers import PASS, RESEARCHER, STUDY_ID, current_body

from tallylight import settings
from tallylight.errors import CaptureUnavailable, UsageError
from tallylight.events import KeyClass, Kind, StopReason
from tallylight.options import CaptureOptions, KeyMode
from tallylight.protocol import RecorderMessage
from tallylight.recorder.process import RecorderProcess
from tallylight.recorder.sink import MemorySink
from tallylight.store import vault
from tallylight.store.crypto import KdfParams
from tallylight.study import enrolment, signing
from task_helpers import with_tasks


class ExplodingHooks:
    """Global capture must not be installed at all in a window-only session."""

    def __init__(self, *_args: Any) -> None:
        raise AssertionError("global hooks were installed")

    def start(self) -> None: ...  # the HookSet shape (never reached)

    def stop(self) -> None: ...


def join(tmp_path: Path, typing_text: bool) -> None:
    settings.save(settings.Settings(capture=CaptureOptions(keys=KeyMode.FULL)))
    path = tmp_path / "m.toml"
    path.write_bytes(signing.sign(with_tasks(current_body()), RESEARCHER))
    if not vault.exists():
        vault.create_vault(PASS, params=KdfParams(1, 1, 64))
    offer = enrolment.check_offer(path.read_bytes())
    enrolment.join(
        offer, {"read": True, "agree": True}, CaptureOptions(keys=KeyMode.CLASS), typing_text=typing_text
    )


class Recorder:
    def __init__(self) -> None:
        self.out = io.StringIO()
        self.proc = RecorderProcess(
            self.out, sink_factory=MemorySink, hooks=ExplodingHooks, check_capture=self._no_probe
        )

    @staticmethod
    def _no_probe() -> None:
        raise AssertionError("a window-only session must not probe global capture")

    def send(self, **cmd: Any) -> dict[str, Any]:
        self.proc.handle(json.dumps(cmd))
        return json.loads(self.out.getvalue().splitlines()[-1])

    def stop(self) -> MemorySink:
        session = self.proc.session
        assert session is not None
        self.proc.stop(StopReason.PARTICIPANT)
        sink = session.sink
        assert isinstance(sink, MemorySink)
        return sink


def key(kind: int, t: int, char: str, name: str = "", in_field: bool = True, code: int = 38) -> list[Any]:
    return [kind, t, None, char, name, code, in_field]


def test_typing_task_keeps_field_characters_only_with_the_typing_consent(tmp_path: Path) -> None:
    join(tmp_path, typing_text=True)
    rec = Recorder()
    started = rec.send(cmd="start", id=1, options={"keys": "full"}, study=STUDY_ID, global_capture=False)
    assert started["event"] == "started", started
    assert started["options"]["keys"] == "class", started
    assert rec.send(cmd="task", id=2, action="start", task="type")["event"] == "task"
    # stamped between the start and now (later ones would fall after the stop and be dropped)
    t = rec.proc.session.t0_ns + 1000  # type: ignore[union-attr]
    step = (time.perf_counter_ns() - t) // 8
    events = [
        key(1, t, "h"),
        key(2, t + step, "h"),
        key(1, t + 2 * step, "", "backspace", code=22),
        key(2, t + 3 * step, "", "backspace", code=22),
        key(1, t + 4 * step, "x", in_field=False, code=53),  # e.g. a key on the window, not the field
        key(2, t + 5 * step, "x", in_field=False, code=53),
        [3, t + 6 * step, None, 100, 200],
    ]
    assert "error" not in rec.send(cmd="task_input", events=events).get("event", "")
    trial = {
        "trial": 1,
        "start_ns": t,
        "end_ns": t + 2 * step,
        "presented": "h",
        "transcribed": "",
        "input": "h\b",
        "task": "forged",
        "kind": "forged",
    }
    reply = rec.send(cmd="trials", id=3, trials=[trial])
    assert reply["event"] == "trials", reply
    assert reply["count"] == 1, reply
    sink = rec.stop()
    keys = [e for e in sink.events if e.kind in (Kind.KEY_DOWN, Kind.KEY_UP)]
    assert [(e.key_class, e.text) for e in keys] == [
        (KeyClass.LETTER, "h"),
        (KeyClass.LETTER, "h"),
        (KeyClass.BACKSPACE_DELETE, "backspace"),
        (KeyClass.BACKSPACE_DELETE, "backspace"),
        (KeyClass.LETTER, ""),  # outside the field: the key mode (class) decides
        (KeyClass.LETTER, ""),
    ]
    assert all(e.key == 0 for e in keys)  # class mode: never which key
    assert [e.kind for e in sink.events if e.kind == Kind.MOVE] == [Kind.MOVE]
    (stored,) = sink.trials
    assert stored["task"] == "type"
    assert stored["kind"] == "typing"
    assert stored["task_number"] == 3
    session_t0 = rec.proc.session.t0_ns  # type: ignore[union-attr]
    assert stored["start_ns"] == (t - session_t0) // 100_000 * 100_000
    assert stored["end_ns"] == (t + 2 * step - session_t0) // 100_000 * 100_000


def test_without_the_typing_consent_no_typing_task_runs_and_no_character_is_kept(tmp_path: Path) -> None:
    join(tmp_path, typing_text=False)
    rec = Recorder()
    rec.send(cmd="start", id=1, options={"keys": "full"}, study=STUDY_ID, global_capture=False)
    refused = rec.send(cmd="task", id=2, action="start", task="type")
    assert refused["event"] == "error"
    assert "did not allow" in refused["message"]
    t = rec.proc.session.t0_ns + 1000  # type: ignore[union-attr]
    refused = rec.send(cmd="task_input", id=3, events=[key(1, t, "h")])
    assert refused["event"] == "error"
    assert "No typing or pointing task" in refused["message"]
    assert rec.send(cmd="task", id=4, action="start", task="point")["event"] == "task"
    rec.send(cmd="task_input", id=5, events=[key(1, t, "h"), key(2, t + 1000, "h")])  # in_field is ignored
    sink = rec.stop()
    assert [e.text for e in sink.events if e.kind in (Kind.KEY_DOWN, Kind.KEY_UP)] == ["", ""]


def test_a_window_task_takes_the_hooks_away_and_gives_them_back(tmp_path: Path) -> None:
    join(tmp_path, typing_text=False)
    installed: list[str] = []

    class Hooks:
        def __init__(self, *args: Any) -> None:
            pass

        def start(self) -> None:
            installed.append("start")

        def stop(self) -> None:
            installed.append("stop")

    out = io.StringIO()
    proc = RecorderProcess(out, sink_factory=MemorySink, hooks=Hooks, check_capture=lambda: None)
    proc.handle(json.dumps({"cmd": "start", "id": 1, "study": STUDY_ID}))
    proc.handle(json.dumps({"cmd": "task", "action": "start", "task": "point"}))
    proc.handle(json.dumps({"cmd": "task", "action": "end"}))
    proc.stop(StopReason.PARTICIPANT)
    assert installed == ["start", "stop", "start", "stop"]


def test_join_refuses_typing_text_for_a_study_without_typing_tasks(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_bytes(signing.sign(current_body(), RESEARCHER))
    vault.create_vault(PASS, params=KdfParams(1, 1, 64))
    offer = enrolment.check_offer(path.read_bytes())
    with pytest.raises(UsageError, match="no typing task"):
        enrolment.join(offer, {"read": True, "agree": True}, typing_text=True)
    enrolment.join(offer, {"read": True, "agree": True})
    assert enrolment.load(STUDY_ID).enrolment.typing_text is False


def test_malformed_window_input_is_refused_in_one_sentence(tmp_path: Path) -> None:
    join(tmp_path, typing_text=True)
    rec = Recorder()
    rec.send(cmd="start", id=1, study=STUDY_ID, global_capture=False)
    rec.send(cmd="task", id=2, action="start", task="point")
    for bad in (
        [[9, 0, None, 1, 2]],
        [[3, 0, None, 1]],
        [[3, 0, -1, 1, 2]],
        "x",
        [[1, 0, None, 5, "", 0, True]],
    ):
        reply = rec.send(cmd="task_input", id=3, events=bad)
        assert reply["event"] == "error", bad
        assert reply["fatal"] is False, bad
    reply = rec.send(cmd="trials", id=4, trials=[{"trial": 1, "start_ns": 5, "end_ns": 4}])
    assert reply["event"] == "error"
    assert "malformed" in reply["message"]
    rec.stop()


def test_without_global_capture_a_study_with_window_tasks_records_them_alone(tmp_path: Path) -> None:
    """Wayland: the probe says no global capture; a study session still starts, window-only."""
    join(tmp_path, typing_text=False)

    def unavailable() -> None:
        raise CaptureUnavailable("This is a Wayland session without XWayland.")

    out = io.StringIO()
    proc = RecorderProcess(out, sink_factory=MemorySink, hooks=ExplodingHooks, check_capture=unavailable)

    def send(**cmd: Any) -> dict[str, Any]:
        proc.handle(json.dumps(cmd))
        return json.loads(out.getvalue().splitlines()[-1])

    # a controller that cannot show the task window (`record`) is refused: it would record nothing
    refused = send(cmd="start", id=1, study=STUDY_ID)
    assert refused["event"] == "error", refused
    assert proc.session is None
    started = send(cmd="start", id=1, study=STUDY_ID, window_tasks_fallback=True)  # as the app asks
    assert started["event"] == "started", started
    assert started["global_capture"] is False
    assert RecorderMessage.parse(started).global_capture is False
    refused = send(cmd="task", id=2, action="start", task="copy-text")  # a free task
    assert refused["event"] == "error"
    assert "cannot run here" in refused["message"]
    assert send(cmd="task", id=3, action="start", task="point")["event"] == "task"
    proc.stop(StopReason.PARTICIPANT)
    # without a study with typing or pointing tasks nothing starts
    out2 = io.StringIO()
    proc2 = RecorderProcess(out2, sink_factory=MemorySink, hooks=ExplodingHooks, check_capture=unavailable)
    proc2.handle(json.dumps({"cmd": "start", "id": 1, "window_tasks_fallback": True}))
    reply = json.loads(out2.getvalue().splitlines()[-1])
    assert reply["event"] == "error", reply
    assert "Wayland" in reply["message"]
    assert proc2.session is None


def test_with_global_capture_the_started_reply_says_so(tmp_path: Path) -> None:
    join(tmp_path, typing_text=False)
    out = io.StringIO()
    proc = RecorderProcess(
        out, sink_factory=MemorySink, hooks=lambda *_a: _NoHooks(), check_capture=lambda: None
    )
    proc.handle(json.dumps({"cmd": "start", "id": 1, "study": STUDY_ID}))
    started = json.loads(out.getvalue().splitlines()[-1])
    assert started["global_capture"] is True
    proc.handle(json.dumps({"cmd": "task", "id": 2, "action": "start", "task": "copy-text"}))
    assert json.loads(out.getvalue().splitlines()[-1])["event"] == "task"
    proc.stop(StopReason.PARTICIPANT)


class _NoHooks:
    def start(self) -> None: ...

    def stop(self) -> None: ...
