"""One hotkey parser for settings, recorder and CLI; one human form (issue 8, item 4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import hotkeys
from tallylight.capture.hotkey import Hotkey, hotkey_problem, human_hotkey, parse_hotkey
from tallylight.errors import UsageError


@pytest.mark.parametrize(
    ("text", "pynput", "human"),
    [
        ("<ctrl>+<alt>+p", "<ctrl>+<alt>+p", "Ctrl+Alt+P"),
        ("Ctrl+Alt+P", "<ctrl>+<alt>+p", "Ctrl+Alt+P"),
        ("<alt_gr>+p", "<alt_gr>+p", "AltGr+P"),  # refused by the old Settings regex, works
        ("<super>+p", "<cmd>+p", "Super+P"),  # accepted before but failed every session: now one name
        ("Meta+P", "<cmd>+p", "Super+P"),  # Qt's name for the same key
        ("<ctrl>+<shift>+<F9>", "<ctrl>+<shift>+<f9>", "Ctrl+Shift+F9"),
        ("Ctrl+PgUp", "<ctrl>+<page_up>", "Ctrl+Page Up"),
        ("alt + ctrl + 1", "<ctrl>+<alt>+1", "Ctrl+Alt+1"),
    ],
)
def test_both_spellings_read_the_same(text: str, pynput: str, human: str) -> None:
    hk = parse_hotkey(text)
    assert hk.pynput() == pynput
    assert hk.human(platform="linux") == human


@pytest.mark.parametrize(
    "bad",
    [
        "<f5>",
        "<ctrl>+<alt>",
        "p",
        "",
        "<ctrl>+<hyper>",
        "<hyper>+p",
        "<ctrl>++",
        "<ctrl>+<f13>",
        "<ctrl>+<ctrl>+p",
    ],
)
def test_hotkeys_that_cannot_work_are_refused_with_a_sentence(bad: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_hotkey(bad)
    message = str(info.value)
    assert message.endswith(".")
    assert "<ctrl>" not in message.replace(repr(bad), "")


def test_empty_means_no_hotkey_and_human_form_never_shows_pynput_syntax() -> None:
    assert hotkey_problem("") == ""
    assert hotkey_problem("   ") == ""
    assert hotkey_problem("<f5>")
    assert human_hotkey("<ctrl>+<alt>+p") == "Ctrl+Alt+P"
    assert parse_hotkey("<cmd>+p").human(platform="darwin") == "Cmd+P"


@given(hotkeys())
def test_round_trip_through_both_forms(hk: Hotkey) -> None:
    assert parse_hotkey(hk.pynput()) == hk
    assert parse_hotkey(hk.human()) == hk
    assert "<" not in hk.human() or hk.trigger == "<"


@given(st.text(max_size=40))
def test_parser_never_crashes(text: str) -> None:
    try:
        hk = parse_hotkey(text)
    except UsageError:
        return
    assert parse_hotkey(hk.pynput()) == hk
