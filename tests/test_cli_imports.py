"""A command loads only its own module (issue 16: the fast loop, and every CLI call).

The dispatcher lists every command but imports just the one that runs: the others
bring numpy, the bundle and the study code (about 0.6 s of CPU in each
process, and in each test that calls ``main``). Like tests/test_start_imports.py for the
tray app, a fresh interpreter runs the dispatcher and prints what it loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

#: run main(ARGS) and print the modules loaded by then, whatever its exit
PROBE = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted(sys.modules))))
from tallylight.cli.main import main
sys.exit(main(ARGS))
"""

#: what neither --version nor status needs
HEAVY = (
    "numpy",
    "pyarrow",
    "tallylight.share",
    "tallylight.share.bundle",
    "tallylight.study.enrolment",
    "tallylight.review",
    "tallylight.cli.sessions_cmd",
    "tallylight.cli.record_cmd",
    "tallylight.cli.study_cmd",
    "tallylight.cli.share_cmd",
)


def loaded(args: list[str]) -> tuple[int, set[str], str]:
    code = PROBE.replace("ARGS", repr(args))
    proc = subprocess.run(
        [sys.executable, "-c", code], env=dict(os.environ), capture_output=True, text=True, timeout=120
    )
    return proc.returncode, set(json.loads(proc.stdout.splitlines()[-1])), proc.stdout + proc.stderr


def test_version_and_help_load_no_command() -> None:
    status, modules, out = loaded(["--version", "--help"])
    assert status == 0
    assert "tallylight" in out
    assert sorted(m for m in HEAVY if m in modules) == []


def test_status_loads_only_its_own_module() -> None:
    """No app runs here, so status ends in a sentence (not a traceback), having loaded
    app_cmd and nothing heavy."""
    status, modules, out = loaded(["status"])
    assert status != 0
    assert "Traceback" not in out
    assert "tallylight.cli.app_cmd" in modules
    assert sorted(m for m in HEAVY if m in modules) == []


def test_help_lists_every_command() -> None:
    from tallylight.cli.commands import COMMANDS
    from tallylight.cli.main import build_parser

    listing = build_parser([]).format_help()
    assert [name for name in COMMANDS if name not in listing] == []


def test_each_command_registers_what_the_table_says() -> None:
    """The table and the modules agree: each module registers exactly its commands."""
    import argparse
    import importlib

    from tallylight.cli.commands import COMMANDS

    for module_name in sorted({m for m, _h in COMMANDS.values()}):
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        importlib.import_module(f"tallylight.cli.{module_name}").register(sub)
        assert set(sub.choices) == {n for n, (m, _h) in COMMANDS.items() if m == module_name}
