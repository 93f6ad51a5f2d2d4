"""``tallylight doctor``: can capture work here, and if not, why not."""

from __future__ import annotations

import argparse

from tallylight.capture.probe import probe
from tallylight.errors import CaptureUnavailable


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("doctor", help="check whether keyboard and mouse capture can work here")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = probe()
    print(result.summary)
    for line in result.details:
        print(f"  - {line}")
    if result.status == "unavailable":
        raise CaptureUnavailable("Recording is not possible here (see above).")
    if result.status == "limited":
        print("Recording is possible but will miss some input (see above).")
        return 1
    return 0
