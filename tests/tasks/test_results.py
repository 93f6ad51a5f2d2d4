"""Task results from stored trials: the summary blocks named by the issue, the mean of sequence means."""

from __future__ import annotations

import math

from tallylight.tasks import measures, results
from tallylight.words import task_result_lines

MS = 1_000_000


def tap(seq: int, trial: int, dx: float, t0: int, mt_ms: int, device: str = "mouse") -> dict:
    return {
        "task": "point",
        "kind": "pointing",
        "condition": device,
        "sequence": seq,
        "trial": trial,
        "start_ns": t0,
        "end_ns": t0 + mt_ms * MS,
        "from_x": 0,
        "from_y": 0,
        "target_x": 100,
        "target_y": 0,
        "select_x": 100 + dx,
        "select_y": 1,
        "width": 10,
        "amplitude": 100,
        "hit": abs(dx) <= 5,
    }


def test_blocks_have_the_documented_fields_and_pool_nothing() -> None:
    trials = [tap(1, k, d, k * 10**9, 400) for k, d in enumerate((-3, 0, 3), 1)]
    trials += [tap(2, k, d, k * 10**9, 800) for k, d in enumerate((-6, 0, 6), 1)]
    trials.append({**tap(2, 4, 50, 0, 100), "skipped": True})
    trials.append(
        {
            "task": "type",
            "kind": "typing",
            "trial": 1,
            "start_ns": 0,
            "end_ns": 2 * 10**9,
            "presented": "abc",
            "transcribed": "abc",
            "input": "abx\bc",
        }
    )
    b = results.blocks(trials)
    seqs = b["pointing"]["sequences"]
    assert set(seqs[0]) >= {
        "amplitude_px",
        "width_px",
        "effective_width_px",
        "effective_amplitude_px",
        "effective_id_bits",
        "movement_time_ms",
        "throughput_bps",
        "error_rate",
    }
    assert [s["trials"] for s in seqs] == [3, 3]  # the skipped trial is left out
    tp = [math.log2(100 / (4.133 * sd) + 1) / mt for sd, mt in ((3, 0.4), (6, 0.8))]
    assert [s["throughput_bps"] for s in seqs] == [round(x, 4) for x in tp]
    assert b["pointing"]["throughput_bps"] == round(sum(tp) / 2, 4)
    (typed,) = b["typing"]["trials"]
    assert set(typed) >= {
        "presented",
        "transcribed",
        "wpm",
        "msd_error_rate",
        "kspc",
        "total_error_rate",
        "corrected_error_rate",
        "uncorrected_error_rate",
    }
    expected = measures.typing_trial("abc", list("abx\bc"), [0, 0, 0, 0, 2000])
    assert typed["wpm"] == round(expected.wpm or 0, 3)
    assert typed["kspc"] == round(expected.kspc or 0, 4)
    assert len(task_result_lines(b)) == 2
    groups = results.by_condition(trials)
    assert [(g["task"], g["condition"], g["sequences"], g["phrases"]) for g in groups] == [
        ("point", "mouse", 2, 0),
        ("type", "", 0, 1),
    ]


def test_no_trials_no_blocks() -> None:
    assert results.blocks([]) == {}
    assert task_result_lines({}) == []


def test_a_task_run_twice_never_pools_its_runs_sequences() -> None:
    """Run again (same session) or pooled from two sessions, sequence 1 is two sequences."""
    first = [tap(1, k, d, k * 10**9, 400) for k, d in enumerate((-3, 0, 3), 1)]
    second = [tap(1, k, d, 100 * 10**9 + k * 10**9, 900) for k, d in enumerate((-9, 2, 9), 1)]

    def alone(trials: list[dict]) -> measures.PointingSequence:
        return results.pointing_sequences(trials)[0][1]

    expected = [alone(first), alone(second)]
    assert [s for _, s in results.pointing_sequences(first + second)] == expected
    elsewhere = [{**t, "session": "b"} for t in second]
    assert [
        s for _, s in results.pointing_sequences([{**t, "session": "a"} for t in first] + elsewhere)
    ] == expected
    (row,) = results.by_condition(second + first)
    assert row["sequences"] == 2
    assert math.isclose(row["throughput_bps"], measures.mean_throughput(expected) or math.nan)
