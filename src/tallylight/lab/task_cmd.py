"""``tallylight-lab task layout MANIFEST TASK_ID --screen WxH [--dpi N] [--json]``.

Prints what the task window will present on a full screen of that size — the same code and
seed as the window (:mod:`tallylight.tasks.layout`) — so a researcher can check a design
before sending the manifest. The manifest may be signed or not yet signed.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from tallylight.errors import UsageError
from tallylight.lab.manifest_cmd import _read
from tallylight.study import manifest, signing
from tallylight.tasks import layout

_SCREEN = re.compile(r"^([1-9][0-9]{0,5})[x×]([1-9][0-9]{0,5})$")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("task", help="check a study task's design")
    actions = p.add_subparsers(dest="task_command", metavar="ACTION", required=True)
    lay = actions.add_parser(
        "layout",
        help="the targets (or phrases) a task presents, in order, on a screen of a given size",
        description="Print the targets of a pointing task in screen pixels and presentation order "
        "(or the phrases of a typing task), exactly as the task window shows them full screen.",
    )
    lay.add_argument("file", metavar="MANIFEST", type=Path)
    lay.add_argument("task_id", metavar="TASK_ID")
    lay.add_argument("--screen", metavar="WxH", required=True, type=_screen, help="e.g. 1920x1080")
    lay.add_argument("--dpi", metavar="N", type=_dpi, help="the screen's physical DPI (for sizes in mm)")
    lay.add_argument("--json", action="store_true", help="machine-readable output")
    lay.set_defaults(func=cmd_layout)


def _screen(text: str) -> tuple[int, int]:
    match = _SCREEN.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a screen size such as 1920x1080")
    return int(match[1]), int(match[2])


def _dpi(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 10 <= value <= 10_000:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{text!r} is not a DPI between 10 and 10000")
    return value


def cmd_layout(args: argparse.Namespace) -> int:
    m = manifest.parse(signing.split(_read(Path(args.file))).body)
    task = m.task(args.task_id)
    width, height = args.screen
    if task.pointing is not None:
        targets = layout.pointing_layout(task.pointing, width, height, args.dpi)
        if args.json:
            print(json.dumps({"targets": [t.as_json() for t in targets]}, indent=1))
        else:
            print(f"{task.id}: {len(targets)} targets on a {width}×{height} screen")
            print(f"{'seq':>4} {'trial':>5} {'x':>9} {'y':>9} {'width':>7} {'amplitude':>9}")
            for t in targets:
                row = f"{t.sequence:>4} {t.trial:>5} {t.x:>9.1f} {t.y:>9.1f}"
                print(f"{row} {t.width:>7.1f} {t.amplitude:>9.1f}")
        return 0
    if task.typing is not None:
        phrases = layout.typing_phrases(task.typing)
        if args.json:
            print(json.dumps({"phrases": list(phrases)}, indent=1, ensure_ascii=False))
        else:
            for i, phrase in enumerate(phrases, 1):
                print(f"{i:>4}  {phrase}")
        return 0
    raise UsageError(
        f"Task {task.id!r} is a free task: it has no layout (only typing and pointing tasks do)."
    )
