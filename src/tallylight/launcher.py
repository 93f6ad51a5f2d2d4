"""The ``tallylight`` entry point: the CLI, or the tray app when no command is given.

The one module outside ``tallylight.ui`` that may reach Qt, and only lazily:
the CLI itself stays Qt-free (the import-linter contract covers it).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from tallylight.cli.main import main as cli_main


def run_app(argv: list[str]) -> int:
    from tallylight.ui.app import main as app_main

    return int(app_main(argv) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    return cli_main(argv, run_app=run_app)


if __name__ == "__main__":
    sys.exit(main())
