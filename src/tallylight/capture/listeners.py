"""The pynput adapter: install hooks whose callbacks only stamp and enqueue.

Import this module only after :func:`tallylight.capture.probe.probe` said capture
can work: importing pynput without a usable display raises or hangs.
Callbacks never raise (an exception would stop pynput's listener) and do no I/O,
no locking and no conversion: that all happens on the writer thread.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from tallylight.capture.hotkey import parse_hotkey
from tallylight.capture.options import CaptureOptions, KeyMode
from tallylight.errors import CaptureUnavailable, UsageError
from tallylight.events import Kind

START_TIMEOUT_S = 5.0
STOP_JOIN_S = 0.2

_KEY_DOWN, _KEY_UP = int(Kind.KEY_DOWN), int(Kind.KEY_UP)
_MOVE, _BDOWN, _BUP, _SCROLL = int(Kind.MOVE), int(Kind.BUTTON_DOWN), int(Kind.BUTTON_UP), int(Kind.SCROLL)


def _listener_classes() -> tuple[type, type]:
    """pynput's keyboard and mouse listeners, adapted on X11.

    On X11, pynput reports "ready" before its RECORD context is enabled, so the
    first input after ``wait()`` can be missed; our subclasses set
    ``capturing`` when the server confirms (StartOfData). The keyboard one also
    passes the X keycode so downs and ups pair by physical key.
    """
    from pynput import keyboard, mouse

    kbase, mbase = keyboard.Listener, mouse.Listener
    if not (getattr(kbase, "__module__", "").endswith("_xorg") and hasattr(kbase, "_event_to_key")):
        return kbase, mbase
    import Xlib.ext.record
    import Xlib.X

    start_of_data = Xlib.ext.record.StartOfData

    class _ConfirmStart:
        def _handler(self, events: Any) -> None:
            if events.category == start_of_data:
                self.capturing.set()
            super()._handler(events)  # type: ignore[misc]

    class XorgKeyboardListener(_ConfirmStart, kbase):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.capturing = threading.Event()
            super().__init__(*args, **kwargs)

        def _handle_message(self, display: Any, event: Any, injected: bool) -> None:
            try:
                key = self._event_to_key(display, event)
            except IndexError:
                key = None
            if event.type == Xlib.X.KeyPress:
                self.on_press(key, event.detail)
            elif event.type == Xlib.X.KeyRelease:
                self.on_release(key, event.detail)

    class XorgMouseListener(_ConfirmStart, mbase):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.capturing = threading.Event()
            super().__init__(*args, **kwargs)

    return XorgKeyboardListener, XorgMouseListener


class Hooks:
    """One generation of OS input hooks feeding ``sink`` (a SimpleQueue)."""

    def __init__(self, sink: queue.SimpleQueue[tuple], options: CaptureOptions) -> None:
        self._listeners: list[Any] = []
        put = sink.put
        now = time.perf_counter_ns

        def on_press(key: Any, keycode: Any = None) -> None:
            put((now(), _KEY_DOWN, key, keycode if type(keycode) is int else None))

        def on_release(key: Any, keycode: Any = None) -> None:
            put((now(), _KEY_UP, key, keycode if type(keycode) is int else None))

        def on_move(x: Any, y: Any, injected: Any = None) -> None:
            put((now(), _MOVE, x, y))

        def on_click(x: Any, y: Any, button: Any, pressed: Any, injected: Any = None) -> None:
            put((now(), _BDOWN if pressed else _BUP, x, y, button))

        def on_scroll(x: Any, y: Any, dx: Any, dy: Any, injected: Any = None) -> None:
            put((now(), _SCROLL, x, y, dx, dy))

        keyboard_listener, mouse_listener = _listener_classes()
        if options.keys != KeyMode.NONE:
            self._listeners.append(keyboard_listener(on_press=on_press, on_release=on_release))
        if options.mouse_moves or options.clicks or options.scrolls:
            self._listeners.append(
                mouse_listener(
                    on_move=on_move if options.mouse_moves else None,
                    on_click=on_click if options.clicks else None,
                    on_scroll=on_scroll if options.scrolls else None,
                )
            )

    def start(self) -> None:
        for listener in self._listeners:
            listener.start()
        ready = threading.Event()

        def wait_all() -> None:
            for listener in self._listeners:
                listener.wait()
                confirmed = getattr(listener, "capturing", None)
                if confirmed is not None:
                    confirmed.wait()
            ready.set()

        threading.Thread(target=wait_all, name="tallylight-hooks-ready", daemon=True).start()
        if not ready.wait(START_TIMEOUT_S):
            self.stop()
            raise CaptureUnavailable("The input hooks did not start within 5 seconds.")
        for listener in self._listeners:
            if not listener.is_alive():
                self.stop()
                raise CaptureUnavailable("The input hooks stopped as soon as they started.")

    def stop(self) -> None:
        """Remove the hooks without ever blocking for long."""
        listeners, self._listeners = self._listeners, []
        stop_listeners(listeners)


def stop_listeners(listeners: list[Any]) -> None:
    """Stop pynput listeners, waiting at most STOP_JOIN_S in all.

    Once ``stop()`` returned, a listener calls no callback again, so its thread
    need not be joined (on X11 it lingers until one more event arrives). But
    ``stop()`` itself waits for a listener that never became ready: so it runs
    in a helper thread, and we give up waiting after a moment.
    """

    def stop_all() -> None:
        for listener in listeners:
            try:
                listener.stop()
            except Exception:  # noqa: BLE001 - stopping must not fail the caller
                pass

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
            raise UsageError(f"The hotkey {hotkey!r} names a key this system does not know.") from None

        def fire() -> None:
            t = time.perf_counter_ns()
            threading.Thread(target=on_activate, args=(t,), name="tallylight-hotkey", daemon=True).start()

        self._listener = keyboard.GlobalHotKeys({hotkey: fire})

    def start(self) -> None:
        self._listener.start()
        self._listener.wait()

    def stop(self) -> None:
        stop_listeners([self._listener])
