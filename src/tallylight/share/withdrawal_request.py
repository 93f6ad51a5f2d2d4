"""The withdrawal request as it travels: signed by the participant, encrypted to the study's researchers.

Made by the participant's app (tallylight.share.withdrawal), read by
``tallylight-lab withdraw`` and ``tallylight-lab open`` (docs/STUDY.md,
"Withdrawing"; docs/BUNDLE.md, "Withdrawal requests"). The file is one age
file, like a bundle, whose plaintext is the JSON *envelope*

    {"format": "tallylight-signed-withdrawal", "version": 1,
     "request": "<the request document, JSON text>", "signature": "<base64>"}

``signature`` is the participant's Ed25519 signature (study.participant_key,
purpose WITHDRAWAL_CONTEXT) over the UTF-8 bytes of ``request``; the request
names the key in ``participant_public_key``. Pure functions, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tallylight import safejson
from tallylight.errors import BundleError
from tallylight.i18n import _
from tallylight.share import agecrypt
from tallylight.study import participant_key

ENVELOPE_FORMAT = "tallylight-signed-withdrawal"
REQUEST_FORMAT = "tallylight-withdrawal-request"
#: a purpose withdrawal: the participant stays in the study but no longer allows one or more
#: optional purposes (``purposes_declined``); the same envelope, signature and encryption
PURPOSE_REQUEST_FORMAT = "tallylight-purpose-withdrawal"
FORMATS = (REQUEST_FORMAT, PURPOSE_REQUEST_FORMAT)
SUFFIX = ".tallylight-withdrawal.age"
#: a request is a few kilobytes; anything much larger is not one
MAX_BYTES = 4 << 20


def envelope(request: dict[str, Any], seed: bytes) -> bytes:
    """The signed envelope of a request (the request gains its signer's public key)."""
    doc = {**request, "participant_public_key": participant_key.public_key(seed)}
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    sig = participant_key.sign(seed, participant_key.WITHDRAWAL_CONTEXT, text.encode("utf-8"))
    env = {"format": ENVELOPE_FORMAT, "version": 1, "request": text, "signature": sig}
    return (json.dumps(env, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def seal(request: dict[str, Any], seed: bytes, recipients: Sequence[str]) -> bytes:
    """The request signed and encrypted to the study's recipient keys (what is sent)."""
    return agecrypt.encrypt(envelope(request, seed), recipients)


@dataclass(frozen=True)
class Request:
    """A verified withdrawal request."""

    doc: dict[str, Any]
    public_key: str

    @property
    def request_id(self) -> str:
        return str(self.doc["request_id"])

    @property
    def study_id(self) -> str:
        return str(self.doc["study_id"])

    @property
    def participant_id(self) -> str:
        return str(self.doc["participant_id"])

    @property
    def is_purpose_withdrawal(self) -> bool:
        """True for a purpose withdrawal (the participant stays), False for leaving the study."""
        return self.doc.get("format") == PURPOSE_REQUEST_FORMAT

    @property
    def purposes_declined(self) -> tuple[str, ...]:
        """The purposes a purpose withdrawal declines (checked non-empty when it was opened)."""
        return tuple(self.doc.get("purposes_declined") or ())


def is_envelope(plaintext: bytes) -> bool:
    """Whether decrypted bytes look like a withdrawal request (a bundle is a ZIP: ``PK``)."""
    return plaintext.lstrip()[:1] == b"{" and ENVELOPE_FORMAT.encode() in plaintext[:4096]


def open_envelope(plaintext: bytes) -> Request:
    """Parse and verify a decrypted request; BundleError names what is wrong."""
    if len(plaintext) > MAX_BYTES:
        raise BundleError(_("The file is too large to be a withdrawal request."))
    try:
        env = safejson.loads(plaintext)
        if not isinstance(env, dict) or env.get("format") != ENVELOPE_FORMAT or env.get("version") != 1:
            raise ValueError
        text, sig = env["request"], env["signature"]
        if not isinstance(text, str) or not isinstance(sig, str):
            raise ValueError
        doc = safejson.loads(text)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise BundleError(_("The withdrawal request is malformed.")) from None
    if not isinstance(doc, dict) or doc.get("format") not in FORMATS:
        raise BundleError(_("The withdrawal request is malformed (not a withdrawal request inside)."))
    for key in ("request_id", "study_id", "participant_id", "participant_public_key"):
        if not isinstance(doc.get(key), str) or not doc[key]:
            raise BundleError(_("The withdrawal request is malformed ({key} is missing).").format(key=key))
    if doc["format"] == PURPOSE_REQUEST_FORMAT:
        declined = doc.get("purposes_declined")
        if (
            not isinstance(declined, list)
            or not declined
            or not all(isinstance(p, str) and p and len(p) <= 64 for p in declined)
            or not isinstance(doc.get("declined_at"), str)
        ):
            raise BundleError(_("The purpose withdrawal is malformed (purposes_declined or declined_at)."))
    public = doc["participant_public_key"]
    if not participant_key.verify(public, participant_key.WITHDRAWAL_CONTEXT, text.encode("utf-8"), sig):
        raise BundleError(
            _("The withdrawal request's signature does not verify; it was not made by its key.")
        )
    return Request(doc, public)


def open_request(ciphertext: bytes, identities: Sequence[Any]) -> Request:
    """Decrypt (age) and verify a withdrawal request file."""
    return open_envelope(agecrypt.decrypt(ciphertext, identities))
