"""The participant's per-study Ed25519 key: it signs their bundles and withdrawal requests.

Made when the participant joins a study (docs/STUDY.md, "Your key for a study"),
kept only on their computer, never shared between studies. The researcher's
``tallylight-lab open`` pins a participant id to the first public key it sees
for it (docs/BUNDLE.md, "Who made a bundle"), so holding the study's public
recipient is no longer enough to write a bundle that claims an existing
participant. Pure functions (randomness injectable), no I/O.

Each use signs ``context || data`` with a purpose label per kind of document
(magic-wormhole style), so a signature over a bundle can never pass for one over
a withdrawal request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

BUNDLE_CONTEXT = b"tallylight/v1/participant-bundle\n"
WITHDRAWAL_CONTEXT = b"tallylight/v1/participant-withdrawal\n"
PREFIX = "ed25519:"
SEED_BYTES = 32


def generate(rng: Callable[[int], bytes] = secrets.token_bytes) -> bytes:
    """A new private key (its 32-byte seed)."""
    seed = rng(SEED_BYTES)
    if len(seed) != SEED_BYTES:
        raise ValueError("an Ed25519 seed is 32 bytes")
    return seed


def public_key(seed: bytes) -> str:
    """The public key as text: ``ed25519:`` and 32 bytes in base64 (what a bundle carries)."""
    raw = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return PREFIX + base64.b64encode(raw).decode("ascii")


def fingerprint(public: str) -> str:
    """A short, stable name for a public key (the first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(public.encode("ascii", "replace")).hexdigest()[:16]


def sign(seed: bytes, context: bytes, data: bytes) -> str:
    """The signature of ``context || data`` in base64."""
    sig = Ed25519PrivateKey.from_private_bytes(seed).sign(context + data)
    return base64.b64encode(sig).decode("ascii")


def verify(public: str, context: bytes, data: bytes, signature: str) -> bool:
    """Whether ``signature`` (base64) is ``public``'s over ``context || data``; never raises."""
    if not isinstance(public, str) or not public.startswith(PREFIX) or not isinstance(signature, str):
        return False
    try:
        raw = base64.b64decode(public[len(PREFIX) :], validate=True)
        sig = base64.b64decode(signature, validate=True)
        Ed25519PublicKey.from_public_bytes(raw).verify(sig, context + data)
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True
