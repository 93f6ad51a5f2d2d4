"""The GUI's failure path and key-mode choice under Qt's offscreen platform (no X server needed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tallylight.ui.tasks import BUG_WORDS

HERE = Path(__file__).resolve().parent


def test_failures_are_told_in_plain_words_offscreen() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    result = subprocess.run(
        [sys.executable, str(HERE / "offscreen_gui_check.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["platform"] == "offscreen"
    assert seen["expected"] == "The settings could not be saved (disk full)."
    assert seen["bug"] == BUG_WORDS
    assert seen["modes"] == ["none", "class", "hashed"]
