"""The ``tallylight`` commands by name: which module runs each, and its one-line help.

Kept apart from the commands themselves so that the dispatcher can list every command
(``tallylight --help``) and import only the module of the command that runs: the commands
bring numpy, the bundle and the study code, about 0.6 s of CPU for each process that
asks for ``--version`` or ``status``. Each module's ``register`` takes its help from here,
so the listing and the command's own parser say the same words.
"""

from __future__ import annotations

from tallylight.i18n import N_, _

#: command name -> (module in tallylight.cli that registers it, its help), in --help order
COMMANDS: dict[str, tuple[str, str]] = {
    "record": ("record_cmd", N_("record one session in this terminal (Ctrl-C stops it)")),
    "start": ("app_cmd", N_("start a session in the running app (its tally light turns on)")),
    "pause": ("app_cmd", N_("pause the running session")),
    "resume": ("app_cmd", N_("resume a paused session")),
    "stop": ("app_cmd", N_("stop the running session")),
    "status": ("app_cmd", N_("show what the app is doing")),
    "task": ("app_cmd", N_("start or end one of your study's tasks in the running session")),
    "note": ("app_cmd", N_("mark this moment in the running session (a note marker)")),
    "sessions": ("sessions_cmd", N_("list, show, export or delete recorded sessions")),
    "study": ("study_cmd", N_("join a study (with its signed manifest), list, show or withdraw")),
    "share": (
        "share_cmd",
        N_("share sessions with a study's researcher (encrypted so only they can read it)"),
    ),
    "doctor": ("doctor_cmd", N_("check whether keyboard and mouse capture can work here")),
}


def command_modules() -> list[str]:
    """The modules the dispatcher imports by name (a frozen build must include each)."""
    return sorted({f"tallylight.cli.{module}" for module, _help in COMMANDS.values()})


def help_for(name: str) -> str:
    """The command's one-line help, in the participant's language."""
    return _(COMMANDS[name][1])
