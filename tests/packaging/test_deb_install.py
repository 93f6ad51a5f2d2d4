"""A new user on Debian: the .deb installed with apt-get, Tallylight started from its menu entry,
and a session recorded with the mouse and keyboard only (issue 18: no terminal).

Run by `make package-test` (CI runs it as root on a fresh Debian machine) after `make package`.
It installs dist/tallylight_<version>_amd64.deb system-wide and removes it again at the end.
"""

from __future__ import annotations

import configparser
import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import wait_until
from xserver import XServer, fake_moves, trayer

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = Path("/usr/share/applications/org.tallylight.Tallylight.desktop")
ICON = Path("/usr/share/icons/hicolor/scalable/apps/tallylight.svg")
PASS = "correct horse battery staple"
# a login session's PATH: the installed app, never the test venv's
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
APT_LOCK = ["-o", "DPkg::Lock::Timeout=600"]


def installed_version() -> str:
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status} ${Version}", "tallylight"], capture_output=True, text=True
    )
    return out.stdout.split()[-1] if out.stdout.startswith("install ok installed") else ""


@pytest.fixture
def installed_deb() -> Iterator[Path]:
    """The worktree's own .deb, installed as a user would (apt-get resolves its Depends), removed after."""
    assert os.geteuid() == 0, "installing the .deb needs root (CI runs `make package-test` as root)"
    assert installed_version() == "", "a tallylight package is already installed: this test would remove it"
    (deb,) = (ROOT / "dist").glob("tallylight_*_amd64.deb")
    try:
        done = subprocess.run(
            ["apt-get", "install", "-y", "-q", *APT_LOCK, f"./dist/{deb.name}"],
            cwd=ROOT,
            env=APT_ENV,
            timeout=900,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        yield deb
    finally:
        subprocess.run(
            ["apt-get", "remove", "-y", "-q", *APT_LOCK, "tallylight"],
            env=APT_ENV,
            timeout=600,
            capture_output=True,
        )
    assert installed_version() == ""
    assert not Path("/opt/tallylight").exists()
    assert not DESKTOP.exists()


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(DESKTOP.read_text())
    return parser["Desktop Entry"]


def search(env: dict[str, str], name: str) -> list[str]:
    """The visible windows whose title is ``name`` (xdotool: what a person sees on screen)."""
    out = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", f"^{name}$"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return out.stdout.split()


def menu_open(display: str) -> bool:
    """A popup menu of the app is mapped (its window type, so a tooltip does not count)."""
    from Xlib import X
    from Xlib import display as xdisplay

    d = xdisplay.Display(display)
    try:
        kind = d.intern_atom("_NET_WM_WINDOW_TYPE")
        popup_menu = d.intern_atom("_NET_WM_WINDOW_TYPE_POPUP_MENU")
        for w in d.screen().root.query_tree().children:
            try:
                if w.get_attributes().map_state != X.IsViewable:
                    continue
                prop = w.get_full_property(kind, X.AnyPropertyType)
            except Exception:  # noqa: BLE001 - windows may vanish
                continue
            if prop is not None and popup_menu in prop.value:
                return True
        return False
    finally:
        d.close()


def tray_centres(display: str) -> list[tuple[int, int]]:
    sys.path.insert(0, str(ROOT / "tests" / "ui"))
    from conftest_helpers import tray_icon_centres

    return list(tray_icon_centres(display))


def tray_menu(xserver: XServer, env: dict[str, str], key: str) -> None:
    """Click the light in the tray, wait for its menu, and choose an item by its underlined letter."""
    (x, y) = wait_until(lambda: tray_centres(xserver.display), timeout=30)[0]
    subprocess.run(["xdotool", "mousemove", str(x), str(y), "click", "1"], env=env, check=True, timeout=30)
    wait_until(lambda: menu_open(xserver.display), timeout=30, message=lambda: "the tray menu did not open")
    subprocess.run(["xdotool", "key", key], env=env, check=True, timeout=30)
    wait_until(lambda: not menu_open(xserver.display), timeout=30)


def status(home: Path) -> dict:
    """The running app's status over its socket (the Qt-free client), {} while it does not answer."""
    from tallylight import appctl
    from tallylight.errors import TallylightError

    assert os.environ["TALLYLIGHT_HOME"] == str(home)
    try:
        return appctl.send("status", timeout=5)
    except TallylightError:
        return {}


def test_a_new_user_installs_the_deb_and_records_from_the_menu_without_a_terminal(
    installed_deb: Path, xserver: XServer, tallylight_home: Path, tmp_path: Path
) -> None:
    # where the desktop menu looks for it
    check = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Icon"] == "tallylight"
    assert ICON.is_file()
    assert os.path.realpath("/usr/bin/tallylight") == "/opt/tallylight/tallylight"
    argv = shlex.split(entry["Exec"])  # the Desktop Entry spec's quoting is a subset of the shell's
    assert shutil.which(argv[0], path=SYSTEM_PATH) == "/usr/bin/tallylight"
    assert entry.get("Terminal", "false") == "false"

    home = tmp_path / "home"
    home.mkdir()
    env = xserver.env(
        HOME=str(home),
        PATH=SYSTEM_PATH,
        TALLYLIGHT_HOME=str(tallylight_home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        QT_QPA_PLATFORM="xcb",
    )
    for name in (
        "TALLYLIGHT_PASSPHRASE",
        "TALLYLIGHT_RECORDER_CMD",
        "TALLYLIGHT_SINK",
        "VIRTUAL_ENV",
        "PYTHONPATH",
    ):
        env.pop(name, None)

    with trayer(xserver):
        # started as the menu starts it: GLib reads the entry and runs its Exec line
        launcher = subprocess.Popen(
            ["gio", "launch", str(DESKTOP)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # the app stays in this group, so the test can end it
        )
        group = launcher.pid
        try:
            # the first run: what it does, then a passphrase (real keys, no terminal)
            (welcome,) = wait_until(lambda: search(env, "Welcome to Tallylight"), timeout=60)
            xserver.xdotool("windowfocus", "--sync", welcome)
            xserver.xdotool("key", "Return")  # Next (it has the focus): the passphrase page
            xserver.xdotool("type", "--delay", "5", PASS)
            xserver.xdotool("key", "Tab")
            xserver.xdotool("type", "--delay", "5", PASS)
            xserver.xdotool("key", "Tab", "Tab", "space")  # past "Show passphrase"; "I understand"
            xserver.xdotool("key", "Return")  # Create passphrase
            vault = tallylight_home / "data"
            wait_until(lambda: any(vault.glob("vault*")), timeout=120, message=lambda: "no vault was created")

            # The "You are ready" page follows the key's creation in a worker's callback, with no
            # sign outside the window: Alt+C (its Close) is pressed until the window is gone.
            def closed_with_alt_c() -> bool:
                if not search(env, "Welcome to Tallylight"):
                    return True
                xserver.xdotool("key", "alt+c")  # a no-op until that page shows its Close
                return not search(env, "Welcome to Tallylight")

            wait_until(closed_with_alt_c, timeout=60, interval=0.5)

            # Start session… from the tray menu, a label, Enter
            tray_menu(xserver, env, "s")
            (start,) = wait_until(lambda: search(env, "Start a Tallylight session"), timeout=60)
            xserver.xdotool("windowfocus", "--sync", start)
            xserver.xdotool("key", "alt+l")
            xserver.xdotool("type", "--delay", "5", "from the menu")
            xserver.xdotool("key", "Return")
            st = wait_until(
                lambda: (s := status(tallylight_home)).get("state") == "recording" and s, timeout=60
            )
            assert st["label"] == "from the menu"
            session_id = st["session_id"]

            # the participant types and moves the mouse
            xserver.xdotool("mousemove", "640", "600")
            xserver.xdotool("type", "--delay", "5", "abc")
            fake_moves(xserver, [(300 + i, 400 + i // 2) for i in range(200)])
            wait_until(
                lambda: (
                    (c := status(tallylight_home).get("counts", {})).get("key_up", 0) >= 3
                    and c.get("move", 0) >= 1
                ),
                timeout=30,
                message=lambda: f"not recorded: {status(tallylight_home)}",
            )

            tray_menu(xserver, env, "t")  # Stop
            wait_until(lambda: status(tallylight_home).get("state") == "idle", timeout=60)
            tray_menu(xserver, env, "q")  # Quit
            wait_until(lambda: not tray_centres(xserver.display), timeout=60)

            def group_gone() -> bool:
                try:
                    os.killpg(group, 0)
                except ProcessLookupError:
                    return True
                launcher.poll()  # reap gio itself
                return False

            wait_until(group_gone, timeout=60, message=lambda: "the app did not quit from its menu")
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            launcher.wait(10)

    # what was recorded, read back with the installed app and the participant's passphrase
    secret = tmp_path / "passphrase"
    secret.write_text(PASS + "\n")
    listing = subprocess.run(
        ["tallylight", "sessions", "list", "--passphrase-file", str(secret)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listing.returncode == 0, listing.stderr
    row = next(line for line in listing.stdout.splitlines() if session_id in line)
    assert "from the menu" in row, listing.stdout
    assert "complete" in row, listing.stdout
    out = tmp_path / "session.jsonl"
    export = subprocess.run(
        [
            *("tallylight", "sessions", "export", session_id, "--format", "jsonl", "--out", str(out)),
            *("--passphrase-file", str(secret)),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert export.returncode == 0, export.stderr
    kinds: dict[str, int] = {}
    for line in out.read_text().splitlines():
        kind = json.loads(line)["kind"]
        kinds[kind] = kinds.get(kind, 0) + 1
    assert kinds.get("key_down") == 3, kinds
    assert kinds.get("key_up") == 3, kinds
    assert kinds.get("move", 0) >= 100, kinds
