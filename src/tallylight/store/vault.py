"""The device key vault (docs/FORMAT.md section 3).

One X25519 key pair per device. Session keys are wrapped to its public key, so
recording needs no passphrase; reading needs the private key, which is sealed
under a passphrase (Argon2id) and may also be kept in the OS keychain.

A lost passphrase means lost data: nothing here can reset it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from tallylight import paths, safejson, words
from tallylight.errors import AuthenticationError, StoreError, VaultError, WrongPassphrase
from tallylight.fsutil import atomic_write, storage_error
from tallylight.i18n import _
from tallylight.store import crypto
from tallylight.store.crypto import KdfParams, SessionKey
from tallylight.store.layout import KEY_FILE, data_root, vault_file
from tallylight.timeouts import call_with_timeout

KEYCHAIN_SERVICE = "tallylight"
KEYCHAIN_TIMEOUT_S = 3.0
DEFAULT_PARAMS = KdfParams()

__all__ = [
    "DEFAULT_PARAMS",
    "KdfParams",
    "UnlockedVault",
    "change_passphrase",
    "create_vault",
    "exists",
    "forget_keychain",
    "load_public_key",
    "store_in_keychain",
    "unlock",
    "unlock_with_keychain",
    "vault_path",
]


@dataclass(frozen=True)
class UnlockedVault:
    """The device private key, in memory only."""

    private_key: X25519PrivateKey
    public_key: bytes
    data_dir: Path

    def session_key(self, session_dir: Path) -> SessionKey:
        """The key of the session stored in ``session_dir`` (a reader's key source).

        AuthenticationError if the key file is missing or damaged, VaultError if
        the session was recorded for another device key.
        """
        try:
            raw = (session_dir / KEY_FILE).read_bytes()
        except FileNotFoundError:
            raise AuthenticationError(
                _(
                    "Session {name} has no key file (it was deleted or damaged); its data cannot be read."
                ).format(name=session_dir.name)
            ) from None
        except OSError as exc:
            raise StoreError(
                _("Cannot read session {name} ({strerror}).").format(
                    name=session_dir.name, strerror=exc.strerror
                )
            ) from None
        return crypto.unwrap_session_key(raw, session_dir.name, self.private_key)


def vault_path(data_dir: Path | None = None) -> Path:
    return vault_file(data_dir)


def exists(data_dir: Path | None = None) -> bool:
    return vault_path(data_dir).is_file()


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _unb64(s: Any, size: int) -> bytes:
    try:
        b = base64.b64decode(s, validate=True)
    except (ValueError, TypeError):
        raise VaultError(_("The vault file is damaged.")) from None
    if len(b) != size:
        raise VaultError(_("The vault file is damaged."))
    return b


def _read(data_dir: Path | None) -> dict[str, Any]:
    path = vault_path(data_dir)
    try:
        doc = safejson.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise VaultError(
            _("No key vault exists yet. Create one first (for example with `tallylight sessions list`).")
        ) from None
    except (OSError, ValueError) as exc:
        raise VaultError(
            _("The vault file {path} cannot be read ({exc}).").format(path=path, exc=exc)
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != "tallylight-vault":
        raise VaultError(_("The vault file is damaged."))
    if doc.get("version") != 1:
        raise VaultError(
            _("The vault has version {printable}, which this Tallylight cannot read.").format(
                printable=words.printable(str(doc.get("version")))
            )
        )
    return doc


def _check_whole(doc: dict[str, Any], path: Path) -> None:
    """Before unlocking: a damaged file is "damaged", never "wrong passphrase"."""
    if "checksum" in doc and doc.get("checksum") != _checksum(doc):
        raise VaultError(
            _(
                "The vault file {path} is damaged (its contents do not match their checksum), so it cannot "
                "be unlocked with any passphrase. Restore it from a backup if you have one."
            ).format(path=path)
        )


def _checksum(doc: dict[str, Any]) -> str:
    """SHA-256 over every other field (canonical JSON): tells damage apart from a wrong passphrase.

    Not a defence against tampering (anyone can recompute it); the AEAD is that.
    """
    rest = {k: v for k, v in doc.items() if k != "checksum"}
    canonical = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _params(doc: dict[str, Any]) -> tuple[KdfParams, bytes]:
    kdf = doc.get("kdf")
    if not isinstance(kdf, dict) or kdf.get("name") != "argon2id":
        raise VaultError(_("The vault file is damaged (unknown key derivation)."))
    # unchecked JSON values on purpose: check() below refuses anything but whole numbers in bounds
    params = KdfParams(kdf.get("iterations"), kdf.get("lanes"), kdf.get("memory_kib"))  # type: ignore[arg-type]
    params.check()  # whole JSON numbers within the bounds, else "damaged" (never int("3") or 3.5)
    return params, _unb64(kdf.get("salt"), 16)


def _seal_doc(priv: X25519PrivateKey, passphrase: str, params: KdfParams) -> dict[str, Any]:
    public = crypto.public_bytes(priv.public_key())
    salt = os.urandom(16)
    nonce = os.urandom(12)
    kek = crypto.vault_kek(passphrase, salt, params)
    sealed = crypto.seal_private_key(crypto.private_bytes(priv), public, kek, nonce)
    doc: dict[str, Any] = {
        "format": "tallylight-vault",
        "version": 1,
        "public_key": _b64(public),
        "kdf": {
            "name": "argon2id",
            "salt": _b64(salt),
            "iterations": params.iterations,
            "lanes": params.lanes,
            "memory_kib": params.memory_kib,
        },
        "nonce": _b64(nonce),
        "sealed_private_key": _b64(sealed),
    }
    doc["checksum"] = _checksum(doc)
    return doc


def _write(doc: dict[str, Any], data_dir: Path | None) -> None:
    d = paths.ensure_private_dir(data_root(data_dir))
    try:
        atomic_write(vault_file(d), (json.dumps(doc, indent=2) + "\n").encode("utf-8"))
    except OSError as exc:
        raise storage_error(exc, _("saving the key vault")) from None


def _check_passphrase(passphrase: str) -> None:
    if not passphrase:
        raise VaultError(_("The passphrase must not be empty."))


def create_vault(
    passphrase: str, data_dir: Path | None = None, *, params: KdfParams = DEFAULT_PARAMS
) -> UnlockedVault:
    """Create the device key pair, sealed under ``passphrase``. Refuses to overwrite."""
    _check_passphrase(passphrase)
    if exists(data_dir):
        raise VaultError(
            _("A key vault already exists; it is never overwritten (that would lose every session).")
        )
    priv = X25519PrivateKey.generate()
    _write(_seal_doc(priv, passphrase, params), data_dir)
    return UnlockedVault(priv, crypto.public_bytes(priv.public_key()), data_root(data_dir))


def load_public_key(data_dir: Path | None = None) -> bytes:
    """The device public key (no passphrase needed); VaultError if there is no vault."""
    return _unb64(_read(data_dir).get("public_key"), 32)


def unlock(passphrase: str, data_dir: Path | None = None) -> UnlockedVault:
    """Unlock with the passphrase; WrongPassphrase if it does not match."""
    doc = _read(data_dir)
    _check_whole(doc, vault_path(data_dir))
    params, salt = _params(doc)
    public = _unb64(doc.get("public_key"), 32)
    kek = crypto.vault_kek(passphrase, salt, params)
    priv = crypto.open_private_key(
        _unb64(doc.get("sealed_private_key"), 48), public, kek, _unb64(doc.get("nonce"), 12)
    )
    return UnlockedVault(priv, public, data_root(data_dir))


def change_passphrase(
    old: str, new: str, data_dir: Path | None = None, *, params: KdfParams | None = None
) -> UnlockedVault:
    """Re-seal the private key under ``new``; sessions are not touched (their keys are
    wrapped to the unchanged public key). ``params`` None keeps the current cost."""
    _check_passphrase(new)
    doc = _read(data_dir)
    current, _ = _params(doc)
    vault = unlock(old, data_dir)
    _write(_seal_doc(vault.private_key, new, params or current), data_dir)
    return vault


# ---------------------------------------------------------------- OS keychain

T = TypeVar("T")


class KeychainBackend(Protocol):
    def get_password(self, service: str, username: str) -> str | None: ...
    def set_password(self, service: str, username: str, password: str) -> None: ...
    def delete_password(self, service: str, username: str) -> None: ...


#: keyring backends whose secrets the operating system protects (not a file of ours)
PROTECTED_BACKENDS = (
    "keyring.backends.SecretService",  # GNOME Keyring, KeePassXC… over the Secret Service API
    "keyring.backends.libsecret",
    "keyring.backends.kwallet",
    "keyring.backends.macOS",  # macOS Keychain
    "keyring.backends.Windows",  # Windows Credential Manager
)
_NO_KEYCHAIN = ("keyring.backends.fail", "keyring.backends.null")


class KeychainRefused(VaultError):
    """The configured keychain backend keeps secrets in a file the OS does not protect."""


def _module(backend: object) -> str:
    return type(backend).__module__


def os_protected_backend(backend: Any) -> KeychainBackend | None:
    """``backend`` if the OS protects what it stores; None if there is no keychain at all.

    KeychainRefused for anything else (keyrings.alt's plain or "encrypted" files,
    unknown third-party backends): the vault key would land in an ordinary file
    while Tallylight says it is in the system keychain.
    """
    module = _module(backend)
    if module.startswith(_NO_KEYCHAIN):
        return None
    if module.startswith(PROTECTED_BACKENDS):
        return backend  # type: ignore[no-any-return]  # keyring's backends are untyped
    members = getattr(backend, "backends", None)
    if module == "keyring.backends.chainer" and isinstance(members, list):
        protected = [b for b in members if _module(b).startswith(PROTECTED_BACKENDS)]
        if protected:
            return protected[0]  # type: ignore[no-any-return]  # keyring's backends are untyped
        if all(_module(b).startswith(_NO_KEYCHAIN) for b in members):
            return None
        backend = next(b for b in members if not _module(b).startswith(_NO_KEYCHAIN))
    raise KeychainRefused(
        _(
            "The keychain here ({name__} from {backend}) keeps secrets in an ordinary file that the "
            "operating system does not protect, so Tallylight will not keep your vault key in it; your "
            "passphrase alone unlocks the vault."
        ).format(name__=type(backend).__name__, backend=_module(backend))
    )


def _default_backend() -> KeychainBackend | None:
    """The OS keychain, None if there is none; KeychainRefused for a file-based backend."""
    try:
        import keyring  # optional dependency
    except Exception:  # noqa: BLE001 - any import failure means "no keychain"
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - a broken keyring configuration means "no keychain"
        return None
    return os_protected_backend(backend)


def _with_timeout(fn: Callable[[], T], timeout: float) -> T | None:
    """``fn()``, or None if it raises or does not answer in time.

    Keychain backends can block for a long time (a D-Bus secret service that never
    answers, an unlock dialog nobody sees); the caller falls back to the passphrase.
    """
    try:
        return call_with_timeout(fn, timeout, "tallylight-keychain")
    except Exception:  # noqa: BLE001 - any keychain failure (or silence) means "no answer"
        return None


def _username(public: bytes) -> str:
    return f"device-key-{public[:8].hex()}"


def store_in_keychain(
    vault: UnlockedVault, *, timeout: float = KEYCHAIN_TIMEOUT_S, backend: KeychainBackend | None = None
) -> bool:
    """Keep the private key in the OS keychain; False if no keychain answered.

    KeychainRefused (a sentence for the participant) if the only keychain is a file.
    """
    be = backend or _default_backend()
    if be is None:
        return False
    secret = _b64(crypto.private_bytes(vault.private_key))

    def store() -> bool:
        be.set_password(KEYCHAIN_SERVICE, _username(vault.public_key), secret)
        return True

    return bool(_with_timeout(store, timeout))


def unlock_with_keychain(
    data_dir: Path | None = None,
    *,
    timeout: float = KEYCHAIN_TIMEOUT_S,
    backend: KeychainBackend | None = None,
) -> UnlockedVault | None:
    """The vault unlocked from the OS keychain, or None (fall back to the passphrase)."""
    try:
        be = backend or _default_backend()
    except KeychainRefused:
        return None  # never read a key from a file backend either
    if be is None:
        return None
    public = load_public_key(data_dir)
    got = _with_timeout(lambda: be.get_password(KEYCHAIN_SERVICE, _username(public)), timeout)
    if not got:
        return None
    try:
        priv = X25519PrivateKey.from_private_bytes(base64.b64decode(got, validate=True))
    except (ValueError, TypeError):
        return None
    if crypto.public_bytes(priv.public_key()) != public:
        return None
    return UnlockedVault(priv, public, data_root(data_dir))


def forget_keychain(
    data_dir: Path | None = None,
    *,
    timeout: float = KEYCHAIN_TIMEOUT_S,
    backend: KeychainBackend | None = None,
) -> bool:
    be = backend or _default_backend()
    if be is None:
        return False
    public = load_public_key(data_dir)

    def forget() -> bool:
        be.delete_password(KEYCHAIN_SERVICE, _username(public))
        return True

    return bool(_with_timeout(forget, timeout))


_REEXPORTED = (WrongPassphrase,)  # callers import WrongPassphrase from here
