"""The recorder process: one session, controlled over stdin/stdout (docs/CONTROL.md).

End of file on stdin means stop now: that is the heartbeat that ties capture to
the visible indicator of whoever started us. A change of parent process means
the same. stdout carries only protocol lines; anything else printed goes to
stderr.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

from tallylight import __version__, protocol, words
from tallylight.capture.probe import probe
from tallylight.errors import CaptureUnavailable, TallylightError, UsageError
from tallylight.events import Marker, StopReason, describe
from tallylight.hardening import protect_process, protection_status
from tallylight.i18n import _
from tallylight.options import CaptureOptions
from tallylight.protocol import Command, Message
from tallylight.recorder import ceiling, window_input
from tallylight.recorder.session import HookFactory, Session, SinkFactory, default_hooks
from tallylight.store import trials as trial_records
from tallylight.study.enrolment import SessionTerms, register_session, session_terms
from tallylight.words import RecorderState

PARENT_CHECK_S = 0.25
SIGNAL_SLICE_S = 0.25  # the main thread wakes this often to run a signal's handler
#: what a terminal sends its process group: ignored, the controller decides (see main)
TERMINAL_SIGNALS = ("SIGINT", "SIGHUP", "SIGQUIT")
STATS_INTERVAL_S = 1.0


def default_sink_factory() -> SinkFactory:
    """The encrypted session store; ``TALLYLIGHT_SINK=memory`` keeps events in memory only."""
    if os.environ.get("TALLYLIGHT_SINK") == "memory":
        from tallylight.recorder.sink import MemorySink

        return MemorySink
    import functools

    from tallylight.review.summary import list_summary
    from tallylight.store.writer import open_session

    # compact into large records (and write the list's summary) when the session stops
    return functools.partial(open_session, summarize=list_summary)


class RecorderProcess:
    def __init__(
        self,
        out: IO[str],
        *,
        sink_factory: SinkFactory | None = None,
        hooks: HookFactory = default_hooks,
        check_capture: Callable[[], None] | None = None,
        ceilings: Callable[[], list[ceiling.Ceiling]] = ceiling.current_ceilings,
    ) -> None:
        self._out = out
        self._out_lock = threading.Lock()
        self._sink_factory = sink_factory
        self._hooks = hooks
        self._check_capture = check_capture or _require_capture
        self._ceilings = ceilings
        self.session: Session | None = None
        self._done = threading.Event()
        self._limits = (0.0, 0.0)  # max duration, idle timeout (s); 0 = none
        self._stopped_sent = False
        self._stop_lock = threading.Lock()
        self._last_stats = 0.0
        self._focus: Any = None  # an X11FocusWatcher while private apps are watched
        self._focus_private = False  # a private app has focus (the watcher says)
        self._own_ui_private = False  # the controller's own menu is open (the `private` command)
        self._terms: SessionTerms | None = None  # the study this session is for
        self._task = ""  # the study task running now
        self._notes = 0
        self._handlers: dict[Command, Callable[[dict[str, Any], Any], None]] = {
            Command.START: self._cmd_start,
            Command.PAUSE: self._cmd_pause,
            Command.RESUME: self._cmd_resume,
            Command.STATUS: self._cmd_status,
            Command.PREVIEW: self._cmd_preview,
            Command.TASK: self._cmd_task,
            Command.NOTE: self._cmd_note,
            Command.PRIVATE: self._cmd_private,
            Command.TASK_INPUT: self._cmd_task_input,
            Command.TRIALS: self._cmd_trials,
            Command.STOP: self._cmd_stop,
        }

    # -- output --------------------------------------------------------------

    def send(self, event: Message, reply_to: Any = None, **fields: Any) -> None:
        line = protocol.encode(protocol.message(event, reply_to, **fields))
        with self._out_lock:
            try:
                self._out.write(line)
                self._out.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass  # controller gone: the stdin EOF path stops us

    # -- commands ------------------------------------------------------------

    def handle(self, line: str) -> None:
        try:
            cmd, reply_to, msg = protocol.decode_command(line)
        except UsageError as exc:
            self.send(Message.ERROR, message=str(exc), fatal=False)
            return
        try:
            handler = self._handlers[Command(cmd)]
        except ValueError:
            self.send(Message.ERROR, reply_to, message=f"Unknown command {cmd!r}.", fatal=False)
            return
        try:
            handler(msg, reply_to)
        except TallylightError as exc:
            self.send(Message.ERROR, reply_to, message=str(exc), fatal=False)

    def _cmd_start(self, msg: dict[str, Any], reply_to: Any) -> None:
        if self.session is not None:
            raise UsageError(
                _("This recorder already ran a session; start a new recorder for a new session.")
            )
        start = protocol.StartCommand.parse(msg)
        terms = session_terms(start.study) if start.study else None  # a study's consent, read here from disk
        self._terms = terms
        ceilings = self._ceilings()
        if terms is not None:
            ceilings = [*ceilings, ceiling.Ceiling(terms.ceiling, words.STUDY_CEILING)]
        # The one place the ceiling is enforced: whoever sent this command.
        options, narrowed = ceiling.apply(CaptureOptions.from_dict(dict(start.options)), ceilings)
        label = start.label
        self._limits = (start.max_duration_s, start.idle_timeout_s)
        if terms is not None:
            self._limits = (terms.limit_duration(self._limits[0]), terms.limit_idle(self._limits[1]))
        private_apps = list(start.private_apps)
        global_capture = start.global_capture
        if global_capture:  # without it only the task window's own events are taken: no hooks, no probe
            try:
                self._check_capture()
            except CaptureUnavailable:
                # only a controller that can show the task window asks for this (the app does;
                # `record` cannot, and is refused instead of recording nothing)
                if not (start.window_tasks_fallback and _has_window_tasks(terms)):
                    raise
                # a desktop with no global input (Wayland, docs/TASKS.md): the study's typing and
                # pointing tasks still record, from the task window alone
                global_capture = False
        sink_factory = self._sink_factory or default_sink_factory()
        hotkey = start.pause_hotkey
        session = Session(
            options,
            sink_factory,
            label=label,
            hooks=self._hooks,
            on_fatal=self._fatal,
            pause_hotkey=hotkey,
            on_hotkey=self._hotkey_used,
            study=terms.info_fields() if terms is not None else None,
            global_capture=global_capture,
        )
        # window-only: nothing outside Tallylight's own window is captured, so no focus to follow
        watching = self._watch_focus(session, private_apps) if private_apps and global_capture else False
        self.session = session
        try:
            info = session.start(private=self._focus.current if self._focus else False)
        except TallylightError:
            self.session = None
            self._stop_focus()
            raise
        if terms is not None:
            try:
                register_session(terms.study_id, info.session_id)
            except TallylightError:
                self.stop(StopReason.WRITE_ERROR)
                raise
        self.send(
            Message.STARTED,
            reply_to,
            session_id=info.session_id,
            started_wall_ns=info.started_wall_ns,
            options=options.to_dict(),
            narrowed=[n.to_dict() for n in narrowed],
            label=label,
            study=terms.study_id if terms is not None else None,
            study_title=terms.title if terms is not None else "",
            tasks=[{"id": i, "title": t} for i, t in zip(terms.tasks, terms.task_titles, strict=True)]
            if terms is not None
            else [],
            private_apps_watched=watching,
            global_capture=global_capture,
        )
        threading.Thread(target=self._ticker, name="tallylight-ticker", daemon=True).start()

    def _cmd_pause(self, _msg: dict[str, Any], reply_to: Any) -> None:
        self.send(Message.PAUSED, reply_to, t_s=self._session().pause())

    def _cmd_resume(self, _msg: dict[str, Any], reply_to: Any) -> None:
        self.send(Message.RESUMED, reply_to, t_s=self._session().resume())

    def _cmd_status(self, _msg: dict[str, Any], reply_to: Any) -> None:
        self.send(Message.STATUS, reply_to, **self._status())

    def _cmd_preview(self, msg: dict[str, Any], reply_to: Any) -> None:
        n = protocol.PreviewCommand.parse(msg).n
        events = self.session.preview(min(n, 1000)) if self.session else []
        self.send(Message.PREVIEW, reply_to, events=[describe(e) for e in events])

    def _cmd_task(self, msg: dict[str, Any], reply_to: Any) -> None:
        """Start or end one of the study's tasks: a TASK_START / TASK_END marker (docs/FORMAT.md §10)."""
        session = self._session()
        tasks = self._terms.tasks if self._terms is not None else ()
        if not tasks:
            raise UsageError(_("This session is not for a study with tasks."))
        asked = protocol.TaskCommand.parse(msg)
        action = asked.action
        if action == "start":
            task = asked.task
            if not isinstance(task, str) or task not in tasks:
                raise UsageError(
                    _("The study has no task {value!r} (its tasks: {items}).").format(
                        value=str(task)[:64], items=", ".join(tasks)
                    )
                )
            kind = self._kind(task)
            if kind == "typing" and not (self._terms is not None and self._terms.typing_text):
                raise UsageError(_(words.TYPING_NOT_ALLOWED))
            if kind == "free" and not session.global_capture:
                raise UsageError(_(words.FREE_TASK_NEEDS_CAPTURE))
            if self._task:
                session.mark(Marker.TASK_END, tasks.index(self._task) + 1)
            t_s = session.mark(Marker.TASK_START, tasks.index(task) + 1)
            self._task = task
            session.set_window_task(kind != "free")
        else:
            if not self._task:
                raise UsageError(_("No task is running, so there is none to end."))
            task = self._task
            t_s = session.mark(Marker.TASK_END, tasks.index(task) + 1)
            self._task = ""
            session.set_window_task(False)
        self.send(Message.TASK, reply_to, action=action, task=task, number=tasks.index(task) + 1, t_s=t_s)

    def _kind(self, task: str) -> str:
        terms = self._terms
        if terms is None or task not in terms.tasks or len(terms.task_kinds) != len(terms.tasks):
            return "free"
        return terms.task_kinds[terms.tasks.index(task)]

    def _window_task(self) -> str:
        """The running task-window task's kind; UsageError if none runs."""
        kind = self._kind(self._task) if self._task else ""
        if kind not in ("typing", "pointing"):
            raise UsageError(_("No typing or pointing task is running; start one with 'task' first."))
        return kind

    def _cmd_task_input(self, msg: dict[str, Any], _reply_to: Any) -> None:
        """The task window's own events; a character is kept beyond the key mode only under the
        participant's typing consent, while a typing task runs, for keys typed into its field."""
        session = self._session()
        kind = self._window_task()
        keep_text = kind == "typing" and self._terms is not None and self._terms.typing_text
        sent = protocol.TaskInputCommand.parse(msg)
        raws = window_input.raw_events(sent.events, keep_text=keep_text)
        session.put_window_events(raws, window_input.clock_source(sent.clock))

    def _cmd_trials(self, msg: dict[str, Any], reply_to: Any) -> None:
        """Trials of the running task: checked, stamped with its id, written after their events."""
        session = self._session()
        kind = self._window_task()
        if kind == "typing" and not (self._terms is not None and self._terms.typing_text):
            raise UsageError(_(words.TYPING_NOT_ALLOWED))
        items = protocol.TrialsCommand.parse(msg, trial_records.MAX_TRIALS_PER_RECORD).trials
        tasks = self._terms.tasks if self._terms is not None else ()
        trials = []
        for item in items:
            trial = {**item, "task": self._task, "kind": kind, "task_number": tasks.index(self._task) + 1}
            for edge in ("start_os", "end_os"):
                value = trial.get(edge)
                if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                    raise UsageError(_("A trial's {edge} must be an OS time or null.").format(edge=edge))
            try:
                trial_records.check(trial)
                trial_records.encode([trial])  # JSON-able, no nan
            except ValueError as exc:
                raise UsageError(_("A trial is malformed ({exc}).").format(exc=exc)) from None
            trials.append(trial)
        session.put_trials(trials)
        self.send(Message.TRIALS, reply_to, count=len(trials))

    def _cmd_note(self, _msg: dict[str, Any], reply_to: Any) -> None:
        """A NOTE marker: the participant flags this moment."""
        session = self._session()
        t_s = session.mark(Marker.NOTE, self._notes + 1)
        self._notes += 1
        self.send(Message.NOTE, reply_to, number=self._notes, t_s=t_s)

    def _cmd_stop(self, msg: dict[str, Any], reply_to: Any) -> None:
        self.stop(protocol.StopCommand.parse(msg).reason, reply_to)

    # -- private apps --------------------------------------------------------

    def _watch_focus(self, _session: Session, private_apps: list[str]) -> bool:
        """Follow focus so capture pauses in private apps; say so plainly where we cannot."""
        from tallylight.capture.focus import FOCUS_UNKNOWN_NOTICE, X11FocusWatcher, focus_support

        known, reason = focus_support()
        if known:
            try:
                watcher = X11FocusWatcher(None, private_apps, self._on_focus_private)
                watcher.start()
                self._focus = watcher
                return True
            except Exception as exc:  # noqa: BLE001 - any failure means: cannot watch
                reason = _(
                    "Focus could not be read ({exc}). Pause by hand while you use a private app."
                ).format(exc=exc)
        self.send(Message.ERROR, fatal=False, message=f"{FOCUS_UNKNOWN_NOTICE} {reason}")
        return False

    def _on_focus_private(self, private: bool) -> None:
        self._focus_private = private
        self._apply_private()

    def _cmd_private(self, msg: dict[str, Any], reply_to: Any) -> None:
        """The controller's own UI (its tray menu) is open (``on``) or closed: clicks and
        keys there are not the participant's data, so capture pauses as in a private app."""
        on = protocol.PrivateCommand.parse(msg).on
        self._own_ui_private = on
        self._apply_private()
        self.send(Message.PRIVATE, reply_to, on=on)

    def _apply_private(self) -> None:
        if self.session is not None:
            self.session.set_private(self._focus_private or self._own_ui_private)

    def _stop_focus(self) -> None:
        if self._focus is not None:
            self._focus.stop()
            self._focus = None

    # -- lifecycle -----------------------------------------------------------

    def stop(self, reason: StopReason, reply_to: Any = None) -> None:
        with self._stop_lock:
            session = self.session
            if session is not None:
                session.stop(reason)
            self._stop_focus()
            if not self._stopped_sent:
                self._stopped_sent = True
                self.send(
                    Message.STOPPED, reply_to, reason=_reason_name(session, reason), summary=self._summary()
                )
            self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def _hotkey_used(self, event: str, t_s: float) -> None:
        self.send(Message(event), t_s=t_s, by="hotkey")

    def _fatal(self, message: str) -> None:
        self.send(Message.ERROR, message=message, fatal=True)
        threading.Thread(target=self.stop, args=(StopReason.WRITE_ERROR,), daemon=True).start()

    def _session(self) -> Session:
        if self.session is None:
            raise UsageError(_("No session is running; send 'start' first."))
        return self.session

    def _status(self) -> dict[str, Any]:
        s = self.session
        if s is None:
            return {"state": RecorderState.IDLE, "elapsed_s": 0.0, "counts": {}, "rate": 0.0}
        return {
            "state": s.state,
            "elapsed_s": round(s.elapsed_s(), 3),
            "counts": s.stats.snapshot(),
            "rate": s.rate(),
            "private": s.private,
            "session_id": s.info.session_id if s.info else None,
            "task": self._task,
        }

    def _summary(self) -> dict[str, Any]:
        s = self.session
        if s is None or s.info is None:
            return {"counts": {}, "duration_s": 0.0, "rate": 0.0, "session_id": None}
        duration = s.elapsed_s()
        inputs = sum(v for k, v in s.stats.counts.items() if int(k) != 7)
        return {
            "counts": s.stats.snapshot(),
            "duration_s": round(duration, 3),
            "rate": round(inputs / duration, 1) if duration > 0 else 0.0,
            "session_id": s.info.session_id,
            "timing": s.timing_quality,
        }

    def _ticker(self) -> None:
        """Once a second: stats for the live view, and the duration/idle limits."""
        max_duration, idle_timeout = self._limits
        while not self._done.wait(0.1):
            s = self.session
            if s is None or s.state == RecorderState.STOPPED:
                return
            if max_duration and s.elapsed_s() >= max_duration:
                self.stop(StopReason.DURATION_LIMIT)
                return
            if idle_timeout and s.state == RecorderState.RECORDING and s.idle_s() >= idle_timeout:
                self.stop(StopReason.IDLE_TIMEOUT)
                return
            now = time.monotonic()
            if now - self._last_stats >= STATS_INTERVAL_S:
                self._last_stats = now
                self.send(Message.STATS, **self._status())


