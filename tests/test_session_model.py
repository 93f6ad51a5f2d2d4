"""The Qt-free session model: every step it takes, every step it refuses, its clock, a recorder that dies."""

from __future__ import annotations

from typing import Any

import pytest

from tallylight.errors import UsageError
from tallylight.protocol import RecorderMessage
from tallylight.recorder.exitlog import RecorderExit
from tallylight.session_model import TRANSITIONS, RecorderLost, SessionEvents, SessionModel
from tallylight.words import AppState


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def model_in(state: AppState, clock: Clock | None = None) -> SessionModel:
    """A model brought to ``state`` by the steps a real session takes."""
    m = SessionModel(clock or Clock())
    if state == AppState.IDLE:
        return m
    if state == AppState.ERROR:
        m.launching()
        m.failed("the recorder refused")
        m.ended()
        return m
    m.launching()
    if state in (AppState.RECORDING, AppState.PAUSED):
        m.started()
    if state == AppState.PAUSED:
        m.paused()
    if state == AppState.STOPPING:
        m.started()
        m.stopping()
    assert m.state == state
    return m


ALL = list(AppState)


@pytest.mark.parametrize("start", ALL)
@pytest.mark.parametrize("to", ALL)
def test_each_step_is_taken_or_refused_as_the_table_says(start: AppState, to: AppState) -> None:
    m = model_in(start)
    if to == start or to in TRANSITIONS[start]:
        m.go(to)
        assert m.state == to
    else:
        with pytest.raises(UsageError, match=f"from {start.value} to {to.value}"):
            m.go(to)
        assert m.state == start


def test_a_session_from_start_to_stop() -> None:
    clock = Clock()
    m = SessionModel(clock)
    assert not m.active
    assert m.elapsed_s == 0.0
    m.launching()
    assert m.state == AppState.STARTING
    assert m.active
    clock.now += 1
    m.started()
    assert m.state == AppState.RECORDING
    clock.now += 10
    m.paused()
    clock.now += 5
    assert m.state == AppState.PAUSED
    assert m.elapsed_s == 10
    assert m.paused_s == 5
    m.resumed()
    clock.now += 2
    assert m.stopping()
    assert m.state == AppState.STOPPING
    m.stopped()
    clock.now += 100  # the clock froze when the recorder said stopped
    assert m.ended() == AppState.IDLE
    assert m.elapsed_s == 12
    assert m.paused_s == 5
    assert not m.stopping()  # nothing to stop


def test_late_messages_never_turn_the_light_back_on() -> None:
    m = model_in(AppState.STOPPING)
    m.paused()
    m.resumed()
    m.started()
    assert m.state == AppState.STOPPING
    m.ended()
    m.paused()
    m.resumed()
    m.started()
    assert m.state == AppState.IDLE


@pytest.mark.parametrize("state", [AppState.STARTING, AppState.RECORDING, AppState.PAUSED, AppState.STOPPING])
def test_a_recorder_that_dies_in_each_state_fails_the_session(state: AppState) -> None:
    clock = Clock()
    m = model_in(state, clock)
    clock.now += 3
    m.failed("The recorder ended unexpectedly.")
    m.failed("a later reason")  # the first reason is kept
    assert m.ended() == AppState.ERROR
    assert not m.active
    clock.now += 50
    assert m.fatal_error == "The recorder ended unexpectedly."
    assert m.elapsed_s + m.paused_s <= 3 + 1e-9  # the clock stopped when it died
    m.launching()  # a new session may start after a failure, with a fresh clock
    assert m.state == AppState.STARTING
    assert m.fatal_error == ""
    assert m.elapsed_s == 0.0


@pytest.mark.parametrize("state", [AppState.STARTING, AppState.RECORDING, AppState.PAUSED, AppState.STOPPING])
def test_a_recorder_that_ends_cleanly_in_each_state_leaves_the_light_off(state: AppState) -> None:
    m = model_in(state)
    m.stopped()
    assert m.ended() == AppState.IDLE
    assert not m.active


def test_a_stop_asked_while_starting_keeps_the_clock_but_not_the_recording_light() -> None:
    clock = Clock()
    m = model_in(AppState.STARTING, clock)
    assert m.stopping()
    m.started()  # the recorder had already started when it read the stop
    clock.now += 4
    assert m.state == AppState.STOPPING
    assert m.elapsed_s == 4


