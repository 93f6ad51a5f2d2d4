"""Parsing durations such as ``30s``, ``5m``, ``1h30m`` or ``90`` (seconds)."""

from __future__ import annotations

import re

from tallylight.errors import UsageError
from tallylight.i18n import _

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Seconds in ``text``; raises UsageError with an example for anything else."""
    value = text.strip().lower().replace(" ", "")
    if not value:
        raise UsageError(_("A duration is empty; write it like 30s, 5m or 1h30m."))
    try:
        seconds = float(value)
    except ValueError:
        pos = 0
        seconds = 0.0
        for match in _PART.finditer(value):
            if match.start() != pos:
                break
            seconds += float(match.group(1)) * _UNITS[match.group(2)]
            pos = match.end()
        if pos != len(value) or pos == 0:
            raise UsageError(
                _("Cannot read the duration {text!r}; write it like 30s, 5m or 1h30m.").format(text=text)
            ) from None
    if not 0 < seconds < 7 * 24 * 3600 or seconds != seconds:
        raise UsageError(
            _("The duration {text!r} must be more than 0 and less than a week.").format(text=text)
        )
    return seconds
