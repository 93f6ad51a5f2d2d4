"""The field's tables (keystrokes, digraphs, writing, trajectories) against plain references.

Each table is computed from events made from a known schedule (what an injector
would type and point), and compared with a reference written with plain loops
from the same schedule, not from the events: a mistake in pairing, ordering or a
formula shows as a difference.
"""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

import pytest

from tallylight import events as ev
from tallylight.events import Button, KeyClass, Marker
from tallylight.review import field_tables
from tallylight.store.encoding import EventColumns, decode_payloads, encode_payload

MS = 1_000_000
L, P, S, B = KeyClass.LETTER, KeyClass.PUNCTUATION, KeyClass.SPACE, KeyClass.BACKSPACE_DELETE


def _cols(events: list[ev.Event]) -> EventColumns:
    return decode_payloads([encode_payload(sorted(events, key=lambda e: e.t_ns))])


def _schedule(seed: int) -> list[tuple[int, int, KeyClass]]:
    """(down ms, hold ms, class): words, a sentence end, a correction, pauses; rollover between
    different classes only, so the ground truth pairing is unambiguous in class mode."""
    rng = random.Random(seed)
    plan = [L, L, L, S, L, L, B, B, L, L, P, S, L, L, L, S, L, L, L, L, B, L, P, S, L, L]
    out, t = [], 1000
    for i, cls in enumerate(plan):
        t += rng.choice([90, 130, 180, 240]) if i else 0
        if i in (4, 13, 21):  # pauses: after a space, within a word, after a correction
            t += 2500 + rng.randrange(500)
        if i == 12:  # a pause after ". "
            t += 3000
        out.append((t, rng.choice([60, 85, 110]), cls))
    return out


def _events(schedule: list[tuple[int, int, KeyClass]]) -> list[ev.Event]:
    evs = [ev.marker(0, Marker.SESSION_START)]
    for down, hold, cls in schedule:
        evs += [ev.key_down(down * MS, cls), ev.key_up((down + hold) * MS, cls)]
    evs.append(ev.marker(60_000 * MS, Marker.SESSION_STOP, 1))
    return evs


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_keystrokes_and_digraphs_match_the_schedule(seed: int) -> None:
    sched = _schedule(seed)
    rows = field_tables.keystroke_rows(_cols(_events(sched)))
    assert len(rows) == len(sched)
    worst = 0.0
    for i, ((down, hold, cls), row) in enumerate(zip(sched, rows, strict=True)):
        assert row["key_class"] == cls.name.lower()
        worst = max(worst, abs(row["down_ms"] - down), abs(row["hold_ms"] - hold))
        if i + 1 < len(sched):
            nxt = sched[i + 1][0]
            worst = max(
                worst, abs(row["down_down_ms"] - (nxt - down)), abs(row["up_down_ms"] - (nxt - down - hold))
            )
            assert row["rollover"] == (nxt < down + hold)
        else:
            assert row["down_down_ms"] is None
    assert worst < 1e-9
    # digraphs: plain grouping of consecutive pairs
    ref: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for (d1, h1, c1), (d2, _h2, c2) in itertools.pairwise(sched):
        ref.setdefault((c1.name.lower(), c2.name.lower()), []).append((d2 - d1, d2 - d1 - h1))
    got = {(r["first_class"], r["second_class"]): r for r in field_tables.digraph_rows(_cols(_events(sched)))}
    assert set(got) == set(ref)
    for pair, values in ref.items():
        dd = sorted(v[0] for v in values)
        assert got[pair]["count"] == len(values)
        assert got[pair]["down_down_ms_mean"] == pytest.approx(sum(dd) / len(dd), abs=1e-9)
        mid = len(dd) // 2
        median = dd[mid] if len(dd) % 2 else (dd[mid - 1] + dd[mid]) / 2
        assert got[pair]["down_down_ms_median"] == pytest.approx(median, abs=1e-9)
        ud = [v[1] for v in values]
        assert got[pair]["up_down_ms_mean"] == pytest.approx(sum(ud) / len(ud), abs=1e-9)
        assert got[pair]["rollover_rate"] == pytest.approx(sum(u < 0 for u in ud) / len(ud))


def _writing_reference(sched: list[tuple[int, int, KeyClass]], threshold_ms: int = 2000) -> dict[str, Any]:
    """Inputlog's definitions with plain loops over the schedule."""
    n = len(sched)
    classes = [c for _, _, c in sched]
    out: dict[str, float | None] = {"keystrokes": n, "backspaces": classes.count(B)}
    out["revisions"] = sum(1 for i, c in enumerate(classes) if c == B and (i == 0 or classes[i - 1] != B))
    p_bursts: list[int] = []
    r_bursts: list[int] = []
    places: dict[str, list[float]] = {
        "within_word": [],
        "between_words": [],
        "after_sentence": [],
        "other": [],
    }
    run: list[int] = []
    for i in range(n):
        gap = i > 0 and sched[i][0] - sched[i - 1][0] >= threshold_ms
        if gap:
            before, after = classes[i - 1], classes[i]
            before2 = classes[i - 2] if i >= 2 else None
            if before == P or (before in (S, KeyClass.ENTER) and before2 == P):
                place = "after_sentence"
            elif before in (L, KeyClass.DIGIT) and after in (L, KeyClass.DIGIT):
                place = "within_word"
            elif before in (S, KeyClass.ENTER) or after in (S, KeyClass.ENTER):
                place = "between_words"
            else:
                place = "other"
            places[place].append((sched[i][0] - sched[i - 1][0]) / 1000)
        if run and (gap or classes[i] == B):
            (r_bursts if classes[i] == B and not gap else p_bursts).append(len(run))
            run = []
        if classes[i] != B:
            run.append(i)
    if run:
        p_bursts.append(len(run))
    out["p_bursts"], out["r_bursts"] = len(p_bursts), len(r_bursts)
    out["p_burst_keystrokes_mean"] = sum(p_bursts) / len(p_bursts)
    out["r_burst_keystrokes_mean"] = sum(r_bursts) / len(r_bursts)
    for name, values in places.items():
        out[f"pauses_{name}"] = len(values)
        out[f"pause_{name}_mean_s"] = sum(values) / len(values) if values else None
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_writing_measures_match_inputlogs_definitions(seed: int) -> None:
    sched = _schedule(seed)
    got = field_tables.writing_measures(_cols(_events(sched)))
    ref = _writing_reference(sched)
    for key, value in ref.items():
        assert got[key] == pytest.approx(value, abs=1e-9), key
    assert got["revisions"] == 2  # "BB" and "B"
    assert got["pauses_after_sentence"] == 1
    assert got["r_bursts"] == 2