def test_failed_is_ignored_without_a_recorder() -> None:
    m = SessionModel(Clock())
    m.failed("nothing runs")
    assert m.fatal_error == ""
    assert m.ended() == AppState.IDLE
    with pytest.raises(UsageError):
        model_in(AppState.RECORDING).launching()  # one session at a time


def test_the_stop_summary_keeps_the_recorders_figures_and_the_lights_clock() -> None:
    from tallylight.protocol import RecorderMessage

    clock = Clock()
    m = model_in(AppState.RECORDING, clock)
    clock.now += 7
    m.paused()
    clock.now += 2
    said = RecorderMessage.parse(
        {"event": "stopped", "reason": "participant", "summary": {"counts": {"key_down": 4}, "duration_s": 9}}
    )
    last = m.stopped_with(said, {"key_down": 1}, "morning", "s1")
    assert last is m.last_stop
    assert (last.reason, last.label, last.session_id) == ("participant", "morning", "s1")
    assert last.summary.counts == {"key_down": 4}  # the recorder's own count wins
    assert (last.summary.recorded_s, last.summary.paused_s, last.summary.duration_s) == (7, 2, 9)


@pytest.mark.parametrize("state", [AppState.STARTING, AppState.RECORDING, AppState.PAUSED, AppState.STOPPING])
def test_a_recorder_that_dies_without_a_summary_keeps_what_was_seen(state: AppState) -> None:
    from tallylight.protocol import RECORDER_EXITED, RecorderMessage

    clock = Clock()
    m = model_in(state, clock)
    clock.now += 3
    died = RecorderMessage("stopped", reason=RECORDER_EXITED, exit_code=None, signal=9)
    last = m.stopped_with(died, {"move": 12}, "", "s2")
    m.failed("The recorder ended unexpectedly.")
    assert m.ended() == AppState.ERROR
    assert last.reason == RECORDER_EXITED
    assert last.summary.counts == {"move": 12}
    assert last.summary.duration_s == pytest.approx(m.elapsed_s + m.paused_s)


# ---------------------------------------------------------------- the start command and the link


