"""The pynput adapter: install hooks whose callbacks only stamp and enqueue.

Import this module only after :func:`tallylight.capture.probe.probe` said capture
can work: importing pynput without a usable display raises or hangs.
Callbacks never raise (an exception would stop pynput's listener) and do no I/O,
no locking and no conversion: that all happens on the writer thread.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from tallylight.capture.clockmap import DARWIN_EVENT_TIME, WIN32_HOOK_TIME, X11_SERVER_TIME, ClockSource
from tallylight.capture.hotkey import parse_hotkey
from tallylight.errors import CaptureUnavailable, UsageError
from tallylight.events import Kind, RawEvent
from tallylight.i18n import _
from tallylight.options import CaptureOptions, KeyMode
from tallylight.timeouts import HOOKS_START_S

log = logging.getLogger(__name__)

STOP_JOIN_S = 0.2

_KEY_DOWN, _KEY_UP = int(Kind.KEY_DOWN), int(Kind.KEY_UP)
_MOVE, _BDOWN, _BUP, _SCROLL = int(Kind.MOVE), int(Kind.BUTTON_DOWN), int(Kind.BUTTON_UP), int(Kind.SCROLL)


class _Stamp:
    """The OS time of the event being delivered on one listener thread (set just before the callback)."""

    __slots__ = ("t",)

    def __init__(self) -> None:
        self.t: int | None = None


def _listener_classes() -> tuple[type, type, ClockSource | None]:
    """pynput's keyboard and mouse listeners, adapted to hand us each event's OS time.

    Each adapted listener has a ``stamp`` (:class:`_Stamp`) that holds the OS time of
    the event whose callback runs. On X11, pynput reports "ready" before its RECORD
    context is enabled, so the first input after ``wait()`` can be missed; our
    subclasses set ``capturing`` when the server confirms (StartOfData), and the
    keyboard one also passes the X keycode so downs and ups pair by physical key.
    """
    from pynput import keyboard, mouse

    kbase, mbase = keyboard.Listener, mouse.Listener
    backend = getattr(kbase, "__module__", "")
    if backend.endswith("_xorg") and hasattr(kbase, "_event_to_key"):
        return (*_xorg_classes(kbase, mbase), X11_SERVER_TIME)
    if backend.endswith("_darwin"):
        return _darwin_classes(kbase, mbase)
    if backend.endswith("_win32"):
        return kbase, mbase, WIN32_HOOK_TIME  # OS times arrive through win32_event_filter
    return kbase, mbase, None


def _xorg_classes(kbase: type, mbase: type) -> tuple[type, type]:
    """X11: every raw X event carries the server's ``time`` (ms, 32-bit); a drain thread reads
    the RECORD socket (:mod:`tallylight.capture.xdrain`)."""
    import Xlib.X

    confirm_start = _xorg_confirm_start()
    key_press, key_release = Xlib.X.KeyPress, Xlib.X.KeyRelease

    class XorgKeyboardListener(confirm_start, kbase):  # type: ignore[misc,valid-type]  # bases known at run time
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.stamp = _Stamp()
            super().__init__(*args, **kwargs)

        def _handle_message(self, display: Any, event: Any, injected: bool) -> None:  # noqa: ARG002 - pynput's signature
            self.stamp.t = event.time
            try:
                key = self._event_to_key(display, event)
            except IndexError:
                key = None
            if event.type == key_press:
                self.on_press(key, event.detail)
            elif event.type == key_release:
                self.on_release(key, event.detail)

    class XorgMouseListener(confirm_start, mbase):  # type: ignore[misc,valid-type]  # bases known at run time
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.stamp = _Stamp()
            super().__init__(*args, **kwargs)

        def _handle_message(self, display: Any, event: Any, injected: bool) -> None:
            self.stamp.t = event.time
            super()._handle_message(display, event, injected)

    return XorgKeyboardListener, XorgMouseListener


@functools.cache
def _xorg_confirm_start() -> type:
    """A mixin for pynput's X11 listeners: ``capturing`` is set once the server confirms.

    pynput's X11 listener reports "ready" (``wait()`` returns) before it asks the server
    to enable its RECORD context, and that request blocks the listener's thread for the
    whole session, so input made right after ``wait()`` may come before the server
    records anything. The server enables the context and only then sends StartOfData on
    it: from ``capturing`` on, every input the server processes reaches the listener.
    It also puts a drain thread on the RECORD connection (:mod:`tallylight.capture.xdrain`).
    """
    import Xlib.ext.record

    start_of_data = Xlib.ext.record.StartOfData

    class ConfirmStart:
        _display_record: Any
        drain: Any = None

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.capturing = threading.Event()
            super().__init__(*args, **kwargs)

        def _initialize(self, display: Any) -> None:
            super()._initialize(display)  # type: ignore[misc]  # pynput backend class, chosen at run time
            # RECORD context made, not yet enabled: nothing in flight on its connection
            from tallylight.capture.xdrain import RecordDrain

            try:
                self.drain = RecordDrain(self._display_record.display)
            except OSError as exc:  # no socket pair: pynput reads the server directly, as before
                log.info("the RECORD connection is read without a drain: %s", exc)

        def _handler(self, events: Any) -> None:
            if events.category == start_of_data:
                self.capturing.set()
            super()._handler(events)  # type: ignore[misc]  # pynput backend class, chosen at run time

    return ConfirmStart


def _darwin_classes(kbase: type, mbase: type) -> tuple[type, type, ClockSource]:
    """macOS: ``CGEventGetTimestamp`` of each event, read before pynput's handler runs.

    Not ``darwin_intercept``: an intercept turns pynput's listen-only tap into an
    active one (every event of the system would wait for our Python code) and runs
    only after the callbacks. CGEventTimestamp is documented as nanoseconds but
    counts mach absolute time on some machines; :func:`darwin_unit_ns` decides once.
    """
    import Quartz

    get_timestamp = Quartz.CGEventGetTimestamp

    class _Stamped:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.stamp = _Stamp()
            super().__init__(*args, **kwargs)

        def _handle_message(
            self, proxy: Any, event_type: Any, event: Any, refcon: Any, injected: Any
        ) -> None:
            self.stamp.t = get_timestamp(event)
            super()._handle_message(proxy, event_type, event, refcon, injected)  # type: ignore[misc]  # as above

    class DarwinKeyboardListener(_Stamped, kbase):  # type: ignore[misc]  # base known at run time
        pass

    class DarwinMouseListener(_Stamped, mbase):  # type: ignore[misc]  # base known at run time
        pass

    unit = darwin_unit_ns(get_timestamp(Quartz.CGEventCreate(None)), *_mach_time_and_timebase())
    return DarwinKeyboardListener, DarwinMouseListener, dataclasses.replace(DARWIN_EVENT_TIME, unit_ns=unit)


def _mach_time_and_timebase() -> tuple[int, int, int]:
    import ctypes

    class Timebase(ctypes.Structure):
        _fields_ = [("numer", ctypes.c_uint32), ("denom", ctypes.c_uint32)]

    libc = ctypes.CDLL("/usr/lib/libSystem.dylib")
    libc.mach_absolute_time.restype = ctypes.c_uint64
    tb = Timebase()
    libc.mach_timebase_info(ctypes.byref(tb))
    return int(libc.mach_absolute_time()), tb.numer, tb.denom


def darwin_unit_ns(event_timestamp: int, mach_now: int, numer: int, denom: int) -> float:
    """Nanoseconds per CGEventTimestamp unit: 1 if it reads like ns since boot, else the mach
    tick length, judged by a fresh event's timestamp against mach_absolute_time() taken just after."""
    tick = numer / denom
    as_ns = abs(event_timestamp - mach_now * tick)
    as_ticks = abs(event_timestamp - mach_now) * tick
    return tick if as_ticks < as_ns else 1.0


