"""What a session holds, in numbers and plain words: Qt-free analysis over decoded columns.

Everything here works on :class:`tallylight.store.encoding.EventColumns` with numpy
and never imports Qt, so the review window, ``tallylight sessions summary`` and the
researcher's feature extraction compute the same numbers from the same functions.

- :mod:`.keystrokes` pairs key downs with ups by physical key (holds, down-down
  and up-down intervals);
- :mod:`.timeline` finds the stretches without capture (participant pauses,
  private-app gaps, cut spans, crashes), idle pauses and activity per second;
- :mod:`.pointer` measures the pointer path;
- :mod:`.summary` puts them together in a :class:`~.summary.Summary`.
"""

from tallylight.review.keystrokes import Keystrokes, key_intervals, pair_keys
from tallylight.review.pointer import path_length
from tallylight.review.summary import Summary, summarize
from tallylight.review.timeline import Stretch, activity_per_second, idle_pauses, no_capture_stretches

__all__ = [
    "Keystrokes",
    "Stretch",
    "Summary",
    "activity_per_second",
    "idle_pauses",
    "key_intervals",
    "no_capture_stretches",
    "pair_keys",
    "path_length",
    "summarize",
]
