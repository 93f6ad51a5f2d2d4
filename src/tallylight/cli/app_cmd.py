"""``tallylight start|pause|resume|stop|status``: control the running tray app.

These talk to the app over its local socket, so a session started here shows
exactly the same tally light as one started from the menu. Qt-free.
"""

from __future__ import annotations

import argparse

from tallylight import appctl
from tallylight.cli.commands import help_for
from tallylight.cli.label import add_label_options, read_label
from tallylight.i18n import _


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    start = sub.add_parser("start", help=help_for("start"))
    add_label_options(start)
    start.add_argument("--study", default=None, metavar="ID", help=_("record for a study you joined"))
    start.set_defaults(func=run, app_command="start")
    for name in ("pause", "resume", "stop", "status"):
        parser = sub.add_parser(name, help=help_for(name))
        parser.set_defaults(func=run, app_command=name)
    register_tasks(sub)


def register_tasks(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    task = sub.add_parser("task", help=help_for("task"))
    actions = task.add_subparsers(dest="task_action", metavar="ACTION", required=True)
    start = actions.add_parser("start", help=_("start a task (it is marked in the recording)"))
    start.add_argument("task", metavar="ID", help=_("the task's id (`tallylight status` lists them)"))
    start.set_defaults(func=run, app_command="task")
    end = actions.add_parser("end", help=_("end the running task"))
    end.set_defaults(func=run, app_command="task", task=None)
    run_ = actions.add_parser(
        "run",
        help=_(
            "run a typing or pointing task in Tallylight's own window (its own session, no global capture)"
        ),
    )
    run_.add_argument("task", metavar="TASK_ID")
    run_.add_argument("--study", default=None, metavar="ID", help=_("the study (if several have the task)"))
    run_.add_argument("--device", default="", help=_("the input device you use (for a pointing task)"))
    run_.set_defaults(func=None, app_command="task-run")
    note = sub.add_parser("note", help=help_for("note"))
    note.set_defaults(func=run, app_command="note")


def run(args: argparse.Namespace) -> int:
    fields = {"label": read_label(args) or None, "study": args.study} if args.app_command == "start" else {}
    if args.app_command == "task":
        fields = {"action": args.task_action, "task": args.task}
    reply = appctl.send(args.app_command, **fields)
    print(appctl.format_status(reply))
    return 0
