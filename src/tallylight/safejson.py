"""JSON from outside (a socket, a pipe, a file someone may have edited) that can never crash or hang us.

``json.loads`` recurses once per nesting level: ``[[[[…`` 100,000 deep raises
RecursionError, which no caller expects, so it became a traceback or a hung
client. :func:`loads` refuses anything nested deeper than ``max_depth`` with a
plain ValueError (which every caller already handles) before parsing it.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class TooDeep(ValueError):
    """The JSON text nests arrays or objects deeper than allowed."""


def check_depth(text: str, max_depth: int = MAX_DEPTH) -> None:
    """TooDeep if ``text`` opens more than ``max_depth`` brackets at once (strings ignored)."""
    depth = 0
    for m in _BRACKET.finditer(_STRING.sub('""', text)):
        if m.group() in "[{":
            depth += 1
            if depth > max_depth:
                raise TooDeep(f"the JSON is nested more than {max_depth} levels deep")
        else:
            depth -= 1


def loads(data: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that raises ValueError (never RecursionError) for any bad input."""
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"the JSON is not UTF-8 ({exc.reason})") from None
    check_depth(data, max_depth)
    try:
        return json.loads(data)
    except RecursionError:  # a backstop: check_depth should make this impossible
        raise TooDeep("the JSON is nested too deeply") from None