class Link:
    """A recorder link that keeps what the model sent down it."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, object]]] = []
        self.closed = False
        self.exit: RecorderExit | None = None  # how its process ended, once it has

    def send(self, cmd: object, **fields: object) -> None:
        self.sent.append((str(cmd), fields))

    def close_channel(self) -> None:
        self.closed = True


def _started(m: SessionModel, **fields: object) -> None:
    from tallylight.protocol import RecorderMessage

    m.on_started(RecorderMessage.parse({"event": "started", "session_id": "s1", **fields}))


def test_the_start_command_is_narrowed_by_the_settings_and_carries_their_limits() -> None:
    from tallylight.options import CaptureOptions, KeyMode
    from tallylight.session_model import start_command
    from tallylight.settings import Settings

    settings = Settings(
        capture=CaptureOptions(keys=KeyMode.HASHED, scrolls=False),
        max_duration_min=30,
        idle_timeout_min=5,
        pause_hotkey="Ctrl+Alt+P",
        private_apps=["keepassxc"],
    )
    asked = CaptureOptions(keys=KeyMode.FULL, move_min_interval_ms=8.0)
    cmd = start_command(settings, asked, label="typing", study="st-1", seconds_per_minute=2.0)
    assert cmd.options == {**asked.to_dict(), "keys": "hashed", "scrolls": False}  # never wider
    assert (cmd.max_duration_s, cmd.idle_timeout_s) == (60.0, 10.0)
    assert cmd.pause_hotkey == "<ctrl>+<alt>+p"
    assert cmd.private_apps == ("keepassxc",)
    assert (cmd.label, cmd.study) == ("typing", "st-1")
    # no options asked: the settings' own; an unusable hotkey is left out, not fatal
    plain = start_command(Settings(pause_hotkey="Ctrl+Ctrl"))
    assert plain.options == Settings().capture.to_dict()
    assert plain.pause_hotkey == ""
    assert "pause_hotkey" not in plain.fields()


def test_the_model_keeps_the_limits_and_the_backstop() -> None:
    from tallylight.protocol import StartCommand

    m = SessionModel(Clock())
    m.begin(Link(), StartCommand(max_duration_s=120.0, idle_timeout_s=30.0))
    assert m.limits == (120.0, 30.0)
    assert m.backstop_s == 135.0  # the app stops a recorder that missed its own limit
    m.begin(Link(), StartCommand())
    assert m.backstop_s == 0.0


@pytest.mark.parametrize("state", list(AppState))
def test_commands_reach_the_recorder_only_in_states_that_take_them(state: AppState) -> None:
    from tallylight.protocol import StartCommand

    m = model_in(state)
    link = Link()
    m.link = link if state.active else None
    m.request = StartCommand()
    m.tasks = [{"id": "copy", "title": "Copy a text"}]
    assert m.pause() is (state == AppState.RECORDING)
    assert m.resume() is (state == AppState.PAUSED)
    assert m.add_note() is state.active
    assert m.start_task("copy") is state.active
    assert m.start_task("unknown") is False
    assert m.end_task() is False  # no task running
    assert m.own_ui_open(True) is (state in (AppState.RECORDING, AppState.PAUSED))
    sent = [cmd for cmd, _ in link.sent]
    assert ("pause" in sent) is (state == AppState.RECORDING)
    assert ("resume" in sent) is (state == AppState.PAUSED)
    assert ("note" in sent) is state.active


def test_a_session_through_its_link() -> None:
    from tallylight.protocol import RecorderMessage, StartCommand

    m = SessionModel(Clock())
    link = Link()
    m.begin(link, StartCommand(label="typing", options={"keys": "class"}))
    assert (m.state, m.label, m.options) == (AppState.STARTING, "typing", {"keys": "class"})
    _started(
        m,
        options={"keys": "none"},
        narrowed=[{"message": "keys: the study allows none"}],
        study_title="A study",
        tasks=[{"id": "copy", "title": "Copy a text"}],
    )
    assert m.state == AppState.RECORDING
    assert (m.session_id, m.options, m.study_title) == ("s1", {"keys": "none"}, "A study")
    assert m.narrowed == ["keys: the study allows none"]
    assert m.start_task("copy")
    m.on_marked(RecorderMessage.parse({"event": "task", "action": "start", "task": "copy"}))
    assert m.task == "copy"
    assert m.task_title("copy") == "Copy a text"
    assert m.end_task()
    m.on_marked(RecorderMessage.parse({"event": "task", "action": "end"}))
    m.on_marked(RecorderMessage.parse({"event": "note", "number": 1}))
    assert (m.task, m.notes) == ("", 1)
    m.on_stats(
        RecorderMessage.parse({"event": "stats", "counts": {"key_down": 3}, "rate": 2.5, "private": True})
    )
    assert (m.counts, m.rate, m.private) == ({"key_down": 3}, 2.5, True)
    m.on_private(RecorderMessage.parse({"event": "private", "on": True}))
    assert m.own_ui_private
    assert m.stop()
    assert m.stop()
    assert [cmd for cmd, _ in link.sent].count("stop") == 1
    assert ("stop", {"reason": "participant"}) in link.sent
    last = m.on_stopped(RecorderMessage.parse({"event": "stopped", "reason": "participant", "summary": {}}))
    assert last.label == "typing"
    assert last.session_id == "s1"
    assert last.summary.counts == {"key_down": 3}  # the last counts seen
    assert m.on_exit() == AppState.IDLE
    assert m.link is None
    assert not m.pause()
    assert not m.stop()


def test_a_new_session_forgets_the_last_ones_facts() -> None:
    from tallylight.protocol import RecorderMessage, StartCommand

    m = SessionModel(Clock())
    m.begin(Link(), StartCommand(label="first"))
    _started(m)
    m.on_stats(RecorderMessage.parse({"event": "stats", "counts": {"key_down": 3}}))
    m.on_stopped(RecorderMessage.parse({"event": "stopped", "reason": "participant", "summary": {}}))
    m.on_exit()
    m.begin(Link(), StartCommand(label="second"))
    assert (m.label, m.session_id, m.counts, m.notes) == ("second", "", {}, 0)
    assert m.last_stop is not None
    assert m.last_stop.label == "first"


def test_the_apps_study_session_may_fall_back_to_the_task_window() -> None:
    """Only the tray app, which can show the task window, asks for the window-only fallback
    (Wayland), and only for a study session; ``record`` never does (docs/CONTROL.md)."""
    from tallylight.session_model import start_command
    from tallylight.settings import Settings

    assert start_command(Settings(), study="s").fields()["window_tasks_fallback"] is True
    assert "window_tasks_fallback" not in start_command(Settings()).fields()


# ---------------------------------------------------------------- what the model tells its adapter


class Told:
    """A model's events, kept: what the tray app or ``record`` would show."""

    def __init__(self) -> None:
        self.notices: list[tuple[str, str]] = []
        self.failed: list[str] = []
        self.lost: list[RecorderLost] = []
        self.ended: list[object] = []
        self.tasks: list[tuple[str, str]] = []
        self.stops: list[object] = []
        self.exits: list[object] = []
        self.changes = 0
        self.running = 0

    def events(self) -> SessionEvents:
        def changed() -> None:
            self.changes += 1

        def running() -> None:
            self.running += 1

        return SessionEvents(
            changed=changed,
            notice=lambda title, text: self.notices.append((title, text)),
            running=running,
            task_started=lambda _study, task: self.tasks.append(("start", task)),
            task_ended=lambda task: self.tasks.append(("end", task)),
            stop_sent=self.stops.append,
            exit_seen=self.exits.append,
            failed=self.failed.append,
            lost=self.lost.append,
            ended=self.ended.append,
        )


