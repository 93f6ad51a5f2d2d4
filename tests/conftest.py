"""Shared fixtures: every test gets its own TALLYLIGHT_HOME; X11 tests a real Xvfb."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import helpers
from tallylight.options import CaptureOptions, KeyMode
from xserver import XServer, start_xvfb, stop_process


@pytest.fixture(autouse=True)
def tallylight_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point all app data at a temp dir so no test touches real user data."""
    home = tmp_path_factory.mktemp("tallylight-home")
    monkeypatch.setenv("TALLYLIGHT_HOME", str(home))
    monkeypatch.delenv("TALLYLIGHT_PASSPHRASE", raising=False)
    # never the participant's real keychain: keyring's "fail" backend answers nothing
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return home


@pytest.fixture(autouse=True)
def collect_on_the_main_thread() -> Iterator[None]:
    """After each test, the collections the cycle collector would have run by now, on this
    thread: once the UI tests' QApplication exists, automatic collection is off, so that no
    worker thread ever frees a window (see tallylight.ui.gui_gc)."""
    yield
    for collector in helpers.gui_collectors:
        collector.check()


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests, and the commands they start, read English unless they choose a language
    (the developer's desktop may be German)."""
    from tallylight import i18n

    monkeypatch.setenv("LANGUAGE", "en")
    i18n.use_languages(None)
    yield
    i18n.use_languages(None)


@pytest.fixture
def language() -> Iterator[Callable[[str], None]]:
    """Switch the app's language within the test (``language("de")``); English again afterwards."""
    from tallylight import i18n

    yield lambda lang: i18n.use_languages([lang])
    i18n.use_languages(None)


@pytest.fixture
def data_dir(tallylight_home: Path) -> Path:
    """The data folder inside the test's TALLYLIGHT_HOME."""
    return tallylight_home / "data"


@pytest.fixture
def unlocked(data_dir: Path):  # -> tallylight.store.vault.UnlockedVault
    """A vault with cheap Argon2id parameters (the real ones are tested in tests/store/test_vault.py)."""
    from store_helpers import CHEAP, PASS

    from tallylight.store import vault

    return vault.create_vault(PASS, data_dir, params=CHEAP)


@pytest.fixture
def cheap_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Vaults that the code under test creates itself (the welcome dialog, a command's first
    unlock) use cheap Argon2id parameters: where the KDF is not the subject, its 192 MiB·passes
    per derivation only cost time (the real ones are tested in tests/store/test_vault.py)."""
    from store_helpers import CHEAP

    from tallylight.store import vault

    defaults = vault.create_vault.__kwdefaults__
    assert defaults is not None
    assert "params" in defaults
    monkeypatch.setitem(defaults, "params", CHEAP)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses the X server is marked ``x11``, so ``make test-fast`` never starts one."""
    for item in items:
        if "xserver_session" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.x11)


@pytest.fixture(scope="session")
def xserver_session() -> Iterator[XServer]:
    server = start_xvfb()
    try:
        yield server
    finally:
        stop_process(server.proc)


@pytest.fixture
def xserver(xserver_session: XServer, monkeypatch: pytest.MonkeyPatch) -> XServer:
    """A real X server (shared by the session), with DISPLAY pointed at it."""
    monkeypatch.setenv("DISPLAY", xserver_session.display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
    return xserver_session


from hypothesis import HealthCheck, settings  # noqa: E402

# Example counts come from these profiles only (no test sets max_examples), chosen with
# HYPOTHESIS_PROFILE: `make test-fast` runs "fast", a developer's `make test` "dev", CI
# (CI=true) "ci". A property test's speed is the profile's business, never the test's.
# No deadline: a loaded machine makes a slow example, not a wrong one.
settings.register_profile("fast", deadline=None, max_examples=10)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.register_profile("ci", deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def allow_full_keys(tallylight_home: Path) -> None:
    """The participant's settings allow exact keys (the recorder's ceiling is the settings)."""
    from tallylight import settings as settings_mod

    settings_mod.save(settings_mod.Settings(capture=CaptureOptions(keys=KeyMode.FULL)))
