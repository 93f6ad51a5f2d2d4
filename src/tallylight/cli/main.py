"""The ``tallylight`` command: the participant's CLI, and the tray app with no arguments.

A :class:`TallylightError` becomes a message on stderr and an exit status in one
place, :func:`tallylight.dispatch.run_guarded` (shared with ``tallylight-lab``);
anything else escaping is a bug, reported as one.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from tallylight import __version__
from tallylight.cli.commands import COMMANDS, help_for
from tallylight.dispatch import run_guarded
from tallylight.errors import UsageError
from tallylight.i18n import _


def build_parser(args: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser for ``args``: every command is listed, but only the module of the one
    that ``args`` names is imported and registers its full parser.

    The commands bring numpy, the bundle code and the study code (about 0.6 s of CPU per
    process); ``--version``, ``--help`` or ``status`` need none of that.
    """
    from tallylight.cli import argparse_words

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
    chosen = _command_named(args)
    chosen_module = COMMANDS[chosen][0] if chosen else None
    for name, (module_name, _help) in COMMANDS.items():
        if module_name != chosen_module:  # listed for --help and argparse's choices; never parsed
            sub.add_parser(name, help=help_for(name))
        elif name == next(n for n, (m, _h) in COMMANDS.items() if m == module_name):
            # the module registers all its commands (in table order) at its first
            importlib.import_module(f"tallylight.cli.{module_name}").register(sub)
    return parser


def _command_named(args: Sequence[str]) -> str | None:
    """The command ``args`` asks for: the first word that is not an option (the
    top-level options take no value)."""
    for arg in args:
        if arg == "--":
            continue
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


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
    parser = build_parser(args_list)
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