def told_model(clock: Clock | None = None, **start: Any) -> tuple[SessionModel, Told, Link]:
    from tallylight.protocol import StartCommand

    told, link = Told(), Link()
    m = SessionModel(clock or Clock(), told.events())
    m.begin(link, StartCommand(**start))
    return m, told, link


def msg(event: str, **fields: object) -> RecorderMessage:
    return RecorderMessage.parse({"event": event, **fields})


def told_in(state: AppState, clock: Clock | None = None) -> tuple[SessionModel, Told, Link]:
    """A model with a link and events, brought to ``state`` by the recorder's own messages."""
    m, told, link = told_model(clock, label="walk", max_duration_s=60.0)
    if state != AppState.STARTING:
        m.on_message(msg("started", session_id="s1"))
    if state == AppState.PAUSED:
        m.on_message(msg("paused"))
    if state == AppState.STOPPING:
        assert m.stop()
    assert m.state == state
    return m, told, link


LIVE = [AppState.STARTING, AppState.RECORDING, AppState.PAUSED, AppState.STOPPING]


@pytest.mark.parametrize("state", LIVE)
def test_a_recorder_killed_in_each_state_is_lost_and_said(state: AppState) -> None:
    from tallylight.protocol import RECORDER_EXITED

    m, told, link = told_in(state)
    link.exit = RecorderExit(4242, None, 9)  # how the process ended
    m.on_message(RecorderMessage("stopped", reason=RECORDER_EXITED, signal=9))
    assert m.on_exit() == AppState.ERROR
    assert told.exits == [link.exit]  # to the private log
    assert len(told.lost) == 1
    lost = told.lost[0]
    assert "SIGKILL" in lost.message
    assert told.failed == [lost.message] == [m.error_message]
    if state == AppState.STARTING:
        assert "nothing was recorded" in lost.message
        assert lost.session_id == ""
    else:
        assert "kept in the session “walk”" in lost.message
        assert lost.session_id == "s1"
    assert told.ended == []  # the lost window says it all: no stop summary besides
    assert m.link is None
    assert not m.stop()
    assert m.summary_lines()[0] == f"Tallylight: {AppState.ERROR.words}"
    assert lost.message in m.summary_lines()


@pytest.mark.parametrize("state", LIVE)
def test_a_recorder_that_reports_a_fatal_error_then_dies_says_both(state: AppState) -> None:
    from tallylight.protocol import RECORDER_EXITED, RecorderMessage

    m, told, _link = told_in(state)
    m.on_message(msg("error", message="The disk is full.", fatal=True))
    assert told.notices == []  # said when the recorder has ended
    assert told.failed == []
    m.on_message(RecorderMessage("stopped", reason=RECORDER_EXITED, exit_code=1))
    m.on_exit()
    assert m.state == AppState.ERROR
    assert told.failed[0].startswith("The disk is full. The recorder ended unexpectedly")


