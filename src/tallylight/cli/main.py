"""The ``tallylight`` command: the participant's CLI, and the tray app with no arguments.

This is the one place where :class:`TallylightError` becomes a message on stderr
and an exit status; anything else escaping is a bug, reported as one.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from typing import Sequence

from tallylight import __version__
from tallylight.errors import TallylightError
from tallylight.cli import app_cmd, doctor_cmd, record_cmd, sessions_cmd


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tallylight",
        description="Record keyboard and mouse dynamics for a research study — only while you say so.",
        epilog="With no command, the tray app starts.",
    )
    parser.add_argument("--version", action="version", version=f"tallylight {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in (record_cmd, app_cmd, sessions_cmd, doctor_cmd):
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(args_list)
    try:
        if args.command is None:
            return _run_app(args_list)
        return int(args.func(args) or 0)
    except TallylightError as exc:
        print(f"tallylight: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("tallylight: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception:  # noqa: BLE001 - the last line of defence: say it is our bug
        traceback.print_exc(file=sys.stderr)
        print("tallylight: this is a bug in Tallylight; please report the lines above.", file=sys.stderr)
        return 70


def _run_app(argv: list[str]) -> int:
    from tallylight.ui.app import main as app_main  # Qt only from here on

    return int(app_main(argv) or 0)


if __name__ == "__main__":
    sys.exit(main())

