"""One session's states and clock, without Qt: the model the tray app and ``tallylight record`` share.

States (``words.AppState``): ``idle`` → ``starting`` (a recorder is launched) →
``recording`` ⇄ ``paused`` → ``stopping`` → ``idle``; ``error`` (failed) when the
recorder refused to start, reported a fatal error, or ended without saying
``stopped``. :meth:`SessionModel.go` refuses any other step, so a late message
can never turn the light back on. The model keeps the light's clock: recorded
and paused time are apart, and both freeze when the recorder ends.

The model owns the session: the start command it sends (the ceiling applied, the limits,
:func:`start_command`), the link to its recorder (:class:`RecorderLink`: what may be asked of
the recorder in which state), and what the recorder said (session id, options, narrowing,
counts, tasks, notes). The adapters (``ui.controller``, ``cli.record_cmd``) give it a link to
their recorder process, feed it the recorder's messages and show its state; they hold the Qt
timers, notices and processes.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any, Protocol

from tallylight.capture.hotkey import Hotkey, parse_hotkey
from tallylight.errors import UsageError
from tallylight.i18n import _
from tallylight.options import CaptureOptions
from tallylight.protocol import Command, LastSession, Message, RecorderMessage, StartCommand
from tallylight.settings import Settings
from tallylight.words import AppState

#: how long past the maximum duration the app stops a recorder that missed its own limit
BACKSTOP_GRACE_S = 15.0

#: every step the model takes; anything else is refused (UsageError)
TRANSITIONS: dict[AppState, frozenset[AppState]] = {
    AppState.IDLE: frozenset({AppState.STARTING}),
    AppState.ERROR: frozenset({AppState.STARTING, AppState.IDLE}),
    AppState.STARTING: frozenset({AppState.RECORDING, AppState.STOPPING, AppState.IDLE, AppState.ERROR}),
    AppState.RECORDING: frozenset({AppState.PAUSED, AppState.STOPPING, AppState.IDLE, AppState.ERROR}),
    AppState.PAUSED: frozenset({AppState.RECORDING, AppState.STOPPING, AppState.IDLE, AppState.ERROR}),
    AppState.STOPPING: frozenset({AppState.IDLE, AppState.ERROR}),
}


class RecorderLink(Protocol):
    """The model's side of a recorder process: a command down its stdin, or its stdin closed."""

    def send(self, cmd: Command, **fields: Any) -> Any: ...

    def close_channel(self) -> None: ...


def usable_hotkey(text: str) -> Hotkey | None:
    """A pause hotkey as the one parser reads it; None if empty or unusable."""
    if not text.strip():
        return None
    try:
        return parse_hotkey(text)
    except UsageError:
        return None


def start_command(
    settings: Settings,
    options: CaptureOptions | None = None,
    *,
    label: str = "",
    study: str = "",
    seconds_per_minute: float = 60.0,
) -> StartCommand:
    """What the tray app asks its recorder for: ``options`` narrowed by the participant's
    settings (their ceiling; the settings' own options if none are asked), the settings'
    limits (minutes, ``seconds_per_minute`` long), pause hotkey (left out if unusable) and
    private apps. The recorder narrows again by every ceiling it knows, the study's too.
    A study session falls back to the task window alone where global capture is unavailable
    (Wayland): the app can show that window."""
    effective = settings.narrow(options) if options is not None else settings.capture
    hotkey = usable_hotkey(settings.pause_hotkey)
    return StartCommand(
        options=effective.to_dict(),
        label=label,
        study=study,
        max_duration_s=float(settings.max_duration_min * seconds_per_minute),
        idle_timeout_s=float(settings.idle_timeout_min * seconds_per_minute),
        pause_hotkey=hotkey.pynput() if hotkey is not None else "",
        private_apps=tuple(settings.private_apps),
        window_tasks_fallback=bool(study),
    )


