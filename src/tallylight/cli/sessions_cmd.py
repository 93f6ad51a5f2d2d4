"""``tallylight sessions list | show ID | export ID | delete ID | passphrase``."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from tallylight import words
from tallylight.cli import summary_cmd
from tallylight.cli.commands import help_for
from tallylight.cli.unlock import (
    absolute_path,
    add_passphrase_option,
    read_passphrase,
    require_data,
    unlock_vault,
)
from tallylight.errors import UsageError
from tallylight.hardening import protect_process
from tallylight.i18n import _, ngettext
from tallylight.share import edits, export
from tallylight.store import recovery, sessions, vault


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("sessions", help=help_for("sessions"))
    sub = p.add_subparsers(dest="sessions_command", metavar="ACTION", required=True)

    ls = sub.add_parser("list", help=_("list sessions with their state"))
    add_passphrase_option(ls)
    ls.set_defaults(func=cmd_list)

    show = sub.add_parser("show", help=_("show one session's details"))
    show.add_argument("session_id", metavar="ID")
    add_passphrase_option(show)
    show.set_defaults(func=cmd_show)

    summary_cmd.register(sub)

    ex = sub.add_parser("export", help=_("write a session's events as plain CSV or JSON lines"))
    ex.add_argument("session_id", metavar="ID")
    ex.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    ex.add_argument(
        "--out",
        metavar="PATH",
        required=True,
        help=_("the file to create (never replaced without --force); - for stdout"),
    )
    ex.add_argument("--force", action="store_true", help=_("replace PATH if it exists"))
    add_passphrase_option(ex)
    ex.set_defaults(func=cmd_export)

    rm = sub.add_parser("delete", help=_("delete a session for good (its key first)"))
    rm.add_argument("session_id", metavar="ID")
    rm.add_argument(
        "--yes", action="store_true", help=_("do not ask for confirmation (needed without a terminal)")
    )
    rm.set_defaults(func=cmd_delete)

    cut = sub.add_parser(
        "cut",
        help=_("cut a span out of a session for good (as the review window does)"),
        description=_(
            "Removes every event between --from and --to (seconds from the session's start, as the "
            "review window shows them) and re-encrypts the session under a new key. Bundles of the "
            "session still waiting in the outbox are dropped."
        ),
    )
    cut.add_argument("session_id", metavar="ID")
    cut.add_argument("--from", dest="cut_from", metavar="SECONDS", type=float, required=True)
    cut.add_argument("--to", dest="cut_to", metavar="SECONDS", type=float, required=True)
    cut.add_argument(
        "--yes", action="store_true", help=_("do not ask for confirmation (needed without a terminal)")
    )
    add_passphrase_option(cut)
    cut.set_defaults(func=cmd_cut)

    pw = sub.add_parser("passphrase", help=_("change the vault passphrase (sessions are not re-encrypted)"))
    add_passphrase_option(pw)
    pw.add_argument(
        "--new-passphrase-file",
        metavar="FILE",
        type=absolute_path,
        help=_("read the new passphrase from FILE instead of asking"),
    )
    pw.set_defaults(func=cmd_passphrase)


def _recover() -> None:
    for r in recovery.recover_unfinished():
        print(r.describe(), file=sys.stderr)
    stray = sessions.stray_entries()
    if stray:
        names = ", ".join(f"'{words.printable(n)}'" for n in stray[:10]) + (", …" if len(stray) > 10 else "")
        print(
            ngettext(
                "Skipped {n} entry in the sessions folder that is not a session: {names}.",
                "Skipped {n} entries in the sessions folder that are not a session: {names}.",
                len(stray),
            ).format(n=len(stray), names=names),
            file=sys.stderr,
        )


def _when(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns / 1e9).strftime("%Y-%m-%d %H:%M:%S")


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(n)


def cmd_list(args: argparse.Namespace) -> int:
    require_data()
    _recover()
    v = unlock_vault(args)
    rows = sorted(
        sessions.list_sessions(v), key=lambda s: (s.info.started_wall_ns if s.info else 0, s.session_id)
    )
    if not rows:
        print(_("No sessions yet."))
        return 0
    print(
        "{:<32} {:<19} {:>9} {:>10}  {}  {}".format(
            _("ID"), _("started"), _("events"), _("size"), _("state"), _("label")
        )
    )
    for s in rows:
        started = _when(s.info.started_wall_ns) if s.info else "-"
        state = "recording" if s.recording else (s.verdict.value if s.verdict else "?")
        events = s.report.events if s.report else 0
        label = words.printable(s.info.label) if s.info else ""  # stored text: never raw to a terminal
        print(f"{s.session_id:<32} {started:<19} {events:>9} {_size(s.size_bytes):>10}  {state}  {label}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    require_data()
    _recover()
    v = unlock_vault(args)
    s = sessions.summary(args.session_id, v)
    rep = s.report
    assert rep is not None
    print(_("Session {session_id}").format(session_id=s.session_id))
    print(_("  state:      {state}").format(state=_("recording") if s.recording else rep.verdict.describe()))
    if rep.problem:
        print(_("  note:       {problem}").format(problem=rep.problem))
    if s.info is not None:
        i = s.info
        o = i.options
        print(_("  label:      {label}").format(label=words.printable(i.label) or "-"))
        print(_("  started:    {when}").format(when=_when(i.started_wall_ns)))
        print(
            _("  keys:       {keys}; mouse moves: {moves}; clicks: {clicks}; scrolls: {scrolls}").format(
                keys=o.keys.label,
                moves=_("yes") if o.mouse_moves else _("no"),
                clicks=_("yes") if o.clicks else _("no"),
                scrolls=_("yes") if o.scrolls else _("no"),
            )
        )
    print(_("  events:     {events}").format(events=rep.events))
    data = sessions.read(s.session_id, v) if rep.verdict.value != "corrupt" else None
    if data is not None and rep.events:
        cols = data.columns()
        span = (int(cols.t_ns.max()) - int(cols.t_ns.min())) / 1e9
        print(_("  duration:   {span:.1f} s of events").format(span=span))
    if rep.stop_reason is not None:
        print(_("  stopped by: {reason}").format(reason=rep.stop_reason.name.lower().replace("_", " ")))
    print(
        _("  files:      {segments}, {size}").format(
            segments=words.count(rep.segments, "segment"), size=_size(s.size_bytes)
        )
    )
    if rep.lost_bytes:
        print(
            _("  lost:       {lost_bytes} bytes of a partly written record").format(lost_bytes=rep.lost_bytes)
        )
    if data is not None:
        for n, line in enumerate(words.timing_summary(data.timing)):
            print(f"  {'timing:' if n == 0 else '':<11} {line}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    to_stdout = args.out == "-"
    out = None if to_stdout else sessions.check_export_target(Path(args.out))
    require_data()
    v = unlock_vault(args)
    n = export.export(args.session_id, v, out, args.format, force=args.force, stdout=sys.stdout)
    where = "standard output" if out is None else str(out)
    print(
        _("Wrote {n} events to {where} (plain text: keep it safe, delete it when done).").format(
            n=n, where=where
        ),
        file=sys.stderr,
    )
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    sessions.session_dir(args.session_id)  # a clear error if there is no such session
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(
                _(
                    "Deleting session {session_id} cannot be undone, and there is no terminal to ask "
                    "on; add --yes to delete it. Nothing was deleted."
                ).format(session_id=args.session_id)
            )
        answer = input(
            _("Delete session {session_id} for good? This cannot be undone. [y/N] ").format(
                session_id=args.session_id
            )
        )
        if answer.strip().lower() not in ("y", "yes"):
            print(_("Nothing was deleted."), file=sys.stderr)
            return 1
    dropped = edits.delete_session(args.session_id)
    print(_("Deleted session {session_id}.").format(session_id=args.session_id), file=sys.stderr)
    if dropped:
        from tallylight.share.outbox import dropped_words

        print(dropped_words(len(dropped)), file=sys.stderr)
    return 0


def cmd_cut(args: argparse.Namespace) -> int:
    """The review window's cut (share.edits.cut_session), from a terminal."""
    import math

    from tallylight.review.summary import list_summary
    from tallylight.review.timeline import session_span
    from tallylight.store import edit

    a, b = sorted((args.cut_from, args.cut_to))
    if not (math.isfinite(a) and math.isfinite(b)) or a < 0 or a == b:
        raise UsageError(_("--from and --to must be two different times in seconds, 0 or more."))
    path = sessions.session_dir(args.session_id)
    require_data()
    unlocked = unlock_vault(args)
    start, end = session_span(edit.read_version(path, unlocked).columns)
    length = (end - start) / 1e9
    if a >= length:
        raise UsageError(
            _("Session {session_id} is only {length:.1f} s long; nothing was cut.").format(
                session_id=args.session_id, length=length
            )
        )
    b = min(b, length)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(_("Cutting cannot be undone here; add --yes to cut. Nothing was cut."))
        answer = input(
            _("Cut {a:.1f} s – {b:.1f} s out of session {session_id} for good? [y/N] ").format(
                a=a, b=b, session_id=args.session_id
            )
        )
        if answer.strip().lower() not in ("y", "yes"):
            print(_("Nothing was cut."), file=sys.stderr)
            return 1
    cut = edits.cut_session(
        path, unlocked, start + int(a * 1e9), start + int(b * 1e9), summarize=list_summary
    )
    print(
        _("Cut {a:.1f} s – {b:.1f} s out of session {session_id}; it now has a new key.").format(
            a=a, b=b, session_id=args.session_id
        )
    )
    if cut.dropped:
        from tallylight.share.outbox import dropped_words

        print(dropped_words(len(cut.dropped)), file=sys.stderr)
    return 0


def cmd_passphrase(args: argparse.Namespace) -> int:
    if not vault.exists():
        raise UsageError(_("There is no vault yet; it is created on first use."))
    protect_process()  # passphrases and the private key are in memory from here on
    old = read_passphrase(args, confirm=False, prompt="Current passphrase: ")
    new_args = argparse.Namespace(passphrase_file=args.new_passphrase_file)
    if args.new_passphrase_file is None and sys.stdin.isatty():
        import getpass

        new = getpass.getpass("New passphrase: ")
        if not new or getpass.getpass(_("Repeat the new passphrase: ")) != new:
            raise UsageError(_("The new passphrases are empty or differ; nothing was changed."))
    elif args.new_passphrase_file is None:
        raise UsageError(
            _("Give the new passphrase with --new-passphrase-file FILE (no terminal to ask on).")
        )
    else:
        new = read_passphrase(new_args, confirm=False)
    vault.change_passphrase(old, new)
    print(_("Passphrase changed. The old one no longer unlocks the vault."), file=sys.stderr)
    return 0
