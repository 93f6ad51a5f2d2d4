"""One protocol module: both ends of both channels spell every line the same way."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tallylight import protocol
from tallylight.errors import UsageError
from tallylight.events import StopReason
from tallylight.protocol import AppCommand, Command, Message, StartCommand

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


@given(
    fields=st.dictionaries(
        st.text(min_size=1, max_size=8).filter(lambda k: k not in ("cmd", "id")), json_values
    )
)
def test_a_command_round_trips_through_one_line(fields: dict) -> None:
    line = protocol.encode(protocol.command(Command.START, 7, **fields))
    assert line.endswith("\n")
    assert line.count("\n") == 1
    cmd, msg_id, msg = protocol.decode_command(line)
    assert (cmd, msg_id) == ("start", 7)
    assert {k: v for k, v in msg.items() if k not in ("cmd", "id")} == {
        k: v for k, v in fields.items() if v is not None
    }


def test_a_message_carries_the_id_it_answers() -> None:
    assert protocol.message(Message.PAUSED, 3, t_s=1.5) == {"event": "paused", "t_s": 1.5, "id": 3}
    assert "id" not in protocol.message(Message.STATS, counts={})
    assert json.loads(protocol.encode(protocol.message(Message.READY, version="x", pid=1))) == {
        "event": "ready",
        "version": "x",
        "pid": 1,
    }


@pytest.mark.parametrize("line", ["", "nonsense", "[1]", '"cmd"', '{"cmd": 3}', '{"id": 1}', "{" * 10])
def test_anything_but_a_command_object_is_a_usage_error(line: str) -> None:
    with pytest.raises(UsageError, match="Unreadable command"):
        protocol.decode_command(line)


def test_an_overlong_line_is_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        protocol.decode('{"x": "' + "a" * protocol.MAX_LINE_BYTES + '"}')


def test_field_rules() -> None:
    assert protocol.seconds({}, "max_duration_s") == 0.0
    assert protocol.seconds({"t": 2}, "t") == 2.0
    for bad in (-1, True, "5", float("nan"), [1]):
        with pytest.raises(UsageError):
            protocol.seconds({"t": bad}, "t")
    assert protocol.text({"label": "x"}, "label", 200, "The label") == "x"
    with pytest.raises(UsageError):
        protocol.text({"label": "x" * 201}, "label", 200, "The label")
    with pytest.raises(UsageError):
        protocol.text({"label": {"a": 1}}, "label", 200, "The label")
    assert protocol.names({"apps": ["A", " ", "B"]}, "apps", "apps") == ["A", "B"]
    with pytest.raises(UsageError):
        protocol.names({"apps": "A"}, "apps", "apps")
    with pytest.raises(UsageError):
        protocol.names({"apps": [["A"]]}, "apps", "apps")


def test_stop_reasons() -> None:
    assert protocol.stop_reason({}) is StopReason.PARTICIPANT
    assert protocol.stop_reason({"reason": "quit"}) is StopReason.QUIT
    assert protocol.stop_reason({"reason": "indicator"}) is StopReason.INDICATOR_HIDDEN
    with pytest.raises(UsageError):
        protocol.stop_reason({"reason": "whim"})


def test_app_requests_and_replies() -> None:
    assert protocol.app_request("start", label="t", study=None) == {"cmd": "start", "label": "t"}
    assert {c.value for c in AppCommand} == {
        "show",
        "status",
        "start",
        "pause",
        "resume",
        "task",
        "note",
        "stop",
    }
    with pytest.raises(UsageError, match="Unknown command"):
        protocol.app_request("explode")
    assert protocol.app_ok({"state": "idle"}, message="m") == {"ok": True, "state": "idle", "message": "m"}
    assert protocol.app_error("no", {"state": "idle"}) == {"ok": False, "error": "no", "state": "idle"}


def test_the_documented_names_are_the_protocol_names() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "CONTROL.md").read_text()
    for cmd in Command:
        assert f"| `{cmd.value}` |" in doc, cmd
    for msg in Message:
        assert f"`{msg.value}`" in doc, msg
    for reason in protocol.STOP_REASONS:
        assert f"`{reason}`" in doc, reason


@given(state=st.sampled_from(["starting", "recording", "paused", "stopped"]), lines=st.lists(st.text()))
def test_a_tally_update_round_trips(state: str, lines: list[str]) -> None:
    update = protocol.TallyUpdate(state, tuple(lines))
    line = update.encode()
    assert line.endswith("\n")
    assert line.count("\n") == 1
    assert protocol.TallyUpdate.decode(line) == update


@given(event=st.sampled_from(list(protocol.TallyEvent)), why=st.text())
def test_a_tally_notice_round_trips(event: protocol.TallyEvent, why: str) -> None:
    notice = protocol.TallyNotice(event, why)
    assert protocol.TallyNotice.decode(notice.encode()) == notice


@pytest.mark.parametrize("line", ["", "[]", '{"event": "vanished"}', "{", '{"event": 3}', "x" * 10])
def test_a_tally_notice_that_is_not_one_is_none(line: str) -> None:
    assert protocol.TallyNotice.decode(line) is None


def test_a_tally_update_with_odd_fields_shows_what_it_can() -> None:
    assert protocol.TallyUpdate.decode('{"state": 5, "lines": "x"}') == protocol.TallyUpdate()
    assert protocol.TallyUpdate.decode('{"lines": [1, "a"]}') == protocol.TallyUpdate("recording", ("1", "a"))
    assert protocol.TallyUpdate.decode("[1]") is None


def test_field_readers_say_what_is_wrong() -> None:
    assert protocol.mapping({}, "options") == {}
    assert protocol.mapping({"options": {"a": 1}}, "options") == {"a": 1}
    assert protocol.flag({}, "global_capture", True) is True
    assert protocol.flag({"on": False}, "on") is False
    assert protocol.whole({}, "n", 50) == 50
    assert protocol.whole({"n": 3}, "n", 50) == 3
    assert protocol.choice({"action": "end"}, "action", ("start", "end")) == "end"
    for call, says in [
        (lambda: protocol.mapping({"options": [1]}, "options"), "'options' must be an object."),
        (lambda: protocol.flag({}, "on"), "'on' must be true or false."),
        (lambda: protocol.flag({"on": 1}, "on"), "'on' must be true or false."),
        (lambda: protocol.whole({"n": -1}, "n", 50), "'n' must be a whole number of at least 0."),
        (lambda: protocol.whole({"n": True}, "n", 50), "'n' must be a whole number of at least 0."),
        (lambda: protocol.choice({}, "action", ("start", "end")), "'action' must be start or end."),
    ]:
        with pytest.raises(UsageError) as err:
            call()
        assert str(err.value) == says


def test_recorder_messages_are_read_typed() -> None:
    msg = protocol.RecorderMessage.parse(
        {
            "event": "started",
            "id": 4,
            "session_id": "s1",
            "tasks": [{"id": "a", "title": "A"}, "junk"],
            "narrowed": [{"message": "keys: kind only"}, 5],
            "counts": {"key_down": 2, "bad": "x"},
        }
    )
    assert (msg.event, msg.reply_to, msg.session_id) == ("started", 4, "s1")
    assert msg.tasks == (protocol.TaskRef("a", "A"),)
    assert msg.narrowed == ("keys: kind only",)
    assert msg.counts == {"key_down": 2}
    assert msg.rate is None
    assert msg.private is None
    stopped = protocol.RecorderMessage.parse({"event": "stopped", "summary": {"duration_s": 2, "counts": {}}})
    assert stopped.summary.duration_s == 2.0
    assert stopped.summary.counts == {}
    assert protocol.RecorderMessage.parse({"event": "stopped"}).summary.counts is None


def test_app_requests_and_replies_are_read_typed() -> None:
    req = protocol.AppRequest.parse({"cmd": "task", "action": "start", "task": "t1"})
    assert (req.cmd, req.action, req.task) == (AppCommand.TASK, "start", "t1")
    with pytest.raises(UsageError, match="Unknown command"):
        protocol.AppRequest.parse({"cmd": "explode"})
    with pytest.raises(UsageError, match=r"The label must be text\."):
        protocol.AppRequest.parse({"cmd": "start", "label": 5})
    last = {"reason": "participant", "summary": {"recorded_s": 3}, "session_id": "s1"}
    st = protocol.AppStatus.parse({"ok": True, "state": "idle", "last_session": last})
    assert st.ok
    assert st.last_session is not None
    assert st.last_session.summary.recorded_s == 3.0
    assert protocol.AppStatus.parse({"ok": "yes"}).ok is False


def test_messages_are_read_only_in_the_protocol_module() -> None:
    """No `msg.get("…")` / `reply.get("…")` / `msg["…"]` outside tallylight.protocol, nor the
    names the session's messages travel under (started, stopped, done, lost, notice): every
    field has one reader."""
    import re
    from pathlib import Path

    src = Path(protocol.__file__).parent
    pattern = re.compile(r"\b(msg|reply|started|stopped|done|lost|notice)\.get\(|\b(msg|reply)\[")
    offenders = [
        f"{p.relative_to(src)}:{n}"
        for p in src.rglob("*.py")
        if p.name != "protocol.py"
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


_texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@given(
    st.builds(
        StartCommand,
        options=st.fixed_dictionaries({"keys": st.sampled_from(["none", "class", "hashed", "full"])}),
        label=_texts,
        study=st.text("abcdef0123456789-", max_size=36),
        max_duration_s=st.floats(0, 1e6),
        idle_timeout_s=st.floats(0, 1e6),
        pause_hotkey=st.sampled_from(["", "<ctrl>+<alt>+p"]),
        private_apps=st.lists(st.text("abcxyz", min_size=1, max_size=10), max_size=3).map(tuple),
        global_capture=st.booleans(),
    )
)
def test_the_start_command_reads_back_as_it_was_sent(start: StartCommand) -> None:
    line = protocol.encode(protocol.command(Command.START, 1, **start.fields()))
    _cmd, _id, msg = protocol.decode_command(line)
    assert StartCommand.parse(msg) == start


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("study", 7, "'study' must be a study id."),
        ("label", "x" * 201, "The label must be text of at most 200 characters."),
        ("max_duration_s", "soon", "max_duration_s"),
        ("private_apps", "keepassxc", "application names"),
    ],
)
def test_a_bad_start_field_is_named(field: str, value: object, said: str) -> None:

    with pytest.raises(UsageError, match=re.escape(said)):
        StartCommand.parse({"cmd": "start", field: value})


def test_every_recorder_command_is_read_by_its_dataclass() -> None:
    """The recorder reads a command's fields through that command's dataclass in this module,
    never field by field: one shape per command, at both ends."""
    from pathlib import Path

    import tallylight.recorder.process as process

    source = Path(process.__file__).read_text()
    readers = ("seconds", "text", "names", "mapping", "flag", "whole", "choice", "stop_reason")
    assert [r for r in readers if f"protocol.{r}(" in source] == []
    for shape in ("Start", "Stop", "Preview", "Task", "Private", "TaskInput", "Trials"):
        assert f"protocol.{shape}Command.parse(" in source or f"{shape}Command.parse(" in source, shape


@given(
    st.sampled_from(sorted(protocol.STOP_REASONS)),
    st.integers(0, 1000),
    st.booleans(),
    st.text("abcxyz-", min_size=1, max_size=20),
)
def test_the_other_commands_read_back_as_they_were_sent(reason: str, n: int, on: bool, task: str) -> None:
    def sent(cmd: Command, **fields: object) -> dict:
        return protocol.decode_command(protocol.encode(protocol.command(cmd, 1, **fields)))[2]

    assert (
        protocol.StopCommand.parse(sent(Command.STOP, reason=reason)).reason is protocol.STOP_REASONS[reason]
    )
    assert protocol.PreviewCommand.parse(sent(Command.PREVIEW, n=n)).n == n
    assert protocol.PrivateCommand.parse(sent(Command.PRIVATE, on=on)).on is on
    assert protocol.TaskCommand.parse(sent(Command.TASK, action="start", task=task)) == protocol.TaskCommand(
        "start", task
    )
    assert protocol.TaskCommand.parse(sent(Command.TASK, action="end", task=task)) == protocol.TaskCommand(
        "end"
    )
    trial = {"index": n, "start_os": None}
    assert protocol.TrialsCommand.parse(sent(Command.TRIALS, trials=[trial]), 10).trials == (trial,)


@pytest.mark.parametrize(
    ("read", "said"),
    [
        (lambda: protocol.StopCommand.parse({"reason": "whim"}), "'reason' must be one of:"),
        (lambda: protocol.PreviewCommand.parse({"n": -1}), "'n' must be a whole number of at least 0."),
        (lambda: protocol.PrivateCommand.parse({}), "'on' must be true or false."),
        (lambda: protocol.TaskCommand.parse({"action": "pause"}), "'action' must be start or end."),
        (lambda: protocol.TrialsCommand.parse({"trials": []}, 10), "'trials' must be a non-empty list"),
        (
            lambda: protocol.TrialsCommand.parse({"trials": [{}] * 11}, 10),
            "'trials' must be a non-empty list",
        ),
        (lambda: protocol.TrialsCommand.parse({"trials": [1]}, 10), "Each trial must be an object."),
    ],
)
def test_a_bad_command_field_is_named(read, said: str) -> None:
    with pytest.raises(UsageError, match=re.escape(said)):
        read()
