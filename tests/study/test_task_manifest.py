"""Task kinds in the manifest: parsed strictly, each bad field named (docs/STUDY.md, docs/TASKS.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from study_helpers import body, signed

from tallylight.errors import ManifestError
from tallylight.study import manifest
from tallylight.tasks import layout
from task_helpers import TASKS_TOML, with_tasks


def test_typing_and_pointing_tasks_are_read_and_free_stays_the_default() -> None:
    m = manifest.parse(with_tasks(body()))
    free, point, typing = m.tasks
    assert free.kind == "free"
    assert not free.in_window
    assert free.pointing is None
    assert free.typing is None
    assert point.kind == "pointing"
    assert point.in_window
    assert point.show_results
    assert point.pointing == manifest.PointingTask(
        amplitudes=(256.0, 512.0),
        amplitude_unit="px",
        widths=(32.0, 64.0),
        width_unit="px",
        targets_per_circle=5,
        sequences_per_condition=1,
        seed=7,
        devices=("mouse", "trackpad"),
    )
    assert typing.typing == manifest.TypingTask(("the quick brown fox", "hello world"), 1, 3)


def test_sizes_in_millimetres() -> None:
    toml = TASKS_TOML.replace("widths_px = [32, 64]", "widths_mm = [4.5, 9]")
    point = manifest.parse(with_tasks(body(), toml)).task("point").pointing
    assert point is not None
    assert point.widths == (4.5, 9.0)
    assert point.width_unit == "mm"


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('kind = "pointing"', 'kind = "drawing"', "tasks[1].kind"),
        ("targets_per_circle = 5", "targets_per_circle = 6", "tasks[1].targets_per_circle"),
        ("targets_per_circle = 5", "targets_per_circle = 1", "tasks[1].targets_per_circle"),
        ("widths_px = [32, 64]", "widths_px = [32, 64]\nwidths_mm = [4]", "tasks[1].widths_mm"),
        ("widths_px = [32, 64]", "", "tasks[1].widths_px"),
        ("widths_px = [32, 64]", "widths_px = []", "tasks[1].widths_px"),
        ("widths_px = [32, 64]", "widths_px = [32, -1]", "tasks[1].widths_px[1]"),
        ("widths_px = [32, 64]", "widths_px = [32, nan]", "tasks[1].widths_px[1]"),
        ("amplitudes_px = [256, 512]", "amplitudes_px = [256, 256]", "tasks[1].amplitudes_px"),
        ("sequences_per_condition = 1", "sequences_per_condition = 0", "tasks[1].sequences_per_condition"),
        ('devices = ["mouse", "trackpad"]', 'devices = ["mouse", "mouse"]', "tasks[1].devices"),
        ("seed = 7", "seed = -1", "tasks[1].seed"),
        ("show_results = true\n\n[[tasks]]", 'show_results = "yes"\n\n[[tasks]]', "tasks[1].show_results"),
        ('phrases = ["the quick brown fox", "hello world"]', "phrases = []", "tasks[2].phrases"),
        ('"hello world"]', '"hello\\nworld"]', "tasks[2].phrases[1]"),
        ("repetitions = 1", "repetitions = 0", "tasks[2].repetitions"),
        ("repetitions = 1", "", "tasks[2].repetitions"),
        # a field of another kind is refused, so a typo in `kind` cannot hide a design
        ("repetitions = 1", "repetitions = 1\ntargets_per_circle = 5", "tasks[2].targets_per_circle"),
    ],
)
def test_a_bad_task_field_is_named(old: str, new: str, field: str) -> None:
    assert old in TASKS_TOML
    with pytest.raises(ManifestError) as err:
        manifest.parse(with_tasks(body(), TASKS_TOML.replace(old, new, 1)))
    assert err.value.field == field, str(err.value)


def test_a_free_task_refuses_pointing_fields() -> None:
    extra = '[[tasks]]\nid = "x"\ntitle = "x"\ninstructions = "x"\ntargets_per_circle = 5\n\n'
    with pytest.raises(ManifestError) as err:
        manifest.parse(with_tasks(body(), extra))
    assert err.value.field == "tasks[1].targets_per_circle"


def test_lab_task_layout_prints_the_window_targets(tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    path.write_bytes(signed(with_tasks(body())))
    lab = [sys.executable, "-m", "tallylight.lab", "task", "layout", str(path)]
    done = subprocess.run([*lab, "point", "--screen", "1280x720", "--json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    p = manifest.parse(with_tasks(body())).task("point").pointing
    assert p is not None
    expected = [t.as_json() for t in layout.pointing_layout(p, 1280, 720)]
    assert json.loads(done.stdout) == {"targets": expected}
    assert set(expected[0]) == {"sequence", "trial", "x", "y", "width", "amplitude"}
    bad = subprocess.run([*lab, "point", "--screen", "300x200"], capture_output=True, text=True)
    assert bad.returncode != 0
    assert "does not fit" in bad.stderr
    assert "Traceback" not in bad.stderr
    free = subprocess.run([*lab, "copy-text", "--screen", "1280x720"], capture_output=True, text=True)
    assert free.returncode == 2
    assert "free task" in free.stderr
