"""The one place a command's outcome becomes a message and an exit status (both console scripts).

A :class:`TallylightError` is a sentence on stderr and its exit code; Ctrl-C and a
closed pipe are quiet; anything else is a bug, reported as one. Imports nothing
of capture, recorder or UI, so ``tallylight-lab`` can use it too.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

from tallylight import words
from tallylight.errors import TallylightError
from tallylight.i18n import _


def run_guarded(prog: str, command: Callable[[], int | None]) -> int:
    """Run ``command``; never a traceback for an expected failure."""
    try:
        return int(command() or 0)
    except TallylightError as exc:
        print(f"{prog}: {words.printable(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(_("{prog}: interrupted.").format(prog=prog), file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception:  # noqa: BLE001 - the last line of defence: say it is our bug
        traceback.print_exc(file=sys.stderr)
        print(
            _("{prog}: this is a bug in Tallylight; please report the lines above.").format(prog=prog),
            file=sys.stderr,
        )
        return 70
