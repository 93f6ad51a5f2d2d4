"""Real X server, tray host and input injection for tests.

Tests start and stop these by process handle: ``Xvfb -displayfd`` picks a free
display and tells us its number once it is ready; ``trayer`` is a real system
tray host (ready when ``_NET_SYSTEM_TRAY_S0`` has an owner); xdotool and XTest
inject real input that travels through the X server to pynput's RECORD client.
"""

from __future__ import annotations

import os
import select
import shutil
import struct
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from helpers import wait_until


@dataclass
class XServer:
    display: str
    proc: subprocess.Popen

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("WAYLAND_DISPLAY", None)
        env["DISPLAY"] = self.display
        env["XDG_SESSION_TYPE"] = "x11"
        env.update(extra)
        return env

    def xdotool(self, *args: str) -> None:
        subprocess.run(["xdotool", *args], env=self.env(), check=True, timeout=30)


def start_xvfb(*extra_args: str, timeout: float = 15.0, screen: str = "1280x1024x24") -> XServer:
    if shutil.which("Xvfb") is None:
        raise RuntimeError("Xvfb is not installed (make test installs it: apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_fd),
            "-screen",
            "0",
            screen,
            "-nolisten",
            "tcp",
            "-noreset",
            *extra_args,
        ],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    deadline = time.monotonic() + timeout
    buf = b""
    try:
        os.set_blocking(read_fd, False)
        while not buf.endswith(b"\n"):
            if proc.poll() is not None:
                raise RuntimeError(f"Xvfb exited with {proc.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("Xvfb did not report a display in time")
            readable, _, _ = select.select([read_fd], [], [], 0.1)  # wakes when Xvfb writes
            if not readable:
                continue
            try:
                chunk = os.read(read_fd, 64)
            except BlockingIOError:
                continue
            if not chunk:
                raise RuntimeError("Xvfb closed the display pipe")
            buf += chunk
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        os.close(read_fd)
    return XServer(display=f":{int(buf.strip())}", proc=proc)


def stop_process(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def xvfb(*extra_args: str, screen: str = "1280x1024x24") -> Iterator[XServer]:
    server = start_xvfb(*extra_args, screen=screen)
    try:
        yield server
    finally:
        stop_process(server.proc)


def tray_owner(server: XServer) -> int:
    from Xlib import display as xdisplay

    d = xdisplay.Display(server.display)
    try:
        atom = d.intern_atom("_NET_SYSTEM_TRAY_S0")
        return d.get_selection_owner(atom)
    finally:
        d.close()


@contextmanager
def trayer(server: XServer, timeout: float = 10.0) -> Iterator[subprocess.Popen]:
    """Run a real system tray host on ``server`` until the block ends."""
    proc = subprocess.Popen(
        [
            "trayer",
            "--edge",
            "top",
            "--align",
            "right",
            "--widthtype",
            "pixel",
            "--width",
            "200",
            "--height",
            "32",
            "--transparent",
            "false",
            "--tint",
            "0x333333",
            "--SetDockType",
            "true",
        ],
        env=server.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def owned() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"trayer exited with {proc.returncode}")
        owner = tray_owner(server)
        return owner not in (0, None) and getattr(owner, "id", 1) != 0

    try:
        wait_until(owned, timeout, message=lambda: "trayer did not take the tray selection in time")
        yield proc
    finally:
        stop_process(proc)


def fake_moves(server: XServer, points: list[tuple[int, int]], sync_every: int = 500) -> None:
    """Inject pointer motion through XTest as fast as the server takes it."""
    from Xlib import X
    from Xlib import display as xdisplay
    from Xlib.ext import xtest

    d = xdisplay.Display(server.display)
    try:
        for i, (x, y) in enumerate(points, 1):
            xtest.fake_input(d, X.MotionNotify, x=x, y=y)
            if i % sync_every == 0:
                d.sync()
        d.sync()
    finally:
        d.close()


class ServerTimes:
    """A second X client that reads the X server's own time of input events (XInput 2 raw
    events on the root window): the reference a stored time or a measure is checked against,
    whatever the injector's or Xvfb's scheduling did to the gaps it meant to leave.

    ``keys``: key presses and releases; ``buttons``: button presses. ``ms`` holds the server
    times in order, ``events`` (kind, detail, server ms) with kind ``key_press``,
    ``key_release``, ``button_press`` or ``motion`` (with ``moves``) and detail the keycode or
    button number.
    """

    def __init__(self, display: str, keys: bool = True, buttons: bool = False, moves: bool = False) -> None:
        from Xlib.display import Display
        from Xlib.ext import xinput

        self._xinput = xinput
        self.d = Display(display)
        self.d.xinput_query_version()
        mask = 0
        if keys:
            mask |= xinput.RawKeyPressMask | xinput.RawKeyReleaseMask
        if buttons:
            mask |= xinput.RawButtonPressMask
        if moves:
            mask |= xinput.RawMotionMask
        self.d.screen().root.xinput_select_events([(xinput.AllMasterDevices, mask)])
        self.d.sync()
        self._kinds = {
            xinput.RawKeyPress: "key_press",
            xinput.RawKeyRelease: "key_release",
            xinput.RawButtonPress: "button_press",
            xinput.RawMotion: "motion",
        }
        self.events: list[tuple[str, int, int]] = []

    @property
    def ms(self) -> list[int]:
        return [t for _kind, _detail, t in self.events]

    def read(self) -> int:
        """Take the events that have arrived; the number seen so far."""
        while self.d.pending_events():
            ev = self.d.next_event()
            kind = self._kinds.get(getattr(ev, "evtype", None))
            if kind is not None:  # deviceid CARD16, time CARD32, detail CARD32 (XI2 raw event)
                _device, server_ms, detail = struct.unpack("<HII", ev.data[:10])
                self.events.append((kind, detail, server_ms))
        return len(self.events)

    def times(self, kind: str) -> list[int]:
        return [t for k, _detail, t in self.events if k == kind]

    def close(self) -> None:
        self.d.close()


class ServerClock:
    """The X server's own clock in ms, read by a second client: a property change on a window of
    this client's comes back as a PropertyNotify stamped with the server's time (ICCCM section
    2.1's way to get a timestamp). A test waits with it for the server's time to move on, so two
    inputs get distinct times because the server said so, not because the test slept."""

    def __init__(self, display: str) -> None:
        from Xlib import X
        from Xlib.display import Display

        self.d = Display(display)
        root = self.d.screen().root
        self.window = root.create_window(
            0, 0, 1, 1, 0, 0, window_class=X.InputOnly, event_mask=X.PropertyChangeMask
        )
        self.atom = self.d.intern_atom("_TALLYLIGHT_TEST_CLOCK")

    def now(self) -> int:
        """The server's time (ms, CARD32) when it handled this request."""
        from Xlib import X, Xatom

        self.window.change_property(self.atom, Xatom.STRING, 8, b"", mode=X.PropModeAppend)
        self.d.flush()
        while True:
            ev = self.d.next_event()  # blocks until the server's answer
            if ev.type == X.PropertyNotify and ev.atom == self.atom:
                return int(ev.time)

    def wait_past(self, ms: int, timeout: float = 5.0) -> int:
        """Return once the server's time is later than ``ms`` (CARD32, wrap-around aware)."""
        deadline = time.monotonic() + timeout
        while True:
            t = self.now()
            if 0 < (t - ms) % (1 << 32) < (1 << 31):
                return t
            if time.monotonic() > deadline:
                raise AssertionError(f"the X server's time stayed at {t} ms, not past {ms}")

    def close(self) -> None:
        self.d.close()


def attack_window(other: Any, wid: int, attack: str, off_screen: int = 6000) -> None:
    """What a hostile X client (xdotool, say) can do to a tally light, sent from ``other``, an
    Xlib display of the test's own: unmap it, move it off screen, or destroy it."""
    target = other.create_resource_object("window", wid)
    if attack == "unmap":
        target.unmap()
    elif attack == "move-off-screen":
        target.configure(x=off_screen, y=off_screen)
    else:
        target.destroy()
    other.flush()  # sent; no reply is waited for
