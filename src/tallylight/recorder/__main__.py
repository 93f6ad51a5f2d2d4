"""``python -m tallylight.recorder``: the recorder process (see docs/CONTROL.md)."""

import sys

from tallylight.recorder.process import main

sys.exit(main())
