"""Key privacy modes yield exactly what they promise, and downs pair with ups."""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tallylight.capture.keys import classify, keyed_hash, physical_id
from tallylight.capture.transform import TIME_QUANTUM_NS as Q
from tallylight.capture.transform import Transformer
from tallylight.events import Event, KeyClass, Kind, Marker
from tallylight.options import CaptureOptions, KeyMode


@dataclass(frozen=True)
class FakeKeyCode:
    """Shaped like pynput's KeyCode (char + vk)."""

    char: str | None
    vk: int | None = None


@dataclass(frozen=True)
class _Value:
    vk: int


class FakeKey(enum.Enum):
    """Shaped like pynput's Key enum (name + value.vk)."""

    shift = _Value(65505)
    enter = _Value(65293)
    backspace = _Value(65288)
    left = _Value(65361)
    f5 = _Value(65474)
    space = _Value(32)
    media_play_pause = _Value(269025044)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (FakeKeyCode("a"), KeyClass.LETTER),
        (FakeKeyCode("Ä"), KeyClass.LETTER),
        (FakeKeyCode("7"), KeyClass.DIGIT),
        (FakeKeyCode("!"), KeyClass.PUNCTUATION),
        (FakeKeyCode("+"), KeyClass.PUNCTUATION),
        (FakeKeyCode(" "), KeyClass.SPACE),
        (FakeKey.space, KeyClass.SPACE),
        (FakeKey.enter, KeyClass.ENTER),
        (FakeKey.backspace, KeyClass.BACKSPACE_DELETE),
        (FakeKey.shift, KeyClass.MODIFIER),
        (FakeKey.left, KeyClass.NAVIGATION),
        (FakeKey.f5, KeyClass.FUNCTION),
        (FakeKey.media_play_pause, KeyClass.OTHER),
        (FakeKeyCode(None, 1234), KeyClass.OTHER),
        (None, KeyClass.UNKNOWN),
    ],
)
def test_classify(key: object, expected: KeyClass) -> None:
    assert classify(key) == expected


def _run(mode: KeyMode, raws: list[tuple], key: bytes = b"k" * 32) -> list[Event]:
    t = Transformer(CaptureOptions(keys=mode), t0_ns=1_000, hash_key=key)
    return [e for e in map(t, raws) if e is not None]


TYPING = [  # 'H' pressed with shift, released as 'h' after shift: X11 does that
    (1_000 + 1 * Q, Kind.KEY_DOWN, FakeKey.shift, 50),
    (1_000 + 2 * Q, Kind.KEY_DOWN, FakeKeyCode("H", 72), 43),
    (1_000 + 3 * Q, Kind.KEY_UP, FakeKey.shift, 50),
    (1_000 + 4 * Q, Kind.KEY_UP, FakeKeyCode("h", 104), 43),
    (1_000 + 5 * Q, Kind.KEY_DOWN, FakeKeyCode("1", 49), 10),
    (1_000 + 6 * Q, Kind.KEY_UP, FakeKeyCode("!", 33), 10),
]


def test_mode_none_has_no_key_events() -> None:
    assert _run(KeyMode.NONE, TYPING) == []


def test_mode_class_keeps_no_character_and_no_identity() -> None:
    events = _run(KeyMode.CLASS, TYPING)
    assert [e.kind for e in events] == [
        Kind.KEY_DOWN,
        Kind.KEY_DOWN,
        Kind.KEY_UP,
        Kind.KEY_UP,
        Kind.KEY_DOWN,
        Kind.KEY_UP,
    ]
    assert all(e.text == "" and e.key == 0 for e in events)
    assert [e.key_class for e in events] == [
        KeyClass.MODIFIER,
        KeyClass.LETTER,
        KeyClass.MODIFIER,
        KeyClass.LETTER,
        KeyClass.DIGIT,
        KeyClass.DIGIT,
    ]
    assert [e.t_ns for e in events] == [Q, 2 * Q, 3 * Q, 4 * Q, 5 * Q, 6 * Q]


def test_mode_hashed_pairs_by_physical_key_and_differs_across_sessions() -> None:
    one = _run(KeyMode.HASHED, TYPING, key=os.urandom(32))
    two = _run(KeyMode.HASHED, TYPING, key=os.urandom(32))
    assert all(e.text == "" and e.key != 0 for e in one)
    assert one[1].key == one[3].key  # 'H' down and 'h' up: same physical key
    assert one[4].key == one[5].key  # '1' down and '!' up
    assert len({one[0].key, one[1].key, one[4].key}) == 3
    assert {e.key for e in one}.isdisjoint({e.key for e in two})


