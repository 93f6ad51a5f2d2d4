"""The consent record: what the participant agreed to, sealed to the device key.

The record is written without the passphrase (like a session: its key is wrapped
to the vault's public key) and read only with the unlocked vault, so no plaintext
of it ever touches the disk. File layout (docs/STUDY.md, "Consent record file"):

    "TLLYCNS\\x00" || key file (140 bytes, docs/FORMAT.md section 4, bound to the
    consent id) || AEAD(HKDF(K, info="tallylight/v1/consent-record"), nonce 0, JSON,
    ad = the 148 bytes before it)

Pure functions; randomness and time are parameters.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from tallylight import safejson
from tallylight.errors import AuthenticationError, StudyError
from tallylight.i18n import _
from tallylight.store import crypto

MAGIC = b"TLLYCNS\x00"
LABEL = b"tallylight/v1/consent-record"
HEAD = len(MAGIC) + crypto.KEYFILE_SIZE
MAX_RECORD_BYTES = 1 << 20
FORMAT = "tallylight-consent"
_ID = re.compile(r"^[a-z0-9-]{8,64}$")


@dataclass(frozen=True)
class ConsentRecord:
    """One act of consent to one exact manifest (goes into every bundle of the study)."""

    consent_id: str
    study_id: str
    study_version: int
    manifest_hash: str
    signer_fingerprint: str
    participant_id: str
    given_at: str  # ISO 8601 UTC, seconds
    checkboxes: dict[str, bool]
    capture: dict[str, Any]  # the capture options consented to (the manifest's, maybe narrowed)
    app_version: str
    format: str = FORMAT
    version: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    #: the participant's choice per purpose of the manifest (purpose id -> allowed); a record
    #: made before purposes existed has none: it consented to the study's one use, "analysis"
    purposes: dict[str, bool] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> ConsentRecord:
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != 1:
            raise StudyError(_("The consent record is damaged or of an unknown version."))
        known = set(cls.__dataclass_fields__)
        try:
            record = cls(**{k: v for k, v in data.items() if k in known})
        except TypeError:
            raise StudyError(_("The consent record is damaged.")) from None
        check_purposes(record.purposes)
        return record

    def allowed_purposes(self) -> tuple[str, ...]:
        """The purpose ids this record allows (a record from before purposes: the one, analysis)."""
        if not self.purposes:
            return (LEGACY_PURPOSE,)
        return tuple(pid for pid, allowed in self.purposes.items() if allowed)


#: what a consent record made before purposes existed consented to (manifest.DEFAULT_PURPOSE_ID)
LEGACY_PURPOSE = "analysis"


def check_purposes(purposes: Any) -> dict[str, bool]:
    """A record's purpose choices: a table of purpose ids to true or false (StudyError if not)."""
    if not isinstance(purposes, dict) or not all(
        isinstance(k, str) and isinstance(v, bool) for k, v in purposes.items()
    ):
        raise StudyError(_("The consent record is damaged (its purposes)."))
    return purposes


def check_id(consent_id: str) -> str:
    if not isinstance(consent_id, str) or not _ID.match(consent_id):
        raise StudyError(_("A consent record id is damaged."))
    return consent_id


def seal(
    record: ConsentRecord,
    device_public: bytes,
    *,
    key: bytes | None = None,
    uid: bytes | None = None,
    ephemeral: X25519PrivateKey | None = None,
) -> bytes:
    """The consent file's bytes: ``record`` readable only with the device private key."""
    check_id(record.consent_id)
    k = key if key is not None else os.urandom(32)
    keyfile = crypto.wrap_session_key(
        k, uid if uid is not None else os.urandom(16), record.consent_id, device_public, ephemeral=ephemeral
    )
    head = MAGIC + keyfile
    body = json.dumps(record.to_dict(), ensure_ascii=False, sort_keys=True).encode("utf-8")
    return head + ChaCha20Poly1305(crypto.hkdf(k, None, LABEL)).encrypt(b"\0" * 12, body, head)


def open_record(raw: bytes, consent_id: str, device_private: X25519PrivateKey) -> ConsentRecord:
    """The record in ``raw``; AuthenticationError if it was changed, swapped or renamed."""
    if len(raw) > MAX_RECORD_BYTES or len(raw) < HEAD + 16 or raw[: len(MAGIC)] != MAGIC:
        raise AuthenticationError(_("The consent record file is damaged."))
    k, _uid = crypto.unwrap_session_key(raw[len(MAGIC) : HEAD], check_id(consent_id), device_private)
    try:
        body = ChaCha20Poly1305(crypto.hkdf(k, None, LABEL)).decrypt(b"\0" * 12, raw[HEAD:], raw[:HEAD])
    except InvalidTag:
        raise AuthenticationError(
            _("The consent record does not authenticate (damaged or tampered with).")
        ) from None
    try:
        data = safejson.loads(body)
    except ValueError:
        raise StudyError(_("The consent record is damaged.")) from None
    record = ConsentRecord.from_dict(data)
    if record.consent_id != consent_id:
        raise AuthenticationError(_("The consent record belongs to another id."))
    return record
