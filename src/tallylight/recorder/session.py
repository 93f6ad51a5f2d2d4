"""One recording session: hooks → queue → writer thread → sink.

Usable in-process (tests, benchmarks) and from the recorder process. The writer
thread is the only place that converts, counts and writes; it keeps a short
hold-back window so that events from the keyboard and mouse hook threads, and
markers stamped by the control thread, leave in time order.
"""

from __future__ import annotations

import bisect
import collections
import logging
import queue
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from tallylight import __version__
from tallylight.capture.clockmap import ClockSource
from tallylight.capture.hotkey import HOLD_LIMIT_NS, HotkeyFilter, parse_hotkey
from tallylight.capture.transform import TIME_QUANTUM_NS, Transformer
from tallylight.capture.watchdog import GAP_REASON, TICK_S, HookWatchdog, InputClock, default_input_clock
from tallylight.errors import RecorderError, StoreError
from tallylight.events import Event, GapReason, Kind, Marker, RawEvent, SessionInfo, StopReason
from tallylight.i18n import _
from tallylight.options import CaptureOptions
from tallylight.recorder.sink import EventSink
from tallylight.recorder.timing import SessionTiming
from tallylight.words import RecorderState

log = logging.getLogger(__name__)

SEAL_INTERVAL_S = 0.5  # seal at least this often: a crash loses at most ~0.5 s
SEAL_INTERVAL_NS = int(SEAL_INTERVAL_S * 1e9)
# Events younger than this wait, so late arrivals (another hook thread, a delivery that
# lagged and was re-timed from the OS clock) sort in before anything is written.
HOLDBACK_NS = 100_000_000
WRITER_POLL_S = 0.02
PREVIEW_LEN = 200
_STOP = object()
_TRIALS = object()


