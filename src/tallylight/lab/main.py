"""The ``tallylight-lab`` console script.

The one place where a :class:`TallylightError` becomes a message on stderr and
an exit status for the researcher's CLI; anything else escaping is a bug.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from tallylight import __version__
from tallylight.errors import TallylightError
from tallylight.lab.commands import COMMAND_MODULES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tallylight-lab",
        description="The researcher's side of Tallylight: keys, signed study manifests, bundles.",
    )
    parser.add_argument("--version", action="version", version=f"tallylight-lab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        return int(args.func(args) or 0)
    except TallylightError as exc:
        print(f"tallylight-lab: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("tallylight-lab: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception:  # noqa: BLE001 - the last line of defence: say it is our bug
        traceback.print_exc(file=sys.stderr)
        print("tallylight-lab: this is a bug in Tallylight; please report the lines above.", file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
