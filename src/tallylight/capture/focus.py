"""Which application has focus, so capture can pause while a private app is in front.

On X11 the window manager announces the focused window in the root window's
``_NET_ACTIVE_WINDOW`` property (EWMH); its ``WM_CLASS`` names the application.
We listen for changes of that property (no polling) on our own X connection.
Only a yes/no "private or not" leaves this module: app names and window titles
are never recorded. Where focus cannot be known, :func:`focus_support` says so.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tallylight.i18n import _

log = logging.getLogger(__name__)

#: how the recorder's notice begins when private apps cannot pause capture here
FOCUS_UNKNOWN_NOTICE = "Private apps cannot be detected here."


def focus_support(env: Mapping[str, str] | None = None) -> tuple[bool, str]:
    """Can focus be known here (EWMH _NET_ACTIVE_WINDOW on X11)? And a sentence saying so."""
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux") and not sys.platform.startswith("freebsd"):
        return (
            False,
            _(
                "On this system Tallylight cannot yet tell which app has focus, so private apps do not "
                "pause capture. Pause by hand."
            ),
        )
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE", "").lower() == "wayland":
        return (
            False,
            _(
                "This is a Wayland session: Tallylight cannot tell which app has focus, so private apps do "
                "not pause capture. Pause by hand."
            ),
        )
    display = env.get("DISPLAY")
    if not display:
        return False, _("No X display: Tallylight cannot tell which app has focus.")
    try:
        from Xlib import X
        from Xlib import display as xdisplay

        d = xdisplay.Display(display)
    except Exception as exc:  # noqa: BLE001 - any failure to connect means: focus unknown here
        return False, _("Could not ask the X server which app has focus ({exc}).").format(exc=exc)
    try:
        root = d.screen().root
        supported = root.get_full_property(d.intern_atom("_NET_SUPPORTED"), X.AnyPropertyType)
        active = d.intern_atom("_NET_ACTIVE_WINDOW")
        if supported is None or active not in list(supported.value):
            return False, (
                _(
                    "Your window manager does not say which window has focus, "
                    "so private apps cannot pause capture automatically here. Pause by hand."
                )
            )
        return (
            True,
            _(
                "Tallylight can tell which app has focus (X11): "
                "capture pauses while a private app is focused."
            ),
        )
    finally:
        d.close()


def normalise(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n.strip().casefold() for n in names if isinstance(n, str) and n.strip())


def is_private(wm_class: tuple[str, str] | None, private: frozenset[str]) -> bool:
    """True if either part of WM_CLASS (instance, class) names a private app."""
    if not wm_class or not private:
        return False
    return any(part and part.casefold() in private for part in wm_class)


class X11FocusWatcher:
    """Calls ``on_change(private: bool)`` from its own thread when that answer changes."""

    def __init__(
        self, display: str | None, private_apps: Iterable[str], on_change: Callable[[bool], None]
    ) -> None:
        from Xlib import X
        from Xlib import display as xdisplay

        self._private = normalise(private_apps)
        self._on_change = on_change
        self._d = xdisplay.Display(display or os.environ.get("DISPLAY"))
        self._root = self._d.screen().root
        self._active_atom = self._d.intern_atom("_NET_ACTIVE_WINDOW")
        self._X = X
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.current = False

    def check_now(self) -> bool:
        """Read the focused app's WM_CLASS and report whether it is private."""
        private = is_private(self._active_class(), self._private)
        if private != self.current:
            self.current = private
            self._on_change(private)
        return private

    def _active_class(self) -> tuple[str, str] | None:
        from Xlib import error as xerror

        try:
            prop = self._root.get_full_property(self._active_atom, self._X.AnyPropertyType)
            if not prop or not prop.value or not prop.value[0]:
                return None
            window = self._d.create_resource_object("window", int(prop.value[0]))
            cls = window.get_wm_class()
            return (cls[0], cls[1]) if cls else None
        except (xerror.XError, xerror.BadWindow):  # the window went away: not private
            return None

    def start(self) -> None:
        self._root.change_attributes(event_mask=self._X.PropertyChangeMask)
        self._d.sync()
        self.check_now()
        self._thread = threading.Thread(target=self._run, name="tallylight-focus", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        fd = self._d.fileno()
        try:
            while not self._stop.is_set():
                if not self._d.pending_events():
                    readable, _, _ = select.select([fd], [], [], 0.2)
                    if not readable:
                        continue
                changed = False
                for _ in range(self._d.pending_events() or 1):
                    event: Any = self._d.next_event()
                    if event.type == self._X.PropertyNotify and event.atom == self._active_atom:
                        changed = True
                if changed and not self._stop.is_set():
                    self.check_now()
        except Exception:  # lost the X connection: stop watching, say so
            if not self._stop.is_set():
                log.exception("focus watcher stopped")
                self._on_change(True)  # cannot tell any more: treat as private (fail closed)
        finally:
            self._close()

    def stop(self) -> None:
        """Stop watching; returns at once (the thread closes its connection within 0.2 s)."""
        self._stop.set()
        if self._thread is None:
            self._close()

    def _close(self) -> None:
        with contextlib.suppress(Exception):  # closing must not fail
            self._d.close()


def open_apps(display: str | None = None, exclude: Iterable[str] = ("Tallylight",)) -> list[str]:
    """The applications with a window open now (the class part of each window's WM_CLASS),
    for the participant to pick private apps from; [] where they cannot be listed.

    Uses the window manager's ``_NET_CLIENT_LIST`` where there is one, else the mapped
    top-level windows. Only names: no titles, nothing recorded.
    """
    try:
        from Xlib import X, Xatom
        from Xlib import display as xdisplay

        d = xdisplay.Display(display or os.environ.get("DISPLAY"))
    except Exception:  # noqa: BLE001 - no X here: nothing to list
        return []
    skip = normalise(exclude)
    names: dict[str, str] = {}
    try:
        root = d.screen().root
        clients = root.get_full_property(d.intern_atom("_NET_CLIENT_LIST"), Xatom.WINDOW)
        if clients is not None and len(clients.value):
            windows = [d.create_resource_object("window", int(w)) for w in clients.value]
        else:
            windows = [w for w in root.query_tree().children if w.get_attributes().map_state == X.IsViewable]
        for w in windows:
            try:
                cls = w.get_wm_class()
            except Exception:  # noqa: BLE001 - the window went away
                continue
            if not cls:
                continue
            name = (cls[1] or cls[0]).strip()
            if name and name.casefold() not in skip:
                names.setdefault(name.casefold(), name)
    except Exception as exc:  # noqa: BLE001 - a half-listed answer is still an answer
        log.debug("listing open apps failed: %s", exc)
    finally:
        with contextlib.suppress(Exception):
            d.close()
    return sorted(names.values(), key=str.casefold)
