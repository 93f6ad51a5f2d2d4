from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tallylight.cli.durations import parse_duration
from tallylight.errors import UsageError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h30m", 5400), ("90", 90), ("250ms", 0.25), (" 2 m ", 120), ("1.5s", 1.5)],
)
def test_parse(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "s", "5x", "-3s", "0", "1d", "5m junk", "nan", "inf", "10000h"])
def test_bad_durations_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_duration(text)


@given(st.text(max_size=20))
def test_parser_never_crashes(text: str) -> None:
    with contextlib.suppress(UsageError):
        assert parse_duration(text) > 0
