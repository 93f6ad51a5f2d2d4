"""``tallylight record``: one session from the terminal, with the notice always on screen."""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from tallylight import protocol, words
from tallylight.capture.hotkey import Hotkey, parse_hotkey
from tallylight.capture.probe import probe
from tallylight.cli.commands import help_for
from tallylight.cli.durations import parse_duration
from tallylight.cli.label import add_label_options, read_label
from tallylight.cli.record_control import Handler, RecordControl
from tallylight.cli.tally import TallyWindow
from tallylight.cli.unlock import add_passphrase_option, ensure_vault
from tallylight.errors import CaptureUnavailable, RecorderError
from tallylight.i18n import _
from tallylight.options import CaptureOptions, KeyMode
from tallylight.protocol import AppCommand, AppRequest, Command, Message, RecorderMessage, StartCommand
from tallylight.recorder import exitlog
from tallylight.recorder.client import EOF, RecorderClient
from tallylight.session_model import SessionEvents, SessionModel
from tallylight.study.enrolment import session_terms
from tallylight.timeouts import RECORDER_START_S


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "record",
        help=help_for("record"),
        description=_("Record keyboard and mouse dynamics until the time is up, Ctrl-C, or SIGTERM."),
    )
    parser.add_argument("--for", dest="duration", metavar="DURATION", help=_("stop after e.g. 30s, 5m, 1h"))
    parser.add_argument(
        "--keys",
        default="class",
        choices=[m.label for m in KeyMode],
        help=_("what to keep of each key (default: class — its kind, never the character)"),
    )
    parser.add_argument("--no-moves", action="store_true", help=_("do not record mouse movement"))
    parser.add_argument("--no-clicks", action="store_true", help=_("do not record mouse buttons"))
    parser.add_argument("--no-scrolls", action="store_true", help=_("do not record scrolling"))
    parser.add_argument(
        "--move-interval",
        type=float,
        default=0.0,
        metavar="MS",
        help=_("keep at most one mouse move every MS milliseconds"),
    )
    parser.add_argument(
        "--move-distance",
        type=float,
        default=0.0,
        metavar="PX",
        help=_("keep a mouse move only after the pointer moved PX pixels"),
    )
    add_label_options(parser)
    parser.add_argument(
        "--study",
        metavar="ID",
        help=_("record for a study you joined: at most what you consented to (see `tallylight study list`)"),
    )
    parser.add_argument("--idle-timeout", metavar="DURATION", help=_("stop after this long without input"))
    parser.add_argument(
        "--pause-hotkey",
        metavar="KEYS",
        default="",
        help=_("a key combination that pauses and resumes, e.g. Ctrl+Alt+P (that press is not recorded)"),
    )
    add_passphrase_option(parser)
    parser.set_defaults(func=run)


def options_from_args(args: argparse.Namespace) -> CaptureOptions:
    return CaptureOptions(
        keys=KeyMode.parse(args.keys),
        mouse_moves=not args.no_moves,
        move_min_interval_ms=args.move_interval,
        move_min_distance_px=args.move_distance,
        clicks=not args.no_clicks,
        scrolls=not args.no_scrolls,
    )


def _asked(args: argparse.Namespace) -> tuple[StartCommand, Hotkey | None]:
    """The start command the arguments ask for, after every check that can refuse it before
    a recorder starts (label, durations, study, hotkey, capture, vault)."""
    label = read_label(args)  # first: a label given on the command line is refused at once
    duration = parse_duration(args.duration) if args.duration else 0.0
    idle = parse_duration(args.idle_timeout) if args.idle_timeout else 0.0
    if args.study:
        session_terms(args.study)  # a clear refusal before any recorder starts; it checks again
    hotkey = parse_hotkey(args.pause_hotkey) if args.pause_hotkey.strip() else None
    result = probe()
    if not result.usable:
        raise CaptureUnavailable(result.summary)
    if result.status == "limited":
        print(_("Warning: {summary}").format(summary=result.summary), file=sys.stderr)
    if os.environ.get("TALLYLIGHT_SINK") != "memory":
        ensure_vault(args)
    start = StartCommand(
        options=options_from_args(args).to_dict(),
        label=label,
        study=args.study or "",
        max_duration_s=duration,
        idle_timeout_s=idle,
        pause_hotkey=hotkey.pynput() if hotkey else "",
    )
    return start, hotkey


