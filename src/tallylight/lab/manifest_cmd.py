"""``tallylight-lab manifest new | sign | verify``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tallylight.errors import ManifestError, UsageError
from tallylight.fsutil import atomic_write
from tallylight.study import keys, manifest, signing, template


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("manifest", help="write, sign and check study manifests")
    actions = p.add_subparsers(dest="manifest_command", metavar="ACTION", required=True)

    new = actions.add_parser("new", help="write a commented manifest template to fill in")
    new.add_argument("--out", metavar="FILE", type=Path, required=True)
    new.add_argument("--key", metavar="DIR", type=Path, help="fill in the recipient from this key folder")
    new.add_argument(
        "--example",
        action="store_true",
        help="write a filled-in example study to read (signing refuses its example texts)",
    )
    new.set_defaults(func=cmd_new)

    sign = actions.add_parser("sign", help="sign a manifest (in place) with the key folder's signing key")
    sign.add_argument("file", metavar="FILE", type=Path)
    sign.add_argument("--key", metavar="DIR", type=Path, required=True)
    sign.set_defaults(func=cmd_sign)

    verify = actions.add_parser("verify", help="check a signed manifest and print its signer's fingerprint")
    verify.add_argument("file", metavar="FILE", type=Path)
    verify.set_defaults(func=cmd_verify)


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            data = f.read(manifest.MAX_MANIFEST_BYTES + 1)
    except FileNotFoundError:
        raise UsageError(f"{path} does not exist.") from None
    except OSError as exc:
        raise UsageError(f"{path} cannot be read ({exc.strerror}).") from None
    return data


def cmd_new(args: argparse.Namespace) -> int:
    if args.out.exists():
        raise UsageError(f"{args.out} already exists; choose another name (it is never overwritten).")
    recipient = keys.load_recipient(args.key) if args.key else None
    text = template.render(filename=args.out.name, recipient=recipient, example=args.example)
    try:
        with open(args.out, "x", encoding="utf-8") as fh:  # never over a file that appeared meanwhile
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"Cannot write {args.out} ({exc.strerror or exc}).") from None
    what = "Example" if args.example else "Template"
    print(
        f"{what} written to {args.out}. Replace every TODO and example text, then: "
        f"tallylight-lab manifest sign {args.out} --key DIR"
    )
    return 0


def cmd_sign(args: argparse.Namespace) -> int:
    raw = _read(args.file)
    if len(raw) > manifest.MAX_MANIFEST_BYTES:
        manifest.load(raw)  # raises the size error
    body = signing.split(raw).body
    left = template.leftovers(body)
    if left:  # participants saw "Dr. Jane Example" once: never again
        raise ManifestError(
            f"{args.file} still holds template or example text in {len(left)} field(s): {', '.join(left)}. "
            "Write the study's own text there, then sign.",
            left[0],
        )
    manifest.parse(body)  # never sign a manifest participants would refuse
    key = keys.load_signing_key(args.key)
    signed = signing.sign(raw, key)
    loaded = manifest.load(signed)
    atomic_write(args.file, signed, 0o644)
    m = loaded.manifest
    print(f"Signed {args.file}: study {m.study_id} version {m.version} ({m.title}).")
    print(f"Manifest hash: {loaded.hash}")
    print(f"Signer fingerprint: {loaded.fingerprint}")
    print(_purposes_line(m))
    return 0


def _purposes_line(m: manifest.Manifest) -> str:
    """What participants are asked to allow, one purpose after another (docs/STUDY.md, "Purposes")."""
    marks = ", ".join(f"{p.id} ({'required' if p.required else 'optional'})" for p in m.purposes)
    implicit = " (the manifest names none: the default)" if any(p.implicit for p in m.purposes) else ""
    return f"Purposes participants say yes or no to: {marks}{implicit}"


def cmd_verify(args: argparse.Namespace) -> int:
    loaded = manifest.load(_read(args.file))
    m = loaded.manifest
    print(f"Valid signature. Study {m.study_id} version {m.version}: {m.title}")
    print(f"Signer fingerprint: {loaded.fingerprint}")
    print(f"Manifest hash: {loaded.hash}")
    print(_purposes_line(m))
    today = manifest.today_utc()
    try:
        manifest.check_current(m, today)
    except ManifestError as exc:
        print(f"Warning: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0
