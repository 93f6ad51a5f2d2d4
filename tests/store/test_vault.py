"""The key vault: create, unlock, wrong passphrase, change passphrase, keychain fallback."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from store_helpers import CHEAP, PASS, make_info, synthetic, write_session

from tallylight.errors import VaultError, WrongPassphrase
from tallylight.events import StopReason
from tallylight.store import crypto, sessions, vault, writer


def test_real_parameters_round_trip(data_dir: Path) -> None:
    """The production defaults (RFC 9106 second option) — the one slow test."""
    assert crypto.KdfParams(3, 4, 65536) == vault.DEFAULT_PARAMS
    v = vault.create_vault("pass phrase", data_dir)
    doc = json.loads(vault.vault_path(data_dir).read_text())
    assert doc["kdf"] == {**doc["kdf"], "name": "argon2id", "iterations": 3, "lanes": 4, "memory_kib": 65536}
    assert vault.unlock("pass phrase", data_dir).public_key == v.public_key
    with pytest.raises(WrongPassphrase):
        vault.unlock("pass phrasE", data_dir)


def test_wrong_passphrase_and_no_vault(data_dir: Path) -> None:
    with pytest.raises(VaultError):
        vault.unlock(PASS, data_dir)
    with pytest.raises(VaultError):
        vault.load_public_key(data_dir)
    vault.create_vault(PASS, data_dir, params=CHEAP)
    with pytest.raises(WrongPassphrase) as info:
        vault.unlock("nope", data_dir)
    assert "passphrase" in str(info.value)
    with pytest.raises(VaultError):
        vault.create_vault("other", data_dir, params=CHEAP)  # never overwritten
    with pytest.raises(VaultError):
        vault.create_vault("", data_dir / "x", params=CHEAP)


def test_private_key_not_in_file(data_dir: Path) -> None:
    v = vault.create_vault(PASS, data_dir, params=CHEAP)
    raw = vault.vault_path(data_dir).read_bytes()
    import base64

    assert base64.b64encode(crypto.private_bytes(v.private_key)) not in raw
    assert vault.vault_path(data_dir).stat().st_mode & 0o077 == 0


def test_change_passphrase_keeps_sessions(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    evs = synthetic(50)
    write_session(data_dir, "keep", [evs])
    before = (data_dir / "sessions" / "keep" / "seg-00000000.tls").read_bytes()
    vault.change_passphrase(PASS, "new one", data_dir)
    with pytest.raises(WrongPassphrase):
        vault.unlock(PASS, data_dir)
    v2 = vault.unlock("new one", data_dir)
    assert list(sessions.iter_events("keep", v2, data_dir)) == evs
    assert (data_dir / "sessions" / "keep" / "seg-00000000.tls").read_bytes() == before
    with pytest.raises(WrongPassphrase):
        vault.change_passphrase("wrong", "x", data_dir)
    assert vault.unlock("new one", data_dir).public_key == unlocked.public_key


@pytest.mark.parametrize("field", ["public_key", "nonce", "sealed_private_key", "kdf"])
def test_damaged_vault_file(data_dir: Path, field: str) -> None:
    vault.create_vault(PASS, data_dir, params=CHEAP)
    p = vault.vault_path(data_dir)
    doc = json.loads(p.read_text())
    if field == "kdf":
        doc["kdf"]["salt"] = "AAAA"
    else:
        raw = bytearray(__import__("base64").b64decode(doc[field]))
        raw[0] ^= 1
        doc[field] = __import__("base64").b64encode(bytes(raw)).decode()
    p.write_text(json.dumps(doc))
    with pytest.raises(VaultError):  # WrongPassphrase is a VaultError: the tag covers all of it
        vault.unlock(PASS, data_dir)


@settings(deadline=None)
@given(st.text(st.characters(codec="utf-8"), min_size=1, max_size=30))
def test_any_unicode_passphrase(passphrase: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        created = vault.create_vault(passphrase, Path(d), params=CHEAP)
        assert vault.unlock(passphrase, Path(d)).public_key == created.public_key
        with pytest.raises(WrongPassphrase):
            vault.unlock(passphrase + "x", Path(d))


def test_key_wrap_known_answer() -> None:
    """Pinned bytes: the key file layout and derivation do not drift from FORMAT.md."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    device = X25519PrivateKey.from_private_bytes(bytes(range(32)))
    eph = X25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
    pub = crypto.public_bytes(device.public_key())
    raw = crypto.wrap_session_key(b"K" * 32, b"U" * 16, "sid", pub, ephemeral=eph)
    assert len(raw) == 140
    assert raw[:12] == b"TLLYKEY\x00\x01\x00\x00\x00"
    assert raw[12:28] == b"U" * 16
    assert raw[28:60] == pub
    assert raw[60:92] == crypto.public_bytes(eph.public_key())
    assert crypto.unwrap_session_key(raw, "sid", device) == (b"K" * 32, b"U" * 16)
    # independent derivation with the standard library HKDF (RFC 5869)
    import hashlib
    import hmac

    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    shared = eph.exchange(device.public_key())
    prk = hmac.new(raw[60:92] + pub, shared, hashlib.sha256).digest()
    wk = hmac.new(prk, b"tallylight/v1/session-key-wrap" + b"\x01", hashlib.sha256).digest()
    assert ChaCha20Poly1305(wk).decrypt(b"\0" * 12, raw[92:], raw[:92] + b"sid") == b"K" * 32


