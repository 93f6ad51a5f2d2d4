"""``python -m tallylight.ui`` runs the tray app (same as ``tallylight`` with no subcommand)."""

import sys

from tallylight.errors import TallylightError
from tallylight.ui.app import main

try:
    sys.exit(main(sys.argv[1:]))
except TallylightError as exc:
    print(f"tallylight: {exc}", file=sys.stderr)
    sys.exit(exc.exit_code)
