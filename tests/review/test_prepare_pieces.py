"""The review's level of detail and its piecewise preparation (issue 21 item 5: a full working day).

An 8-hour session is decoded a piece at a time and each piece reduced at once
(:class:`~tallylight.review.prepare.Gatherer`): every number must come out as from
all the decoded columns at once, however the session is cut into pieces.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import event_streams
from tallylight import events as ev
from tallylight.review.pointer import pointer_track
from tallylight.review.prepare import CLICK_CELL_PX, Gatherer, click_marks, prepare
from tallylight.review.summary import summarize
from tallylight.review.timeline import activity_per_second, envelope
from tallylight.store import encoding


@given(st.lists(event_streams(max_size=40), min_size=1, max_size=5), st.integers(1, 120))
def test_pieces_decode_to_the_whole(blocks: list[list[ev.Event]], size: int) -> None:
    payloads = [encoding.encode_payload(b) for b in blocks]
    pieces = list(encoding.iter_decode(payloads, chunk_events=size))
    assert list(encoding.EventColumns.concat(pieces).events()) == [e for b in blocks for e in b]
    # whole records only, never more than asked unless one record is larger
    assert all(len(p) <= size or len(p) in {len(b) for b in blocks} for p in pieces)


@given(event_streams(max_size=150), st.lists(st.integers(1, 149), max_size=4), st.integers(1, 120))
def test_prepared_in_pieces_equals_the_whole(stream: list[ev.Event], cuts: list[int], size: int) -> None:
    # one session, cut into records; it starts with its SESSION_START (the timeline counts from it)
    stream = [ev.marker(min(e.t_ns for e in stream), ev.Marker.SESSION_START), *stream]
    bounds = sorted({0, len(stream), *(c for c in cuts if c < len(stream))})
    blocks = [stream[a:b] for a, b in itertools.pairwise(bounds)]
    payloads = [encoding.encode_payload(b) for b in blocks]
    whole = encoding.decode_payloads(payloads)
    gathered = Gatherer()
    for piece in encoding.iter_decode(payloads, chunk_events=size):
        gathered.add(piece)
    d = gathered.prepare()
    assert gathered.events == len(whole)
    ref = summarize(whole)
    # idle pauses, task times, counts, gaps: from about two moves a second, exactly as from all
    assert d.summary == dataclasses.replace(ref, path_px=d.summary.path_px)
    assert d.summary.path_px == pytest.approx(ref.path_px, rel=1e-12, abs=1e-6)
    assert np.array_equal(d.activity, activity_per_second(whole)[1])
    tt, tx, ty = pointer_track(whole)
    got = sorted(
        zip(
            d.track_t.tolist(),
            d.track_x.tolist(),
            d.track_y.tolist(),
            strict=True,
        )
    )
    want = ((tt - d.start_ns) / 1e9).tolist()  # seconds from the start, as the replay has them
    assert got == sorted(zip(want, tx.tolist(), ty.tolist(), strict=True))


def test_a_day_of_moves_keeps_its_idle_pauses() -> None:
    """Moves every 300 ms with stretches of 1.9 s and 2.1 s between: only the second is a pause,
    although the moves kept for the analysis are fewer than the moves."""
    s = 1_000_000_000
    evs = [ev.marker(0, ev.Marker.SESSION_START)]
    t = 0
    for i in range(400):
        t += 300_000_000 if i % 50 else (1_900_000_000 if i % 100 else 2_100_000_000)
        evs.append(ev.move(t, i % 7, i % 5))
    evs.append(ev.marker(t + s // 2, ev.Marker.SESSION_STOP, 1))
    d = prepare(encoding.decode_payloads([encoding.encode_payload(evs)]))
    ref = summarize(encoding.decode_payloads([encoding.encode_payload(evs)]))
    assert d.summary.idle_pauses == ref.idle_pauses == 4
    assert d.summary.moves == 400
    assert d.track_t.size == 400


def test_click_marks_one_per_square_first_click_first() -> None:
    t = np.array([3.0, 1.0, 2.0, 4.0, 5.0])
    x = np.array([10, 11, 500, 10 + CLICK_CELL_PX, 11])
    y = np.array([20, 21, 20, 20, 21])
    left = np.array([True, True, True, True, False])
    mt, mx, my, ml = click_marks(t, x, y, left)
    # (10,20) and (11,21) share a square: the earlier click (t=1) is its mark; a right click there
    # is a mark of its own colour
    assert mt.tolist() == [1.0, 2.0, 4.0, 5.0]
    assert list(zip(mx.tolist(), my.tolist(), ml.tolist(), strict=True)) == [
        (11, 21, True),
        (500, 20, True),
        (10 + CLICK_CELL_PX, 20, True),
        (11, 21, False),
    ]


@given(
    st.lists(st.integers(0, 50), min_size=1, max_size=400),
    st.floats(-10, 500),
    st.floats(0, 500),
    st.integers(1, 100),
)
def test_envelope_keeps_every_peak_in_view(counts: list[int], x0: float, width: float, columns: int) -> None:
    c = np.array(counts, np.float64)
    edges = np.arange(c.size + 1, dtype=np.float64)
    x1 = x0 + width
    e, y = envelope(edges, c, x0, x1, columns)
    assert e.size == y.size + 1
    assert np.all(np.diff(e) > 0)
    assert y.size <= max(columns, 1) + 1 or y.size == c.size
    inview = (edges[1:] > x0) & (edges[:-1] < x1)
    if inview.any():  # the highest bin in view is drawn at its height, inside the steps drawn
        k = int(np.flatnonzero(inview)[np.argmax(c[inview])])
        assert y.max() >= c[k]
        assert e[0] <= edges[k]
        assert edges[k + 1] <= e[-1]
    if c.size <= columns:  # fewer bins than columns: the bins themselves, none merged
        i0 = int(e[0])
        assert np.array_equal(e, edges[i0 : i0 + e.size])
        assert np.array_equal(y, c[i0 : i0 + y.size])


@pytest.mark.parametrize("size", [1, 2, 3, 100])
def test_the_jump_across_a_pause_is_not_travel_in_any_pieces(size: int) -> None:
    s = 1_000_000_000
    evs = [ev.marker(0, ev.Marker.SESSION_START)]
    evs += [ev.move(i * s // 10, 3 * i, 4 * i) for i in range(1, 5)]  # 3 steps of 5 px
    evs.append(ev.marker(s, ev.Marker.PAUSE, int(ev.GapReason.PAUSED_BY_PARTICIPANT)))
    evs.append(ev.marker(3 * s, ev.Marker.RESUME))
    evs += [ev.move(3 * s + i * s // 10, 1000, 1000 + 5 * i) for i in range(1, 4)]  # 2 steps of 5 px
    evs.append(ev.marker(4 * s, ev.Marker.SESSION_STOP, 1))
    payloads = [encoding.encode_payload(evs[i : i + 2]) for i in range(0, len(evs), 2)]
    gathered = Gatherer()
    for piece in encoding.iter_decode(payloads, chunk_events=size):
        gathered.add(piece)
    assert gathered.prepare().summary.path_px == pytest.approx(25.0)
