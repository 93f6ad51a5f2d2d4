"""JSON from outside (a socket, a pipe, a file someone may have edited) that can never crash or hang us.

``json.loads`` recurses once per nesting level: ``[[[[…`` 100,000 deep raises
RecursionError, which no caller expects, so it became a traceback or a hung
client. :func:`loads` refuses anything nested deeper than ``max_depth`` with a
plain ValueError (which every caller already handles) before parsing it.

The depth check is one pass over the text's brackets, quotes and backslashes
(each looked at once): a regex that first blanked out strings backtracked on
runs of escaped quotes, 19 s for 40,000 of them.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32
#: the only characters that change the depth or whether we are inside a string
_SPECIAL = re.compile(r'[\[\]{}"\\]')


class TooDeep(ValueError):
    """The JSON text nests arrays or objects deeper than allowed."""


def check_depth(text: str, max_depth: int = MAX_DEPTH) -> None:
    """TooDeep if ``text`` opens more than ``max_depth`` brackets at once (strings ignored); linear time."""
    depth = 0
    in_string = False
    skip_to = -1  # the character after a backslash inside a string is escaped
    for m in _SPECIAL.finditer(text):
        i = m.start()
        if i < skip_to:
            continue
        c = m.group()
        if in_string:
            if c == "\\":
                skip_to = i + 2
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            if depth > max_depth:
                raise TooDeep(f"the JSON is nested more than {max_depth} levels deep")
        elif c in "]}":
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