def run(args: argparse.Namespace) -> int:
    start, hotkey = _asked(args)
    duration = start.max_duration_s
    stop_requested = threading.Event()
    live: list[RecorderClient] = []  # the recorder, once its session started
    # the same session model as the tray app's light; what it kept is listed by `sessions list`
    events = SessionEvents(failed=_say, exit_seen=exitlog.note_exit)
    model = SessionModel(events=events, kept_where=_("see `tallylight sessions list`."))
    events.task_started = lambda _study, task: _say_task(_("Task started: {title}."), model.task_title(task))
    events.task_ended = lambda task: _say_task(_("Task ended: {title}."), model.task_title(task))

    def stop_recorder(reason: str) -> None:
        if live:  # never before the recorder answered the start
            model.stop(reason)

    def indicator_gone(why: str) -> None:
        print(
            _("\nThe tally-light window was {why}: recording stops now.").format(why=why),
            file=sys.stderr,
            flush=True,
        )
        stop_recorder("indicator")

    # always the window: a terminal (maybe a pseudo-terminal nobody watches) proves nothing
    window: TallyWindow | None = TallyWindow(indicator_gone, lambda: stop_recorder("participant"))
    previous = signal.signal(signal.SIGTERM, lambda *_args: stop_requested.set())
    # Ctrl-C (SIGINT) always stops the session, even when this process inherited it ignored
    # (started with `&` from a script, or by nohup): a recording must stop when asked
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        recorder = RecorderClient()
        control: RecordControl | None = None
        model.begin(_Link(recorder), start, hotkey=hotkey)
        try:
            reply = recorder.request(Command.START, timeout=RECORDER_START_S, **start.fields())
            started = RecorderMessage.parse(reply)
            model.on_message(started)
            events.notice = lambda title, text: _say(f"{title}: {text}")  # the start is said in full below
            live.append(recorder)
            control = RecordControl(*_control_handlers(recorder, model))
            control.start()  # `tallylight task|note|status` from another terminal reach this session
            if window is not None and window.gone:  # hidden while the session was starting
                stop_recorder("indicator")
            notice = _notice_lines(started, hotkey)
            _print_notice(started, duration, notice)
            if window is not None:
                window.update(model.state.value, notice)
            stopped = _wait(recorder, model, stop_requested, duration, window, notice)
            if stopped is None:
                stopped = _stop(recorder, model)
        except KeyboardInterrupt:
            stopped = _stop(recorder, model)
        finally:
            live.clear()
            if control is not None:
                control.close()
            recorder.close()
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        if window is not None:
            window.close()
    model.on_exit()  # a fatal error the recorder reported is said now
    _print_summary(stopped)
    return 0 if stopped.reason != "write_error" else 5


def _say(text: str) -> None:
    print(f"\n{text}", file=sys.stderr, flush=True)


def _say_task(said: str, title: str) -> None:
    _say(said.format(title=words.printable(title)))


def _stop(recorder: RecorderClient, model: SessionModel) -> RecorderMessage:
    """Stop the session and wait for the recorder's ``stopped``."""
    model.stopping()
    stopped = RecorderMessage.parse(recorder.request(Command.STOP, timeout=15.0))
    model.on_message(stopped)
    return stopped


def _control_handlers(
    recorder: RecorderClient, model: SessionModel
) -> tuple[Handler, Callable[[], dict[str, Any]]]:
    """What this session answers on ``record.sock`` (tallylight.cli.record_control): its status,
    and task and note markers sent to its recorder, each said in this terminal too. The
    session's facts are the session model's, as in the tray app."""

    def status() -> dict[str, Any]:
        return model.status(recorder.pid)

    def handle(request: AppRequest) -> dict[str, Any]:
        if request.cmd == AppCommand.STATUS:
            return protocol.app_ok(status())
        if request.cmd == AppCommand.TASK:
            refused = model.task_refusal(request.action, request.task)  # the same words as the app's
            if refused:
                return protocol.app_error(refused, status())
            task = request.task if request.action == "start" else None  # None: not sent
            model.on_message(
                RecorderMessage.parse(recorder.request(Command.TASK, action=request.action, task=task))
            )
            return protocol.app_ok(status())
        if request.cmd == AppCommand.NOTE:
            model.on_message(RecorderMessage.parse(recorder.request(Command.NOTE)))
            return protocol.app_ok(status())
        if request.cmd == AppCommand.START:
            return protocol.app_error(
                _("A session is already recording in `tallylight record`; stop it first."), status()
            )
        return protocol.app_error(
            _(
                "This session runs in `tallylight record`: pause, resume or stop it there "
                "(its tally-light window, or Ctrl-C in its terminal)."
            ),
            status(),
        )

    return handle, status


