"""The ``tallylight`` command: the participant's CLI, and the tray app with no arguments.

A :class:`TallylightError` becomes a message on stderr and an exit status in one
place, :func:`tallylight.dispatch.run_guarded` (shared with ``tallylight-lab``);
anything else escaping is a bug, reported as one.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from tallylight import __version__
from tallylight.dispatch import run_guarded
from tallylight.errors import UsageError
from tallylight.i18n import _


def build_parser() -> argparse.ArgumentParser:
    # the commands are imported here, not at the top: the tray app (no command) needs none
    # of them, and they bring numpy, the bundle code and the study code (a slower start)
    from tallylight.cli import (
        app_cmd,
        argparse_words,
        doctor_cmd,
        record_cmd,
        sessions_cmd,
        share_cmd,
        study_cmd,
    )

    argparse_words.install()
    parser = argparse.ArgumentParser(
        prog="tallylight",
        description=_("Record keyboard and mouse dynamics for a research study — only while you say so."),
        epilog=_("With no command, the tray app starts."),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"tallylight {__version__}",
        help=_("show program's version number and exit"),
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help=_("check this installation (capture backends, tray, recorder, capture probe); records nothing"),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in (record_cmd, app_cmd, sessions_cmd, study_cmd, share_cmd, doctor_cmd):
        command.register(sub)
    return parser


def main(
    argv: Sequence[str] | None = None,
    run_app: Callable[[list[str]], int] | None = None,
    self_test: Callable[[], int] | None = None,
    run_task: Callable[[str, str | None, str], int] | None = None,
) -> int:
    """Run one command; with none, ``run_app`` (the tray app, given by the launcher);
    ``--self-test`` runs ``self_test`` (Qt's, also given by the launcher)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list and run_app is not None:  # the tray app: straight to it, no parser to build

        def run_tray_app() -> int:
            _require_display()
            return run_app(args_list)

        return run_guarded("tallylight", run_tray_app)
    parser = build_parser()
    args = parser.parse_args(args_list)

    def run() -> int:
        if args.self_test:
            if self_test is None:
                raise UsageError(_("--self-test needs the app (run it as 'tallylight --self-test')."))
            _require_display()
            return self_test()
        if args.command is None:
            if run_app is None:
                parser.print_help()
                return 2
            _require_display()
            return run_app(args_list)
        if getattr(args, "app_command", None) == "task-run":
            if run_task is None:
                raise UsageError(_("'task run' needs the app (run it as 'tallylight task run')."))
            _require_display()
            return run_task(args.task, args.study, args.device)
        return int(args.func(args) or 0)

    return run_guarded("tallylight", run)


def _require_display() -> None:
    """Qt aborts the process without a display; say it in a sentence instead."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise UsageError(
            _(
                "No graphical display was found, so the tray app cannot show its tally light. "
                "Start it from your desktop session, or use 'tallylight record' in a terminal."
            )
        )


if __name__ == "__main__":
    sys.exit(main())
