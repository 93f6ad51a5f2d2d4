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
from typing import Any

from tallylight.capture.options import CaptureOptions, KeyMode
from tallylight.errors import CaptureUnavailable
from tallylight.events import Kind

START_TIMEOUT_S = 5.0
STOP_JOIN_S = 0.2

_KEY_DOWN, _KEY_UP = int(Kind.KEY_DOWN), int(Kind.KEY_UP)
_MOVE, _BDOWN, _BUP, _SCROLL = int(Kind.MOVE), int(Kind.BUTTON_DOWN), int(Kind.BUTTON_UP), int(Kind.SCROLL)


def _keyboard_listener_class() -> type:
    """pynput's keyboard listener; on X11 one that also reports the physical keycode."""
    from pynput import keyboard

    base = keyboard.Listener
    if getattr(base, "__module__", "").endswith("_xorg") and hasattr(base, "_event_to_key"):
        import Xlib.X

        class XorgKeycodeListener(base):  # type: ignore[misc, valid-type]
            """Passes ``event.detail`` (the X keycode) so downs and ups pair by physical key."""

            def _handle_message(self, display: Any, event: Any, injected: bool) -> None:
                try:
                    key = self._event_to_key(display, event)
                except IndexError:
                    key = None
                if event.type == Xlib.X.KeyPress:
                    self.on_press(key, event.detail)
                elif event.type == Xlib.X.KeyRelease:
                    self.on_release(key, event.detail)

        return XorgKeycodeListener
    return base


class Hooks:
    """One generation of OS input hooks feeding ``sink`` (a SimpleQueue)."""

    def __init__(self, sink: "queue.SimpleQueue[tuple]", options: CaptureOptions) -> None:
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

        from pynput import mouse

        if options.keys != KeyMode.NONE:
            self._listeners.append(_keyboard_listener_class()(on_press=on_press, on_release=on_release))
        if options.mouse_moves or options.clicks or options.scrolls:
            self._listeners.append(
                mouse.Listener(
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
        """Remove the hooks. Never blocks for long (pynput on X11 may linger until one more event)."""
        for listener in self._listeners:
            try:
                listener.stop()
            except Exception:  # noqa: BLE001 - stopping must not fail the caller
                pass
        for listener in self._listeners:
            listener.join(STOP_JOIN_S)
        self._listeners.clear()
