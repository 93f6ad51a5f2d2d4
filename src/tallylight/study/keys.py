"""The researcher's key folder, written by ``tallylight-lab keygen``.

    identity.txt    age X25519 identity (AGE-SECRET-KEY-1…), opens bundles    0600
    recipient.txt   its age recipient (age1…), goes into manifests             0644
    signing.key     Ed25519 signing key (PKCS#8 PEM), signs manifests         0600
    signing.pub     the signing public key and its fingerprint                 0644

The identity file has the layout of ``age-keygen``'s output, so Debian's ``age -d -i
identity.txt`` and ``pyrage`` both read it.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from tallylight.errors import UsageError
from tallylight.fsutil import atomic_write
from tallylight.i18n import _
from tallylight.study import signing

IDENTITY = "identity.txt"
RECIPIENT = "recipient.txt"
SIGNING_KEY = "signing.key"
SIGNING_PUB = "signing.pub"


@dataclass(frozen=True)
class KeyPair:
    recipient: str  # age1…
    signing_public: bytes

    @property
    def fingerprint(self) -> str:
        return signing.fingerprint(self.signing_public)


def generate(out: Path, now: dt.datetime | None = None) -> KeyPair:
    """Create a new key folder; refuses to overwrite any existing key."""
    from pyrage import x25519

    out.mkdir(parents=True, exist_ok=True)
    existing = [name for name in (IDENTITY, RECIPIENT, SIGNING_KEY, SIGNING_PUB) if (out / name).exists()]
    if existing:
        raise UsageError(
            _(
                "{out} already holds {items}; keys are never overwritten (that would lock you out of every "
                "bundle). Choose an empty folder."
            ).format(out=out, items=", ".join(existing))
        )
    identity = x25519.Identity.generate()
    recipient = str(identity.to_public())
    created = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0).isoformat()
    atomic_write(
        out / IDENTITY,
        f"# created: {created}\n# public key: {recipient}\n{identity}\n".encode("ascii"),
        0o600,
    )
    atomic_write(out / RECIPIENT, f"{recipient}\n".encode("ascii"), 0o644)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    atomic_write(out / SIGNING_KEY, pem, 0o600)
    public = signing.public_bytes(key.public_key())
    atomic_write(
        out / SIGNING_PUB,
        f"ed25519 {signing.encode_public_key(public)}\n# fingerprint: {signing.fingerprint(public)}\n".encode(
            "ascii"
        ),
        0o644,
    )
    for name in (IDENTITY, SIGNING_KEY):
        os.chmod(out / name, 0o600)
    return KeyPair(recipient, public)


def load_signing_key(folder: Path) -> Ed25519PrivateKey:
    path = folder / SIGNING_KEY
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(
            _("{path} does not exist; create keys with `tallylight-lab keygen --out DIR`.").format(path=path)
        ) from None
    except OSError as exc:
        raise UsageError(
            _("{path} cannot be read ({strerror}).").format(path=path, strerror=exc.strerror)
        ) from None
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise UsageError(
            _("{path} is not a signing key written by `tallylight-lab keygen`.").format(path=path)
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(_("{path} is not an Ed25519 signing key.").format(path=path))
    return key


def load_recipient(folder: Path) -> str | None:
    try:
        return (folder / RECIPIENT).read_text("ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None
