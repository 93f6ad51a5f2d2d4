"""Hypothesis fuzz of the manifest parser: every bad input is a clear error, never a traceback."""

from __future__ import annotations

import tomllib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from study_helpers import TODAY, body, signed

from strategies import mutated_manifest_docs, toml_document, toml_values
from tallylight.errors import ManifestError
from tallylight.study import manifest, signing

TEMPLATE_DOC = tomllib.loads(body().decode())
SIGNED = signed()


def _clear(exc: ManifestError) -> None:
    message = str(exc)
    assert message, message
    assert "\n" not in message, message
    assert len(message) < 500, message
    assert message.endswith((".", ")")), message
    assert "Traceback" not in message


def _load(raw: bytes) -> None:
    try:
        manifest.load(raw, TODAY)
    except ManifestError as exc:
        _clear(exc)


def test_the_template_document_round_trips_through_the_fuzz_writer() -> None:
    assert manifest.parse(toml_document(TEMPLATE_DOC)).study_id == manifest.parse(body()).study_id


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(mutated_manifest_docs(TEMPLATE_DOC))
def test_signed_mutations_of_the_fields(doc: dict) -> None:
    _load(signing.sign(toml_document(doc), signed.__defaults__[1]))  # type: ignore[index]


@given(st.dictionaries(st.text(max_size=10), toml_values, max_size=6))
def test_signed_random_documents(doc: dict) -> None:
    _load(signing.sign(toml_document(doc), signed.__defaults__[1]))  # type: ignore[index]


@given(st.data())
def test_byte_level_damage(data: st.DataObject) -> None:
    raw = bytearray(SIGNED)
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        i = data.draw(st.integers(0, max(0, len(raw) - 1)))
        if op == "flip" and raw:
            raw[i] ^= data.draw(st.integers(1, 255))
        elif op == "insert":
            raw[i:i] = data.draw(st.binary(min_size=1, max_size=20))
        elif op == "delete":
            del raw[i : i + data.draw(st.integers(1, 50))]
        else:
            del raw[i:]
    _load(bytes(raw))
    _load(signing.sign(bytes(signing.split(SIGNED).body) + bytes(raw[:200]), signed.__defaults__[1]))  # type: ignore[index]


@given(st.binary(max_size=2000))
def test_arbitrary_bytes(raw: bytes) -> None:
    _load(raw)
    try:
        manifest.parse(raw)
    except ManifestError as exc:
        _clear(exc)
