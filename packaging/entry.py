"""The frozen app's entry script: the same launcher as the ``tallylight`` console script
(helper roles first, after ``multiprocessing.freeze_support()``; then the CLI or the tray app)."""

import sys

from tallylight.launcher import main

if __name__ == "__main__":
    sys.exit(main())
