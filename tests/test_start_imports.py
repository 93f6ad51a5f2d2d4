"""The tray app starts without loading what only the commands need (issue 18: cold start).

``tallylight`` with no command goes straight to the app: the command-line parser, its
commands and what they bring (numpy, the bundle and study code) cost about as much CPU
as the rest of the start to a visible tray light (benchmarks/bench_package.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

#: the launcher as the ``tallylight`` script runs it, with the app itself left out; the
#: modules loaded by then are printed last, at exit
PROBE = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted(sys.modules))))
from tallylight import launcher
launcher.run_app = lambda argv: 0
sys.exit(launcher.main(ARGS))
"""

#: never loaded before the tray app runs (each is a command's, or numpy's)
NOT_AT_START = (
    "numpy",
    "tallylight.cli.sessions_cmd",
    "tallylight.cli.record_cmd",
    "tallylight.cli.study_cmd",
    "tallylight.share.bundle",
    "tallylight.review",
    "ctypes.util",  # find_library runs ldconfig in a child process
)


def loaded(args: list[str]) -> set[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")  # no display needed: the app is left out
    code = PROBE.replace("ARGS", repr(args))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_the_tray_app_starts_without_the_commands() -> None:
    modules = loaded([])
    assert "tallylight.launcher" in modules
    assert sorted(m for m in NOT_AT_START if m in modules) == []


def test_a_command_still_gets_its_parser() -> None:
    """The other way round: the probe sees the commands load when one is asked for."""
    modules = loaded(["sessions", "--help"])
    assert "tallylight.cli.sessions_cmd" in modules
