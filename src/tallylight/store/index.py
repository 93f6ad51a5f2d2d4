"""The encrypted per-session summary (docs/FORMAT.md section 11.3): the list without decrypting events.

``summary.tls`` holds one small JSON object (date, label, durations, counts,
verdict, …) sealed under a key derived from the session key, bound to the
session's uid and id. Opening it costs one key unwrap and one small AEAD, so a
list of hundreds of sessions shows in a fraction of a second. It is written when
a session stops and, for sessions that never stopped cleanly, the first time an
unlocked reader sees them; a summary that does not open (missing, damaged,
another version's) is simply recomputed from the events.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from tallylight.errors import TallylightError
from tallylight.events import SessionInfo
from tallylight.fsutil import atomic_write, sync_dir
from tallylight.store import crypto
from tallylight.store.encoding import EventColumns

SUMMARY_FILE = "summary.tls"
#: What the store asks of its caller for a session version's summary: (columns, info, verdict,
#: verdict note) -> the JSON object ``summary.tls`` keeps (``tallylight.review.summary.list_summary``)
Summarizer = Callable[[EventColumns, SessionInfo, str, str], dict[str, Any]]
MAGIC = b"TLLYSUM\x00"
VERSION = 1
LABEL = b"tallylight/v1/session-summary"
HEAD = 8 + 4 + 16 + 12  # magic, version + 3 zero, uid, nonce
MAX_SUMMARY = 1 << 20


def _aead(session_key: bytes, uid: bytes) -> ChaCha20Poly1305:
    return ChaCha20Poly1305(crypto.hkdf(session_key, uid, LABEL))


def seal_summary(
    session_key: bytes, uid: bytes, session_id: str, doc: dict[str, Any], nonce: bytes | None = None
) -> bytes:
    """The bytes of ``summary.tls``; a fresh random nonce unless one is given (tests)."""
    nonce = os.urandom(12) if nonce is None else nonce
    head = MAGIC + bytes((VERSION, 0, 0, 0)) + uid + nonce
    body = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return head + _aead(session_key, uid).encrypt(nonce, body, head + session_id.encode("utf-8"))


def open_summary(raw: bytes, session_key: bytes, uid: bytes, session_id: str) -> dict[str, Any] | None:
    """The summary object, or None if it is not this session version's (or damaged)."""
    if (
        len(raw) < HEAD + 16
        or len(raw) > MAX_SUMMARY
        or raw[:8] != MAGIC
        or raw[8:12] != bytes((VERSION, 0, 0, 0))
    ):
        return None
    if raw[12:28] != uid:
        return None
    head = raw[:HEAD]
    try:
        body = _aead(session_key, uid).decrypt(raw[28:40], raw[HEAD:], head + session_id.encode("utf-8"))
        doc = json.loads(body.decode("utf-8"))
    except (InvalidTag, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def write_summary(
    session_dir: Path, session_key: bytes, uid: bytes, doc: dict[str, Any], session_id: str | None = None
) -> None:
    """Write ``summary.tls`` into ``session_dir`` (``session_id`` when that is not its own folder)."""
    sealed = seal_summary(session_key, uid, session_id or session_dir.name, doc)
    atomic_write(session_dir / SUMMARY_FILE, sealed)
    sync_dir(session_dir)


def read_summary(session_dir: Path, vault: Any) -> dict[str, Any] | None:
    """The session's summary if it opens with the unlocked vault, else None (recompute it)."""
    try:
        raw = (session_dir / SUMMARY_FILE).read_bytes()
        key, uid = vault.session_key(session_dir)
    except (OSError, TallylightError):
        return None
    return open_summary(raw, key, uid, session_dir.name)
