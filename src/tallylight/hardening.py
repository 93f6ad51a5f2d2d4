"""Leave nothing readable behind: no core dumps while secrets are in memory, no secrets in children.

The recorder holds the session key and the hashed-mode key; the CLI and the app
hold the passphrase and the device private key while a vault is unlocked. A core
dump of any of them would write those to disk in the clear. So these processes
set ``RLIMIT_CORE`` to 0 (soft and hard: it cannot be raised again), on Linux
also ``PR_SET_DUMPABLE`` 0 (no core even with a core_pattern pipe, and no
ptrace attach by other processes of the same user), and ``chdir("/")`` (a core
or stray file never lands in the directory the participant started us from).
Child processes never inherit the passphrase from the environment.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Mapping
from typing import Any

PASSPHRASE_ENV = "TALLYLIGHT_PASSPHRASE"
#: environment variables that hold secrets (the passphrase; a session label, private to the
#: participant) and never reach a child process
SECRET_ENV = (PASSPHRASE_ENV, "TALLYLIGHT_LABEL")

_PR_GET_DUMPABLE = 3
_PR_SET_DUMPABLE = 4


def _prctl(option: int, arg: int = 0) -> int | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        # the process's own symbols, libc's among them: find_library would run ldconfig (a
        # child process at every start of the app and the recorder)
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(option, arg, 0, 0, 0))
    except (OSError, AttributeError):
        return None


def protect_process() -> None:
    """No core dumps from now on, not dumpable, working directory ``/``. Idempotent.

    Relative paths the caller still needs must be made absolute first;
    ``TALLYLIGHT_HOME`` is made absolute here.
    """
    home = os.environ.get("TALLYLIGHT_HOME")
    if home:
        os.environ["TALLYLIGHT_HOME"] = os.path.abspath(home)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):  # Windows has no core dumps of this kind
        pass
    _prctl(_PR_SET_DUMPABLE, 0)
    with contextlib.suppress(OSError):
        os.chdir("/")


def protection_status() -> dict[str, Any]:
    """What :func:`protect_process` set, as this process sees it (tests and ``ready``)."""
    try:
        import resource

        core: Any = list(resource.getrlimit(resource.RLIMIT_CORE))
    except ImportError:
        core = None
    return {"core_limit": core, "dumpable": _prctl(_PR_GET_DUMPABLE), "cwd": os.getcwd()}


def child_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child process: ``base`` (default ours) without any secret."""
    env = dict(os.environ if base is None else base)
    for name in SECRET_ENV:
        env.pop(name, None)
    return env
