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


#: the reference implementation's cap. pyrage's own cap is a time estimate: under load it spent
#: 163 s and accepted scrypt_work_factor_23, idle it refused it; a test cannot depend on that.
#: (Tallylight itself never decrypts passphrase-encrypted age files.)
MAX_SCRYPT_WORK_FACTOR = 22


def _scrypt_work_factor(body: bytes) -> int:
    for line in body.split(b"\n")[:64]:
        parts = line.split(b" ")
        if parts[:2] == [b"->", b"scrypt"] and len(parts) == 4 and parts[3].isdigit():
            return int(parts[3])
    return 0


def applicable(path: Path) -> bool:
    """Whether the vector is one pyrage can be held to (X25519 or scrypt, known header keys)."""
    meta, _ = parse(path)
    idents = meta.get("identity", [])
    return not set(meta) - KNOWN_KEYS and all(i.startswith("AGE-SECRET-KEY-1") for i in idents)


def run_vector(path: Path) -> Result:
    meta, body = parse(path)
    name = path.name
    if set(meta) - KNOWN_KEYS:
        return Result(name, False, True, "unknown header key")
    idents = meta.get("identity", [])
    if any(not i.startswith("AGE-SECRET-KEY-1") for i in idents):
        return Result(name, False, True, "not an X25519 identity")
    expect = meta["expect"][0]
    if "passphrase" in meta and _scrypt_work_factor(body) > MAX_SCRYPT_WORK_FACTOR:
        return Result(name, True, expect != "success", "refused: scrypt work factor above 2^22")
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
