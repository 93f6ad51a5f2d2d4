"""``tallylight study add FILE | list | show ID | withdraw ID``: joining and leaving studies."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tallylight.cli.unlock import add_passphrase_option, ensure_vault, require_data, unlock_vault
from tallylight.errors import StudyError, UsageError
from tallylight.study import enrolment, presentation
from tallylight.study.enrolment import Study


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("study", help="join a study (with its signed manifest), list, show or withdraw")
    actions = p.add_subparsers(dest="study_command", metavar="ACTION", required=True)

    add = actions.add_parser(
        "add",
        help="read a study's manifest, check its signature, and consent",
        description="Shows who asks, why, and exactly what is and is not recorded, then asks for "
        "each consent box. Nothing is saved unless every required box is ticked.",
    )
    add.add_argument("file", metavar="FILE", type=Path)
    add.add_argument(
        "--yes",
        action="store_true",
        help="tick the required consent boxes without asking (you have read the study's information)",
    )
    add_passphrase_option(add)
    add.set_defaults(func=cmd_add)

    ls = actions.add_parser("list", help="the studies you joined")
    ls.set_defaults(func=cmd_list)

    show = actions.add_parser("show", help="a joined study's information, and your consent")
    show.add_argument("study_id", metavar="ID")
    show.add_argument(
        "--consent", action="store_true", help="also show your consent record (needs the passphrase)"
    )
    add_passphrase_option(show)
    show.set_defaults(func=cmd_show)


def _print_sections(study_or_offer: enrolment.Offer | Study) -> None:
    signed = study_or_offer.signed
    m = signed.manifest
    print(f"{m.title}  (study {m.study_id}, version {m.version})")
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
            "Consent is asked in a terminal; without one, read the study's information and add --yes."
        )
    _print_sections(offer)
    if offer.is_update:
        print(f"\nThis is a new version ({m.version}) of a study you joined; it needs your consent again.")
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
            "You did not tick every required box, so you have not joined the study. Nothing was saved."
        )
    ensure_vault(args)
    study, record = enrolment.join(offer, boxes)
    print(
        f"\nYou joined “{m.title}” (version {m.version}). Consent recorded at {record.given_at} (encrypted)."
    )
    print(f"Record a session for it with: tallylight record --study {study.study_id}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    studies = enrolment.list_studies()
    if not studies:
        print("You have not joined any study. Join one with: tallylight study add FILE")
        return 0
    for item in studies:
        if isinstance(item, Study):
            m = item.manifest
            n = len(item.session_ids())
            limit = f"/{m.sessions.max_sessions}" if m.sessions.max_sessions else ""
            print(f"{m.study_id}  v{m.version}  {n}{limit} sessions  until {m.end.isoformat()}  {m.title}")
        else:
            study_id, reason = item
            print(f"{study_id}  cannot be used: {reason}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    study = enrolment.load(args.study_id)
    _print_sections(study)
    e = study.enrolment
    print("\n== Your participation")
    print(f"Participant code (sent with your data): {e.participant_id}")
    print(f"Sessions recorded for this study: {len(study.session_ids())}")
    print("What your sessions for it may record at most:")
    for line in study.ceiling().describe():
        print(f"- {line}")
    if args.consent:
        require_data()
        record = enrolment.read_consent(study, unlock_vault(args))
        print(
            f"\nConsent given at {record.given_at} to manifest {record.manifest_hash[:16]}… "
            f"(Tallylight {record.app_version}):"
        )
        for box in study.manifest.checkboxes:
            print(f"[{'x' if record.checkboxes.get(box.id) else ' '}] {box.text}")
    return 0
