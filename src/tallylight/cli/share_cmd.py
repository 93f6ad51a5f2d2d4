"""``tallylight share ID… --study ID (--out FILE | --upload) [--yes]`` and ``tallylight share --log``.

Shows exactly what the bundle holds (the same preview as the share dialog) and
asks before anything is written or sent. Uploading runs Qt's network stack in a
child process (``python -m tallylight.ui.outbox_sender``): this CLI stays Qt-free.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from tallylight import words
from tallylight.cli.commands import help_for
from tallylight.cli.unlock import absolute_path, add_passphrase_option, require_data, unlock_vault
from tallylight.errors import ShareError, UsageError
from tallylight.hardening import child_env
from tallylight.i18n import _, ngettext
from tallylight.reentry import child_argv


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "share",
        help=help_for("share"),
        description=_(
            "Builds one bundle of the chosen sessions, encrypted to the study's researcher, "
            "shows exactly what it holds, and asks before saving or sending it. Sessions "
            "recorded without a study (personal mode) are never shared."
        ),
    )
    p.add_argument("session_ids", metavar="ID", nargs="*", help=_("sessions to share"))
    p.add_argument("--study", metavar="ID", help=_("the study the sessions were recorded for"))
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--out", metavar="FILE", type=absolute_path, help=_("save the encrypted bundle to FILE")
    )
    where.add_argument("--upload", action="store_true", help=_("send it to the study's upload address"))
    where.add_argument("--log", action="store_true", help=_("show what was shared so far"))
    p.add_argument("--yes", action="store_true", help=_("do not ask (you have read the preview before)"))
    add_passphrase_option(p)
    p.set_defaults(func=run)


def show_log() -> int:
    from tallylight.share import outbox

    entries = outbox.read_log()
    if not entries:
        print(_("Nothing was shared yet."))
    for e in entries:
        print(
            _(
                "{time_utc}  {action:<9} study {study_id}  sessions {sessions}  bundle "
                "{bundle_id} (sha256 {sha256}…)  to {destination}"
            ).format(
                time_utc=e.time_utc,
                action=words.share_action_words(e.action),
                study_id=e.study_id,
                sessions=", ".join(e.sessions),
                bundle_id=e.bundle_id,
                sha256=e.sha256[:16],
                destination=e.destination,
            )
            + (f"  — {e.answer}" if e.answer else "")
        )
    waiting = outbox.pending()
    if waiting:
        ids = ", ".join(p.bundle_id for p in waiting)
        print(
            ngettext(
                "{n} bundle waits in the outbox to be sent: {ids}",
                "{n} bundles wait in the outbox to be sent: {ids}",
                len(waiting),
            ).format(n=len(waiting), ids=ids)
        )
    return 0


def _confirm(args: argparse.Namespace) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError(_("Nothing was shared: add --yes to share without a terminal to ask in."))
    try:
        answer = input(_("Share exactly this? [y/N] "))
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def run(args: argparse.Namespace) -> int:
    if args.log:
        return show_log()
    if not args.study:
        raise UsageError(_("Name the study with --study ID (sessions are shared with one study at a time)."))
    if not args.session_ids:
        raise UsageError(_("Name at least one session to share (see `tallylight sessions list`)."))
    if not args.out and not args.upload:
        raise UsageError(_("Say where the bundle goes: --out FILE, or --upload to the study's address."))
    if args.out is not None:
        from tallylight.share.outbox import check_save_target

        check_save_target(args.out)
    if args.out is not None and args.out.exists():
        raise UsageError(_("{out} already exists; choose another file name.").format(out=args.out))

    from tallylight.share import bundle, outbox, transfer
    from tallylight.share.gather import gather
    from tallylight.share.preview import destination_words, preview_lines

    require_data()
    vault = unlock_vault(args)
    inputs = gather(args.study, args.session_ids, vault)
    url = inputs.study.upload_url
    if args.upload:
        if not url:
            raise ShareError(_("This study has no upload address; save the bundle with --out FILE instead."))
        transfer.resolve_url(url, "check")  # refuse a non-HTTPS address before asking
    built = bundle.build(inputs)
    where = destination_words(str(args.out) if args.out else None, url if args.upload else None)
    print("\n".join(preview_lines(built.doc, where, inputs.study.purposes)))
    print()
    if not _confirm(args):
        print(_("Nothing was shared."))
        return 1
    enc = bundle.encrypt(built, inputs.study.recipients)
    sessions = [s["session_id"] for s in built.doc["sessions"]]
    if args.out:
        outbox.save_copy(enc.data, args.out)
        outbox.log("saved", enc, inputs.study.study_id, sessions, str(args.out))
        print(
            _("Saved the encrypted bundle {bundle_id} to {out} ({data:,} bytes).").format(
                bundle_id=enc.bundle_id, out=args.out, data=len(enc.data)
            )
        )
        return 0
    pending = outbox.put(enc, inputs.study.study_id, sessions, url)
    outbox.log("queued", pending, inputs.study.study_id, sessions, url or "")
    return _send(pending.bundle_id)


def _send(bundle_id: str) -> int:
    """Send one outbox bundle through the Qt uploader in a child process; relay what it says."""
    if not send_in_child("--bundle", bundle_id):
        raise ShareError(
            _(
                "The bundle was not sent; it is kept in the outbox and sent again when "
                "Tallylight starts (see `tallylight share --log`)."
            )
        )
    return 0


def send_in_child(flag: str, item_id: str) -> bool:
    """Run ``python -m tallylight.ui.outbox_sender FLAG ID`` and relay its progress; True once sent.

    Progress is honest: an answer without a size is not shown as 0 % or 100 %, and when an
    attempt starts over (a retry after a failure), that is said instead of a falling percentage.
    """
    cmd = child_argv("tallylight.ui.outbox_sender", flag, item_id)
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=child_env())  # noqa: S603 - our own module (child_argv)
    except OSError as exc:
        raise ShareError(
            _("The uploader could not start ({strerror}); nothing was sent yet.").format(
                strerror=exc.strerror
            )
        ) from None
    ok = False
    last = -1
    attempt = 1
    assert proc.stdout is not None
    for line in proc.stdout:
        word, _sep, rest = line.strip().partition(" ")
        if word == "progress":
            pct = progress_percent(rest)
            if pct is None:
                continue
            if pct < last:
                attempt += 1
                print(_("Sending again (attempt {n})…").format(n=attempt), file=sys.stderr)
            if pct != last:
                print(_("Sending… {sent} %").format(sent=pct), file=sys.stderr)
            last = pct
        elif word in ("sent", "failed"):
            ok = word == "sent"
            message = rest.partition(" ")[2]
            print((_("Sent. {message}") if ok else _("Not sent: {message}")).format(message=message))
    proc.wait()
    return ok


def progress_percent(rest: str) -> int | None:
    """The percentage of a ``progress ID SENT TOTAL`` line; None when the size is not known yet."""
    try:
        _, sent, total = rest.split()
        done, size = int(sent), int(total)
    except ValueError:
        return None
    if size <= 0 or done < 0:
        return None
    return min(100, done * 100 // size)