def _reason_name(session: Session | None, requested: StopReason) -> str:
    reason = session.stop_reason if session is not None and session.stop_reason else requested
    return reason.name.lower()


def _has_window_tasks(terms: SessionTerms | None) -> bool:
    """Does the session's study have a typing or pointing task (which needs no global capture)?"""
    return terms is not None and any(k in ("typing", "pointing") for k in terms.task_kinds)


def _require_capture() -> None:
    result = probe()
    if not result.usable:
        raise CaptureUnavailable(result.summary)


def _watch_parent(proc: RecorderProcess, parent: int) -> None:
    while not proc.wait(PARENT_CHECK_S):
        if os.getppid() != parent:
            proc.stop(StopReason.CONTROLLER_GONE)
            return


_capture_lost = threading.Event()


def _thread_died(proc: RecorderProcess, args: threading.ExceptHookArgs) -> None:
    """A capture thread ended with an exception (the X server went away, say): say so in one
    sentence instead of a traceback, and end the session, which can capture nothing more."""
    if args.exc_type is SystemExit or _capture_lost.is_set():
        return  # (the keyboard and the mouse thread die together: say it once)
    _capture_lost.set()
    if "ConnectionClosed" in args.exc_type.__name__:
        said = _(
            "Input capture stopped because the connection to the display was lost "
            "(the desktop session ended or the X server stopped)."
        )
    else:
        said = _("Input capture stopped because of an unexpected error ({kind}: {exc}).").format(
            kind=args.exc_type.__name__, exc=args.exc_value
        )
    proc.send(Message.ERROR, message=said, fatal=True)
    threading.Thread(target=proc.stop, args=(StopReason.CONTROLLER_GONE,), daemon=True).start()


