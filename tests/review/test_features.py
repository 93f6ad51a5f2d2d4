"""Features for analysis: known typing and known trajectories give known numbers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tallylight import events as ev
from tallylight.events import Button, KeyClass, Marker
from tallylight.review import features
from tallylight.review.features import Trajectory, mousetrap
from tallylight.store.encoding import EventColumns, decode_payloads, encode_payload

MS = 1_000_000


def cols(events: list[ev.Event]) -> EventColumns:
    return decode_payloads([encode_payload(sorted(events, key=lambda e: e.t_ns))])


def typing() -> list:
    """'ab cd' typed at 200 ms down-down with 80 ms holds; a 3 s pause after the space;
    'c' and 'd' roll over (d goes down 50 ms before c comes up)."""
    out = [ev.marker(0, Marker.SESSION_START)]
    plan = [
        (1000, KeyClass.LETTER, 1, 80),
        (1200, KeyClass.LETTER, 2, 80),
        (1400, KeyClass.SPACE, 3, 80),
        (4400, KeyClass.LETTER, 4, 250),  # pause between words; held over the next down
        (4600, KeyClass.LETTER, 5, 80),
    ]
    for t, cls, key, hold in plan:
        out.append(ev.key_down(t * MS, cls, key=key))
        out.append(ev.key_up((t + hold) * MS, cls, key=key))
    out.append(ev.marker(6000 * MS, Marker.SESSION_STOP, 1))
    return out


def test_key_features_of_known_typing() -> None:
    f = features.key_features(cols(typing()))
    assert f["keystrokes"] == 5
    assert f["hold_ms_median"] == pytest.approx(80)
    assert f["down_down_ms_median"] == pytest.approx(200)
    assert f["rollover_rate"] == pytest.approx(1 / 4)  # 4400+250 > 4600: up-down = -50 ms
    assert f["up_down_ms_mean"] == pytest.approx((120 + 120 + 2920 - 50) / 4)
    assert f["pauses"] == 1
    assert f["pauses_between_words"] == 1
    assert f["pauses_within_word"] == 0
    assert f["pause_s_max"] == pytest.approx(3.0)
    assert f["bursts"] == 2
    assert f["burst_keystrokes_mean"] == pytest.approx(2.5)
    assert f["typing_time_s"] == pytest.approx(0.6)
    assert f["keystrokes_per_min"] == pytest.approx(5 / 0.01)
    assert f["wpm"] == pytest.approx(5 / 5 / 0.01)


def test_pause_threshold_is_configurable() -> None:
    assert features.key_features(cols(typing()), pause_threshold_s=5.0)["pauses"] == 0
    assert features.key_features(cols(typing()), pause_threshold_s=0.1)["pauses"] == 4


def test_pauses_classed_by_position() -> None:
    L, P, S = KeyClass.LETTER, KeyClass.PUNCTUATION, KeyClass.SPACE
    before = np.array([L, L, P, KeyClass.BACKSPACE_DELETE, S])
    after = np.array([L, S, L, L, P])
    names = [features.PAUSE_CLASSES[i] for i in features.classify_pauses(before, after)]
    assert names == ["within_word", "between_words", "around_punctuation", "other", "between_words"]


def test_intervals_across_a_pause_in_capture_are_left_out() -> None:
    evs = typing()
    evs += [ev.marker(1300 * MS, Marker.PAUSE, 1), ev.marker(1350 * MS, Marker.RESUME)]
    f = features.key_features(cols(evs))
    assert f["bursts"] == 3  # the capture pause splits a burst too


def test_mouse_features() -> None:
    evs = [ev.marker(0, Marker.SESSION_START)]
    for i in range(11):  # 10 px every 10 ms: 1000 px/s
        evs.append(ev.move((100 + 10 * i) * MS, 10 * i, 0))
    evs.append(ev.button(300 * MS, 100, 0, Button.LEFT, True))
    evs.append(ev.button(350 * MS, 100, 0, Button.LEFT, False))
    evs.append(ev.button(5000 * MS, 100, 0, Button.RIGHT, True))
    evs.append(ev.marker(5100 * MS, Marker.SESSION_STOP, 1))
    f = features.mouse_features(cols(evs))
    assert f["path_length_px"] == pytest.approx(100)
    assert f["speed_px_s_median"] == pytest.approx(1000)
    assert f["clicks"] == 2
    assert f["clicks_left"] == 1
    assert f["clicks_right"] == 1
    assert f["idle_time_s"] == pytest.approx(4.65)  # 350 ms .. 5000 ms without input


def _tr(points: list[tuple[int, int, int]]) -> Trajectory:
    a = np.array(points, np.int64)
    return Trajectory(a[:, 0] * MS, a[:, 1], a[:, 2])


def test_mousetrap_measures() -> None:
    straight = mousetrap(_tr([(0, 0, 0), (10, 50, 0), (20, 100, 0)]))
    assert straight["mad_px"] == 0
    assert straight["auc_px2"] == 0
    assert straight["x_flips"] == 0
    # bulging below the line (screen y down) while travelling right: to the right of travel
    bent = mousetrap(_tr([(0, 0, 0), (100, 0, 0), (200, 50, 20), (300, 100, 0)]), start_ns=0)
    assert bent["mad_px"] == pytest.approx(20)
    assert bent["auc_px2"] == pytest.approx(1000)
    assert bent["initiation_ms"] == pytest.approx(200)
    above = mousetrap(_tr([(0, 0, 0), (10, 50, -20), (20, 100, 0)]))
    assert above["mad_px"] == pytest.approx(-20)
    assert above["auc_px2"] == pytest.approx(-1000)
    zigzag = mousetrap(_tr([(0, 0, 0), (1, 10, 5), (2, 5, 10), (3, 15, 15), (4, 10, 20), (5, 20, 30)]))
    assert zigzag["x_flips"] == 4


def test_trials_between_clicks() -> None:
    evs = [ev.button(0, 0, 0, Button.LEFT, True)]
    evs += [ev.move(100 * MS, 0, 0), ev.move(200 * MS, 50, 20), ev.move(300 * MS, 100, 0)]
    evs += [ev.button(400 * MS, 100, 0, Button.LEFT, True)]
    from tallylight.review.field_tables import trajectory_rows

    rows = trajectory_rows(cols(evs))
    assert [r["trial"] for r in rows] == [1, 2]  # one trial per click
    assert rows[1]["mad_px"] == pytest.approx(20)


@given(
    st.lists(
        st.tuples(st.integers(0, 10**6), st.integers(-5000, 5000), st.integers(-5000, 5000)), max_size=30
    )
)
def test_mousetrap_never_fails(points: list[tuple[int, int, int]]) -> None:
    points.sort()
    m = mousetrap(_tr(points) if points else Trajectory(np.zeros(0, np.int64), np.zeros(0), np.zeros(0)))
    if m["mad_px"] is not None:
        assert abs(m["mad_px"]) <= 2 * 5000 * 2**0.5 + 1
