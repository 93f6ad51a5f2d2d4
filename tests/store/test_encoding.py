"""The pure event codec: round trips, ranges, and malformed input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import event_streams, events
from tallylight import events as ev
from tallylight.errors import AuthenticationError
from tallylight.events import Event, Kind
from tallylight.store import encoding


@given(st.integers(0, (1 << 64) - 1))
def test_varint_round_trip(v: int) -> None:
    out = bytearray()
    encoding.put_varint(out, v)
    assert encoding.get_varint(bytes(out), 0) == (v, len(out))
    assert len(out) == max(1, (v.bit_length() + 6) // 7)


@given(st.integers(-(1 << 63), (1 << 63) - 1))
def test_zigzag_round_trip(v: int) -> None:
    z = encoding.zigzag(v)
    assert 0 <= z < 1 << 64
    assert encoding.unzigzag(z) == v


@pytest.mark.parametrize("raw", [b"\x80\x00", b"\xff" * 10 + b"\x01", b"\x80", b"", b"\x80" * 9 + b"\x02"])
def test_varint_rejects_bad_forms(raw: bytes) -> None:
    with pytest.raises(encoding.CorruptBlock):
        encoding.get_varint(raw, 0)


@given(event_streams(max_size=80))
def test_block_round_trip(stream: list[Event]) -> None:
    body = encoding.encode_block(stream)
    assert list(encoding.decode_block(body).events()) == stream


@given(st.lists(event_streams(max_size=30), min_size=1, max_size=6))
def test_many_blocks_decode_together(blocks: list[list[Event]]) -> None:
    """The vectorised multi-record path must equal decoding each block alone."""
    payloads = [encoding.encode_payload(b) for b in blocks]
    cols = encoding.decode_payloads(payloads)
    flat = [e for b in blocks for e in b]
    assert list(cols.events()) == flat
    assert cols.kind.dtype == np.uint8
    assert cols.key.dtype == np.uint64
    assert len(cols) == len(flat)


@given(events())
def test_single_event_any_range(e: Event) -> None:
    assert list(encoding.decode_block(encoding.encode_block([e])).events()) == [e]


def test_kinds_decode_as_enum() -> None:
    out = list(encoding.decode_block(encoding.encode_block([ev.move(1, 2, 3)])).events())
    assert out[0].kind is Kind.MOVE


@pytest.mark.parametrize(
    "bad",
    [
        Event(0, Kind.MOVE, button=1),
        Event(0, Kind.KEY_DOWN, x=1),
        Event(0, Kind.MOVE, text="a"),
        Event(0, Kind.SCROLL, key=3),
        Event(0, Kind.MARKER, dx=1),
        Event(1 << 62, Kind.MOVE),
        Event(0, Kind.MOVE, x=1 << 31),
        Event(0, Kind.KEY_DOWN, key=-1),
        Event(0, Kind.KEY_DOWN, key=1 << 64),
        Event(0, 9),  # type: ignore[arg-type]
        Event(0, Kind.KEY_DOWN, text="\ud800"),
    ],
)
def test_encoder_rejects_invalid_events(bad: Event) -> None:
    with pytest.raises(ValueError, match=r"out of range|set on|unknown event kind|bad key text"):
        encoding.encode_payload([ev.move(0, 1, 1), bad])


def test_empty_block_rejected() -> None:
    with pytest.raises(ValueError, match="got 0"):
        encoding.encode_payload([])


def test_quantised_times_are_cheaper() -> None:
    import random

    rng = random.Random(1)
    fine = [ev.move(i * 8_000_000 + rng.randint(0, 200_000), 1, 1) for i in range(500)]
    coarse = [ev.move(e.t_ns // 1000 * 1000, 1, 1) for e in fine]
    assert len(encoding.encode_block(coarse)) < len(encoding.encode_block(fine))
    assert list(encoding.decode_block(encoding.encode_block(coarse)).events()) == coarse


@given(event_streams(max_size=20), st.data())
def test_malformed_payload_only_raises_authentication_error(stream: list[Event], data: st.DataObject) -> None:
    """An authenticated-but-malformed payload must fail cleanly, never crash oddly."""
    payload = bytearray(encoding.encode_payload(stream))
    action = data.draw(st.sampled_from(["flip", "cut", "extend"]))
    if action == "flip":
        i = data.draw(st.integers(0, len(payload) - 1))
        payload[i] ^= 1 << data.draw(st.integers(0, 7))
    elif action == "cut":
        payload = payload[: data.draw(st.integers(0, len(payload) - 1))]
    else:
        payload += data.draw(st.binary(min_size=1, max_size=4))
    try:
        cols = encoding.decode_payloads([bytes(payload)])
    except AuthenticationError:
        return
    assert len(cols) >= 1  # decoded to *something* well-formed; authenticity is the AEAD's job


@pytest.mark.parametrize("body", [b"", b"\x02abc", b"\x01\xff\xff", b"\x01" + b"\x03\x00" * 3])
def test_bad_compression_rejected(body: bytes) -> None:
    with pytest.raises(AuthenticationError):
        encoding.decode_block(body)


def test_trailing_deflate_data_rejected() -> None:
    body = encoding.encode_block([ev.move(1, 1, 1)])
    with pytest.raises(AuthenticationError):
        encoding.decode_block(body + b"\x00")