def _wait(
    recorder: RecorderClient,
    model: SessionModel,
    stop_requested: threading.Event,
    duration: float,
    window: TallyWindow | None,
    notice: list[str],
) -> RecorderMessage | None:
    """Until the time is up, a signal, or the recorder stopped by itself (then its message).
    The model takes each message, and stops a recorder that missed its maximum duration."""
    while not stop_requested.is_set():
        if model.overdue():
            model.backstop()
        try:
            raw = recorder.notices.get(timeout=0.25)
        except queue.Empty:
            continue
        msg = RecorderMessage.parse(raw)
        if msg.event == EOF:  # it ended without saying stopped: what it kept, and why
            model.on_message(RecorderMessage(Message.STOPPED, reason=protocol.RECORDER_EXITED))
            raise RecorderError(model.fatal_error)
        model.on_message(msg)
        if msg.event == Message.STOPPED:
            return msg
        if msg.event == Message.STATS:
            _show_progress(msg, model, duration, window, notice)
    return None


def _show_progress(
    msg: RecorderMessage, model: SessionModel, duration: float, window: TallyWindow | None, notice: list[str]
) -> None:
    """A ``stats`` message on the tally window, and on the terminal's one progress line."""
    if window is not None:
        progress = f"{words.clock(msg.elapsed_s)} — {words.counts_summary(msg.counts or {})}"
        window.update(model.state.value, [*notice, progress])
    if not sys.stdout.isatty():
        return
    total = sum(v for k, v in (msg.counts or {}).items() if k != "marker")
    left = _(", {seconds:.0f} s left").format(seconds=max(0.0, duration - msg.elapsed_s)) if duration else ""
    print(
        _("\r● REC {elapsed_s:7.1f} s  {total:>8} events  {rate:6.0f}/s{left}   ").format(
            elapsed_s=msg.elapsed_s, total=total, rate=msg.rate or 0.0, left=left
        ),
        end="",
        flush=True,
    )


class _Link:
    """``record``'s recorder client as the session model's link to its recorder; ``exit``
    says how its process ended (it waits for it)."""

    def __init__(self, client: RecorderClient) -> None:
        self.client = client

    def send(self, cmd: Command, **fields: Any) -> None:
        with contextlib.suppress(RecorderError):  # already gone: it stopped anyway
            self.client.send_raw(protocol.command(cmd, **fields))

    def close_channel(self) -> None:
        self.client.close()

    @property
    def exit(self) -> exitlog.RecorderExit:
        return self.client.exit_record()


def _notice_lines(started: RecorderMessage, hotkey: Hotkey | None = None) -> list[str]:
    """What this session really captures (after the ceiling), what was narrowed, how to pause."""
    lines = [f"For study {started.study}: at most what you consented to."] if started.study else []
    lines += words.describe_capture(CaptureOptions.from_dict(started.options))
    lines += [f"Narrowed: {note}." for note in started.narrowed]
    if hotkey is not None:
        lines.append(f"Press {hotkey.human()} to pause or resume (that press is not recorded).")
    return lines


def _print_notice(started: RecorderMessage, duration: float, notice: list[str]) -> None:
    until = _(" for {seconds:g} s").format(seconds=duration) if duration else ""
    print(
        _("● RECORDING IS ON{until} — session {session_id}").format(
            until=until, session_id=started.session_id
        )
    )
    for line in notice:
        print(f"  {line}")
    print(_("  Press Ctrl-C to stop."), flush=True)


def _print_summary(stopped: RecorderMessage) -> None:
    summary = stopped.summary
    reason = stopped.reason.replace("_", " ")
    counts = summary.counts or {}
    total = sum(int(v) for v in counts.values())  # what `sessions list` counts: markers too
    markers = int(counts.get("marker", 0))
    print(
        _("\n○ Recording stopped ({reason}) after {seconds:.1f} s.").format(
            reason=reason, seconds=summary.duration_s or 0.0
        )
    )
    print(
        _("Session {session_id}: {events} in all ({counts}; {markers} for start, stop and pauses).").format(
            session_id=summary.session_id or None,
            events=words.count(total, "event"),
            counts=words.counts_summary(counts),
            markers=words.count(markers, "marker"),
        )
    )
    for name, value in counts.items():
        print(f"  {name.replace('_', ' '):<12} {value:>9}")
    sys.stdout.flush()