def test_mode_full_reports_the_up_as_its_down() -> None:
    events = _run(KeyMode.FULL, TYPING)
    assert [e.text for e in events] == ["shift", "H", "shift", "H", "1", "1"]
    assert events[1].key == events[3].key == 43


def test_a_release_without_its_press_is_not_written() -> None:
    """Its press was not captured (before the session, in a pause): a lone key_up is no keystroke
    and broke the pairing (issue 20 item 5); a release after its press still is written."""
    lone = (1_000 + Q + 99, Kind.KEY_UP, FakeKeyCode("x", 120), 53)
    assert _run(KeyMode.FULL, [lone]) == []
    press = (1_000 + 99, Kind.KEY_DOWN, FakeKeyCode("x", 120), 53)
    assert _run(KeyMode.FULL, [press, lone])[1] == Event(
        Q, Kind.KEY_UP, key_class=KeyClass.LETTER, key=53, text="x"
    )


@given(
    st.lists(st.tuples(st.sampled_from(["a", "B", "3", "#", " ", "é"]), st.booleans()), max_size=50),
    st.sampled_from([KeyMode.CLASS, KeyMode.HASHED]),
)
def test_no_character_escapes_narrow_modes(keys: list[tuple[str, bool]], mode: KeyMode) -> None:
    raws = [
        (1_000 + i, Kind.KEY_DOWN if down else Kind.KEY_UP, FakeKeyCode(ch), 10 + ord(ch) % 50)
        for i, (ch, down) in enumerate(keys)
    ]
    for event in _run(mode, raws):
        assert event.text == ""
        assert (event.key == 0) == (mode == KeyMode.CLASS)


def test_keyed_hash_is_stable_within_a_key() -> None:
    k = os.urandom(32)
    assert keyed_hash(k, 38) == keyed_hash(k, 38) != keyed_hash(k, 39)
    assert physical_id(FakeKeyCode("a"), 38) == 38
    assert physical_id(FakeKeyCode("A"), None) == physical_id(FakeKeyCode("a"), None)


def test_times_are_kept_to_the_quantum() -> None:
    events = _mouse(
        CaptureOptions(), [(Q - 1, Kind.MOVE, 1, 1), (Q, Kind.MOVE, 2, 2), (3 * Q + 7, Kind.MOVE, 3, 3)]
    )
    assert [e.t_ns for e in events] == [0, Q, 3 * Q]


def _mouse(options: CaptureOptions, raws: list[tuple]) -> list[Event]:
    t = Transformer(options, t0_ns=0, hash_key=b"k" * 32)
    return [e for e in map(t, raws) if e is not None]


@dataclass(frozen=True)
class FakeButton:
    name: str


def test_mouse_options_drop_what_is_off() -> None:
    raws = [
        (1, Kind.MOVE, 1, 2),
        (2, Kind.BUTTON_DOWN, 1, 2, FakeButton("left")),
        (3, Kind.BUTTON_UP, 1, 2, FakeButton("right")),
        (4, Kind.SCROLL, 1, 2, 0, -3),
        (5, Kind.MARKER, Marker.PAUSE, 1),
    ]
    everything = _mouse(CaptureOptions(), raws)
    assert [e.kind for e in everything] == [
        Kind.MOVE,
        Kind.BUTTON_DOWN,
        Kind.BUTTON_UP,
        Kind.SCROLL,
        Kind.MARKER,
    ]
    assert everything[1].button == 1
    assert everything[2].button == 3
    assert everything[3].dy == -3
    nothing = _mouse(CaptureOptions(mouse_moves=False, clicks=False, scrolls=False), raws)
    assert [e.kind for e in nothing] == [Kind.MARKER]


def test_move_thinning_by_interval_and_distance() -> None:
    raws = [(i * 1_000_000 + 12_345, Kind.MOVE, i, 0) for i in range(100)]  # 1 px per ms
    by_time = _mouse(CaptureOptions(move_min_interval_ms=10), raws)
    assert [e.x for e in by_time] == list(range(0, 100, 10))
    by_distance = _mouse(CaptureOptions(move_min_distance_px=25), raws)
    assert [e.x for e in by_distance] == [0, 25, 50, 75]
