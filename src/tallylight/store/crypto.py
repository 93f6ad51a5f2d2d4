"""Pure cryptography of the session store (docs/FORMAT.md sections 3-5).

Small functions, one HKDF label per purpose, no I/O. Randomness is a parameter
wherever it is used so known-answer tests can pin every byte.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tallylight.errors import AuthenticationError, VaultError, WrongPassphrase
from tallylight.i18n import _

LABEL_RECORD_KEY = b"tallylight/v1/record-key"
LABEL_SESSION_KEY_WRAP = b"tallylight/v1/session-key-wrap"
LABEL_VAULT_KEK = b"tallylight/v1/vault-kek"
LABEL_VAULT_AD = b"tallylight/v1/vault"

SEGMENT_MAGIC = b"TLLYSEG\x00"
KEYFILE_MAGIC = b"TLLYKEY\x00"
VERSION = 1
HEADER_SIZE = 48
KEYFILE_SIZE = 140
FRAME_HEADER = 5
TAG = 16
MAX_CIPHERTEXT = 1 << 24

TYPE_INFO = 1
TYPE_EVENTS = 2
TYPE_END = 3
TYPE_NEXT = 4
TYPE_TIMING = 5  # the timing-quality record, just before END (FORMAT.md section 12)
TYPE_TRIALS = 6  # task trials beside the events (FORMAT.md section 14)


def hkdf(ikm: bytes, salt: bytes | None, info: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


# ---------------------------------------------------------------- segments


@dataclass(frozen=True)
class SegmentHeader:
    segment: int
    uid: bytes
    salt: bytes

    def to_bytes(self) -> bytes:
        return (
            SEGMENT_MAGIC + bytes((VERSION, 0, 0, 0)) + struct.pack("<I", self.segment) + self.uid + self.salt
        )

    @classmethod
    def parse(cls, raw: bytes) -> SegmentHeader:
        """Parse a 48-byte header; AuthenticationError if it is not one of ours."""
        if len(raw) != HEADER_SIZE or raw[:8] != SEGMENT_MAGIC:
            raise AuthenticationError(_("A session file is damaged or is not a Tallylight session."))
        if raw[8] != VERSION:
            raise AuthenticationError(
                _("A session file has format version {value}, which this Tallylight cannot read.").format(
                    value=raw[8]
                )
            )
        if raw[9:12] != b"\0\0\0":
            raise AuthenticationError(_("A session file header is damaged."))
        return cls(struct.unpack("<I", raw[12:16])[0], raw[16:32], raw[32:48])


def new_segment_header(segment: int, uid: bytes, *, salt: bytes | None = None) -> SegmentHeader:
    return SegmentHeader(segment, uid, os.urandom(16) if salt is None else salt)


def segment_aead(session_key: bytes, header: bytes) -> ChaCha20Poly1305:
    return ChaCha20Poly1305(hkdf(session_key, header[32:48], LABEL_RECORD_KEY + header))


def record_nonce(index: int) -> bytes:
    return b"\0\0\0\0" + struct.pack(">Q", index)


def record_ad(header: bytes, index: int, rtype: int, length: int) -> bytes:
    return header + struct.pack(">QB", index, rtype) + struct.pack("<I", length)


def seal_record(aead: ChaCha20Poly1305, header: bytes, index: int, rtype: int, body: bytes) -> bytes:
    """The full frame (type, length, ciphertext) of record ``index``."""
    length = len(body) + TAG
    if length > MAX_CIPHERTEXT:
        raise ValueError("record too large")
    if not 0 <= index < 1 << 32:
        raise ValueError("record index out of range")
    ct = aead.encrypt(record_nonce(index), body, record_ad(header, index, rtype, length))
    return struct.pack("<BI", rtype, length) + ct


def open_record(
    aead: ChaCha20Poly1305, header: bytes, index: int, rtype: int, ct: bytes | memoryview
) -> bytes:
    try:
        return aead.decrypt(record_nonce(index), bytes(ct), record_ad(header, index, rtype, len(ct)))
    except InvalidTag:
        raise AuthenticationError(
            _(
                "The session data does not authenticate: it was damaged, tampered with, or the key is "
                "wrong. No data from it is shown."
            )
        ) from None


# ---------------------------------------------------------------- session key wrapping


def _pub_bytes(pub: X25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return pub.public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_bytes(pub: X25519PublicKey) -> bytes:
    return _pub_bytes(pub)


def private_bytes(priv: X25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    return priv.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def wrap_session_key(
    session_key: bytes,
    uid: bytes,
    session_id: str,
    device_public: bytes,
    *,
    ephemeral: X25519PrivateKey | None = None,
) -> bytes:
    """The 140-byte key file: ``session_key`` sealed to ``device_public``."""
    if len(session_key) != 32 or len(uid) != 16 or len(device_public) != 32:
        raise ValueError("bad key sizes")
    eph = ephemeral or X25519PrivateKey.generate()
    E = _pub_bytes(eph.public_key())  # noqa: N806 - FORMAT.md's name for the ephemeral public key
    shared = eph.exchange(X25519PublicKey.from_public_bytes(device_public))
    wk = hkdf(shared, E + device_public, LABEL_SESSION_KEY_WRAP)
    head = KEYFILE_MAGIC + bytes((VERSION, 0, 0, 0)) + uid + device_public + E
    ct = ChaCha20Poly1305(wk).encrypt(b"\0" * 12, session_key, head + session_id.encode("utf-8"))
    return head + ct


def _check_keyfile(raw: bytes) -> None:
    if len(raw) != KEYFILE_SIZE or raw[:8] != KEYFILE_MAGIC or raw[9:12] != b"\0\0\0":
        raise AuthenticationError(_("The session's key file is damaged."))
    if raw[8] != VERSION:
        raise AuthenticationError(
            _(
                "This session's key file has format version {value}, which this Tallylight cannot read."
            ).format(value=raw[8])
        )


class SessionKey(NamedTuple):
    """What reading a session needs: its 32-byte key and the 16-byte uid its segments carry."""

    key: bytes
    uid: bytes


def unwrap_session_key(raw: bytes, session_id: str, device_private: X25519PrivateKey) -> SessionKey:
    """The session key from a key file; AuthenticationError if it does not open."""
    _check_keyfile(raw)
    dev_pub = _pub_bytes(device_private.public_key())
    if raw[28:60] != dev_pub:
        raise VaultError(
            _("This session was recorded for a different device key and cannot be opened with this vault.")
        )
    E = raw[60:92]  # noqa: N806 - FORMAT.md's name for the ephemeral public key
    try:
        shared = device_private.exchange(X25519PublicKey.from_public_bytes(E))
    except ValueError:
        raise AuthenticationError(_("The session's key file is damaged.")) from None
    wk = hkdf(shared, E + dev_pub, LABEL_SESSION_KEY_WRAP)
    try:
        key = ChaCha20Poly1305(wk).decrypt(b"\0" * 12, raw[92:], raw[:92] + session_id.encode("utf-8"))
    except InvalidTag:
        raise AuthenticationError(
            _(
                "The session's key does not authenticate: the key file was damaged, swapped or the session "
                "renamed."
            )
        ) from None
    return SessionKey(key, raw[12:28])


# ---------------------------------------------------------------- vault


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. Defaults: RFC 9106 section 4, second recommended option."""

    iterations: int = 3
    lanes: int = 4
    memory_kib: int = 64 * 1024

    #: upper bounds (FORMAT.md section 3): a damaged or hostile vault file must not make
    #: an unlock take minutes or exhaust memory
    MAX_ITERATIONS = 16
    MAX_LANES = 16
    MAX_MEMORY_KIB = 1 << 20  # 1 GiB
    MAX_COST_KIB = 1 << 22  # iterations × memory: 4 GiB·passes (the default is 192 MiB·passes)

    def check(self) -> None:
        values = (self.iterations, self.lanes, self.memory_kib)
        if (
            not all(isinstance(v, int) and not isinstance(v, bool) for v in values)
            or not 1 <= self.iterations <= self.MAX_ITERATIONS
            or not 1 <= self.lanes <= self.MAX_LANES
            or not 8 * self.lanes <= self.memory_kib <= self.MAX_MEMORY_KIB
            or self.iterations * self.memory_kib > self.MAX_COST_KIB
        ):
            raise VaultError(
                _(
                    "The vault file is damaged: its key-derivation parameters are not ones Tallylight uses "
                    "(iterations 1-{MAX_ITERATIONS}, lanes 1-{MAX_LANES}, memory 8×lanes to "
                    "{MAX_MEMORY_KIB} KiB)."
                ).format(
                    MAX_ITERATIONS=self.MAX_ITERATIONS,
                    MAX_LANES=self.MAX_LANES,
                    MAX_MEMORY_KIB=self.MAX_MEMORY_KIB,
                )
            )


def vault_kek(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    params.check()
    ikm = Argon2id(
        salt=salt, length=32, iterations=params.iterations, lanes=params.lanes, memory_cost=params.memory_kib
    ).derive(passphrase.encode("utf-8"))
    return hkdf(ikm, None, LABEL_VAULT_KEK)


def seal_private_key(private: bytes, public: bytes, kek: bytes, nonce: bytes) -> bytes:
    return ChaCha20Poly1305(kek).encrypt(nonce, private, LABEL_VAULT_AD + public)


def open_private_key(sealed: bytes, public: bytes, kek: bytes, nonce: bytes) -> X25519PrivateKey:
    try:
        raw = ChaCha20Poly1305(kek).decrypt(nonce, sealed, LABEL_VAULT_AD + public)
    except InvalidTag:
        raise WrongPassphrase(_("That passphrase is not right.")) from None
    priv = X25519PrivateKey.from_private_bytes(raw)
    if _pub_bytes(priv.public_key()) != public:
        raise VaultError(_("The vault is damaged: its private and public keys do not match."))
    return priv
