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
from tallylight.session_model import SessionModel
from tallylight.study.enrolment import session_terms


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


def run(args: argparse.Namespace) -> int:
    label = read_label(args)  # first: a label given on the command line is refused at once
    options = options_from_args(args)
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

    stop_requested = threading.Event()
    live: list[RecorderClient] = []  # the recorder, once its session started

    def stop_recorder(reason: str) -> None:
        for rec in live:
            with contextlib.suppress(RecorderError):  # already gone: it stopped anyway
                rec.send_raw(protocol.command(Command.STOP, reason=reason))

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
        model = SessionModel()  # the same session model as the tray app's light
        start = model.begin(
            _Link(recorder),
            StartCommand(
                options=options.to_dict(),
                label=label,
                study=args.study or "",
                max_duration_s=duration,
                idle_timeout_s=idle,
                pause_hotkey=hotkey.pynput() if hotkey else "",
            ),
        )
        try:
            started = RecorderMessage.parse(recorder.request(Command.START, **start.fields()))
            model.on_started(started)
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
                stopped = RecorderMessage.parse(recorder.request(Command.STOP, timeout=15.0))
        except KeyboardInterrupt:
            stopped = RecorderMessage.parse(recorder.request(Command.STOP, timeout=15.0))
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
    _print_summary(stopped)
    return 0 if stopped.reason != "write_error" else 5


def _control_handlers(
    recorder: RecorderClient, model: SessionModel
) -> tuple[Handler, Callable[[], dict[str, Any]]]:
    """What this session answers on ``record.sock`` (tallylight.cli.record_control): its status,
    and task and note markers sent to its recorder, each said in this terminal too. The
    session's facts are the session model's, as in the tray app."""

    def status() -> dict[str, Any]:
        return {
            "state": model.state.value,
            "label": model.label,
            "session_id": model.session_id,
            "elapsed_s": round(model.elapsed_s, 3),
            "paused_s": round(model.paused_s, 3),
            "options": dict(model.options),
            "narrowed": list(model.narrowed),
            "study": model.study,
            "task": model.task,
            "tasks": [dict(t) for t in model.tasks],
            "notes": model.notes,
            "recorder_pid": recorder.pid,
        }

    def handle(request: AppRequest) -> dict[str, Any]:
        if request.cmd == AppCommand.STATUS:
            return protocol.app_ok(status())
        if request.cmd == AppCommand.TASK:
            if request.action not in ("start", "end"):
                return protocol.app_error(_("A task can be started or ended."), status())
            task = request.task if request.action == "start" else None  # None: not sent
            done = RecorderMessage.parse(recorder.request(Command.TASK, action=request.action, task=task))
            model.on_marked(done)
            title = words.printable(model.task_title(done.task))
            said = _("Task started: {title}.") if done.action == "start" else _("Task ended: {title}.")
            print("\n" + said.format(title=title), file=sys.stderr, flush=True)
            return protocol.app_ok(status())
        if request.cmd == AppCommand.NOTE:
            done = RecorderMessage.parse(recorder.request(Command.NOTE))
            model.on_marked(done)
            print("\n" + _("Note {n} marked.").format(n=done.number), file=sys.stderr, flush=True)
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
    """Until the time is up, a signal, or the recorder stopped by itself (then its message)."""
    tty = sys.stdout.isatty()
    while not stop_requested.is_set():
        try:
            msg = RecorderMessage.parse(recorder.notices.get(timeout=0.25))
        except queue.Empty:
            continue
        kind = msg.event
        if kind == Message.STOPPED:
            model.on_stopped(msg)
            return msg
        if kind == Message.PAUSED:
            model.paused()
        elif kind == Message.RESUMED:
            model.resumed()
        if kind == Message.ERROR:
            print(f"\n{msg.message}", file=sys.stderr)
        elif kind == EOF:
            model.failed("the recorder exited")
            kept = _(
                "What it had saved until then is kept, marked as recovered: see `tallylight sessions list`."
            )
            raise RecorderError(exitlog.record_and_explain(recorder.exit_record(), kept))
        elif kind == Message.STATS:
            model.on_stats(msg)
            if window is not None:
                state = model.state.value
                progress = f"{words.clock(msg.elapsed_s)} — {words.counts_summary(msg.counts or {})}"
                window.update(state, [*notice, progress])
            if tty:
                counts = msg.counts or {}
                total = sum(v for k, v in counts.items() if k != "marker")
                left = (
                    _(", {seconds:.0f} s left").format(seconds=max(0.0, duration - msg.elapsed_s))
                    if duration
                    else ""
                )
                rate = msg.rate or 0.0
                print(
                    _("\r● REC {elapsed_s:7.1f} s  {total:>8} events  {rate:6.0f}/s{left}   ").format(
                        elapsed_s=msg.elapsed_s, total=total, rate=rate, left=left
                    ),
                    end="",
                    flush=True,
                )
    return None


class _Link:
    """``record``'s recorder client as the session model's link to its recorder."""

    def __init__(self, client: RecorderClient) -> None:
        self.client = client

    def send(self, cmd: Command, **fields: Any) -> None:
        with contextlib.suppress(RecorderError):  # already gone: it stopped anyway
            self.client.send_raw(protocol.command(cmd, **fields))

    def close_channel(self) -> None:
        self.client.close()


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
