"""Issue 7 item 9: the vault key goes only into a keychain the operating system protects.

keyrings.alt's file backends (a plain file, or one "encrypted" under a password
kept next to it) are refused with a sentence; nothing is written to them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from store_helpers import CHEAP, PASS

from tallylight.store import vault


@pytest.mark.parametrize("backend", ["keyrings.alt.file.PlaintextKeyring"])
def test_file_backends_are_refused(
    backend: str, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    keyring.core.init_backend()
    try:
        v = vault.create_vault(PASS, data_dir, params=CHEAP)
        with pytest.raises(
            vault.KeychainRefused, match="ordinary file that the operating system does not protect"
        ):
            vault.store_in_keychain(v)
        assert not any(p.is_file() for p in (tmp_path / "xdg").rglob("*"))  # nothing was written
        assert vault.unlock_with_keychain(data_dir) is None  # and nothing is read from such a file
    finally:
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
        keyring.core.init_backend()


class SecretService:  # stands in for keyring.backends.SecretService.Keyring (no D-Bus here)
    __module__ = "keyring.backends.SecretService"

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


def test_chainer_uses_only_its_protected_member() -> None:
    from keyrings.alt.file import PlaintextKeyring

    class Chainer:
        __module__ = "keyring.backends.chainer"

        def __init__(self, backends: list) -> None:
            self.backends = backends

    good = SecretService()
    assert vault.os_protected_backend(Chainer([PlaintextKeyring(), good])) is good
    with pytest.raises(vault.KeychainRefused):
        vault.os_protected_backend(Chainer([PlaintextKeyring()]))
    from keyring.backends import fail

    assert vault.os_protected_backend(fail.Keyring()) is None
    assert vault.os_protected_backend(good) is good
    from keyrings.alt.file import EncryptedKeyring  # needs pycryptodome to run; refused by kind anyway

    with pytest.raises(vault.KeychainRefused):
        vault.os_protected_backend(object.__new__(EncryptedKeyring))
