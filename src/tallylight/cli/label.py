"""A session label for ``record`` and ``start``, never taken from the command line.

A process's arguments are readable by every user of the computer (``ps``,
``/proc/PID/cmdline``) for as long as it runs, and a label can say what the
participant is doing. So the label comes from a prompt (``--label`` alone), a
file or standard input (``--label-file``), or ``TALLYLIGHT_LABEL`` (a process's
environment is readable only by its user); ``--label TEXT`` is refused before
anything starts.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tallylight.errors import UsageError
from tallylight.i18n import _

LABEL_ENV = "TALLYLIGHT_LABEL"
_ASK = object()
MAX_LABEL = 200


def add_label_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--label",
        nargs="?",
        const=_ASK,
        default=None,
        help=_(
            "ask for a label for this session (stored encrypted; never given on the command line, "
            "where other users can read it)"
        ),
    )
    parser.add_argument(
        "--label-file",
        type=Path,
        metavar="FILE",
        help=_("read the session's label from FILE ('-': standard input); or set {env}").format(
            env=LABEL_ENV
        ),
    )


def read_label(args: argparse.Namespace) -> str:
    """The label the participant gave (``""``: none); UsageError for a label on the command line."""
    given = getattr(args, "label", None)
    if given is not None and given is not _ASK:
        raise UsageError(
            _(
                "A label on the command line can be read by every user of this computer (in the process "
                "list), so it is not accepted: use --label alone to be asked, --label-file FILE, or "
                "{LABEL_ENV}. Nothing was started."
            ).format(LABEL_ENV=LABEL_ENV)
        )
    path = getattr(args, "label_file", None)
    if path is not None:
        try:
            text = sys.stdin.readline() if str(path) == "-" else path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(
                _("The label could not be read from {path} ({why}).").format(path=path, why=exc)
            ) from None
    elif given is _ASK:
        if not sys.stdin.isatty():
            raise UsageError(
                _("--label asks in a terminal; without one, use --label-file FILE or {env}.").format(
                    env=LABEL_ENV
                )
            )
        try:
            text = input(_("Label for this session: "))
        except EOFError:
            text = ""
    else:
        text = os.environ.get(LABEL_ENV, "")
    label = text.strip()
    if len(label) > MAX_LABEL:
        raise UsageError(_("The label is longer than {n} characters.").format(n=MAX_LABEL))
    return label
