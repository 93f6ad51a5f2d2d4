"""Just enough of an EWMH window manager on Xvfb to test focus-based private apps.

Creates windows with a given WM_CLASS, advertises _NET_ACTIVE_WINDOW in
_NET_SUPPORTED, and sets _NET_ACTIVE_WINDOW (plus X input focus) like a real
window manager does when the user switches apps.
"""

from __future__ import annotations

from typing import Any

from Xlib import X, Xatom
from Xlib import display as xdisplay


class FakeWM:
    def __init__(self, display: str) -> None:
        self.d = xdisplay.Display(display)
        self.root = self.d.screen().root
        self.NET_SUPPORTED = self.d.intern_atom("_NET_SUPPORTED")
        self.NET_ACTIVE = self.d.intern_atom("_NET_ACTIVE_WINDOW")
        self.root.change_property(self.NET_SUPPORTED, Xatom.ATOM, 32, [self.NET_ACTIVE])
        self.windows: list[Any] = []
        self.d.sync()

    def window(self, instance: str, wm_class: str):
        w = self.root.create_window(
            10,
            40,
            300,
            200,
            0,
            self.d.screen().root_depth,
            X.InputOutput,
            X.CopyFromParent,
            event_mask=X.KeyPressMask | X.FocusChangeMask,
        )
        w.set_wm_class(instance, wm_class)
        w.set_wm_name(wm_class)
        w.map()
        self.windows.append(w)
        self.d.sync()
        return w

    def focus(self, w) -> None:
        w.set_input_focus(X.RevertToParent, X.CurrentTime)
        self.root.change_property(self.NET_ACTIVE, Xatom.WINDOW, 32, [w.id])
        self.d.sync()

    def close(self) -> None:
        for w in self.windows:
            w.destroy()
        self.root.delete_property(self.NET_ACTIVE)
        self.root.delete_property(self.NET_SUPPORTED)
        self.d.sync()
        self.d.close()
