"""The ``tallylight-lab`` console script.

Errors become messages in one place, shared with ``tallylight``
(:func:`tallylight.dispatch.run_guarded`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from tallylight import __version__
from tallylight.dispatch import run_guarded
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
    return run_guarded("tallylight-lab", lambda: args.func(args))


if __name__ == "__main__":
    sys.exit(main())