# ---------------------------------------------------------------- keychain


class DictKeychain:
    """An in-memory keychain backend (the real OS keychains cannot run headless)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.items: dict[tuple[str, str], str] = {}
        self.delay = delay

    def get_password(self, service: str, username: str) -> str | None:
        time.sleep(self.delay)  # a slow keychain is the subject (not a wait for anything)
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        time.sleep(self.delay)  # (the same)
        self.items[service, username] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.items[service, username]


def test_keychain_round_trip(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    kc = DictKeychain()
    assert vault.unlock_with_keychain(data_dir, backend=kc) is None
    assert vault.store_in_keychain(unlocked, backend=kc)
    got = vault.unlock_with_keychain(data_dir, backend=kc)
    assert got is not None
    assert got.public_key == unlocked.public_key
    assert vault.forget_keychain(data_dir, backend=kc)
    assert vault.unlock_with_keychain(data_dir, backend=kc) is None


def test_keychain_that_hangs_falls_back_quickly(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    kc = DictKeychain(delay=30)
    t = time.monotonic()
    assert vault.unlock_with_keychain(data_dir, backend=kc, timeout=0.3) is None
    assert not vault.store_in_keychain(unlocked, backend=kc, timeout=0.3)
    assert time.monotonic() - t < 2
    assert any(th.name == "tallylight-keychain" and th.daemon for th in threading.enumerate())


def test_keychain_with_foreign_key_is_ignored(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    kc = DictKeychain()
    other = vault.create_vault("x", data_dir / "other", params=CHEAP)
    vault.store_in_keychain(other, backend=kc)
    kc.items = {(s, f"device-key-{unlocked.public_key[:8].hex()}"): p for (s, _), p in kc.items.items()}
    assert vault.unlock_with_keychain(data_dir, backend=kc) is None


def test_no_keychain_answering_means_no_keychain(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    """keyring missing or without a backend (the suite selects keyring's "fail" backend, so the
    participant's real keychain is never touched): no key from it, nothing stored, and quickly."""
    t = time.monotonic()
    assert vault.unlock_with_keychain(data_dir, timeout=1.0) is None
    assert vault.store_in_keychain(unlocked, timeout=1.0) is False
    assert vault.forget_keychain(data_dir, timeout=1.0) is False
    assert time.monotonic() - t < 3


def test_recording_never_needs_the_passphrase(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    w = writer.open_session(make_info("np"), data_dir)
    w.write(synthetic(5))
    w.close(StopReason.PARTICIPANT)
    doc = json.loads(vault.vault_path(data_dir).read_text())
    doc["sealed_private_key"] = doc["sealed_private_key"][::-1]  # private part unusable: writing still works
    vault.vault_path(data_dir).write_text(json.dumps(doc))
    w2 = writer.open_session(make_info("np2"), data_dir)
    w2.write(synthetic(3))
    w2.close(StopReason.PARTICIPANT)
    with pytest.raises(VaultError):
        vault.unlock(PASS, data_dir)  # nobody can unlock now ...
    for sid, n in (("np", 5), ("np2", 3)):  # ... yet both sessions were written whole
        data = sessions.read(sid, unlocked, data_dir)
        assert data.report.verdict == "complete"
        assert len(data.columns()) == n
