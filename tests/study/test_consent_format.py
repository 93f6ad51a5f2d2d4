"""The consent record file (docs/STUDY.md) and enrolment.json: round trips, damage, fixed vectors."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st
from study_helpers import RESEARCHER, TODAY, signed

from tallylight.errors import AuthenticationError, StudyError, TallylightError
from tallylight.store import crypto
from tallylight.study import consent, enrolment, manifest, signing
from tallylight.study.consent import ConsentRecord

DEVICE = X25519PrivateKey.from_private_bytes(bytes(range(100, 132)))
DEVICE_PUB = crypto.public_bytes(DEVICE.public_key())
CID = "5ba79775-4486-4f64-bd24-20d4f6f1282b"

records = st.builds(
    ConsentRecord,
    consent_id=st.just(CID),
    study_id=st.uuids().map(str),
    study_version=st.integers(1, 1 << 31),
    manifest_hash=st.text("0123456789abcdef", min_size=64, max_size=64),
    signer_fingerprint=st.text(max_size=19),
    participant_id=st.text("0123456789abcdef", min_size=16, max_size=16),
    given_at=st.text(max_size=20),
    checkboxes=st.dictionaries(st.text(max_size=10), st.booleans(), max_size=5),
    capture=st.just({"keys": "class"}),
    app_version=st.just("0.1.0"),
)


@given(records)
def test_round_trip(record: ConsentRecord) -> None:
    raw = consent.seal(record, DEVICE_PUB)
    assert raw[:8] == b"TLLYCNS\x00"
    assert consent.open_record(raw, CID, DEVICE) == record


@given(records, st.data())
def test_any_changed_byte_fails_to_open(record: ConsentRecord, data: st.DataObject) -> None:
    raw = bytearray(consent.seal(record, DEVICE_PUB))
    i = data.draw(st.integers(0, len(raw) - 1))
    raw[i] ^= data.draw(st.integers(1, 255))
    with pytest.raises(TallylightError):
        consent.open_record(bytes(raw), CID, DEVICE)


def test_bound_to_its_id_and_fixed_with_fixed_randomness() -> None:
    record = ConsentRecord(CID, "s", 1, "h", "f", "p", "t", {"a": True}, {"keys": "class"}, "0.1.0")
    kw = {"key": bytes(32), "uid": bytes(16), "ephemeral": X25519PrivateKey.from_private_bytes(bytes(32))}
    a = consent.seal(record, DEVICE_PUB, **kw)  # type: ignore[arg-type]
    assert a == consent.seal(record, DEVICE_PUB, **kw)  # type: ignore[arg-type]
    with pytest.raises(AuthenticationError):
        consent.open_record(a, "5ba79775-4486-4f64-bd24-20d4f6f1282c", DEVICE)  # renamed file
    with pytest.raises(TallylightError):
        consent.open_record(a[:100], CID, DEVICE)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=20), c, max_size=8),
    )
)
def test_a_damaged_enrolment_file_is_one_clear_error(doc: object) -> None:
    try:
        enrolment.Enrolment.from_dict(doc)
    except StudyError as exc:
        assert "damaged" in str(exc)  # noqa: PT017 - a valid document may also come through


def test_enrolment_round_trip() -> None:
    loaded = manifest.load(signed(), TODAY)
    e = enrolment.Enrolment(
        loaded.study_id,
        1,
        loaded.hash,
        loaded.public_key,
        CID,
        "8b18c5af0efd5122",
        loaded.manifest.capture,
    )
    assert enrolment.Enrolment.from_dict(json.loads(json.dumps(e.to_dict()))) == e


def test_fixed_signature_vector() -> None:
    """The researcher key of the tests (Ed25519 seed 00..1f) signs the template deterministically;
    these values pin the signing context, the fingerprint and the hash (docs/STUDY.md)."""
    public = signing.public_bytes(RESEARCHER.public_key())
    assert public.hex() == "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
    body = b"schema = 1\n"
    line = signing.sign(body, RESEARCHER).splitlines()[-1].decode()
    sig = line.split()[-1]
    import base64
    import hashlib

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    Ed25519PublicKey.from_public_bytes(public).verify(
        base64.b64decode(sig), b"tallylight/v1/study-manifest\n" + body
    )
    digest = hashlib.sha256(b"tallylight/v1/signer-fingerprint" + public).digest()[:10]
    expected = base64.b32encode(digest).decode()
    assert signing.fingerprint(public).replace("-", "") == expected
    assert signing.body_hash(body) == hashlib.sha256(body).hexdigest()
