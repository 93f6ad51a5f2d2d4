"""One session's states and clock, without Qt: the model the tray app and ``tallylight record`` share.

States (``words.AppState``): ``idle`` → ``starting`` (a recorder is launched) →
``recording`` ⇄ ``paused`` → ``stopping`` → ``idle``; ``error`` (failed) when the
recorder refused to start, reported a fatal error, or ended without saying
``stopped``. :meth:`SessionModel.go` refuses any other step, so a late message
can never turn the light back on. The model keeps the light's clock: recorded
and paused time are apart, and both freeze when the recorder ends.

The adapters (``ui.controller``, ``cli.record_cmd``) feed it what their recorder
says and show its state; they hold the Qt timers, notices and processes.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from tallylight.errors import UsageError
from tallylight.i18n import _
from tallylight.protocol import LastSession, RecorderMessage
from tallylight.words import AppState

#: every step the model takes; anything else is refused (UsageError)
TRANSITIONS: dict[AppState, frozenset[AppState]] = {
    AppState.IDLE: frozenset({AppState.STARTING}),
    AppState.ERROR: frozenset({AppState.STARTING, AppState.IDLE}),
    AppState.STARTING: frozenset({AppState.RECORDING, AppState.STOPPING, AppState.IDLE, AppState.ERROR}),
    AppState.RECORDING: frozenset({AppState.PAUSED, AppState.STOPPING, AppState.IDLE, AppState.ERROR}),
    AppState.PAUSED: frozenset({AppState.RECORDING, AppState.STOPPING, AppState.IDLE, AppState.ERROR}),
    AppState.STOPPING: frozenset({AppState.IDLE, AppState.ERROR}),
}


class SessionModel:
    """The state of the one session a controller runs, and its clock (``clock``: monotonic seconds)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.state = AppState.IDLE
        self.fatal_error = ""  # why the running recorder failed, once it said so
        self.last_stop: LastSession | None = None  # the session that ended last
        self._started_at = 0.0
        self._ended_at = 0.0
        self._paused_since = 0.0
        self._paused_total = 0.0

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
