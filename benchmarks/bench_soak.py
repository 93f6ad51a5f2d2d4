"""The soak: the real tray app through many start/pause/resume/stop cycles, with injected input.

    python benchmarks/bench_soak.py [--cycles 500] [--keep DIR]

Runs Xvfb and trayer, starts the tray app (with the real recorder), and for each
cycle: starts a session over the app's socket (as ``tallylight start`` does),
types and moves the mouse through XTest, pauses and resumes with the pause
hotkey (injected with XTest, as the participant would press it), and stops.
Every state is waited for as the app reports it. Prints the recorder exits that
nobody asked for (goal 0) with the cause the app gave, the pause hotkey presses
the app never answered (goal 0), and the app's resident
memory (all resident, and the anonymous part: what it allocated itself) and open files
after 10 cycles and at the end (goal: no growth).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from xserver import XServer, start_xvfb, stop_process, trayer  # noqa: E402

PASSPHRASE = "soak soak soak soak"
STATE_TIMEOUT_S = 30.0


def wait_for(what: str, check: Callable[[], Any], timeout: float = STATE_TIMEOUT_S) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.01)
    raise TimeoutError(f"timed out waiting for {what}")


def status() -> dict[str, Any] | None:
    from tallylight import appctl
    from tallylight.errors import TallylightError

    try:
        return appctl.send("status", timeout=10)
    except TallylightError:
        return None


def send(cmd: str, **fields: Any) -> dict[str, Any]:
    from tallylight import appctl

    return appctl.send(cmd, **fields)


def proc_figures(pid: int) -> tuple[int, int, int]:
    """(resident memory, of it anonymous memory, both in KiB; open file descriptors) of ``pid``.

    RSS counts the pages of mapped libraries too, which come and go with the machine's page
    cache (another program's I/O took 40 MiB of the app's RSS in one run): the anonymous
    part is what the app itself allocated."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "RssAnon"):
            fields[name] = int(value.split()[0])
    return fields.get("VmRSS", 0), fields.get("RssAnon", 0), len(os.listdir(f"/proc/{pid}/fd"))