def test_a_refused_start_closes_the_channel_and_fails_with_the_recorders_words() -> None:
    from tallylight.protocol import RECORDER_EXITED, RecorderMessage

    m, told, link = told_in(AppState.STARTING)
    m.on_start_refused("No key vault exists yet.")
    assert link.closed
    m.on_message(RecorderMessage("stopped", reason=RECORDER_EXITED, exit_code=0))
    assert m.on_exit() == AppState.ERROR
    assert told.failed == ["No key vault exists yet."]
    assert told.lost == []
    assert told.ended == []


def test_a_stop_not_answered_closes_the_channel_and_a_silent_end_is_an_error() -> None:
    from tallylight.protocol import RECORDER_EXITED, RecorderMessage

    m, told, link = told_in(AppState.RECORDING)
    assert m.stop()
    assert told.stops == [link]
    assert m.stop()
    assert told.stops == [link]  # asked once
    assert not m.force_stop(Link())  # another recorder's grace ran out: not this one
    assert not link.closed
    assert m.force_stop(link)
    assert link.closed
    m.on_message(RecorderMessage("stopped", reason=RECORDER_EXITED, exit_code=0))
    assert m.on_exit() == AppState.ERROR
    assert told.failed == ["The recorder ended before it said why."]


@pytest.mark.parametrize("state", [AppState.STARTING, AppState.RECORDING, AppState.PAUSED])
def test_force_stop_does_nothing_unless_stopping(state: AppState) -> None:
    m, _told, link = told_in(state)
    assert not m.force_stop(link)
    assert not link.closed


def test_a_clean_stop_ends_with_the_summary_once() -> None:
    clock = Clock()
    m, told, _link = told_in(AppState.RECORDING, clock)
    clock.now += 5
    m.stop()
    m.on_message(msg("stopped", reason="duration_limit", summary={"counts": {"key_down": 2}}))
    assert m.on_exit() == AppState.IDLE
    assert told.failed == []
    assert told.lost == []
    assert told.ended == [m.last_stop]
    from tallylight.session_model import stop_summary

    said = stop_summary(m.last_stop)
    assert said.startswith("Recording stopped because")
    assert "0:00:05 recorded" in said
    assert "Last session: 0:00:05 recorded" in m.summary_lines()[1]
    assert m.status()["last_session"]["reason"] == "duration_limit"


def test_an_ending_without_a_session_has_no_summary() -> None:
    m, told, _link = told_in(AppState.STARTING)
    m.stop()
    m.on_message(msg("stopped", reason="participant"))
    m.on_exit()
    assert told.ended == []  # nothing was recorded: nothing to open


def test_what_the_start_says() -> None:
    m, told, _link = told_model(label="x")
    m.started_by = "a script"
    m.on_message(
        msg(
            "started",
            session_id="s1",
            options={"keys": "class"},
            narrowed=[{"message": "keys: kind only"}],
            global_capture=False,
        )
    )
    titles = [t for t, _ in told.notices]
    assert titles == ["Recording started from the command line", "Only study tasks are recorded"]
    assert "Started by a script" in told.notices[0][1]
    assert "Narrowed: keys: kind only." in told.notices[0][1]
    assert told.running == 1
    m2, told2, _ = told_model()
    m2.on_message(msg("started", session_id="s2", narrowed=[{"message": "keys: kind only"}]))
    assert told2.notices == [("Capture narrowed", "keys: kind only.")]


def test_the_hotkey_is_named_as_the_session_knows_it() -> None:
    from tallylight.capture.hotkey import parse_hotkey
    from tallylight.protocol import StartCommand

    told = Told()
    m = SessionModel(Clock(), told.events())
    m.begin(Link(), StartCommand(), hotkey=parse_hotkey("<ctrl>+<alt>+p"))
    m.on_message(msg("started", session_id="s"))
    m.on_message(msg("paused", by="hotkey"))
    m.on_message(msg("resumed", by="hotkey"))
    m.on_message(msg("paused"))  # from the menu: not said
    assert [t for t, _ in told.notices] == ["Tallylight paused", "Tallylight recording"]
    assert "Ctrl+Alt+P" in told.notices[0][1]
    assert m.state == AppState.PAUSED


