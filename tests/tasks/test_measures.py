"""The task measures against plain reference implementations written from the papers' formulas.

The module computes the projection with the law of cosines (as MacKenzie's FittsTaskTwo does) and
MSD with a two-row dynamic programme; the references here use a dot product, the statistics
module's textbook forms and a memoised recursive MSD, so one cannot inherit the other's mistake.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from tallylight.tasks import measures
from tallylight.tasks.measures import BACKSPACE, PointingTrial


def close(a: float | None, b: float | None, rel: float = 1e-9, abs_: float = 1e-9) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


# ---------------------------------------------------------------- pointing reference


def ref_dx(t: PointingTrial) -> tuple[float, float]:
    ax, ay = t.to_x - t.from_x, t.to_y - t.from_y
    length = math.sqrt(ax * ax + ay * ay)
    ux, uy = ax / length, ay / length
    return length, (t.select_x - t.to_x) * ux + (t.select_y - t.to_y) * uy


def ref_sequence(trials: list[PointingTrial]) -> dict[str, float | None]:
    pairs = [ref_dx(t) for t in trials]
    n = len(trials)
    dxs = [dx for _, dx in pairs]
    mean_dx = sum(dxs) / n
    sd = math.sqrt(sum((d - mean_dx) ** 2 for d in dxs) / (n - 1))
    we = 4.133 * sd
    ae = sum(a + dx for a, dx in pairs) / n
    mt = sum(t.movement_time_ms for t in trials) / n
    ide = math.log2(ae / we + 1) if we > 1e-3 and ae / we + 1 > 1e-3 else None
    return {
        "we": we,
        "ae": ae,
        "ide": ide,
        "mt": mt,
        "tp": ide / (mt / 1000) if ide is not None else None,
        "errors": sum(1 for t in trials if not t.hit) / n,
    }


coord = st.floats(-3000, 3000, allow_nan=False)
offset = st.floats(-80, 80, allow_nan=False)


@st.composite
def trial(draw: st.DrawFn) -> PointingTrial:
    fx, fy, tx, ty = draw(coord), draw(coord), draw(coord), draw(coord)
    assume(math.hypot(tx - fx, ty - fy) >= 20)
    return PointingTrial(
        fx, fy, tx, ty, tx + draw(offset), ty + draw(offset), draw(st.floats(50, 5000)), draw(st.booleans())
    )


@given(st.lists(trial(), min_size=2, max_size=30))
def test_pointing_sequence_matches_the_reference(trials: list[PointingTrial]) -> None:
    got = measures.pointing_sequence(100, 10, trials)
    ref = ref_sequence(trials)
    assume(ref["we"] is not None and ref["we"] > 1e-3)  # no spread at all: IDe is undefined (tested below)
    assert close(got.effective_width_px, ref["we"], rel=1e-6, abs_=1e-6)
    assert close(got.effective_amplitude_px, ref["ae"], rel=1e-6, abs_=1e-6)
    assert close(got.movement_time_ms, ref["mt"])
    assert close(got.error_rate, ref["errors"])
    if ref["ide"] is not None:
        assert close(got.effective_id_bits, ref["ide"], rel=1e-5, abs_=1e-6)
        assert close(got.throughput_bps, ref["tp"], rel=1e-5, abs_=1e-6)


def test_pointing_known_answer() -> None:
    """Along the x axis, selections 2 px short, on and 2 px past the centre: SDx = 2, Ae = 100."""
    trials = [PointingTrial(0, 0, 100, 0, 100 + d, 3, 500, abs(d) < 2) for d in (-2, 0, 2)]
    seq = measures.pointing_sequence(100, 4, trials)
    assert close(seq.effective_width_px, 4.133 * 2)
    assert close(seq.effective_amplitude_px, 100)
    assert close(seq.effective_id_bits, math.log2(100 / 8.266 + 1))
    assert close(seq.throughput_bps, math.log2(100 / 8.266 + 1) / 0.5)
    assert close(seq.error_rate, 2 / 3)


def test_undefined_measures_are_none_not_errors() -> None:
    one = [PointingTrial(0, 0, 100, 0, 100, 0, 400, True)]
    seq = measures.pointing_sequence(100, 4, one)
    assert seq.effective_width_px is None
    assert seq.effective_id_bits is None
    assert seq.throughput_bps is None
    same = one * 3  # no spread: We = 0
    assert measures.pointing_sequence(100, 4, same).throughput_bps is None
    assert measures.mean_throughput([seq]) is None


@given(st.lists(st.floats(0.01, 50), min_size=1, max_size=20))
def test_throughput_is_the_mean_of_sequence_means(tps: list[float]) -> None:
    seqs = [measures.PointingSequence(100, 10, 9, 10, 100, 3, 1000 / tp * 3, tp, 0.0) for tp in tps]
    assert close(measures.mean_throughput(seqs), sum(tps) / len(tps))


# ---------------------------------------------------------------- typing reference


def ref_msd(a: str, b: str) -> int:
    @functools.cache
    def d(i: int, j: int) -> int:
        if i == 0:
            return j
        if j == 0:
            return i
        return min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))

    return d(len(a), len(b))


def ref_typing(
    presented: str, stream: list[str], times: list[float]
) -> dict[str, Any]:  # the text, and figures or None
    text = ""
    for key in stream:
        text = text[:-1] if key == BACKSPACE else text + key
    msd = ref_msd(presented, text)
    c = max(len(presented), len(text)) - msd
    inf = msd
    f = stream.count(BACKSPACE)
    if_ = len(stream) - len(text) - f
    s = (max(times) - min(times)) / 1000
    return {
        "transcribed": text,
        "wpm": (len(text) - 1) / s * 60 / 5 if s > 0 and text else None,
        "msd_error_rate": msd / max(len(presented), len(text)),
        "kspc": (c + inf + if_ + f) / (c + inf),
        "total": (inf + if_) / (c + inf + if_),
        "corrected": if_ / (c + inf + if_),
        "uncorrected": inf / (c + inf + if_),
    }


keys = st.lists(st.sampled_from(["a", "b", "c", " ", BACKSPACE]), min_size=1, max_size=40)


@given(st.text("abc ", min_size=1, max_size=20), keys, st.data())
def test_typing_trial_matches_the_reference(presented: str, stream: list[str], data: st.DataObject) -> None:
    gaps = data.draw(st.lists(st.floats(0, 2000), min_size=len(stream), max_size=len(stream)))
    times = [sum(gaps[: i + 1]) for i in range(len(gaps))]
    got = measures.typing_trial(presented, stream, times)
    ref = ref_typing(presented, stream, times)
    assert got.transcribed == ref["transcribed"]
    assert close(got.wpm, ref["wpm"], rel=1e-9)
    assert close(got.msd_error_rate, ref["msd_error_rate"])
    assert close(got.kspc, ref["kspc"])
    assert close(got.total_error_rate, ref["total"])
    assert close(got.corrected_error_rate, ref["corrected"])
    assert close(got.uncorrected_error_rate, ref["uncorrected"])
    assert got.total_error_rate == got.corrected_error_rate + got.uncorrected_error_rate or close(
        got.total_error_rate, got.corrected_error_rate + got.uncorrected_error_rate
    )


@given(st.text(max_size=12), st.text(max_size=12))
def test_msd_matches_the_recursive_definition(a: str, b: str) -> None:
    assert measures.msd(a, b) == ref_msd(a, b)


def test_typing_known_answers() -> None:
    """A fixed error (x erased) and an unfixed one (a transposition), classes by hand."""
    fixed = measures.typing_trial("abc", ["a", "b", "x", BACKSPACE, "c"], [0, 100, 200, 300, 400])
    assert fixed.transcribed == "abc"
    assert (fixed.correct, fixed.incorrect_not_fixed) == (3, 0)
    assert (fixed.incorrect_fixed, fixed.fixes) == (1, 1)
    assert close(fixed.total_error_rate, 0.25)
    assert close(fixed.corrected_error_rate, 0.25)
    assert close(fixed.kspc, 5 / 3)
    assert close(fixed.wpm, 2 / 0.4 * 12)
    swapped = measures.typing_trial("quick", list("quikc"), [0, 250, 500, 750, 1000])
    assert swapped.incorrect_not_fixed == 2
    assert close(swapped.msd_error_rate, 0.4)
    assert close(swapped.uncorrected_error_rate, 0.4)
    assert swapped.corrected_error_rate == 0
    assert close(swapped.wpm, 4 / 1 * 12)
    assert measures.typing_trial("a", ["a"], [5]).wpm is None  # one keystroke: no time span