class Injector:
    """XTest input on one display connection: keys, the pause hotkey, pointer moves."""

    def __init__(self, server: XServer) -> None:
        from Xlib import XK
        from Xlib import display as xdisplay

        self.d = xdisplay.Display(server.display)
        kc = self.d.keysym_to_keycode
        self.letters = [kc(XK.string_to_keysym(c)) for c in "soak"]
        self.ctrl, self.alt, self.p = kc(XK.XK_Control_L), kc(XK.XK_Alt_L), kc(XK.string_to_keysym("p"))

    def _key(self, code: int, down: bool) -> None:
        from Xlib import X
        from Xlib.ext import xtest

        xtest.fake_input(self.d, X.KeyPress if down else X.KeyRelease, code)

    def type_and_move(self, i: int) -> None:
        from Xlib import X
        from Xlib.ext import xtest

        for code in self.letters:
            self._key(code, True)
            self._key(code, False)
        for k in range(10):
            xtest.fake_input(self.d, X.MotionNotify, x=300 + (i * 7 + k * 13) % 600, y=300 + k * 9)
        self.d.sync()

    def hotkey(self) -> None:
        for code in (self.ctrl, self.alt, self.p):
            self._key(code, True)
        for code in (self.p, self.alt, self.ctrl):
            self._key(code, False)
        self.d.sync()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cycles", type=int, default=500)
    ap.add_argument("--keep", type=Path, help="keep the app's home (logs, sessions) here")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="tl-soak-")) if args.keep is None else args.keep
    home.mkdir(parents=True, exist_ok=True)
    os.environ["TALLYLIGHT_HOME"] = str(home)
    from tallylight import settings
    from tallylight.store import vault
    from tallylight.store.crypto import KdfParams

    vault.create_vault(PASSPHRASE, params=KdfParams(iterations=1, lanes=1, memory_kib=64))
    settings.save(settings.Settings(welcome_done=True, reminder_every_min=0, pause_hotkey="<ctrl>+<alt>+p"))
    server = start_xvfb()
    app: subprocess.Popen[bytes] | None = None
    unexpected: list[tuple[int, str]] = []
    lost_hotkeys: list[int] = []  # cycles where a pause hotkey press was not answered in time
    figures: dict[int, tuple[int, int, int]] = {}
    cycle_s: list[float] = []
    hung: list[int] = []  # cycles whose session did not end in time after stop
    t_start = time.monotonic()
    fresh: tuple[int, int, int] | None = None  # a new app on the same data, after 10 cycles

    def start_app(env: dict[str, str], log_name: str) -> subprocess.Popen[bytes] | None:
        with open(home / log_name, "w") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "tallylight.ui"], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        wait_for("the app to listen", lambda: proc.poll() is not None or status())
        if proc.poll() is not None:
            print((home / log_name).read_text())
            return None
        return proc

    def stop_app(proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def cycle(i: int, inject: Injector) -> None:
        t0 = time.monotonic()
        send("start", label=f"soak {i}")
        step = "recording"
        try:
            wait_for(step, lambda: (s := status()) and s["state"] in ("recording", "error"))
            inject.type_and_move(i)
            inject.hotkey()
            step = "paused"
            wait_for(step, lambda: (s := status()) and s["state"] in ("paused", "error"))
            inject.hotkey()
            step = "resumed"
            wait_for(step, lambda: (s := status()) and s["state"] in ("recording", "error"))
            step = ""
            inject.type_and_move(i)
            if (status() or {}).get("state") != "error":
                send("stop")
        except Exception as exc:  # noqa: BLE001 - a cycle that went wrong is reported, the soak goes on
            now = status() or {}
            why = f"{type(exc).__name__}: {exc} (state {now.get('state')!r})"
            unexpected.append((i, why))
            if isinstance(exc, TimeoutError) and step in ("paused", "resumed"):
                lost_hotkeys.append(i)
            print(f"cycle {i}: {why}", flush=True)
            if now.get("state") in ("recording", "paused", "starting"):
                send("stop")
        try:
            end = wait_for(
                "the end of the session",
                lambda: (s := status()) and s["state"] in ("idle", "error") and s,
            )
        except TimeoutError:
            stuck = status() or {}
            why = f"no end {STATE_TIMEOUT_S:.0f} s after stop: state {stuck.get('state')!r}"
            unexpected.append((i, why))
            print(f"cycle {i}: {why}; recorder pid {stuck.get('recorder_pid')}", flush=True)
            hung.append(i)
            end = wait_for(
                "a late end",
                lambda: (s := status()) and s["state"] in ("idle", "error") and s,
                timeout=120,
            )
        if end["state"] == "error":
            unexpected.append((i, end.get("last_error") or "error"))
            print(f"cycle {i}: {end.get('last_error')}", flush=True)
        cycle_s.append(time.monotonic() - t0)

    try:
        with trayer(server):
            env = server.env(QT_QPA_PLATFORM="xcb", TALLYLIGHT_HOME=str(home), TALLYLIGHT_LOG="INFO")
            env["PYTHONPATH"] = str(ROOT / "src")  # this checkout's code, in the app and its recorders
            for name in ("TALLYLIGHT_RECORDER_CMD", "TALLYLIGHT_SINK", "TALLYLIGHT_PASSPHRASE"):
                env.pop(name, None)
            app = start_app(env, "app.log")
            if app is None:
                return 1
            inject = Injector(server)
            for i in range(1, args.cycles + 1):
                cycle(i, inject)
                if i in (10, args.cycles) or i % 50 == 0:
                    figures[i] = proc_figures(app.pid)
                if i % 50 == 0:
                    print(f"{i} cycles, {len(unexpected)} unexpected exits", flush=True)
            if args.cycles > 10:
                # The same 10 cycles in a new app that starts on the data the long run left
                # (a stored session more per cycle): what the data costs, not the cycles.
                stop_app(app)
                app = start_app(env, "app-fresh.log")
                if app is not None:
                    for i in range(args.cycles + 1, args.cycles + 11):
                        cycle(i, inject)
                    fresh = proc_figures(app.pid)
    finally:
        if app is not None:
            stop_app(app)
        stop_process(server.proc)
    cycles = len(cycle_s)
    cycle_s.sort()
    print(
        f"{cycles} start/pause/resume/stop cycles{' (the last 10 in a new app)' if fresh else ''} "
        f"in {time.monotonic() - t_start:.0f} s "
        f"(median cycle {cycle_s[cycles // 2]:.2f} s, p95 {cycle_s[int(cycles * 0.95) - 1]:.2f} s)"
    )
    print(
        f"unexpected recorder exits or hangs: {len(unexpected)} (goal 0), of them stop not done: {len(hung)}"
    )
    for i, why in unexpected[:20]:
        print(f"  cycle {i}: {why}")
    print(f"pause hotkey presses not answered: {len(lost_hotkeys)} of {2 * cycles} (goal 0)")
    log = home / "state" / "recorder.log"
    if log.exists():
        print(f"recorder.log: {log} ({log.stat().st_size} bytes)")
    if 10 in figures and args.cycles in figures and args.cycles != 10:
        (r10, a10, f10), (rn, an, fn) = figures[10], figures[args.cycles]
        trend = ", ".join(f"{n}: {r / 1024:.1f}/{a / 1024:.1f}" for n, (r, a, _) in sorted(figures.items()))
        print(f"app RSS/anonymous (MiB) by cycle: {trend}")
        print(
            f"app RSS after 10 cycles {r10 / 1024:.1f} MiB, after {args.cycles} {rn / 1024:.1f} MiB "
            f"(ratio {rn / r10:.3f}); anonymous {a10 / 1024:.1f} -> {an / 1024:.1f} MiB "
            f"(ratio {an / a10:.3f}); open files {f10} -> {fn}"
        )
        if fresh is not None:
            rf, af, ff = fresh
            print(
                f"a new app on the data of {args.cycles} cycles, after 10 cycles: RSS {rf / 1024:.1f} MiB, "
                f"anonymous {af / 1024:.1f} MiB, open files {ff}: the long run's anonymous memory is "
                f"x{an / af:.3f} of it (the cycles' own share), the new app's x{af / a10:.3f} of cycle 10 "
                f"(the data's share)"
            )
        print(
            "  (each cycle shows ~5 tray notices, in the app's one reused notice window: "
            "bench_tray_messages.py compares it with Qt's balloon, which left ~3.4 KB each)"
        )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        json.dumps(
            {
                "cycles": cycles,
                "unexpected": len(unexpected),
                "lost_hotkeys": len(lost_hotkeys),
                "figures": figures,
                "fresh": fresh,
            }
        )
    )
    if args.keep is None:
        shutil.rmtree(home, ignore_errors=True)
    return 0 if not unexpected else 1


if __name__ == "__main__":
    sys.exit(main())
