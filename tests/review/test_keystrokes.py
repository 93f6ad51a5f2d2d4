"""Key pairing and intervals: the vectorised pairing against a plain reference."""

from __future__ import annotations

from collections import defaultdict, deque

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tallylight import events as ev
from tallylight.events import Event, Kind
from tallylight.review import key_intervals, pair_keys
from tallylight.store.encoding import EventColumns, decode_payloads, encode_payload


def columns(events: list[Event]) -> EventColumns:
    return decode_payloads([encode_payload(events)]) if events else EventColumns.empty()


def reference_pairs(events: list[Event]) -> tuple[set[tuple[int, int]], int, int, int]:
    """The rules of review.keystrokes, one event at a time."""
    order = sorted(range(len(events)), key=lambda i: (events[i].t_ns, i))
    open_: dict[tuple, deque[int]] = defaultdict(deque)
    last: dict[tuple, int] = {}
    pairs = set()
    repeats = orphans = 0
    for i in order:
        e = events[i]
        if e.kind not in (Kind.KEY_DOWN, Kind.KEY_UP):
            continue
        ident = (e.key_class, e.key, e.text)
        exact = e.key != 0 or e.text != ""
        if e.kind == Kind.KEY_DOWN:
            if exact and last.get(ident) == Kind.KEY_DOWN:
                repeats += 1
                continue
            open_[ident].append(i)
        elif open_[ident]:
            pairs.add((open_[ident].popleft(), i))
        else:
            orphans += 1
        last[ident] = e.kind
    unpaired_downs = sum(len(q) for q in open_.values())
    return pairs, repeats, orphans, unpaired_downs


key_events = st.builds(
    lambda t, down, kc, key, text: (ev.key_down if down else ev.key_up)(t, kc, key, text),
    st.integers(0, 40),
    st.booleans(),
    st.sampled_from([ev.KeyClass.LETTER, ev.KeyClass.SPACE]),
    st.sampled_from([0, 0, 5, 1 << 63]),
    st.sampled_from(["", "", "a"]),
)
mixed = st.lists(
    st.one_of(key_events, st.builds(ev.move, st.integers(0, 40), st.just(1), st.just(2))), max_size=60
)


@given(mixed)
def test_pairing_matches_the_reference(events: list[Event]) -> None:
    cols = columns(events)
    ks = pair_keys(cols)
    pairs, repeats, orphans, open_downs = reference_pairs(events)
    assert set(zip(ks.down_row.tolist(), ks.up_row.tolist(), strict=True)) == pairs
    assert ks.repeats == repeats
    assert ks.unpaired_ups == orphans
    assert ks.unpaired_downs == open_downs
    assert np.all(np.diff(ks.down_t) >= 0)
    assert np.all(ks.hold_ns >= 0)
    assert np.array_equal(ks.key_class, cols.key_class[ks.down_row])


def test_rollover_in_class_mode_is_first_in_first_out() -> None:
    L = ev.KeyClass.LETTER
    events = [ev.key_down(0, L), ev.key_down(50, L), ev.key_up(90, L), ev.key_up(140, L)]
    ks = pair_keys(columns(events))
    assert ks.hold_ns.tolist() == [90, 90]
    iv = key_intervals(ks)
    assert iv.down_down.tolist() == [50]
    assert iv.up_down.tolist() == [-40]  # rollover: the next key went down before this one came up


def test_a_key_released_under_another_name_pairs_by_physical_key() -> None:
    # full mode reports the up exactly as its down ('H' down, 'h' up -> both 'H')
    events = [
        ev.key_down(0, ev.KeyClass.LETTER, 42, "H"),
        ev.key_down(10, ev.KeyClass.LETTER, 42, "H"),  # auto-repeat
        ev.key_down(20, ev.KeyClass.MODIFIER, 7, "shift"),
        ev.key_up(100, ev.KeyClass.LETTER, 42, "H"),
        ev.key_up(130, ev.KeyClass.MODIFIER, 7, "shift"),
    ]
    ks = pair_keys(columns(events))
    assert ks.repeats == 1
    assert ks.down_t.tolist() == [0, 20]
    assert ks.hold_ns.tolist() == [100, 110]


def test_intervals_across_a_break_are_left_out() -> None:
    L = ev.KeyClass.LETTER
    events = [ev.key_down(0, L), ev.key_up(10, L), ev.key_down(100, L), ev.key_up(110, L)]
    events += [ev.key_down(1000, L), ev.key_up(1010, L)]
    ks = pair_keys(columns(events))
    iv = key_intervals(ks, np.array([500]))
    assert iv.down_down.tolist() == [100]
    assert iv.first.tolist() == [0]


def test_no_keys() -> None:
    ks = pair_keys(columns([ev.move(0, 1, 1)]))
    assert len(ks) == 0
    assert key_intervals(ks).down_down.size == 0
