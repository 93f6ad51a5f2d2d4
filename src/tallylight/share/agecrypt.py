"""age v1 encryption (pyrage, the Rust age crate): the only module that touches it.

A bundle is a plain age file, so any age implementation (``age -d -i key.txt``)
opens it. Errors become :class:`BundleError` sentences; pyrage's own messages
are not shown because they name internals, not what to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyrage
from pyrage import x25519

from tallylight.errors import BundleError, ShareError
from tallylight.i18n import _


def recipients(keys: Iterable[str]) -> list[x25519.Recipient]:
    """Parse ``age1…`` recipient strings; a bad one is a clear error naming it."""
    out = []
    for key in keys:
        try:
            out.append(x25519.Recipient.from_str(key.strip()))
        except (pyrage.RecipientError, ValueError):
            shown = key.strip()[:20]
            raise ShareError(
                _("The study's recipient key {shown}… is not a valid age key.").format(shown=shown)
            ) from None
    if not out:
        raise ShareError(_("The study names no recipient key, so nothing can be encrypted for it."))
    return out


def identities_from_text(text: str) -> list[x25519.Identity]:
    """Identities from an age identity file (``AGE-SECRET-KEY-1…`` lines; ``#`` comments ignored)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            out.append(x25519.Identity.from_str(line))
        except (pyrage.IdentityError, ValueError):
            raise BundleError(_("The identity file holds a line that is not an age secret key.")) from None
    if not out:
        raise BundleError(_("The identity file holds no age secret key (AGE-SECRET-KEY-1…)."))
    return out


def public_keys(identities: Sequence[x25519.Identity]) -> list[str]:
    return [str(i.to_public()) for i in identities]


def encrypt(plaintext: bytes, keys: Iterable[str]) -> bytes:
    try:
        return bytes(pyrage.encrypt(plaintext, recipients(keys)))
    except pyrage.EncryptError as exc:  # pragma: no cover - pyrage fails only on bad recipients
        raise ShareError(_("Encrypting the bundle failed ({exc}).").format(exc=exc)) from None


def decrypt(ciphertext: bytes, identities: Sequence[x25519.Identity]) -> bytes:
    """The plaintext; BundleError for a foreign key ("not for you") or damaged bytes."""
    try:
        return bytes(pyrage.decrypt(ciphertext, list(identities)))
    except pyrage.DecryptError as exc:
        if "No matching keys" in str(exc):
            raise BundleError(
                _("This bundle is not encrypted to your identity (another study's key?).")
            ) from None
        raise BundleError(_("This bundle is damaged or not an age file; it does not decrypt.")) from None