class Hooks:
    """One generation of OS input hooks feeding ``sink`` (a SimpleQueue).

    Each callback stamps ``perf_counter_ns()`` first and puts one tuple whose last
    element is the event's OS time (or None): the shapes of
    :mod:`tallylight.capture.transform`, plus that OS time. ``os_clock`` says what the
    OS times mean (None: this platform gives none).
    """

    def __init__(self, sink: queue.SimpleQueue[RawEvent], options: CaptureOptions) -> None:
        self._listeners: list[Any] = []
        keyboard_listener, mouse_listener, self.os_clock = _listener_classes()
        win32 = self.os_clock is WIN32_HOOK_TIME
        #: X11: the moves the server made that these hooks never received (made in start())
        self.audit: Any = None
        self._audit_moves = self.os_clock is X11_SERVER_TIME and options.mouse_moves
        self._seen: list[Callable[[int], None]] = []
        if options.keys != KeyMode.NONE:
            take, extra = _os_time_source(win32)
            on_press, on_release = _key_callbacks(sink.put, take)
            self._listeners.append(
                _with_take(keyboard_listener(on_press=on_press, on_release=on_release, **extra), take)
            )
        if options.mouse_moves or options.clicks or options.scrolls:
            take, extra = _os_time_source(win32)
            on_move, on_click, on_scroll = _mouse_callbacks(sink.put, take, self._seen)
            self._listeners.append(
                _with_take(
                    mouse_listener(
                        on_move=on_move if options.mouse_moves else None,
                        on_click=on_click if options.clicks else None,
                        on_scroll=on_scroll if options.scrolls else None,
                        **extra,
                    ),
                    take,
                )
            )

    def start(self) -> None:
        if self._audit_moves:
            self._start_audit()
        for listener in self._listeners:
            listener.start()
        try:
            wait_capturing(self._listeners)
        except CaptureUnavailable:
            self.stop()
            raise

    def stop(self) -> None:
        """Remove the hooks without ever blocking for long."""
        listeners, self._listeners = self._listeners, []
        stop_listeners(listeners)
        if self.audit is not None:
            self.audit.stop()

    def _start_audit(self) -> None:
        """Before RECORD starts, so the raw motion stream covers every move it delivers;
        without it (no XInput 2) the loss is simply unknown."""
        from tallylight.capture.xaudit import MotionAudit

        try:
            self.audit = MotionAudit()
        except Exception as exc:  # noqa: BLE001 - an optional check: capture goes on without it
            log.info("pointer moves cannot be checked for loss: %s", exc)
            return
        self._seen.append(self.audit.seen)