def _curve(start_ms: int, x0: float, x1: float, bend: float, n: int = 40) -> list[tuple[int, int, int]]:
    """A known path: along x from x0 to x1, bowing bend px in y, one sample per 10 ms."""
    pts = []
    for k in range(n + 1):
        f = k / n
        pts.append((start_ms + 10 * k, round(x0 + (x1 - x0) * f), round(bend * math.sin(math.pi * f))))
    return pts


def _interp(ts: list[int], vs: list[int], t: float) -> float:
    for i in range(len(ts) - 1):
        if ts[i] <= t <= ts[i + 1]:
            return (
                vs[i]
                if ts[i + 1] == ts[i]
                else vs[i] + (vs[i + 1] - vs[i]) * (t - ts[i]) / (ts[i + 1] - ts[i])
            )
    return vs[-1]


def test_trajectories_one_trial_per_click_match_the_reference() -> None:
    trials = [_curve(1000, 0, 400, 60), _curve(3000, 400, 0, -30), _curve(5000, 0, 200, 0)]
    evs = [ev.marker(0, Marker.SESSION_START), ev.move(500 * MS, 0, 0)]
    clicks = []
    for pts in trials:
        for t, x, y in pts:
            evs.append(ev.move(t * MS, x, y))
        t, x, y = pts[-1]
        clicks.append((t + 50, x, y))
        evs += [
            ev.button((t + 50) * MS, x, y, Button.LEFT, True),
            ev.button((t + 120) * MS, x, y, Button.LEFT, False),
        ]
    evs.append(ev.marker(9000 * MS, Marker.SESSION_STOP, 1))
    rows = field_tables.trajectory_rows(_cols(evs))
    assert [r["trial"] for r in rows] == [1, 2, 3]
    starts = [0, clicks[0][0] + 70, clicks[1][0] + 70]  # session start, then each click's release
    for row, pts, start, click in zip(rows, trials, starts, clicks, strict=True):
        # reference: the pointer where it was at the start (for the first trial, where it was
        # first seen: the 500 ms sample), the samples, then the click
        first = (500, 0, 0) if start == 0 else (start, pts[0][1], pts[0][2])
        path = [first, *pts, click]
        ts, xs, ys = [p[0] for p in path], [p[1] for p in path], [p[2] for p in path]
        grid = [ts[0] + (ts[-1] - ts[0]) * k / 100 for k in range(101)]
        nx = [_interp(ts, xs, g) for g in grid]
        ny = [_interp(ts, ys, g) for g in grid]
        assert max(abs(a - b) for a, b in zip(row["x_norm"], nx, strict=True)) < 1e-9
        assert max(abs(a - b) for a, b in zip(row["y_norm"], ny, strict=True)) < 1e-9
        dx, dy = xs[-1] - xs[0], ys[-1] - ys[0]
        length = math.hypot(dx, dy)
        devs = [(dx * (y - ys[0]) - dy * (x - xs[0])) / length for x, y in zip(xs, ys, strict=True)]
        mad = max(devs, key=abs)
        assert row["mad_px"] == pytest.approx(mad, abs=1e-9)
        ad = sum((dx * (y - ys[0]) - dy * (x - xs[0])) / length for x, y in zip(nx, ny, strict=True)) / 101
        assert row["ad_px"] == pytest.approx(ad, abs=1e-9)
        moved = next(t for t, x, y in path if (x, y) != (xs[0], ys[0]))
        assert row["initiation_ms"] == pytest.approx(moved - start)
        assert row["movement_ms"] == pytest.approx(click[0] - moved)
        speeds = [
            math.hypot(xs[i + 1] - xs[i], ys[i + 1] - ys[i]) / ((ts[i + 1] - ts[i]) / 1000)
            for i in range(len(ts) - 1)
            if ts[i + 1] > ts[i]
        ]
        assert row["peak_velocity_px_s"] == pytest.approx(max(speeds))

        def flips(vs: list[int]) -> int:
            d = [b - a for a, b in itertools.pairwise(vs) if b != a]
            return sum(1 for a, b in itertools.pairwise(d) if (a > 0) != (b > 0))

        assert row["x_flips"] == flips(xs)
        assert row["y_flips"] == flips(ys)
