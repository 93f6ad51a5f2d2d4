"""The pointing layout (ISO 9241-9 circle) and the typing order: seeded, on screen, as documented."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tallylight.errors import TaskError
from tallylight.study.manifest import PointingTask, TypingTask
from tallylight.tasks import layout


def spec(**kw: object) -> PointingTask:
    base: dict[str, object] = dict(
        amplitudes=(256.0, 512.0),
        amplitude_unit="px",
        widths=(32.0, 64.0),
        width_unit="px",
        targets_per_circle=9,
        sequences_per_condition=2,
        seed=7,
        devices=(),
    )
    base.update(kw)
    return PointingTask(**base)  # type: ignore[arg-type]


@st.composite
def designs(draw: st.DrawFn) -> tuple[PointingTask, int, int]:
    w, h = draw(st.integers(200, 4000)), draw(st.integers(200, 4000))
    room = min(w, h)
    amps = draw(st.lists(st.integers(20, room - 10), min_size=1, max_size=3, unique=True))
    widths = draw(st.lists(st.integers(1, 10), min_size=1, max_size=3, unique=True))
    n = draw(st.integers(1, 12)) * 2 + 1
    p = spec(
        amplitudes=tuple(float(a) for a in amps),
        widths=tuple(float(x) for x in widths),
        targets_per_circle=n,
        sequences_per_condition=draw(st.integers(1, 3)),
        seed=draw(st.none() | st.integers(0, 1 << 40)),
    )
    return p, w, h


@given(designs())
def test_every_sequence_visits_each_target_once_across_the_circle(
    design: tuple[PointingTask, int, int],
) -> None:
    p, w, h = design
    targets = layout.pointing_layout(p, w, h)
    n = p.targets_per_circle
    conditions = len(p.amplitudes) * len(p.widths)
    assert len(targets) == conditions * p.sequences_per_condition * (n + 1)
    assert targets == layout.pointing_layout(p, w, h)  # same seed, same layout
    for seq in range(1, conditions * p.sequences_per_condition + 1):
        mine = [t for t in targets if t.sequence == seq]
        assert [t.trial for t in mine] == list(range(n + 1))
        assert sorted(t.position for t in mine[1:]) == list(range(n))
        assert mine[0].position == mine[-1].position
        for t in mine:
            assert math.isclose(math.hypot(t.x - w / 2, t.y - h / 2), t.amplitude / 2, abs_tol=1e-6)
            assert t.x - t.width / 2 >= 0
            assert t.x + t.width / 2 <= w
            assert t.y - t.width / 2 >= 0
            assert t.y + t.width / 2 <= h
        for a, b in itertools.pairwise(mine):  # each jump nearly crosses the circle
            chord = a.amplitude * math.cos(math.pi / (2 * n))
            assert math.isclose(math.hypot(b.x - a.x, b.y - a.y), chord, rel_tol=1e-9)
    seen = {(t.amplitude, t.width) for t in targets}
    assert seen == {(a, x) for a in p.amplitudes for x in p.widths}


def test_without_a_seed_the_conditions_come_as_written_and_the_seed_reorders_them() -> None:
    assert layout.conditions(spec(seed=None)) == [(256, 32), (256, 64), (512, 32), (512, 64)]
    orders = {tuple(layout.conditions(spec(seed=s))) for s in range(20)}
    assert len(orders) > 1


def test_millimetres_use_the_dpi_and_need_it() -> None:
    p = spec(widths=(5.08,), width_unit="mm", amplitudes=(100.0,))
    assert layout.pointing_layout(p, 800, 600, dpi=100)[0].width == pytest.approx(20)
    with pytest.raises(TaskError, match="DPI"):
        layout.pointing_layout(p, 800, 600)


def test_a_design_that_does_not_fit_the_screen_says_so() -> None:
    with pytest.raises(TaskError, match="does not fit"):
        layout.pointing_layout(spec(amplitudes=(700.0,)), 1280, 720)


def test_typing_order_repeats_and_shuffles_by_seed() -> None:
    t = TypingTask(("a", "b", "c"), 2, None)
    assert layout.typing_phrases(t) == ("a", "b", "c", "a", "b", "c")
    shuffled = layout.typing_phrases(TypingTask(("a", "b", "c"), 2, 5))
    assert sorted(shuffled) == ["a", "a", "b", "b", "c", "c"]
    assert shuffled == layout.typing_phrases(TypingTask(("a", "b", "c"), 2, 5))
