"""The frozen app in dist/tallylight/ and the wheel, tested as a participant and a researcher get them.

Run by `make package-test` after `make package`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import wait_until
from xserver import XServer, fake_moves, trayer

ROOT = Path(__file__).resolve().parents[2]
FROZEN = ROOT / "dist" / "tallylight" / "tallylight"
PASS = "correct horse battery staple"


def frozen(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(FROZEN), *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_frozen_self_test_passes(xserver: XServer) -> None:
    with trayer(xserver):
        result = frozen("--self-test", env=xserver.env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok    indicator: tray icon shown" in result.stdout
    assert "ok    commands:" in result.stdout  # the lazily imported CLI commands are frozen in
    assert f"{FROZEN} --recorder answered" in result.stdout  # re-entry, not python -m


def test_frozen_record_with_injected_moves_shows_in_sessions_list(xserver: XServer) -> None:
    env = xserver.env(TALLYLIGHT_PASSPHRASE=PASS, TALLYLIGHT_LABEL="frozen")
    proc = subprocess.Popen(
        [str(FROZEN), "record", "--for", "3s"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("● RECORDING IS ON for 3 s — session ")
    fake_moves(xserver, [(100 + i % 400, 100 + i // 400) for i in range(400)])
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Recording stopped (duration limit)" in out
    assert "Traceback" not in err
    session_id = out.split("Session ")[1].split(":")[0]
    listing = frozen("sessions", "list", env=env)
    assert listing.returncode == 0, listing.stderr
    row = next(line for line in listing.stdout.splitlines() if session_id in line)
    assert "frozen" in row
    assert "mouse move" in out


def tray_icons(display: str) -> int:
    sys.path.insert(0, str(ROOT / "tests" / "ui"))
    from conftest_helpers import tray_icon_centres

    return len(tray_icon_centres(display))


def wait_for(check, timeout: float = 20.0) -> bool:
    try:
        wait_until(check, timeout)
    except AssertionError:
        return False
    return True


def test_frozen_tray_light_shows_in_trayer_and_dies_with_the_app(xserver: XServer) -> None:
    with trayer(xserver):
        app = subprocess.Popen(
            [str(FROZEN)], env=xserver.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            assert wait_for(lambda: tray_icons(xserver.display) == 1), "no light in the tray"
            app.send_signal(signal.SIGKILL)  # the app dies: its light goes with it
            app.wait(10)
            assert wait_for(lambda: tray_icons(xserver.display) == 0), "the light outlived the app"
        finally:
            if app.poll() is None:
                app.kill()


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_passes_the_self_test(xserver: XServer, tmp_path: Path) -> None:
    (wheel,) = (ROOT / "dist").glob("tallylight-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        timeout=900,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    result = subprocess.run(
        [str(venv / "bin" / "tallylight"), "--self-test"],
        env=xserver.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert str(venv) in result.stdout  # its resources came from the wheel install


def test_the_deb_holds_the_app_its_menu_entry_icons_and_metainfo(xserver: XServer, tmp_path: Path) -> None:
    (deb,) = (ROOT / "dist").glob("tallylight_*_amd64.deb")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp_path)], check=True, timeout=300)
    assert os.readlink(tmp_path / "usr" / "bin" / "tallylight") == "/opt/tallylight/tallylight"
    desktop = tmp_path / "usr" / "share" / "applications" / "org.tallylight.Tallylight.desktop"
    assert "Exec=tallylight\n" in desktop.read_text()
    assert (tmp_path / "usr/share/icons/hicolor/scalable/apps/tallylight.svg").is_file()
    assert (tmp_path / "usr" / "share" / "metainfo" / "org.tallylight.Tallylight.metainfo.xml").is_file()
    fields = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True, check=True).stdout
    assert "Depends: libc6 (>= 2." in fields
    assert "libxcb-cursor0" in fields
    installed = tmp_path / "opt" / "tallylight" / "tallylight"  # the app as the .deb installs it
    result = subprocess.run(
        [str(installed), "--self-test"], env=xserver.env(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_appimage_folder_runs_its_self_test(xserver: XServer) -> None:
    """The AppDir the release workflow turns into an AppImage (appimagetool is in no registry
    here): its entry point, desktop entry, icon and metainfo, and the app run through AppRun."""
    appdir = ROOT / "build" / "appimage" / "Tallylight.AppDir"
    assert os.readlink(appdir / "AppRun") == "usr/lib/tallylight/tallylight"
    desktop = (appdir / "org.tallylight.Tallylight.desktop").read_text()
    assert "Icon=tallylight\n" in desktop
    assert (appdir / "tallylight.svg").is_file()
    assert (appdir / ".DirIcon").resolve() == (appdir / "tallylight.svg").resolve()
    metainfo = appdir / "usr" / "share" / "metainfo" / "org.tallylight.Tallylight.metainfo.xml"
    check = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(metainfo)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout
    app_run = str(appdir / "AppRun")
    result = subprocess.run(
        [app_run, "--self-test"], env=xserver.env(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{appdir}/usr/lib/tallylight/tallylight --recorder answered" in result.stdout


def test_every_bundled_library_is_one_something_loads() -> None:
    """No stray libraries in the onedir (issue 18: the .deb's size): each top-level shared
    library is NEEDED by the executable, an extension module, a Qt library or plugin, or
    another such library; libpython is opened by the bootloader."""
    import re

    internal = FROZEN.parent / "_internal"

    def needed(path: Path) -> set[str]:
        out = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True, check=True).stdout
        return set(re.findall(r"\(NEEDED\).*\[(.*)\]", out))

    libraries = {p.name: p for p in internal.glob("lib*.so*") if not p.name.startswith("libpython")}
    others = [
        p
        for p in internal.rglob("*.so*")
        if p.is_file() and not p.is_symlink() and (p.parent != internal or p.name not in libraries)
    ]
    todo, loaded = [FROZEN, *others], set()
    while todo:
        for name in needed(todo.pop()):
            if name in libraries and name not in loaded:
                loaded.add(name)
                todo.append(libraries[name])
    assert sorted(set(libraries) - loaded) == []
    assert "libcairo.so.2" not in libraries  # the GTK theme's stack (its plugin is left out)