def _os_time_source(win32: bool) -> tuple[list[Any], dict[str, Any]]:
    """How a listener's callbacks get the OS time of their event.

    X11 and macOS: the adapted listener sets ``stamp.t`` just before each callback
    on the same thread. Windows: ``win32_event_filter`` sees the hook's
    KBDLLHOOKSTRUCT/MSLLHOOKSTRUCT (``time``, ms) before the callback; for the
    keyboard, pynput runs the callback later from its message loop, in the same
    order, hence a FIFO (bounded, so a mismatch can never grow).
    """
    box: list[Any] = [lambda: None]
    if not win32:
        return box, {}
    times: collections.deque[int] = collections.deque(maxlen=256)
    append, popleft = times.append, times.popleft

    def event_filter(msg: Any, data: Any) -> bool:  # noqa: ARG001 - pynput's filter signature
        append(data.time)
        return True

    def take() -> int | None:
        return popleft() if times else None

    box[0] = take
    return box, {"win32_event_filter": event_filter}


def _with_take(listener: Any, box: list[Any]) -> Any:
    stamp = getattr(listener, "stamp", None)
    if stamp is not None:
        box[0] = lambda: stamp.t
    return listener


def _key_callbacks(put: Callable[[RawEvent], None], box: list[Any]) -> tuple[Callable[..., None], ...]:
    now = time.perf_counter_ns

    def on_press(key: Any, keycode: Any = None) -> None:
        put((now(), _KEY_DOWN, key, keycode if type(keycode) is int else None, box[0]()))

    def on_release(key: Any, keycode: Any = None) -> None:
        put((now(), _KEY_UP, key, keycode if type(keycode) is int else None, box[0]()))

    return on_press, on_release


