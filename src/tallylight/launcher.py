"""The ``tallylight`` entry point: a helper role, the CLI, or the tray app when no command is given.

The one module outside ``tallylight.ui`` that may reach Qt, and only lazily:
the CLI itself stays Qt-free (the import-linter contract covers it). In a frozen app
this is also how the app re-enters itself as its own helpers (``tallylight --recorder``,
see :mod:`tallylight.reentry`), so those are dispatched first, before anything heavy loads.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Sequence


def run_app(argv: list[str]) -> int:
    from tallylight.ui.app import main as app_main

    return int(app_main(argv) or 0)


def self_test() -> int:
    from tallylight.ui.selftest import main as selftest_main

    return selftest_main()


def run_task(task_id: str, study_id: str | None, device: str) -> int:
    from tallylight.ui.task_run import main as task_main

    return task_main(task_id, study_id, device)


def main(argv: Sequence[str] | None = None) -> int:
    multiprocessing.freeze_support()  # first: a frozen multiprocessing child must not start the app
    args = list(sys.argv[1:] if argv is None else argv)
    from tallylight import reentry

    code = reentry.dispatch(args)
    if code is not None:
        return code
    from tallylight.cli.main import main as cli_main

    return cli_main(args, run_app=run_app, self_test=self_test, run_task=run_task)


if __name__ == "__main__":
    sys.exit(main())
