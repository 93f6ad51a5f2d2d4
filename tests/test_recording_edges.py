"""Recording never writes an orphan key-up, and flags the key-downs a pause or stop cuts off.

Issue 20 item 5 (recorder side): a key pressed before the session, in a pause or in a
private app and released after it left a key_up without its key_down (the FIFO pairing
then gave a negative hold); a key held when capture stopped left a key_down without
its key_up, unannounced. The writer's real pipeline (hotkey filter off), fed raw hook
tuples in time order, with the markers the session puts at each edge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from tallylight.capture.transform import TIME_QUANTUM_NS, Transformer
from tallylight.events import Event, GapReason, Kind, Marker
from tallylight.options import CaptureOptions, KeyMode
from tallylight.recorder.session import Pipeline
from tallylight.store.timing_record import notes

Q = TIME_QUANTUM_NS


@dataclass(frozen=True)
class FakeKeyCode:
    """Shaped like pynput's KeyCode (char + vk)."""

    char: str
    vk: int


A, B = FakeKeyCode("a", 38), FakeKeyCode("1", 10)  # two classes: class mode tells them apart


def _down(i: int, key: FakeKeyCode) -> tuple:
    return (i * Q, Kind.KEY_DOWN, key, key.vk)


def _up(i: int, key: FakeKeyCode) -> tuple:
    return (i * Q, Kind.KEY_UP, key, key.vk)


def _mark(i: int, which: Marker, reason: int = 0) -> tuple:
    return (i * Q, Kind.MARKER, int(which), int(reason))


def _run(raws: list[tuple], mode: KeyMode = KeyMode.HASHED) -> tuple[list[Event], Pipeline]:
    pipe = Pipeline(Transformer(CaptureOptions(keys=mode), t0_ns=0, hash_key=b"k" * 32))
    return pipe.feed(raws, raws[-1][0], final=True), pipe


def _keys(events: list[Event]) -> list[tuple[int, int]]:
    return [(e.t_ns // Q, int(e.kind)) for e in events if e.kind in (Kind.KEY_DOWN, Kind.KEY_UP)]


def test_a_key_held_when_the_session_starts_leaves_no_key_up() -> None:
    """The Enter that started `tallylight record` comes up after the session began."""
    out, pipe = _run([_mark(0, Marker.SESSION_START), _up(1, A), _down(2, B), _up(3, B)])
    assert _keys(out) == [(2, Kind.KEY_DOWN), (3, Kind.KEY_UP)]
    assert pipe.unreleased == 0


def test_a_key_pressed_in_a_pause_and_released_after_it_leaves_nothing() -> None:
    raws = [
        _mark(0, Marker.SESSION_START),
        _mark(1, Marker.PAUSE, GapReason.PAUSED_BY_PARTICIPANT),
        _down(2, A),  # in the pause: not captured
        _mark(3, Marker.RESUME),
        _up(4, A),  # its down was never written
        _mark(5, Marker.SESSION_STOP),
    ]
    out, pipe = _run(raws)
    assert _keys(out) == []
    assert pipe.unreleased == 0


def test_a_key_held_into_a_private_app_is_counted_and_its_later_release_dropped() -> None:
    """Alt+Tab into a private app: Alt goes down while capture runs and comes up in the gap
    or after it; the down stays (written before anyone knew), flagged; no up is invented."""
    raws = [
        _mark(0, Marker.SESSION_START),
        _down(1, A),
        _mark(2, Marker.GAP, GapReason.PRIVATE_APP),
        _mark(3, Marker.RESUME),
        _up(4, A),  # released after the gap: its pairing would span the gap
        _down(5, B),
        _up(6, B),
        _mark(7, Marker.SESSION_STOP),
    ]
    out, pipe = _run(raws)
    assert _keys(out) == [(1, Kind.KEY_DOWN), (5, Kind.KEY_DOWN), (6, Kind.KEY_UP)]
    assert pipe.unreleased == 1


def test_a_key_held_at_the_stop_is_counted_and_said_in_the_timing_notes() -> None:
    out, pipe = _run([_mark(0, Marker.SESSION_START), _down(1, A), _mark(2, Marker.SESSION_STOP)])
    assert _keys(out) == [(1, Kind.KEY_DOWN)]
    assert pipe.unreleased == 1
    assert any(
        "1 key(s) were held down when capture paused or stopped" in n for n in notes({"unreleased_keys": 1})
    )


STEP = st.sampled_from(["down a", "up a", "down b", "up b", "pause", "resume", "gap"])


@given(st.lists(STEP, max_size=30), st.sampled_from([KeyMode.CLASS, KeyMode.HASHED, KeyMode.FULL]))
def test_every_written_key_up_follows_its_down_in_the_same_stretch(steps: list[str], mode: KeyMode) -> None:
    """Whatever the participant does, each key_up pairs with an earlier key_down of its key with no
    pause or gap between them, and every other key_down is counted as unreleased."""
    raws = [_mark(0, Marker.SESSION_START)]
    for i, step in enumerate(steps, start=1):
        what, _, name = step.partition(" ")
        key = A if name == "a" else B
        if what == "down":
            raws.append(_down(i, key))
        elif what == "up":
            raws.append(_up(i, key))
        elif what == "pause":
            raws.append(_mark(i, Marker.PAUSE, GapReason.PAUSED_BY_PARTICIPANT))
        elif what == "gap":
            raws.append(_mark(i, Marker.GAP, GapReason.PRIVATE_APP))
        else:
            raws.append(_mark(i, Marker.RESUME))
    raws.append(_mark(len(steps) + 1, Marker.SESSION_STOP))
    out, pipe = _run(raws, mode)
    open_downs: dict[int, int] = {}  # physical key (by class+id here: distinct classes) -> downs
    unpaired = 0
    for e in out:
        if e.kind == Kind.MARKER and e.marker in (Marker.PAUSE, Marker.GAP, Marker.SESSION_STOP):
            unpaired += sum(1 for v in open_downs.values() if v)
            open_downs.clear()
        elif e.kind == Kind.KEY_DOWN:
            open_downs[e.key_class * 2**64 + e.key] = 1  # auto-repeat: one press
        elif e.kind == Kind.KEY_UP:
            ident = e.key_class * 2**64 + e.key
            assert open_downs.get(ident), f"a key_up at {e.t_ns} without its key_down"
            open_downs[ident] = 0
    assert unpaired == pipe.unreleased


def test_moves_the_x_server_dropped_are_told_to_researcher_and_participant(
    language: Callable[[str], None],
) -> None:
    from tallylight.words import timing_plain

    q = {"os_clock": "x11-server-time", "dropped_or_merged": 3}
    assert any(n.startswith("3 pointer moves never reached the recorder") for n in notes(q))
    assert any("could not be checked" in n for n in notes({**q, "dropped_or_merged": None}))
    assert not [n for n in notes({**q, "dropped_or_merged": 0}) if "pointer moves" in n]
    assert "3 mouse movements never reached Tallylight" in "\n".join(timing_plain(q))
    assert "never reached" not in "\n".join(timing_plain({**q, "dropped_or_merged": None}))
    language("de")
    assert "1 Mausbewegung hat Tallylight nie erreicht" in "\n".join(
        timing_plain({**q, "dropped_or_merged": 1})
    )
