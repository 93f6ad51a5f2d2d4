"""``tallylight doctor``: can capture work here, and if not, why not."""

from __future__ import annotations

import argparse

from tallylight.capture.probe import probe
from tallylight.cli.commands import help_for
from tallylight.errors import CaptureUnavailable
from tallylight.i18n import _
from tallylight.tasks import desktop


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("doctor", help=help_for("doctor"))
    parser.add_argument(
        "--timing",
        action="store_true",
        help=_(
            "also measure timing: press Shift and move the pointer for about 10 s (X11), "
            "record it, and compare with what was injected"
        ),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = probe()
    print(result.summary)
    for line in result.details:
        print(f"  - {line}")
    _task_kinds(result.status != "unavailable")
    if result.status == "unavailable":
        raise CaptureUnavailable(_("Recording is not possible here (see above)."))
    if result.status == "limited":
        print(_("Recording is possible but will miss some input (see above)."))
        return 1
    if args.timing:
        return _timing()
    return 0


def _task_kinds(global_capture: bool) -> None:
    """Which study task kinds work here (docs/TASKS.md): free ones need global capture."""
    window, why = desktop.window_tasks()
    print(_("Study tasks:"))
    if global_capture:
        print("  - " + _("free tasks (global capture): available"))
    else:
        print("  - " + _("free tasks (global capture): not available here"))
    if window:
        print("  - " + _("typing and pointing tasks: available ({why})").format(why=_(why)))
    else:
        print("  - " + _("typing and pointing tasks: not available ({why})").format(why=_(why)))


def _timing() -> int:
    """0 when recorded intervals are within 1 ms at p99, 1 when coarser."""
    from tallylight.recorder import selftest

    why = selftest.injection_possible()
    if why:
        raise CaptureUnavailable(why)
    print(
        _(
            "Timing self-test: for about 10 seconds Tallylight presses Shift and moves the "
            "pointer; please do not type or move the mouse meanwhile. Nothing is stored."
        ),
        flush=True,
    )
    report = selftest.run()
    for line in report.lines():
        print(f"  {line}")
    return 0 if report.good else 1