def test_errors_that_are_not_fatal_are_said_but_the_focus_caveat_once() -> None:
    from tallylight.capture.focus import FOCUS_UNKNOWN_NOTICE

    m, told, _link = told_in(AppState.RECORDING)
    m.focus_caveat_said = True
    m.on_message(msg("error", message=FOCUS_UNKNOWN_NOTICE + " More."))
    m.on_message(msg("error", message="A hiccup."))
    assert told.notices == [("Tallylight", "A hiccup.")]
    assert m.state == AppState.RECORDING


def test_marks_are_said_and_tasks_told() -> None:
    m, told, _link = told_in(AppState.RECORDING)
    m.on_message(msg("note", number=3))
    assert told.notices[-1][0] == "Note added"
    assert "Note 3 marked." in told.notices[-1][1]
    m.on_message(msg("task", action="start", task="copy"))
    m.on_message(msg("task", action="end", task="copy"))
    assert told.tasks == [("start", "copy"), ("end", "copy")]
    assert m.task == ""


def test_messages_that_change_nothing_are_taken_quietly() -> None:
    m, told, _link = told_in(AppState.RECORDING)
    before = told.changes
    m.on_message(msg("ready"))
    m.on_message(msg("preview", events=["a"]))
    m.on_message(msg("something new"))
    assert told.changes == before
    m.on_message(msg("stats", counts={"move": 1}))
    assert told.changes == before + 1
    assert m.status()["counts"] == {"move": 1}


@pytest.mark.parametrize("state", list(AppState))
def test_reminders_and_the_backstop_only_while_recording_or_paused(state: AppState) -> None:
    clock = Clock()
    if state in LIVE:
        m, told, link = told_in(state, clock)
    else:
        told = Told()
        m = SessionModel(clock, told.events())
        link = Link()
    runs = state in (AppState.RECORDING, AppState.PAUSED)
    clock.now += 120
    assert m.reminder(seconds_per_minute=60.0) is runs
    if runs:
        assert told.notices[-1][0] == "Tallylight is still on"
        assert "(2 min so far)" in told.notices[-1][1] or "paused" in told.notices[-1][1]
    assert m.overdue() is (state in (AppState.RECORDING, AppState.PAUSED, AppState.STOPPING))
    sent = len(link.sent)
    assert m.backstop() is runs
    assert (len(link.sent) > sent) is runs
    if runs:
        assert m.state == AppState.STOPPING


def test_not_overdue_before_the_maximum_and_its_grace() -> None:
    clock = Clock()
    m, _told, _link = told_in(AppState.RECORDING, clock)  # maximum 60 s
    clock.now += 74.9
    assert not m.overdue()
    clock.now += 0.1
    assert m.overdue()


def test_the_apps_start_says_an_unusable_hotkey_and_can_start_again() -> None:
    from tallylight.settings import Settings

    told = Told()
    m = SessionModel(Clock(), told.events())
    cmd = m.start(Link(), Settings(pause_hotkey="Ctrl+Ctrl"), "walk", None, "")
    assert cmd.pause_hotkey == ""
    assert "cannot be used" in told.notices[0][1]
    assert m.hotkey is None
    assert m.again() is None  # a session runs
    m.on_start_refused("No.")
    m.on_exit()
    assert m.again() == ("walk", None, "")


def test_the_status_is_one_shape_for_the_app_and_record() -> None:
    m, _told, _link = told_in(AppState.RECORDING)
    st = m.status(recorder_pid=7)
    assert st["state"] == "recording"
    assert (st["label"], st["session_id"], st["recorder_pid"]) == ("walk", "s1", 7)
    assert set(st) >= {
        "elapsed_s",
        "paused_s",
        "counts",
        "options",
        "narrowed",
        "last_error",
        "tasks",
        "notes",
    }


@pytest.mark.parametrize("state", list(AppState))
def test_task_requests_are_refused_in_the_same_words_for_the_app_and_record(state: AppState) -> None:
    m = model_in(state)
    m.tasks = [{"id": "copy", "title": "Copy a text"}]
    assert m.task_refusal("dance") == "A task can be started or ended."
    if not state.active:
        assert m.task_refusal("start", "copy").startswith("No session is recording")
        return
    assert m.task_refusal("start", "copy") == ""
    assert "its tasks: copy" in m.task_refusal("start", "nope")
    assert m.task_refusal("end") == "No task is running, so there is none to end."
    m.task = "copy"
    assert m.task_refusal("end") == ""
    m.tasks = []
    assert "not for a study with tasks" in m.task_refusal("start", "copy")
