"""``tallylight-lab withdraw REQUEST… --identity FILE --dataset DIR``: apply withdrawal requests.

A purpose withdrawal (the participant stays, but no longer allows a purpose) takes the
purpose off their session rows instead, and in a dataset opened for that purpose
(``open --purpose``) removes their sessions (docs/LAB.md, "Purposes"). One that declines a
purpose the study requires is a withdrawal from the study and is applied as one; which
purposes are required comes from the manifests given to ``open`` or to ``--manifest`` here.

Each request is decrypted with the researcher's age identity, its participant
signature verified, and checked against the key the dataset pinned for that
participant; then the participant is removed from every table, a tombstone is
left (``open`` and ``open --reopen`` refuse their bundles from then on), and a
deletion report is printed (docs/LAB.md, "Withdrawals").
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tallylight.errors import BundleError, UsageError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "withdraw",
        help="apply participants' withdrawal requests (from the study, or from a purpose) to a dataset",
        description="Verify each withdrawal request (decrypted with your identity, signed by the "
        "participant's key), remove that participant's rows from every table of the dataset, and "
        "leave a tombstone so their bundles are refused from then on. Prints what was removed.",
    )
    p.add_argument("requests", metavar="REQUEST", nargs="+", type=Path, help="withdrawal request files")
    p.add_argument("--identity", metavar="FILE", type=Path, required=True, help="age identity (identity.txt)")
    p.add_argument("--dataset", metavar="DIR", type=Path, required=True, help="the dataset folder")
    p.add_argument(
        "--manifest",
        metavar="FILE",
        type=Path,
        action="append",
        default=[],
        help="the study's signed manifest (repeat for each version), remembered in the dataset: it says "
        "which purposes are required (declining one is a withdrawal from the study); needed once when "
        "the dataset was opened without --manifest",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tallylight.lab import removal
    from tallylight.share import agecrypt, withdrawal_request

    try:
        identities = agecrypt.identities_from_text(args.identity.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read the identity file {args.identity} ({exc}).") from None
    if not args.dataset.is_dir():
        raise UsageError(f"{args.dataset} is not a dataset folder (run 'tallylight-lab open' first).")
    if args.manifest:
        from tallylight.lab.open_cmd import record_manifests

        record_manifests(args.dataset, args.manifest)
    failed = 0
    for path in args.requests:
        try:
            request = withdrawal_request.open_request(path.read_bytes(), identities)
            report: removal.Report | removal.PurposeReport
            if request.is_purpose_withdrawal:
                report = removal.decline_purposes(args.dataset, request)
            else:
                report = removal.remove_participant(args.dataset, request)
        except OSError as exc:
            print(f"refused: {path}: cannot be read ({exc.strerror or exc})")
            failed += 1
            continue
        except BundleError as exc:
            print(f"refused: {path}: {exc}")
            failed += 1
            continue
        print("\n".join(report.lines()))
    print(
        "Every table of the dataset is done. Also delete the participant from backups and from files "
        "you derived from the dataset elsewhere (see docs/LAB.md, 'Withdrawals')."
    )
    if failed:
        raise BundleError(f"{failed} request(s) could not be applied (listed above); the others were.")
    return 0