class HookSet(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


HookFactory = Callable[["queue.SimpleQueue[RawEvent]", CaptureOptions], HookSet]
SinkFactory = Callable[[SessionInfo], EventSink]
HotkeyFactory = Callable[[str, Callable[[int], None]], HookSet]


def default_hooks(q: queue.SimpleQueue[RawEvent], options: CaptureOptions) -> HookSet:
    from tallylight.capture.listeners import Hooks  # imports pynput: only after the probe

    return Hooks(q, options)


def default_hotkey_listener(hotkey: str, on_activate: Callable[[int], None]) -> HookSet:
    from tallylight.capture.listeners import HotkeyListener

    return HotkeyListener(hotkey, on_activate)


@dataclass
class Stats:
    counts: collections.Counter[int] = field(default_factory=collections.Counter)
    last_input_ns: int = 0  # session time of the last input event written
    recent: collections.deque[Event] = field(default_factory=lambda: collections.deque(maxlen=PREVIEW_LEN))
    rate_window: collections.deque[int] = field(default_factory=lambda: collections.deque(maxlen=100_000))

    def snapshot(self) -> dict[str, int]:
        return {Kind(k).name.lower(): v for k, v in sorted(self.counts.items())}


class Session:
    """A session that records between :meth:`start` and :meth:`stop`."""

    def __init__(
        self,
        options: CaptureOptions,
        sink_factory: SinkFactory,
        *,
        label: str = "",
        study: dict[str, str] | None = None,
        hooks: HookFactory = default_hooks,
        on_fatal: Callable[[str], None] | None = None,
        pause_hotkey: str = "",
        hotkey_listener: HotkeyFactory = default_hotkey_listener,
        on_hotkey: Callable[[str, float], None] | None = None,
        global_capture: bool = True,
        input_clock: InputClock | None = None,
    ) -> None:
        """``input_clock``: the OS's own record of the last input, for the hook watchdog
        (:mod:`tallylight.capture.watchdog`); the default is the real one on Windows, where
        a hook can be removed silently, and none (no watchdog) elsewhere."""
        self.options = options
        #: False: no input hooks at all, only the task window's own events (Wayland, macOS
        #: without Input Monitoring, or a participant who wants no global capture)
        self.global_capture = global_capture
        self.window_task = False  # a task-window task runs: its window's events, no hooks
        self.label = label
        self.study: dict[str, Any] = dict(study or {})  # study_id, manifest_hash, consent_id for SessionInfo
        self._sink_factory = sink_factory
        self._hook_factory = hooks
        self._on_fatal = on_fatal
        self._hotkey = parse_hotkey(pause_hotkey) if pause_hotkey else None
        self._hotkey_text = self._hotkey.pynput() if self._hotkey else ""
        self._hotkey_factory = hotkey_listener
        self._hotkey_listener: HookSet | None = None
        self._on_hotkey = on_hotkey
        self._queue: queue.SimpleQueue[RawEvent] = queue.SimpleQueue()
        self._hooks: HookSet | None = None
        self._lock = threading.Lock()  # serialises start/pause/resume/stop
        self._writer: threading.Thread | None = None
        self.state = RecorderState.IDLE
        self.stats = Stats()
        self.t0_ns = 0
        self.info: SessionInfo | None = None
        self.sink: EventSink | None = None
        self.stop_reason = StopReason.NONE
        self.private = False  # a private app has focus: no hooks, a PRIVATE_APP gap
        self.timing: SessionTiming | None = None
        self.timing_quality: dict[str, Any] | None = None  # the figures stored with the session, once stopped
        clock = input_clock if input_clock is not None else default_input_clock()
        self.watchdog = (
            HookWatchdog(clock, restart=self._restart_hooks, write_gap=self._hook_gap) if clock else None
        )
        self._watchdog_stop = threading.Event()

    # -- control (any thread) -------------------------------------------------

    def start(self, private: bool = False) -> SessionInfo:
        """Begin; with ``private`` (a private app has focus) the session opens in a gap."""
        with self._lock:
            if self.state != RecorderState.IDLE:
                raise RecorderError(_("A session is already running."))
            clock = time.get_clock_info("perf_counter")
            wall = time.time_ns()
            self.t0_ns = time.perf_counter_ns()
            self.info = SessionInfo(
                session_id=new_session_id(),
                started_wall_ns=wall,
                clock="perf_counter_ns",
                clock_resolution_ns=max(TIME_QUANTUM_NS, int(clock.resolution * 1e9)),
                options=self.options,
                label=self.label,
                **self.study,
                platform=sys.platform,
                app_version=__version__,
            )
            self.sink = self._sink_factory(self.info)  # may raise (no vault, disk): nothing started yet
            self.timing = SessionTiming(self.t0_ns, self.info.clock)
            transform = Transformer(self.options, self.t0_ns, secrets.token_bytes(32))
            pipeline = Pipeline(transform, HotkeyFilter(*self._hotkey) if self._hotkey else None)
            self._queue.put((self.t0_ns, Kind.MARKER, Marker.SESSION_START, 0))
            self._writer = threading.Thread(
                target=self._write_loop, args=(pipeline,), name="tallylight-writer", daemon=True
            )
            self._writer.start()
            if self.watchdog is not None and self.global_capture:
                threading.Thread(
                    target=self._watch_hooks, name="tallylight-hook-watchdog", daemon=True
                ).start()
            self.private = private
            try:
                if private:
                    self._queue.put((self.t0_ns, Kind.MARKER, Marker.GAP, int(GapReason.PRIVATE_APP)))
                else:
                    self._install_hooks()
                if self._hotkey and self.global_capture:  # a hotkey is global keyboard capture
                    self._hotkey_listener = self._hotkey_factory(self._hotkey_text, self._hotkey_pressed)
                    self._hotkey_listener.start()
            except BaseException:
                self._finish(StopReason.WRITE_ERROR, self.t0_ns)
                raise
            self.state = RecorderState.RECORDING
            return self.info

    def pause(self, reason: GapReason = GapReason.PAUSED_BY_PARTICIPANT, t: int | None = None) -> float:
        """Remove the hooks; nothing stamped from ``t`` (default now) on is kept."""
        with self._lock:
            if self.state != RecorderState.RECORDING:
                raise RecorderError(_("Cannot pause: the session is {state}.").format(state=self.state))
            t = t or time.perf_counter_ns()
            self._remove_hooks()
            self._queue.put((t, Kind.MARKER, Marker.PAUSE, int(reason)))
            self.state = RecorderState.PAUSED
            return (t - self.t0_ns) / 1e9

    def resume(self, reason: GapReason = GapReason.NONE) -> float:
        with self._lock:
            if self.state != RecorderState.PAUSED:
                raise RecorderError(_("Cannot resume: the session is {state}.").format(state=self.state))
            t = time.perf_counter_ns()
            self.state = RecorderState.RECORDING
            if not self.private:  # still in a private app: the gap goes on until it loses focus
                self._queue.put((t, Kind.MARKER, Marker.RESUME, int(reason)))
                self._install_hooks()
            return (t - self.t0_ns) / 1e9

    def mark(self, which: Marker, reason: int = 0) -> float:
        """Put a marker (a task start or end, a note) into the event stream now; session time in s."""
        with self._lock:
            if self.state not in ("recording", "paused"):
                raise RecorderError(
                    _("Cannot add a marker: the session is {state}.").format(state=self.state)
                )
            t = time.perf_counter_ns()
            self._queue.put((t, Kind.MARKER, int(which), int(reason)))
            return (t - self.t0_ns) / 1e9

    def set_private(self, private: bool) -> None:
        """A private app gained (True) or lost (False) focus: open or close a gap."""
        with self._lock:
            if self.state not in (RecorderState.RECORDING, RecorderState.PAUSED) or private == self.private:
                return
            if self.state == RecorderState.PAUSED:
                self.private = private
                return  # no hooks while paused anyway; resume() looks at the flag
            t = time.perf_counter_ns()
            if private:
                self.private = True
                self._remove_hooks()
                self._queue.put((t, Kind.MARKER, Marker.GAP, int(GapReason.PRIVATE_APP)))
            else:
                self._queue.put((t, Kind.MARKER, Marker.RESUME, 0))
                self._install_hooks()
                self.private = False  # only now: capture is really back

    def _hotkey_pressed(self, t: int) -> None:
        """The pause hotkey: pause or resume (on its own thread, never in a hook)."""
        try:
            if self.state == RecorderState.RECORDING:
                t_s = self.pause(GapReason.PAUSE_HOTKEY, t=t)
                event = "paused"
            elif self.state == RecorderState.PAUSED:
                t_s = self.resume(GapReason.PAUSE_HOTKEY)
                event = "resumed"
            else:
                return
        except RecorderError:
            return  # a stop or another command got there first
        if self._on_hotkey is not None:
            self._on_hotkey(event, t_s)

    def stop(self, reason: StopReason = StopReason.PARTICIPANT, timeout: float = 5.0) -> None:
        with self._lock:
            if self.state in (RecorderState.IDLE, RecorderState.STOPPED):
                return
            self._finish(reason, time.perf_counter_ns(), timeout)

    def elapsed_s(self) -> float:
        return (time.perf_counter_ns() - self.t0_ns) / 1e9 if self.t0_ns else 0.0

    def idle_s(self) -> float:
        last = max(self.stats.last_input_ns, 0)
        return max(0.0, self.elapsed_s() - last / 1e9)

    def rate(self) -> float:
        """Input events per second over the last second of session time."""
        window = self.stats.rate_window
        cutoff = int((self.elapsed_s() - 1.0) * 1e9)
        return float(len(window) - bisect.bisect_left(window, cutoff)) if window else 0.0

    def preview(self, n: int = 50) -> list[Event]:
        recent = list(self.stats.recent)
        return recent[-n:] if n > 0 else []

    # -- internals ----------------------------------------------------------

    def set_window_task(self, on: bool) -> None:
        """A task-window task starts (True) or ends: while it runs, only the window's own
        events are captured (the hooks would see the same keys and clicks a second time)."""
        with self._lock:
            if on == self.window_task:
                return
            self.window_task = on
            if on:
                self._remove_hooks()
            elif self.state == RecorderState.RECORDING and not self.private:
                self._install_hooks()

    def put_window_events(self, raws: list[RawEvent], source: ClockSource | None) -> None:
        """Events of the task window (tallylight.recorder.window_input): into the writer queue
        like hook events; kept only while the session records (pauses drop them as usual)."""
        with self._lock:
            if self.state not in (RecorderState.RECORDING, RecorderState.PAUSED):
                return
            if self.timing is not None and source is not None and self.timing.source in (None, source):
                self.timing.use(source)
            elif source is not None:
                raws = [(*r[:-1], None) for r in raws]  # another clock than the hooks': no OS time
            for raw in raws:
                self._queue.put(raw)

    def put_trials(self, trials: list[dict[str, Any]]) -> None:
        """Task trials, written after the events before them (their times are mapped there)."""
        with self._lock:
            if self.state not in (RecorderState.RECORDING, RecorderState.PAUSED):
                raise RecorderError(
                    _("Cannot store trials: the session is {state}.").format(state=self.state)
                )
            self._queue.put((_TRIALS, time.perf_counter_ns(), trials))

    def _install_hooks(self) -> None:
        if not self.global_capture or self.window_task:
            return
        hooks = self._hook_factory(self._queue, self.options)
        if self.timing is not None:
            self.timing.use(getattr(hooks, "os_clock", None))
        hooks.start()
        self._hooks = hooks
        if self.watchdog is not None:
            self.watchdog.heard()  # silence is counted from now, not from before a pause

    # -- the hook watchdog (Windows; tests give a fake clock) ----------------------

    def _watch_hooks(self) -> None:
        """While the session lasts: every TICK_S, ask the watchdog whether the installed
        hooks went silent while the OS saw input. Only while hooks are installed: in a
        pause, a private app or a window task they are removed on purpose."""
        dog = self.watchdog
        assert dog is not None
        while not self._watchdog_stop.wait(TICK_S):
            with self._lock:
                if self.state != RecorderState.RECORDING or self._hooks is None:
                    continue
                try:
                    dog.tick()  # on a removed hook: _hook_gap, then _restart_hooks (lock held)
                except Exception as exc:
                    log.exception("the hook watchdog could not restart the input hooks")
                    self._finish(StopReason.CONTROLLER_GONE, time.perf_counter_ns())
                    if self._on_fatal is not None:
                        self._on_fatal(
                            f"Input capture stopped: the input hooks could not be restarted ({exc})."
                        )
                    return

    def _hook_gap(self, since_ms: int) -> None:
        """A HOOK_REMOVED gap from when the hook was last heard (the watchdog's tick clock,
        turned into perf_counter time); the writer never lets it go before what it wrote."""
        assert self.watchdog is not None
        silent_ns = ((self.watchdog.clock.now_ms() - since_ms) % 2**32) * 1_000_000
        t = max(self.t0_ns, time.perf_counter_ns() - silent_ns)
        self._queue.put((t, Kind.MARKER, Marker.GAP, int(GAP_REASON)))

    def _restart_hooks(self) -> None:
        """Replace the removed hooks by new ones; capture resumes from now."""
        self._remove_hooks()
        self._queue.put((time.perf_counter_ns(), Kind.MARKER, Marker.RESUME, 0))
        self._install_hooks()

    def _remove_hooks(self) -> None:
        if self._hooks is not None:
            audit = getattr(self._hooks, "audit", None)
            if audit is not None and self.timing is not None:
                self.timing.audits.append(audit)  # its count is read when the session ends
            self._hooks.stop()
            self._hooks = None

    def _remove_all_hooks(self) -> None:
        """Capture hooks and the hotkey listener: nothing of the keyboard is watched after this."""
        self._remove_hooks()
        if self._hotkey_listener is not None:
            self._hotkey_listener.stop()
            self._hotkey_listener = None

    def _finish(self, reason: StopReason, t_abs: int, timeout: float = 5.0) -> None:
        self._watchdog_stop.set()
        self._remove_all_hooks()
        self.stop_reason = reason
        self._queue.put((t_abs, Kind.MARKER, Marker.SESSION_STOP, int(reason)))
        self._queue.put((_STOP,))
        if self._writer is not None and self._writer is not threading.current_thread():
            self._writer.join(timeout)
        self.state = RecorderState.STOPPED

    def _fail(self, message: str) -> None:
        """Called on the writer thread when the sink fails: stop capture, keep what is sealed."""
        self.stop_reason = StopReason.WRITE_ERROR
        self._watchdog_stop.set()
        self._remove_all_hooks()
        self.state = RecorderState.STOPPED
        if self._on_fatal is not None:
            self._on_fatal(message)

    def _write_loop(self, pipeline: Pipeline) -> None:
        sink = self.sink
        assert sink is not None
        get = self._queue.get
        pending: list[RawEvent] = []
        trials: list[tuple[int, list[dict[str, Any]]]] = []  # (queued at, trials) until the hold-back passed
        last_seal = time.monotonic()
        unsealed_from_ns: int | None = None  # session time of the oldest event not yet sealed
        stopping = False
        stats = self.stats
        timing = self.timing
        assert timing is not None
        retime = timing.retime
        t0 = self.t0_ns
        heard = self.watchdog.heard if self.watchdog is not None else None
        try:
            while True:
                # Poll on a timer rather than block in get(): a blocked writer is woken by
                # every put and trades the GIL with the hook thread once per event (about
                # 1.6x the CPU of a bare listener); the hold-back delays output anyway.
                time.sleep(WRITER_POLL_S)
                try:
                    item = get(block=False)
                    while True:
                        if item[0] is _STOP:
                            stopping = True
                        elif item[0] is _TRIALS:
                            trials.append((item[1], [self._trial_times(t) for t in item[2]]))
                        else:
                            if heard is not None and item[1] != Kind.MARKER:
                                heard()  # hook input came through (a window task's too: no hooks then)
                            pending.append(retime(item))
                        item = get(block=False)
                except queue.Empty:
                    pass
                now = time.perf_counter_ns()
                if pending:
                    pending.sort(key=_time_of)
                    cut = (
                        len(pending)
                        if stopping
                        else bisect.bisect_right(pending, now - HOLDBACK_NS, key=_time_of)
                    )
                    ready, pending = pending[:cut], pending[cut:]
                    if ready:
                        timing.floor = ready[-1][0]
                else:
                    ready = []
                out = pipeline.feed(ready, now, final=stopping and not pending)
                if out:
                    sink.write(out)
                    if unsealed_from_ns is None:
                        unsealed_from_ns = out[0].t_ns
                    # Sealed before anyone is told of these events (the preview, the counts) once
                    # the unsealed ones span the interval in their own times: a starved writer
                    # that takes in seconds at once then never holds more than that unsealed.
                    if out[-1].t_ns - unsealed_from_ns >= SEAL_INTERVAL_NS:
                        sink.seal()
                        last_seal, unsealed_from_ns = time.monotonic(), None
                    for event in out:
                        stats.counts[event.kind] += 1
                        if event.kind != Kind.MARKER:
                            stats.last_input_ns = event.t_ns
                            stats.rate_window.append(event.t_ns)
                            timing.count(event.t_ns)
                    stats.recent.extend(out[-PREVIEW_LEN:])
                while trials and (stopping or trials[0][0] <= now - HOLDBACK_NS):
                    write_trials = getattr(sink, "write_trials", None)
                    if write_trials is not None:
                        write_trials(trials.pop(0)[1])
                    else:
                        trials.pop(0)
                if stopping and not pending:
                    timing.unreleased_keys = pipeline.unreleased
                    self.timing_quality = timing.quality((time.perf_counter_ns() - t0) / 1e9)
                    note = getattr(sink, "note_timing", None)
                    if note is not None:
                        note(self.timing_quality)
                    sink.close(self.stop_reason)
                    return
                if unsealed_from_ns is not None and time.monotonic() - last_seal >= SEAL_INTERVAL_S:
                    sink.seal()
                    last_seal, unsealed_from_ns = time.monotonic(), None
        except StoreError as exc:  # StorageFull included: its message says the disk is full
            self._fail(
                str(exc) or _("Writing the session failed; recording stopped. Everything up to now was kept.")
            )
        except Exception as exc:  # a bug must still stop capture
            log.exception("writer thread failed")
            self._fail(_("Recording stopped because of an internal error: {exc}").format(exc=exc))

    def _trial_times(self, trial: dict[str, Any]) -> dict[str, Any]:
        """A trial's span on the session clock: its delimiting events' delivery stamps and OS
        times (``start_ns``/``start_os``, ``end_ns``/``end_os``) mapped like their events."""
        out = {k: v for k, v in trial.items() if k not in ("start_os", "end_os")}
        timing = self.timing
        for edge in ("start", "end"):
            t = int(trial[f"{edge}_ns"])
            os_time = trial.get(f"{edge}_os")
            if os_time is not None and timing is not None and timing.map is not None:
                t = timing.map.map(t, int(os_time))
            out[f"{edge}_ns"] = (t - self.t0_ns) // TIME_QUANTUM_NS * TIME_QUANTUM_NS
        return out


class Pipeline:
    """Writer-side stages over time-ordered raw tuples: hotkey removal, gaps, privacy transform."""

    def __init__(self, transform: Transformer, hotkey: HotkeyFilter | None = None) -> None:
        self.transform = transform
        self.hotkey = hotkey
        self.paused = False
        #: key downs written whose up capture could not see (held when a pause, gap or stop began)
        self.unreleased = 0

    def feed(self, ready: list[RawEvent], now_ns: int, final: bool = False) -> list[Event]:
        staged = ready
        if self.hotkey is not None:
            staged = []
            for raw in ready:
                self.hotkey(raw, staged)
            self.hotkey.flush(staged, None if final else now_ns - HOLD_LIMIT_NS)
        out: list[Event] = []
        for raw in staged:
            if raw[1] == Kind.MARKER:
                which = raw[2]
                if which == Marker.RESUME:
                    self.paused = False
                elif which in (Marker.PAUSE, Marker.GAP, Marker.SESSION_STOP):
                    self.paused = True  # nothing until RESUME (or ever, after the stop stamp)
                    self.unreleased += self.transform.capture_stopped()
            elif self.paused:
                continue  # outside the session's active time: not captured
            event = self.transform(raw)
            if event is not None:
                out.append(event)
        return out


def _time_of(raw: RawEvent) -> int:
    t: int = raw[0]
    return t


def new_session_id() -> str:
    """Random and free of anything personal or datable: 24 hex digits (96 random bits).

    The directory name is readable without the passphrase, so it must not say when
    the session was recorded; the start time lives only in the encrypted INFO.
    """
    return secrets.token_hex(12)
