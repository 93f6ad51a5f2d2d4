"""``tallylight-lab keygen --out DIR``: the researcher's age identity and signing key."""

from __future__ import annotations

import argparse
from pathlib import Path

from tallylight.errors import UsageError
from tallylight.study import keys


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "keygen",
        help="create an age identity (opens bundles) and an Ed25519 key (signs manifests)",
        description="Create a new key folder. The private files are readable only by you; keep "
        "identity.txt safe — without it no bundle of the study can be opened.",
    )
    p.add_argument("--out", metavar="DIR", type=Path, required=True, help="an empty or new folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        pair = keys.generate(args.out)
    except OSError as exc:
        raise UsageError(f"Cannot write the keys to {args.out} ({exc.strerror or exc}).") from None
    print(f"Keys written to {args.out}/")
    print(f"  {keys.IDENTITY:<14} age identity (private; keep it safe, never share it)")
    print(f"  {keys.SIGNING_KEY:<14} manifest signing key (private)")
    print(f"  {keys.RECIPIENT:<14} {pair.recipient}")
    print(f"  {keys.SIGNING_PUB:<14} signing public key")
    print()
    print(f"Recipient (put it into the manifest's data.recipients): {pair.recipient}")
    print(f"Signer fingerprint (publish it so participants can compare): {pair.fingerprint}")
    return 0
