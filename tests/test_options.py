"""Promise 6: a study (or any allowed set) can only narrow capture, never widen it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tallylight import words
from tallylight.errors import UsageError
from tallylight.options import CaptureOptions, KeyMode, is_within, narrow

options = st.builds(
    CaptureOptions,
    keys=st.sampled_from(list(KeyMode)),
    mouse_moves=st.booleans(),
    move_min_interval_ms=st.floats(0, 1000, allow_nan=False),
    move_min_distance_px=st.floats(0, 100, allow_nan=False),
    clicks=st.booleans(),
    scrolls=st.booleans(),
)


@given(options, options)
def test_narrow_is_never_wider_than_allowed(allowed: CaptureOptions, requested: CaptureOptions) -> None:
    effective = narrow(allowed, requested)
    assert is_within(effective, allowed)
    assert is_within(effective, requested)
    assert effective.keys <= allowed.keys
    assert effective.keys <= requested.keys
    assert effective.clicks <= allowed.clicks
    assert effective.scrolls <= allowed.scrolls
    assert effective.mouse_moves <= allowed.mouse_moves
    assert effective.move_min_interval_ms >= allowed.move_min_interval_ms


@given(options)
def test_narrowing_to_itself_changes_nothing(o: CaptureOptions) -> None:
    assert narrow(o, o) == o
    assert CaptureOptions.from_dict(o.to_dict()) == o


def test_wider_request_is_refused_by_narrowing() -> None:
    allowed = CaptureOptions(keys=KeyMode.CLASS, clicks=False)
    wide = CaptureOptions(keys=KeyMode.FULL, clicks=True)
    assert not is_within(wide, allowed)
    assert narrow(allowed, wide) == CaptureOptions(keys=KeyMode.CLASS, clicks=False)


@pytest.mark.parametrize(
    "bad",
    [
        {"keys": "everything"},
        {"move_min_interval_ms": -1},
        {"move_min_distance_px": float("nan")},
        {"clicks": "yes"},
        {"colour": True},
        {"move_min_interval_ms": True},
    ],
)
def test_bad_options_are_clear_errors(bad: dict) -> None:
    with pytest.raises(UsageError):
        CaptureOptions.from_dict(bad)


def test_plain_language_mentions_every_choice() -> None:
    text = " ".join(
        words.describe_capture(
            CaptureOptions(keys=KeyMode.NONE, mouse_moves=False, clicks=False, scrolls=False)
        )
    )
    assert "no keyboard events" in text
    assert text.count("not recorded") == 3
