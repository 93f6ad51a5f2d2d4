"""argparse's own words (``usage:``, ``options``, its error messages) in the participant's language.

argparse looks its words up through module-level ``_`` and ``ngettext`` from the
stdlib's gettext (its ``argparse`` domain, for which no German catalog is
installed). :func:`install` points both at :mod:`tallylight.i18n`, whose catalog
holds the messages below, so ``LANGUAGE=de tallylight --help`` is German to the end.
"""

from __future__ import annotations

import argparse

from tallylight import i18n
from tallylight.i18n import N_

#: the messages a participant can meet (the text as Python 3.11–3.13's argparse spells it)
MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"),
    N_("ignored explicit argument %r"),
)


def install() -> None:
    """Make argparse ask Tallylight's catalog for its words (idempotent)."""
    argparse._ = i18n._  # type: ignore[attr-defined]
    argparse.ngettext = i18n.ngettext  # type: ignore[attr-defined]
