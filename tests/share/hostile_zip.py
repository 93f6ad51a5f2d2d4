"""ZIP archives a stranger could send: any method, any name, any size claimed (a raw writer).

``zipfile`` writes honest archives only; these tests need entries whose headers
lie about their sizes, use BZIP2, or carry names no writer should produce.
"""

from __future__ import annotations

import bz2
import hashlib
import io
import json
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

STORED, DEFLATED, BZIP2 = 0, 8, 12


@dataclass(frozen=True)
class Entry:
    name: str
    method: int
    stored: bytes  # the bytes as they sit in the archive (already compressed)
    crc: int
    size: int  # the uncompressed size the headers claim


def entry(name: str, data: bytes, method: int = DEFLATED, claim: int | None = None) -> Entry:
    if method == DEFLATED:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        stored = c.compress(data) + c.flush()
    elif method == BZIP2:
        stored = bz2.compress(data, 9)
    else:
        stored = data
    return Entry(name, method, stored, zlib.crc32(data), len(data) if claim is None else claim)


def zeros_deflated(n: int) -> tuple[bytes, int]:
    """``n`` zero bytes (a multiple of 1 MiB), raw-deflated, and their CRC-32; fast, never held whole.

    A full flush empties the compressor's window, so every MiB compresses to the same
    bytes: one piece repeated, then an empty final block.
    """
    block = bytes(1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(n >> 20):
        crc = zlib.crc32(block, crc)
    return piece * (n >> 20) + c.flush(), crc


def zeros_bzip2(n: int) -> tuple[bytes, int]:
    c = bz2.BZ2Compressor(9)
    block = bytes(1 << 20)
    out = io.BytesIO()
    crc = 0
    for _ in range(n >> 20):
        out.write(c.compress(block))
        crc = zlib.crc32(block, crc)
    out.write(c.flush())
    return out.getvalue(), crc


def raw_zip(entries: Iterable[Entry]) -> bytes:
    """The archive exactly as the entries say (local headers, central directory, end record)."""
    out = io.BytesIO()
    central = io.BytesIO()
    items = list(entries)
    for e in items:
        offset = out.tell()
        name = e.name.encode("utf-8")
        size = min(e.size, 0xFFFFFFFF)
        out.write(
            struct.pack(
                "<4s5H3I2H",
                b"PK\x03\x04",
                20,
                0x800,
                e.method,
                0,
                0x21,
                e.crc,
                len(e.stored),
                size,
                len(name),
                0,
            )
        )
        out.write(name)
        out.write(e.stored)
        central.write(
            struct.pack(
                "<4s6H3I5H2I",
                b"PK\x01\x02",
                20,
                20,
                0x800,
                e.method,
                0,
                0x21,
                e.crc,
                len(e.stored),
                size,
                len(name),
                0,
                0,
                0,
                0,
                0o644 << 16,
                offset,
            )
        )
        central.write(name)
    cd = central.getvalue()
    start = out.tell()
    out.write(cd)
    out.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(items), len(items), len(cd), start, 0))
    return out.getvalue()


def unzip(plaintext: bytes) -> Iterator[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(plaintext)) as zf:
        for n in zf.namelist():
            yield n, zf.read(n)


def relist(files: dict[str, bytes]) -> dict[str, bytes]:
    """``files`` with bundle.json's checksums made to match them (a forger's first step), unsigned:
    a forger has no participant key, so the signature and the public key are dropped."""
    doc = json.loads(files["bundle.json"])
    doc.pop("participant_public_key", None)
    files = {n: d for n, d in files.items() if n != "bundle.sig"}
    doc["files"] = {
        n: {"sha256": hashlib.sha256(d).hexdigest(), "bytes": len(d)}
        for n, d in files.items()
        if n not in ("bundle.json", "README.txt")
    }
    return {**files, "bundle.json": json.dumps(doc).encode()}
