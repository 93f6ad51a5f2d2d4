"""The one vocabulary: counts agree in number, states have words, key modes all described."""

from __future__ import annotations

import pytest

from tallylight import words
from tallylight.options import CaptureOptions, KeyMode
from tallylight.words import AppState, RecorderState


@pytest.mark.parametrize(
    ("n", "singular", "expected"),
    [
        (0, "click", "0 clicks"),
        (1, "click", "1 click"),
        (2, "key press", "2 key presses"),
        (1, "hour", "1 hour"),
    ],
)
def test_count_agrees_in_number(n: int, singular: str, expected: str) -> None:
    assert words.count(n, singular) == expected


def test_counts_summary_uses_singular_for_one() -> None:
    text = words.counts_summary({"key_down": 1, "KEY_UP": 1, "move": 2, "button_down": 1, "scroll": 0})
    assert text == "1 key press, 2 mouse moves, 1 click, 0 scrolls"


def test_counts_summary_ignores_junk() -> None:
    assert words.counts_summary({"key_down": "x", "move": None}) == (
        "0 key presses, 0 mouse moves, 0 clicks, 0 scrolls"
    )


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "no limit"),
        (1, "1 minute"),
        (15, "15 minutes"),
        (60, "1 hour"),
        (120, "2 hours"),
        (90, "90 minutes"),
    ],
)
def test_minutes(n: int, expected: str) -> None:
    assert words.minutes(n) == expected


def test_clock() -> None:
    assert words.clock(65.9) == "0:01:05"
    assert words.clock(-3) == "0:00:00"
    assert words.clock(3600) == "1:00:00"


def test_every_key_mode_has_words_in_order() -> None:
    assert list(words.KEY_MODES) == list(KeyMode)
    for mode in KeyMode:
        w = words.key_mode(mode.label)
        assert w.title
        assert w.short
        assert w.plain


def test_every_state_has_words_and_active_states_are_the_light_on() -> None:
    for state in AppState:
        assert state.words
    assert {s for s in AppState if s.active} == {"starting", "recording", "paused", "stopping"}
    assert words.app_state_words("recording") == "Recording"
    assert words.app_state_words("nonsense") == "nonsense"
    assert {s.value for s in RecorderState} == {"idle", "recording", "paused", "stopped"}


def test_describe_capture_says_what_is_not_recorded() -> None:
    opts = CaptureOptions(keys=KeyMode.NONE, mouse_moves=False, clicks=True, scrolls=False)
    lines = words.describe_capture(opts)
    assert lines[0] == "Keyboard: no keyboard events at all."
    assert "Mouse movement: not recorded." in lines
    assert "Scrolling: not recorded." in lines


def test_capture_summary_and_stop_reasons() -> None:
    assert (
        words.capture_summary({"keys": "class", "clicks": True})
        == "kind of key only (never which letter), clicks"
    )
    assert words.stop_reason_words("DURATION_LIMIT") == "the maximum duration was reached"
    assert words.stop_reason_words("brand_new") == "brand new"


def test_every_reason_and_verdict_has_its_own_words() -> None:
    """A new StopReason, GapReason or Verdict needs words here before anyone can read it."""
    from tallylight.events import GapReason, StopReason
    from tallylight.store.reader import Verdict

    assert {r.name.lower() for r in StopReason} <= set(words._STOP_REASON_WORDS)
    assert {r.name.lower() for r in GapReason} <= set(words._GAP_REASON_WORDS)
    assert {v.value for v in Verdict} <= set(words._VERDICT_WORDS)
