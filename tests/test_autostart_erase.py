"""'Start Tallylight when I log in' (each OS's login entry) and 'Delete all my Tallylight data'."""

from __future__ import annotations

import plistlib
import sys
from pathlib import Path

import pytest

from tallylight import autostart, paths, reentry
from tallylight.store.erase import erase_all


def test_linux_login_entry_is_written_and_removed(tmp_path: Path) -> None:
    entry = autostart.LoginEntry("linux", env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert not entry.enabled()  # off by default
    entry.set_enabled(True)
    path = tmp_path / "autostart" / "org.tallylight.Tallylight.desktop"
    text = path.read_text()
    assert entry.enabled()
    assert "Type=Application" in text
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert exec_line == "Exec=" + " ".join(reentry.app_argv())  # the tray app, no command: no session
    entry.set_enabled(False)
    assert not path.exists()
    assert not entry.enabled()


def test_macos_login_entry_is_a_launch_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    entry = autostart.LoginEntry("darwin")
    entry.set_enabled(True)
    agent = plistlib.loads((tmp_path / "Library/LaunchAgents/org.tallylight.Tallylight.plist").read_bytes())
    assert agent == {
        "Label": "org.tallylight.Tallylight",
        "ProgramArguments": reentry.app_argv(),
        "RunAtLoad": True,
    }
    entry.set_enabled(False)
    assert not entry.enabled()


class FakeRegistry(autostart.LoginEntry):
    """The Run key, faked at the one seam (the registry calls)."""

    value: str | None = None

    def _registry_get(self) -> str | None:
        return self.value

    def _registry_set(self, command: str | None) -> None:
        self.value = command


def test_windows_login_entry_is_the_run_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", r"C:\Users\p\AppData\Local\Programs\Tallylight\tallylight.exe")
    entry = FakeRegistry("win32")
    entry.set_enabled(True)
    assert entry.value == r"C:\Users\p\AppData\Local\Programs\Tallylight\tallylight.exe"
    assert entry.enabled()
    entry.set_enabled(False)
    assert entry.value is None
    assert not entry.enabled()


def test_frozen_app_starts_itself_at_login(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/tallylight/tallylight")
    assert reentry.app_argv() == ["/opt/tallylight/tallylight"]


def test_an_appimage_starts_its_image_at_login(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Its runtime mounts it somewhere new at every start: the login entry names the image."""
    image = tmp_path / "Tallylight-0.1.0-x86_64.AppImage"
    image.write_bytes(b"\x7fELF")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    mounted = str(tmp_path / ".mount_TallyABC" / "usr" / "lib" / "tallylight" / "tallylight")
    monkeypatch.setattr(sys, "executable", mounted)
    monkeypatch.setenv("APPIMAGE", str(image))
    assert reentry.app_argv() == [str(image)]
    image.unlink()  # moved away since: the running app is all there is
    assert reentry.app_argv() == [mounted]


def test_erase_all_shreds_every_file_and_folder(unlocked, tallylight_home: Path) -> None:
    data, config = paths.data_dir(), paths.config_dir()
    session = data / "sessions" / "s1"
    session.mkdir(parents=True)
    (session / "seg-000001.tls").write_bytes(b"x" * 4096)
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text("{}")
    files = [p for folder in (data, config) for p in folder.rglob("*") if p.is_file()]
    assert len(files) >= 3  # the vault, a session, the settings
    assert erase_all() == len(files)
    assert not data.exists()
    assert not config.exists()
