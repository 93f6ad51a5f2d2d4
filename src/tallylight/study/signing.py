"""The manifest's signature: an Ed25519 signature over the exact bytes, in a trailer line.

A signed manifest is one file: the manifest text (the *body*, every byte of it,
comments included) followed by one last line

    # tallylight-signature: ed25519 <public key, base64> <signature, base64>

which is a TOML comment, so the file stays readable and parseable as it is. The
signature covers ``SIGNING_CONTEXT || body``; nothing is canonicalised, so what
the participant reads is exactly what was signed. Pure functions, no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from tallylight.errors import ManifestError
from tallylight.i18n import _

SIGNING_CONTEXT = b"tallylight/v1/study-manifest\n"
FINGERPRINT_CONTEXT = b"tallylight/v1/signer-fingerprint"
TRAILER_PREFIX = b"# tallylight-signature:"
ALGORITHM = "ed25519"


@dataclass(frozen=True)
class Envelope:
    """A manifest file split into the signed body and its signature (if any)."""

    body: bytes
    public_key: bytes | None
    signature: bytes | None

    @property
    def signed(self) -> bool:
        return self.signature is not None


def split(raw: bytes) -> Envelope:
    """Split a manifest file into body and trailer; an unsigned file has no trailer."""
    stripped = raw[:-1] if raw.endswith(b"\n") else raw
    cut = stripped.rfind(b"\n") + 1
    last = stripped[cut:]
    if not last.startswith(TRAILER_PREFIX):
        if TRAILER_PREFIX in raw:
            raise ManifestError(
                _(
                    "The signature line must be the very last line of the manifest; something was added "
                    "after it, or it was moved."
                ),
                "signature",
            )
        return Envelope(raw, None, None)
    body = raw[:cut]
    if TRAILER_PREFIX in body:
        raise ManifestError(_("The manifest has more than one signature line."), "signature")
    parts = last[len(TRAILER_PREFIX) :].decode("ascii", "replace").split()
    if len(parts) != 3 or parts[0] != ALGORITHM:
        raise ManifestError(
            _("The signature line must read '# tallylight-signature: {ALGORITHM} KEY SIGNATURE'.").format(
                ALGORITHM=ALGORITHM
            ),
            "signature",
        )
    public_key = _unb64(parts[1], 32, "the signer's public key")
    signature = _unb64(parts[2], 64, "the signature")
    return Envelope(body, public_key, signature)


def _unb64(text: str, size: int, what: str) -> bytes:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ManifestError(
            _("The signature line is damaged ({what} is not base64).").format(what=what), "signature"
        ) from None
    if len(data) != size:
        raise ManifestError(
            _("The signature line is damaged ({what} has the wrong length).").format(what=what), "signature"
        )
    return data


def sign(raw: bytes, key: Ed25519PrivateKey) -> bytes:
    """The signed file: ``raw``'s body (any old signature line dropped) plus a new trailer."""
    body = split(raw).body
    if body and not body.endswith(b"\n"):
        body += b"\n"
    signature = key.sign(SIGNING_CONTEXT + body)
    public = public_bytes(key.public_key())
    trailer = f"{TRAILER_PREFIX.decode()} {ALGORITHM} {_b64(public)} {_b64(signature)}\n"
    return body + trailer.encode("ascii")


def verify(envelope: Envelope) -> bytes:
    """The signer's public key if the signature holds; ManifestError otherwise."""
    if envelope.public_key is None or envelope.signature is None:
        raise ManifestError(
            _(
                "The manifest is not signed. Ask the researcher for the signed file (the researcher signs "
                "it with `tallylight-lab manifest sign`)."
            ),
            "signature",
        )
    try:
        Ed25519PublicKey.from_public_bytes(envelope.public_key).verify(
            envelope.signature, SIGNING_CONTEXT + envelope.body
        )
    except (InvalidSignature, ValueError):
        raise ManifestError(
            _(
                "The manifest's signature does not match its contents: it was changed after it was signed, "
                "or the signature is not the researcher's. Do not use this file."
            ),
            "signature",
        ) from None
    return envelope.public_key


def body_hash(body: bytes) -> str:
    """The manifest hash: SHA-256 of the exact signed body, hex. Stable across re-signing."""
    return hashlib.sha256(body).hexdigest()


def fingerprint(public_key: bytes) -> str:
    """A short, comparable name for a signing key: 16 base32 characters in groups of four."""
    digest = hashlib.sha256(FINGERPRINT_CONTEXT + public_key).digest()[:10]
    text = base64.b32encode(digest).decode("ascii")
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def private_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def encode_public_key(public_key: bytes) -> str:
    return _b64(public_key)
