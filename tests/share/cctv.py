"""A runner for the C2SP CCTV age test vectors (age/testdata), applied to pyrage.

Each vector: ``key: value`` header lines, an empty line, then an age file
(zlib-compressed when ``compressed: zlib``). X25519 and scrypt vectors are
applicable; others (hybrid post-quantum identities, unknown keys) are not.
pyrage releases plaintext only when the whole file authenticates, so a
"payload failure" vector passes when decryption fails.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path

import pyrage
from pyrage import x25519

KNOWN_KEYS = {"expect", "payload", "identity", "passphrase", "armored", "compressed", "file key", "comment"}


@dataclass
class Result:
    name: str
    applicable: bool
    ok: bool
    detail: str = ""


def parse(path: Path) -> tuple[dict[str, list[str]], bytes]:
    raw = path.read_bytes()
    head, _, body = raw.partition(b"\n\n")
    meta: dict[str, list[str]] = {}
    for line in head.decode().splitlines():
        k, _, v = line.partition(": ")
        meta.setdefault(k, []).append(v)
    if meta.get("compressed") == ["zlib"]:
        body = zlib.decompress(body)
    return meta, body


def run_vector(path: Path) -> Result:
    meta, body = parse(path)
    name = path.name
    if set(meta) - KNOWN_KEYS:
        return Result(name, False, True, "unknown header key")
    idents = meta.get("identity", [])
    if any(not i.startswith("AGE-SECRET-KEY-1") for i in idents):
        return Result(name, False, True, "not an X25519 identity")
    expect = meta["expect"][0]
    try:
        if "passphrase" in meta:
            out = pyrage.passphrase.decrypt(body, meta["passphrase"][0])
        else:
            out = pyrage.decrypt(body, [x25519.Identity.from_str(i) for i in idents])
    except Exception as exc:  # noqa: BLE001 - every failure kind counts as "refused"
        return Result(name, True, expect != "success", f"refused: {exc}")
    if expect != "success":
        return Result(name, True, False, f"accepted, expected {expect}")
    ok = hashlib.sha256(out).hexdigest() == meta["payload"][0]
    return Result(name, True, ok, "" if ok else "payload hash differs")
