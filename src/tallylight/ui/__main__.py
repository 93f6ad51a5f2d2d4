"""``python -m tallylight.ui`` runs the tray app (same as ``tallylight`` with no subcommand)."""

import sys

from tallylight.ui.app import main

raise SystemExit(main(sys.argv[1:]))