class SessionModel:
    """The one session a controller runs: its state, clock (``clock``: monotonic seconds),
    start command, recorder link and what the recorder said about it."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.state = AppState.IDLE
        self.fatal_error = ""  # why the running recorder failed, once it said so
        self.last_stop: LastSession | None = None  # the session that ended last
        self.link: RecorderLink | None = None  # the running recorder (None once it exited)
        self.request = StartCommand()  # what the session was started with
        self._reset_facts()
        self._started_at = 0.0
        self._ended_at = 0.0
        self._paused_since = 0.0
        self._paused_total = 0.0

    def _reset_facts(self) -> None:
        self.label = self.request.label
        self.study = self.request.study
        self.options: dict[str, Any] = dict(self.request.options)  # the recorder's, once it started
        self.session_id = ""
        self.narrowed: list[str] = []  # what the recorder's ceiling narrowed, in words
        self.counts: dict[str, int] = {}
        self.private = False  # a private app has focus: nothing is captured
        self.rate = 0.0  # input events per second over the last second
        self.study_title = ""
        self.tasks: list[dict[str, str]] = []  # the study's tasks: {"id", "title"}
        self.task = ""  # the task running now
        self.notes = 0
        self.own_ui_private = False  # the recorder confirmed: our own menu is open, nothing captured

    @property
    def limits(self) -> tuple[float, float]:
        """(maximum duration, idle timeout) in seconds that this session was started with; 0 = none."""
        return self.request.max_duration_s, self.request.idle_timeout_s

    @property
    def backstop_s(self) -> float:
        """When the app stops a recorder that missed its maximum duration (0: no maximum)."""
        max_s = self.request.max_duration_s
        return max_s + BACKSTOP_GRACE_S if max_s > 0 else 0.0

    def task_title(self, task_id: str) -> str:
        return next((t["title"] for t in self.tasks if t["id"] == task_id), task_id)

    # ---- the recorder link: what may be asked in which state --------------
    def begin(self, link: RecorderLink, request: StartCommand) -> StartCommand:
        """A new session on ``link``'s recorder: a fresh clock and facts; returns the command to send."""
        self.launching()
        self.link = link
        self.request = request
        self._reset_facts()
        return request

    def pause(self) -> bool:
        if self.state != AppState.RECORDING or self.link is None:
            return False
        self.link.send(Command.PAUSE)
        return True

    def resume(self) -> bool:
        if self.state != AppState.PAUSED or self.link is None:
            return False
        self.link.send(Command.RESUME)
        return True

    def stop(self, reason: str = "participant") -> bool:
        """Ask the recorder to stop (once); False if no session runs."""
        if not self.active or self.link is None:
            return False
        if self.state != AppState.STOPPING:
            self.go(AppState.STOPPING)
            self.link.send(Command.STOP, reason=reason)
        return True

    def request_preview(self, n: int = 40) -> bool:
        """Ask the recorder for its last ``n`` events."""
        if self.link is None or not self.active:
            return False
        self.link.send(Command.PREVIEW, n=n)
        return True

    def start_task(self, task_id: str) -> bool:
        """Start one of the study's tasks (a marker in the recording); False if it cannot be."""
        if not self.active or self.link is None or task_id not in {t["id"] for t in self.tasks}:
            return False
        self.link.send(Command.TASK, action="start", task=task_id)
        return True

    def end_task(self) -> bool:
        if not self.active or self.link is None or not self.task:
            return False
        self.link.send(Command.TASK, action="end")
        return True

    def add_note(self) -> bool:
        """Flag this moment in the recording (a note marker)."""
        if not self.active or self.link is None:
            return False
        self.link.send(Command.NOTE)
        return True

    def own_ui_open(self, on: bool) -> bool:
        """Tallylight's own menu opened or closed: a private gap while it is open."""
        if self.link is None or self.state not in (AppState.RECORDING, AppState.PAUSED):
            return False
        self.link.send(Command.PRIVATE, on=bool(on))
        return True

    def forward(self, cmd: Command, **fields: Any) -> bool:
        """The task window's events and trials, to the running session's recorder."""
        if not self.active or self.link is None:
            return False
        self.link.send(cmd, **fields)
        return True

    # ---- what the recorder said ------------------------------------------
    def on_started(self, msg: RecorderMessage) -> None:
        """``started``: the session's id, options, narrowing and tasks; the clock runs."""
        self.session_id = msg.session_id
        self.study_title = msg.study_title
        self.tasks = [{"id": t.id, "title": t.title} for t in msg.tasks]
        if msg.options:
            self.options = dict(msg.options)
        self.narrowed = list(msg.narrowed)
        self.started()

    def on_stats(self, msg: RecorderMessage) -> None:
        """Counts, rate and private focus; never the state (a stats message written just before a
        hotkey resume used to turn the light back to paused)."""
        if msg.counts is not None:
            self.counts = dict(msg.counts)
        if msg.rate is not None:
            self.rate = msg.rate
        if msg.private is not None:
            self.private = msg.private

    def on_marked(self, msg: RecorderMessage) -> None:
        """A note was added, or a study task started or ended."""
        if msg.event == Message.NOTE:
            self.notes = msg.number or self.notes + 1
        elif msg.action == "start":
            self.task = msg.task
        else:
            self.task = ""

    def on_private(self, msg: RecorderMessage) -> None:
        self.own_ui_private = bool(msg.on)

    def on_stopped(self, msg: RecorderMessage) -> LastSession:
        """``stopped`` (or a synthesised one): the final counts, the clock stops, the summary is kept."""
        if msg.summary.counts is not None:
            self.counts = dict(msg.summary.counts)
        return self.stopped_with(msg, self.counts, self.label, self.session_id)

    def on_exit(self) -> AppState:
        """The recorder process is gone: no link any more; ``error`` if it failed, else ``idle``."""
        self.link = None
        return self.ended()

    # ---- the clock -------------------------------------------------------
    @property
    def active(self) -> bool:
        """A recorder exists for this session: the light is on."""
        return self.state.active

    @property
    def paused_s(self) -> float:
        """Time this session spent paused so far."""
        if not self._started_at:
            return 0.0
        now = self._ended_at or self.clock()
        return self._paused_total + (now - self._paused_since if self._paused_since else 0.0)

    @property
    def elapsed_s(self) -> float:
        """Time this session recorded so far (paused time not included)."""
        if not self._started_at:
            return 0.0
        now = self._ended_at or self.clock()
        return max(0.0, now - self._started_at - self.paused_s)

    # ---- steps -----------------------------------------------------------
    def can(self, state: AppState) -> bool:
        return state == self.state or state in TRANSITIONS[self.state]

    def go(self, state: AppState) -> None:
        """Take one step (staying put is allowed); UsageError for a step the model does not take."""
        if not self.can(state):
            raise UsageError(
                _("A session cannot go from {value} to {value2}.").format(
                    value=self.state.value, value2=state.value
                )
            )
        now = self._ended_at or self.clock()
        if state == AppState.PAUSED and not self._paused_since:
            self._paused_since = now
        elif state in (AppState.RECORDING, AppState.IDLE, AppState.ERROR) and self._paused_since:
            self._paused_total += now - self._paused_since
            self._paused_since = 0.0
        self.state = state

    def launching(self) -> None:
        """A recorder is being started for a new session: a fresh clock."""
        self.go(AppState.STARTING)
        self.fatal_error = ""
        self._started_at = self._ended_at = self._paused_since = 0.0
        self._paused_total = 0.0

    def started(self) -> None:
        """The recorder said ``started``: the clock runs (recording, unless a stop was asked already)."""
        if self.active and not self._started_at:
            self._started_at = self.clock()
        if self.state == AppState.STARTING:
            self.go(AppState.RECORDING)

    def paused(self) -> None:
        """The recorder said ``paused`` (never while stopping)."""
        if self.state in (AppState.RECORDING, AppState.PAUSED):
            self.go(AppState.PAUSED)

    def resumed(self) -> None:
        if self.state in (AppState.RECORDING, AppState.PAUSED):
            self.go(AppState.RECORDING)

    def stopping(self) -> bool:
        """The controller asked the recorder to stop; False if there is nothing to stop."""
        if not self.active:
            return False
        self.go(AppState.STOPPING)
        return True

    def failed(self, why: str) -> None:
        """The recorder refused to start or reported a fatal error (the first reason is kept)."""
        if self.active and not self.fatal_error:
            self.fatal_error = why

    def stopped(self) -> None:
        """The recorder said ``stopped`` (or ended): the clock stops."""
        if self._started_at and not self._ended_at:
            self._ended_at = self.clock()

    def stopped_with(
        self, msg: RecorderMessage, counts: dict[str, int], label: str, session_id: str
    ) -> LastSession:
        """The recorder said ``stopped`` (or ended: a synthesised one): the clock stops and the
        session's summary is kept — the recorder's figures, its counts else the last ones seen
        (``counts``), and the light's own recorded and paused time."""
        self.stopped()
        said = msg.summary
        summary = dataclasses.replace(
            said,
            counts=dict(counts) if said.counts is None else said.counts,
            duration_s=self.elapsed_s + self.paused_s if said.duration_s is None else said.duration_s,
            recorded_s=round(self.elapsed_s, 3),
            paused_s=round(self.paused_s, 3),
        )
        self.last_stop = LastSession(msg.reason, summary, label, session_id or summary.session_id)
        return self.last_stop

    def ended(self) -> AppState:
        """The recorder process is gone: ``error`` if it failed, else ``idle``."""
        self.stopped()
        self.go(AppState.ERROR if self.fatal_error else AppState.IDLE)
        return self.state
