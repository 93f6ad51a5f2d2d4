"""A manifest with a typing and a pointing task, for the task tests (``from task_helpers import ...``)."""

from __future__ import annotations

TASKS_TOML = """
[[tasks]]
id = "point"
title = "Click the circles"
instructions = "Click each highlighted circle as quickly and accurately as you can."
kind = "pointing"
amplitudes_px = [256, 512]
widths_px = [32, 64]
targets_per_circle = 5
sequences_per_condition = 1
seed = 7
devices = ["mouse", "trackpad"]
show_results = true

[[tasks]]
id = "type"
title = "Copy the phrases"
instructions = "Type each phrase as shown, then press Enter."
kind = "typing"
phrases = ["the quick brown fox", "hello world"]
repetitions = 1
seed = 3
show_results = true

"""


def with_tasks(body: bytes, extra: str = TASKS_TOML) -> bytes:
    """A manifest body with the task blocks added before its [data] table."""
    assert b"\n[data]" in body
    return body.replace(b"\n[data]", ("\n" + extra + "[data]").encode(), 1)