def _mouse_callbacks(
    put: Callable[[RawEvent], None], box: list[Any], seen: list[Callable[[int], None]] | None = None
) -> tuple[Callable[..., None], ...]:
    """``seen``: empty, or (once the hooks start) the move audit's append of a move's OS time."""
    now = time.perf_counter_ns

    def on_move(x: Any, y: Any, injected: Any = None) -> None:  # noqa: ARG001 - pynput passes it
        stamp, t = now(), box[0]()
        put((stamp, _MOVE, x, y, t))
        if seen:
            seen[0](t)

    def on_click(x: Any, y: Any, button: Any, pressed: Any, injected: Any = None) -> None:  # noqa: ARG001 - pynput passes it
        put((now(), _BDOWN if pressed else _BUP, x, y, button, box[0]()))

    def on_scroll(x: Any, y: Any, dx: Any, dy: Any, injected: Any = None) -> None:  # noqa: ARG001 - pynput passes it
        put((now(), _SCROLL, x, y, dx, dy, box[0]()))

    return on_move, on_click, on_scroll


def wait_capturing(listeners: list[Any]) -> None:
    """Return once every started listener delivers input: ready and, where the listener can
    tell (X11, ``capturing``), confirmed by the server. Raises :class:`CaptureUnavailable`
    after HOOKS_START_S, or if a listener's thread ended; the caller stops them."""
    ready = threading.Event()

    def wait_all() -> None:
        for listener in listeners:
            listener.wait()
            confirmed = getattr(listener, "capturing", None)
            if confirmed is not None:
                confirmed.wait()
        ready.set()

    threading.Thread(target=wait_all, name="tallylight-hooks-ready", daemon=True).start()
    if not ready.wait(HOOKS_START_S):
        raise CaptureUnavailable(
            _("The input hooks did not start within {seconds} seconds.").format(seconds=f"{HOOKS_START_S:g}")
        )
    for listener in listeners:
        if not listener.is_alive():
            raise CaptureUnavailable(_("The input hooks stopped as soon as they started."))


def stop_listeners(listeners: list[Any]) -> None:
    """Stop pynput listeners, waiting at most STOP_JOIN_S in all.

    Once ``stop()`` returned, a listener calls no callback again, so its thread
    need not be joined (on X11 it lingers until one more event arrives). But
    ``stop()`` itself waits for a listener that never became ready: so it runs
    in a helper thread, and we give up waiting after a moment.
    """

    def stop_all() -> None:
        for listener in listeners:
            with contextlib.suppress(Exception):  # stopping must not fail the caller
                listener.stop()

    stopper = threading.Thread(target=stop_all, name="tallylight-hooks-stop", daemon=True)
    stopper.start()
    stopper.join(STOP_JOIN_S)


class HotkeyListener:
    """The pause hotkey (pynput GlobalHotKeys). Records nothing; ``on_activate(t_ns)``
    runs in a fresh thread so the hook callback returns at once."""

    def __init__(self, hotkey: str, on_activate: Callable[[int], None]) -> None:
        from pynput import keyboard

        hotkey = parse_hotkey(hotkey).pynput()  # the one parser; pynput gets its own spelling
        try:
            keyboard.HotKey.parse(hotkey)
        except ValueError:
            raise UsageError(
                _("The hotkey {hotkey!r} names a key this system does not know.").format(hotkey=hotkey)
            ) from None

        def fire() -> None:
            t = time.perf_counter_ns()
            threading.Thread(target=on_activate, args=(t,), name="tallylight-hotkey", daemon=True).start()

        hotkeys: type = keyboard.GlobalHotKeys
        if getattr(keyboard.Listener, "__module__", "").endswith("_xorg"):
            hotkeys = type("XorgGlobalHotKeys", (_xorg_confirm_start(), hotkeys), {})
        self._listener = hotkeys({hotkey: fire})

    def start(self) -> None:
        """Return once a press of the hotkey from now on is certain to be seen (on X11: the
        server confirmed the listener's RECORD context, not only pynput's "ready")."""
        self._listener.start()
        try:
            wait_capturing([self._listener])
        except CaptureUnavailable:
            self.stop()
            raise

    def stop(self) -> None:
        stop_listeners([self._listener])