def main() -> int:
    protect_process()  # session and hashed-mode keys live here: no core dumps, cwd /
    # stdout is the protocol: keep a private handle, send stray prints to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    # Signals a terminal sends to its whole process group (Ctrl-C, Ctrl-\, a closed terminal)
    # reach us too: the controller decides. Left at their default, a hangup or a quit ended the
    # recorder at once, its last records unsealed, without a word on stderr ("ended
    # unexpectedly", and nothing in any log). Our controller quits or stops us cleanly, or it
    # dies and the end of stdin stops us; one that ignores them (nohup) keeps recording.
    for name in TERMINAL_SIGNALS:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    proc = RecorderProcess(out)
    signal.signal(
        signal.SIGTERM,
        lambda *_: threading.Thread(target=proc.stop, args=(StopReason.SIGNAL,), daemon=True).start(),
    )
    threading.Thread(target=_watch_parent, args=(proc, os.getppid()), daemon=True).start()
    threading.excepthook = lambda args: _thread_died(proc, args)

    def read_commands() -> None:
        for line in sys.stdin:
            if line.strip():
                proc.handle(line)
            if proc.wait(0):
                return
        proc.stop(StopReason.CONTROLLER_GONE)  # EOF: whoever showed the tally light is gone

    threading.Thread(target=read_commands, name="tallylight-control", daemon=True).start()
    proc.send(Message.READY, version=__version__, pid=os.getpid(), protected=protection_status())
    # Python runs a signal's handler on the main thread, once that thread runs Python code
    # again. The kernel may hand SIGTERM to any thread: one taken by a hook or writer thread
    # waited forever behind an untimed wait here (the session kept recording). So wait in
    # slices: a SIGTERM taken by any thread stops the session within one slice.
    while not proc.wait(SIGNAL_SLICE_S):
        pass
    with contextlib.suppress(OSError):  # the controller is gone; everything is already sealed
        out.flush()
    # daemon threads (a pynput listener waiting for one more X event) must not keep us alive
    os._exit(0)
