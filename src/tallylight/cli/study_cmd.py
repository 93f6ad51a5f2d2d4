"""``tallylight study add FILE | list | show ID | withdraw ID``: joining and leaving studies."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tallylight import words
from tallylight.cli.commands import help_for
from tallylight.cli.unlock import (
    ENV_VAR,
    absolute_path,
    add_passphrase_option,
    ensure_vault,
    require_data,
    unlock_vault,
)
from tallylight.errors import StudyError, UsageError
from tallylight.i18n import _
from tallylight.options import CaptureOptions, KeyMode, narrow
from tallylight.share import withdrawal
from tallylight.study import enrolment, presentation
from tallylight.study.enrolment import Study


def _add_request_options(parser: argparse.ArgumentParser) -> None:
    """The options of a signed request to the researcher (a purpose change, a withdrawal)."""
    parser.add_argument("--yes", action="store_true", help=_("do not ask for confirmation"))
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=absolute_path,
        help=_("also save the request (signed and encrypted, to send yourself) and the receipt in DIR"),
    )
    parser.add_argument(
        "--no-send", action="store_true", help=_("do not send the request now (the app sends it later)")
    )
    add_passphrase_option(parser)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("study", help=help_for("study"))
    actions = p.add_subparsers(dest="study_command", metavar="ACTION", required=True)

    add = actions.add_parser(
        "add",
        help=_("read a study's manifest, check its signature, and consent"),
        description=_(
            "Shows who asks, why, and exactly what is and is not recorded, then asks for "
            "each consent box. Nothing is saved unless every required box is ticked."
        ),
    )
    add.add_argument("file", metavar="FILE", type=absolute_path)
    add.add_argument(
        "--yes",
        action="store_true",
        help=_("tick the required consent boxes without asking (you have read the study's information)"),
    )
    add.add_argument(
        "--keys",
        choices=[m.label for m in KeyMode],
        help=_("allow the study less of each key than it asks for (it can never get more)"),
    )
    add.add_argument("--no-moves", action="store_true", help=_("do not allow mouse movement"))
    add.add_argument("--no-clicks", action="store_true", help=_("do not allow mouse clicks"))
    add.add_argument("--no-scrolls", action="store_true", help=_("do not allow scrolling"))
    add.add_argument(
        "--allow",
        metavar="PURPOSE",
        action="append",
        default=[],
        help=_("allow an optional purpose of the study without being asked (repeat for more)"),
    )
    add.add_argument(
        "--decline",
        metavar="PURPOSE",
        action="append",
        default=[],
        help=_("say no to an optional purpose without being asked (repeat for more)"),
    )
    add.add_argument(
        "--typing-text",
        action="store_true",
        help=_("allow typing tasks to record the characters typed into their own field (asked otherwise)"),
    )
    add_passphrase_option(add)
    add.set_defaults(func=cmd_add)

    ls = actions.add_parser("list", help=_("the studies you joined"))
    ls.set_defaults(func=cmd_list)

    show = actions.add_parser("show", help=_("a joined study's information, and your consent"))
    show.add_argument("study_id", metavar="ID")
    show.add_argument(
        "--consent", action="store_true", help=_("also show your consent record (needs the passphrase)")
    )
    add_passphrase_option(show)
    show.set_defaults(func=cmd_show)

    wd = actions.add_parser(
        "withdraw",
        help=_("leave a study: destroy its sessions and your consent here, and make a withdrawal request"),
        description=_(
            "Destroys every session recorded for the study on this computer "
            "(crypto-shredded: their keys are overwritten first) and your consent, writes a "
            "withdrawal request for the researchers (sent to them when the study has an "
            "upload address) and a receipt for you."
        ),
    )
    pp = actions.add_parser(
        "purposes",
        help=_("what your data for a study may be used for; say yes or no to its optional purposes"),
        description=_(
            "Without --allow or --decline, lists the study's purposes and your choice for each. "
            "--decline says no to an optional purpose and keeps you in the study: a signed request "
            "tells the researchers, and it also applies to what you already shared. Saying no to a "
            "required purpose is withdrawing from the study. --allow is a new consent (it needs the "
            "passphrase)."
        ),
    )
    pp.add_argument("study_id", metavar="ID")
    pp.add_argument("--allow", metavar="PURPOSE", action="append", default=[], help=_("allow this purpose"))
    pp.add_argument(
        "--decline", metavar="PURPOSE", action="append", default=[], help=_("say no to this purpose")
    )
    _add_request_options(pp)
    pp.set_defaults(func=cmd_purposes)

    wd.add_argument("study_id", metavar="ID")
    _add_request_options(wd)
    wd.set_defaults(func=cmd_withdraw)


def _print_sections(study_or_offer: enrolment.Offer | Study) -> None:
    signed = study_or_offer.signed
    m = signed.manifest
    print(
        _("{title}  (study {study_id}, version {version})").format(
            title=m.title, study_id=m.study_id, version=m.version
        )
    )
    print(presentation.signer_line(signed))
    for section in presentation.consent_sections(signed):
        print(f"\n== {section.heading}\n{section.body}")


def _ask(question: str) -> bool:
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def cmd_add(args: argparse.Namespace) -> int:
    offer = enrolment.check_offer(enrolment.read_manifest_file(args.file))
    m = offer.signed.manifest
    if not args.yes and not sys.stdin.isatty():
        raise UsageError(
            _("Consent is asked in a terminal; without one, read the study's information and add --yes.")
        )
    _print_sections(offer)
    if offer.is_update:
        print(
            _(
                "\nThis is a new version ({version}) of a study you joined; it needs your consent again."
            ).format(version=m.version)
        )
    print()
    boxes: dict[str, bool] = {}
    for box in m.checkboxes:
        mark = " (required)" if box.required else " (optional)"
        if args.yes:
            boxes[box.id] = box.required
            print(f"[{'x' if box.required else ' '}] {box.text}{mark}")
        else:
            boxes[box.id] = _ask(f"{box.text}{mark}")
    missing = [b for b in m.checkboxes if b.required and not boxes[b.id]]
    if missing:
        raise StudyError(
            _("You did not tick every required box, so you have not joined the study. Nothing was saved.")
        )
    purposes = _choose_purposes(offer, args)
    capture = _narrowed(m.capture, offer.start_capture, args)
    typing_text = False
    if any(t.kind == "typing" for t in m.tasks):
        typing_text = args.typing_text or (not args.yes and _ask(_(words.TYPING_CONSENT)))
        print(f"[{'x' if typing_text else ' '}] {_(words.TYPING_CONSENT)}")
    ensure_vault(args)
    study, record = enrolment.join(offer, boxes, capture, typing_text=typing_text, purposes=purposes)
    print(
        _("\nYou joined “{title}” (version {version}). Consent recorded at {given_at} (encrypted).").format(
            title=m.title, version=m.version, given_at=record.given_at
        )
    )
    if capture != m.capture:
        print(_("You allow it at most:"))
        for line in words.describe_capture(capture):
            print(f"- {line}")
    print(
        _("Record a session for it with: tallylight record --study {study_id}").format(
            study_id=study.study_id
        )
    )
    return 0


def _choose_purposes(offer: enrolment.Offer, args: argparse.Namespace) -> dict[str, bool]:
    """The choice per purpose: required ones are part of joining; optional ones from --allow and
    --decline, asked otherwise, and no with --yes (a yes is never assumed)."""
    m = offer.signed.manifest
    enrolment.refuse_unknown_purposes(m, [*args.allow, *args.decline])
    both = set(args.allow) & set(args.decline)
    if both:
        raise UsageError(_("--allow and --decline both name {purpose!r}.").format(purpose=sorted(both)[0]))
    needed = [pid for pid in args.decline if pid in m.required_purposes]
    if needed and offer.previous is not None:  # already in the study: the earlier consent stands
        raise StudyError(
            _(
                "Version {version} of the study needs the purpose {purpose!r}: saying no to it means not "
                "taking part in that version. You stay in the study under your consent to version "
                "{previous}; nothing was saved."
            ).format(version=m.version, purpose=needed[0], previous=offer.previous.study_version)
        )
    if needed:
        raise StudyError(
            _(
                "The study needs the purpose {purpose!r}: saying no to it means not taking part. "
                "You have not joined the study; nothing was saved."
            ).format(purpose=needed[0])
        )
    new, now_required = offer.purpose_changes()
    changes = presentation.purpose_changes_text(offer.signed.manifest, new, now_required)
    if changes:
        print(changes)
    print(_("What your data may be used for:"))
    choices: dict[str, bool] = {}
    for p in m.purposes:
        line = presentation.purpose_line(p)
        if p.required:
            choices[p.id] = True
        elif p.id in args.allow or p.id in args.decline:
            choices[p.id] = p.id in args.allow
        elif args.yes:
            choices[p.id] = False
        else:
            choices[p.id] = _ask(_("Allow this use of your data? {purpose}").format(purpose=line))
        print(f"[{'x' if choices[p.id] else ' '}] {p.id}: {line}")
    return choices


def _narrowed(asked: CaptureOptions, start: CaptureOptions, args: argparse.Namespace) -> CaptureOptions:
    """What the participant allows: the manifest's streams, from ``start`` (their earlier narrowing
    of this study, if any) narrowed by the flags; never wider than the manifest."""
    wanted = CaptureOptions(
        keys=KeyMode.parse(args.keys) if args.keys else start.keys,
        mouse_moves=start.mouse_moves and not args.no_moves,
        move_min_interval_ms=start.move_min_interval_ms,
        move_min_distance_px=start.move_min_distance_px,
        clicks=start.clicks and not args.no_clicks,
        scrolls=start.scrolls and not args.no_scrolls,
    )
    if args.keys and wanted.keys > asked.keys:
        raise UsageError(
            _("The study asks for keys '{label}' at most; you can only allow less.").format(
                label=asked.keys.label
            )
        )
    return narrow(asked, wanted)


def cmd_list(_args: argparse.Namespace) -> int:
    studies = enrolment.list_studies()
    if not studies:
        print(_("You have not joined any study. Join one with: tallylight study add FILE"))
        return 0
    for item in studies:
        if isinstance(item, Study):
            m = item.manifest
            n = len(item.session_ids())
            limit = f"/{m.sessions.max_sessions}" if m.sessions.max_sessions else ""
            print(
                _("{study_id}  v{version}  {n}{limit} sessions  until {end}  {title}").format(
                    study_id=m.study_id,
                    version=m.version,
                    n=n,
                    limit=limit,
                    end=m.end.isoformat(),
                    title=m.title,
                )
            )
        else:
            study_id, reason = item
            print(_("{study_id}  cannot be used: {reason}").format(study_id=study_id, reason=reason))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    study = enrolment.load(args.study_id)
    _print_sections(study)
    e = study.enrolment
    print(_("\n== Your participation"))
    print(
        _("Participant code (sent with your data): {participant_id}").format(participant_id=e.participant_id)
    )
    print(_("Sessions recorded for this study: {n}").format(n=len(study.session_ids())))
    print(_("What your sessions for it may record at most:"))
    for line in words.describe_capture(study.ceiling()):
        print(f"- {line}")
    _print_purposes(study)
    if args.consent:
        require_data()
        record = enrolment.read_consent(study, unlock_vault(args))
        print(
            _(
                "\nConsent given at {given_at} to manifest {manifest_hash}… (Tallylight {app_version}):"
            ).format(
                given_at=record.given_at,
                manifest_hash=record.manifest_hash[:16],
                app_version=record.app_version,
            )
        )
        for box in study.manifest.checkboxes:
            print(f"[{'x' if record.checkboxes.get(box.id) else ' '}] {box.text}")
        print(
            _("Purposes you allowed in this record: {purposes}").format(
                purposes=presentation.purpose_names(study.manifest, record.allowed_purposes()) or _("none")
            )
        )
        consented = CaptureOptions.from_dict(record.capture)
        print(_("What you consented to record at most:"))
        for line in words.describe_capture(consented):
            print(f"- {line}")
        if narrow(consented, study.ceiling()) != study.ceiling():
            print(
                _(
                    "Warning: the study file on this computer (enrolment.json) allows more than "
                    "this, so it was edited and differs from your consent; sessions that record more "
                    "are never shared."
                )
            )
    return 0


def _chosen(study: Study) -> dict[str, bool]:
    """Each purpose and whether the participant allows it now, as a bundle would say it: a purpose
    declined under this consent stays declined, whatever the plain enrolment.json says
    (share.gather narrows the same way)."""
    declined = withdrawal.declined_under(study.study_id, study.enrolment.consent_id)
    return {pid: yes and (pid not in declined) for pid, yes in study.purposes().items()}


def _print_purposes(study: Study) -> None:
    print(_("What your data for this study may be used for (your choice now):"))
    chosen = _chosen(study)
    for p in study.manifest.purposes:
        print(presentation.purpose_choice_line(p, chosen[p.id]))


def cmd_purposes(args: argparse.Namespace) -> int:
    study = enrolment.load(args.study_id)
    if not args.allow and not args.decline:
        _print_purposes(study)
        print(
            _("Change it with: tallylight study purposes {study_id} --decline PURPOSE (or --allow)").format(
                study_id=study.study_id
            )
        )
        return 0
    both = set(args.allow) & set(args.decline)
    if both:
        raise UsageError(_("--allow and --decline both name {purpose!r}.").format(purpose=sorted(both)[0]))
    required = withdrawal.required_among(study, args.decline)
    if required:
        print(
            _(
                "The study needs the purpose {purpose!r}. Saying no to it means withdrawing from the "
                "study: every session recorded for it here and your consent are destroyed, and the "
                "researchers are asked to delete what you shared."
            ).format(purpose=required[0])
        )
        return cmd_withdraw(args)
    if args.decline:
        receipt = withdrawal.decline_purposes(study.study_id, args.decline, copy_to=args.out)
        print(
            _(
                "You said no to: {purposes}. You stay in the study; "
                "your data may still be used for: {allowed}."
            ).format(
                purposes="; ".join(_purpose_names(study, list(receipt.purposes_declined))),
                allowed="; ".join(_purpose_names(study, list(receipt.purposes_allowed))) or _("nothing"),
            )
        )
        print(
            _(
                "Request for the researchers (signed with your key for the study, encrypted to them): {file}"
            ).format(file=receipt.sealed_file)
        )
        if receipt.bundles_already_shared:
            print(
                _("  It asks them to apply this to {bundles} you already shared.").format(
                    bundles=words.count(len(receipt.bundles_already_shared), "bundle")
                )
            )
        _send_request(receipt.request_id, receipt.upload_to, receipt.researcher_contact, args.no_send)
    if args.allow:
        study = enrolment.load(args.study_id)
        chosen = _chosen(study)
        # one already allowed (or required) needs no new act of consent: nothing is written
        already = [pid for pid in dict.fromkeys(args.allow) if chosen.get(pid) is True]
        if already:
            print(
                _("You already allow: {purposes}; nothing changed for them.").format(
                    purposes="; ".join(_purpose_names(study, already))
                )
            )
        todo = [pid for pid in dict.fromkeys(args.allow) if pid not in already]
        if not todo:
            return 0
        require_data()
        study, record = enrolment.allow_purposes(study, todo, unlock_vault(args))
        print(
            _("You now allow: {purposes} (consent recorded at {given_at}).").format(
                purposes="; ".join(_purpose_names(study, todo)), given_at=record.given_at
            )
        )
    return 0


def _purpose_names(study: Study, ids: list[str]) -> list[str]:
    """Purposes by title and id, as the share preview names them."""
    m = study.manifest
    return [presentation.purpose_name(p) if (p := m.purpose(pid)) else pid for pid in ids]


def _send_request(request_id: str, upload_to: str | None, contact: str, no_send: bool) -> None:
    if upload_to and not no_send:
        from tallylight.cli.share_cmd import send_in_child

        if send_in_child("--withdrawal", request_id):
            print(_("  It was sent to the researchers."))
        else:
            print(_("  It could not be sent now; it is sent again the next time the Tallylight app runs."))
    elif upload_to:
        print(_("  It is sent to the researchers the next time the Tallylight app runs."))
    else:
        contact = f" ({contact})" if contact else ""
        print(_("  Send this file to the researchers{contact}.").format(contact=contact))


def cmd_withdraw(args: argparse.Namespace) -> int:
    study_dir = enrolment.study_dir(args.study_id)
    if not study_dir.is_dir():
        raise StudyError(
            _("You have not joined study {study_id}; see `tallylight study list`.").format(
                study_id=args.study_id
            )
        )
    unlocked = None
    if getattr(args, "passphrase_file", None) or os.environ.get(ENV_VAR):
        unlocked = unlock_vault(args)  # also finds sessions of the study by their encrypted header
    sessions = withdrawal.study_sessions(args.study_id, vault=unlocked)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(_("Withdrawing destroys data; without a terminal to ask on, add --yes."))
        print(
            _(
                "Withdrawing from study {study_id} destroys {sessions} recorded for it and your "
                "consent on this computer. This cannot be undone."
            ).format(study_id=args.study_id, sessions=words.count(len(sessions), "session"))
        )
        if not _ask(_("Withdraw now?")):
            print(_("Nothing was changed."))
            return 1
    receipt = withdrawal.withdraw(args.study_id, vault=unlocked, copy_to=args.out)
    print(
        _("You withdrew from {study} at {withdrawn_at}.").format(
            study=receipt.study_title or receipt.study_id, withdrawn_at=receipt.withdrawn_at
        )
    )
    print(
        _("Destroyed: {sessions}, {records}").format(
            sessions=words.count(len(receipt.sessions_destroyed), "session"),
            records=words.count(len(receipt.consent_records_destroyed), "consent record"),
        )
        + (
            f", {words.count(len(receipt.bundles_not_sent_destroyed), 'unsent bundle')}"
            if receipt.bundles_not_sent_destroyed
            else ""
        )
        + "."
    )
    print(
        _("Withdrawal request for the researchers: {request_file}").format(request_file=receipt.request_file)
    )
    print(f"  SHA-256 {receipt.request_sha256}")
    print(
        _("  Signed with your key for the study and encrypted to the researchers: {file}").format(
            file=receipt.sealed_file
        )
    )
    if receipt.upload_to and not args.no_send:
        from tallylight.cli.share_cmd import send_in_child

        if send_in_child("--withdrawal", receipt.request_id):
            print(_("  It was sent to the researchers."))
        else:
            print(_("  It could not be sent now; it is sent again the next time the Tallylight app runs."))
    elif receipt.upload_to:
        print(_("  It is sent to the researchers the next time the Tallylight app runs."))
    else:
        contact = f" ({receipt.researcher_contact})" if receipt.researcher_contact else ""
        print(
            _("  Send this file to the researchers{contact}: they delete what you already shared.").format(
                contact=contact
            )
        )
    if receipt.bundles_already_shared:
        print(
            _("  It names {bundles} you already shared.").format(
                bundles=words.count(len(receipt.bundles_already_shared), "bundle")
            )
        )
    print(
        _("Your receipt: {path}").format(path=Path(receipt.request_file).with_name(withdrawal.RECEIPT_FILE))
    )
    if args.out:
        print(_("Copies of both are in {out}.").format(out=args.out))
    return 0
