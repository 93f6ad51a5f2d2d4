"""The participant's per-study key: made at enrolment, signs bundles and withdrawal requests."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from share_helpers import JoinedStudy, inputs, make_vault

from tallylight.errors import BundleError
from tallylight.share import agecrypt, bundle, withdrawal, withdrawal_request
from tallylight.study import enrolment, participant_key


def test_sign_and_verify_keep_their_purpose() -> None:
    seed = participant_key.generate(lambda n: b"\x01" * n)
    pub = participant_key.public_key(seed)
    sig = participant_key.sign(seed, participant_key.BUNDLE_CONTEXT, b"data")
    assert participant_key.verify(pub, participant_key.BUNDLE_CONTEXT, b"data", sig)
    # a bundle's signature never passes for a withdrawal request's, nor for other bytes or keys
    assert not participant_key.verify(pub, participant_key.WITHDRAWAL_CONTEXT, b"data", sig)
    assert not participant_key.verify(pub, participant_key.BUNDLE_CONTEXT, b"datA", sig)
    other = participant_key.public_key(participant_key.generate(lambda n: b"\x02" * n))
    assert not participant_key.verify(other, participant_key.BUNDLE_CONTEXT, b"data", sig)


@given(st.text(max_size=80), st.text(max_size=120))
def test_verify_never_raises(public: str, signature: str) -> None:
    assert participant_key.verify(public, participant_key.BUNDLE_CONTEXT, b"x", signature) in (True, False)


def test_a_bundle_carries_its_signature_and_public_key() -> None:
    from share_helpers import participant_seed

    built = bundle.build(inputs(["age1dummy"]))
    pub = built.doc["participant_public_key"]
    assert pub == participant_key.public_key(participant_seed("p-0001"))
    import io
    import zipfile

    zf = zipfile.ZipFile(io.BytesIO(built.plaintext))
    body = zf.read(bundle.BUNDLE_JSON)
    sig = zf.read(bundle.SIGNATURE).decode().strip()
    assert participant_key.verify(pub, participant_key.BUNDLE_CONTEXT, body, sig)


def test_enrolment_makes_one_key_per_study_and_withdrawal_signs_and_destroys_it(
    tmp_path: Path, data_dir: Path
) -> None:
    make_vault(data_dir)
    joined = JoinedStudy(tmp_path, data_dir)
    key_file = enrolment.study_dir(joined.study_id, data_dir) / enrolment.PARTICIPANT_KEY_FILE
    seed = key_file.read_bytes()
    assert len(seed) == 32
    assert (key_file.stat().st_mode & 0o777) == 0o600
    assert enrolment.signing_key(joined.study_id, data_dir) == seed  # kept, never remade
    receipt = withdrawal.withdraw(joined.study_id, data_dir, copy_to=tmp_path / "mine")
    assert not key_file.exists()
    # the request that is sent is encrypted to the study's researchers and signed by that key
    sealed = Path(receipt.sealed_file).read_bytes()
    assert b"participant_id" not in sealed  # encrypted
    identities = agecrypt.identities_from_text(joined.identity.read_text())
    request = withdrawal_request.open_request(sealed, identities)
    assert request.public_key == participant_key.public_key(seed)
    assert request.participant_id == joined.study.enrolment.participant_id
    plain = json.loads(Path(receipt.request_file).read_text())
    assert plain["request_id"] == request.request_id == receipt.request_id
    copies = sorted(p.name for p in (tmp_path / "mine").iterdir())
    assert f"{receipt.request_id}-{withdrawal.SEALED_FILE}" in copies


def test_a_tampered_or_resigned_request_is_refused() -> None:
    seed = participant_key.generate(lambda n: b"\x03" * n)
    req = {
        "format": withdrawal_request.REQUEST_FORMAT,
        "request_id": "r1",
        "study_id": "s",
        "participant_id": "p1",
    }
    env = withdrawal_request.envelope(req, seed)
    assert withdrawal_request.open_envelope(env).participant_id == "p1"
    with pytest.raises(BundleError, match="signature"):
        withdrawal_request.open_envelope(env.replace(b"p1", b"p2"))
    with pytest.raises(BundleError, match="malformed"):
        withdrawal_request.open_envelope(b"{}")


@given(st.binary(max_size=300))
def test_open_envelope_never_crashes(data: bytes) -> None:
    with contextlib.suppress(BundleError):
        withdrawal_request.open_envelope(data)
