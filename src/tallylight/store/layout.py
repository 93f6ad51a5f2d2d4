"""The store's on-disk layout: every file name, and what can be known without a key.

One owner for docs/FORMAT.md section 2 (files), the frame structure of section
5.2 as it can be read without the key, and the closure sidecar of section 8.
The writer, the reader, recovery and the session list all build paths and
sidecars here, so a file name or a sidecar field exists in exactly one place.

No cryptography here, and nothing is trusted: :func:`scan_segment` splits any
bytes into whole frames and a tail; the reader then authenticates the frames.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal, TypeGuard

from tallylight import paths, safejson
from tallylight.errors import StoreError
from tallylight.fsutil import atomic_write, is_locked
from tallylight.i18n import _
from tallylight.store.crypto import (
    FRAME_HEADER,
    HEADER_SIZE,
    MAX_CIPHERTEXT,
    SEGMENT_MAGIC,
    TAG,
    TYPE_END,
    VERSION,
)

VAULT_FILE = "vault.json"
SESSIONS_DIR = "sessions"
KEY_FILE = "key"
LOCK_FILE = "writer.lock"
CLOSED_FILE = "closed.json"
SEGMENT_RE = re.compile(r"^seg-(\d{8})\.tls$")
SESSION_ID_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")

CLOSURE_FORMAT = "tallylight-closed"
CLOSURE_VERSION = 1
CLOSURE_REASONS = ("crash", "write-error")

# ---------------------------------------------------------------- files (section 2)


def data_root(data_dir: Path | None = None) -> Path:
    """The data directory: ``data_dir`` if given, else the user's (``paths.data_dir()``)."""
    return Path(data_dir) if data_dir is not None else paths.data_dir()


def vault_file(data_dir: Path | None = None) -> Path:
    return data_root(data_dir) / VAULT_FILE


def sessions_root(data_dir: Path | None = None) -> Path:
    return data_root(data_dir) / SESSIONS_DIR


def check_session_id(session_id: str) -> None:
    """StoreError unless ``session_id`` is a valid session directory name."""
    if not isinstance(session_id, str) or not SESSION_ID_RE.match(session_id):
        raise StoreError(
            _(
                "{session_id!r} is not a valid session id (1-128 letters, digits, '.', '_' or '-', not "
                "starting with '.')."
            ).format(session_id=session_id)
        )


def session_path(session_id: str, data_dir: Path | None = None) -> Path:
    """Where session ``session_id`` lives (the id is checked; the directory may not exist)."""
    check_session_id(session_id)
    return sessions_root(data_dir) / session_id


def session_entries(data_dir: Path | None = None) -> tuple[list[str], list[str]]:
    """(session ids, stray names) in ``sessions/``: a stray entry (a folder "my notes", a
    file, a name that is not UTF-8) is never a session and never stops the others from listing."""
    dirs, stray = _session_listing(data_dir)
    return [d.name for d in dirs], stray


def session_dirs(data_dir: Path | None = None) -> list[Path]:
    """The folders of :func:`session_entries`' session ids, in the same order, as the listing
    made them: not joined from their names, because pathlib interns every part it parses and
    a walk of every session that joins each id churns the interpreter's table of interned
    strings, which then grows (the app walks them at each start: ``store.recovery``)."""
    return _session_listing(data_dir)[0]


def _session_listing(data_dir: Path | None) -> tuple[list[Path], list[str]]:
    root = sessions_root(data_dir)
    try:
        entries = list(root.iterdir())
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        raise StoreError(
            _("Cannot read the sessions folder {root} ({strerror}).").format(root=root, strerror=exc.strerror)
        ) from None
    dirs: list[Path] = []
    stray: list[str] = []
    for p in entries:
        valid = SESSION_ID_RE.match(p.name) is not None and p.name.isascii()
        if valid and p.is_dir() and not p.is_symlink():
            dirs.append(p)
        else:
            stray.append(p.name)
    return sorted(dirs, key=lambda d: d.name), sorted(stray)


def segment_name(number: int) -> str:
    return f"seg-{number:08d}.tls"


def segment_files(session_dir: Path) -> list[tuple[int, Path]]:
    """(number, path) of every segment file in ``session_dir``, in order; other files are ignored."""
    out = []
    for p in session_dir.iterdir():
        m = SEGMENT_RE.match(p.name)
        if m:
            out.append((int(m.group(1)), p))
    out.sort()
    return out


# ---------------------------------------------------------------- frames without the key (section 5.2)

Tail = Literal["none", "torn", "zeros", "bad-length"]


@dataclass(frozen=True)
class Frame:
    offset: int
    rtype: int
    length: int

    @property
    def body_start(self) -> int:
        return self.offset + FRAME_HEADER

    @property
    def end(self) -> int:
        return self.offset + FRAME_HEADER + self.length


@dataclass
class SegmentLayout:
    """What a segment file looks like without the key (used by recovery and the reader)."""

    number: int
    path: Path
    size: int
    header_ok: bool
    frames: list[Frame] = field(default_factory=list)
    end: int = 0  # offset just after the last whole frame
    tail: Tail = "none"  # what follows the last whole frame

    @property
    def ended(self) -> bool:
        """Ends with a whole END frame (the session's last segment, finished)."""
        return bool(self.frames) and self.frames[-1].rtype == TYPE_END and self.end == self.size


def scan_segment(
    path: Path, number: int, data: bytes | None = None, uid: bytes | None = None
) -> SegmentLayout:
    """Split a segment into whole frames and a tail, trusting nothing.

    ``uid`` (the session uid, readable from the key file without the key) lets a
    header cut short be told apart from garbage (section 7).
    """
    if data is None:
        data = path.read_bytes()
    size = len(data)
    if size < HEADER_SIZE or data[:8] != SEGMENT_MAGIC:
        return SegmentLayout(number, path, size, False, [], 0, _header_tail(data, number, uid))
    lay = SegmentLayout(number, path, size, True, [], HEADER_SIZE)
    pos = HEADER_SIZE
    while pos < size:
        if size - pos < FRAME_HEADER:
            lay.tail = "zeros" if not any(data[pos:]) else "torn"
            break
        rtype, length = struct.unpack_from("<BI", data, pos)
        if length < TAG or length > MAX_CIPHERTEXT or rtype == 0:
            lay.tail = "zeros" if not any(data[pos:]) else "bad-length"
            break
        if pos + FRAME_HEADER + length > size:
            lay.tail = "torn"
            break
        lay.frames.append(Frame(pos, rtype, length))
        pos += FRAME_HEADER + length
    lay.end = pos
    return lay


def header_prefix(number: int, uid: bytes | None = None) -> bytes:
    """The bytes every header of segment ``number`` starts with (FORMAT.md 5.1; the uid if known)."""
    return SEGMENT_MAGIC + bytes((VERSION, 0, 0, 0)) + struct.pack("<I", number) + (uid or b"")


def _header_tail(data: bytes, number: int, uid: bytes | None) -> Tail:
    """The tail of a segment whose 48-byte header is not whole and ours (FORMAT.md section 7).

    Empty, all zero bytes (any length: a file system extended the file but the
    data never reached the disk), or fewer than 48 bytes that agree with the
    header this segment must have: torn. Anything else: damage (``bad-length``).
    """
    if not any(data):
        return "zeros" if data else "torn"
    if len(data) < HEADER_SIZE:
        expected = header_prefix(number, uid)
        n = min(len(data), len(expected))
        if data[:n] == expected[:n]:
            return "torn"
    return "bad-length"


# ---------------------------------------------------------------- the closure sidecar (section 8)


@dataclass(frozen=True)
class Closure:
    """``closed.json``: a note that acknowledges a crashed session's whole records.

    Not authenticated and holds no captured data: it can only turn an
    incomplete or torn session into a recovered one, never into a complete one.
    """

    segment: int
    records: int
    size: int
    lost_bytes: int
    reason: str  # one of CLOSURE_REASONS
    closed_wall_ns: int

    def acknowledges(self, segment: int, records: int, size: int) -> bool:
        """Whether the note is about exactly this prefix of the last segment."""
        return (self.segment, self.records, self.size) == (segment, records, size)

    def to_json(self) -> bytes:
        doc = {"format": CLOSURE_FORMAT, "version": CLOSURE_VERSION, **asdict(self)}
        return json.dumps(doc).encode("utf-8")


def read_closure(session_dir: Path) -> Closure | None:
    """The session's closure sidecar, or None if there is none or it is not one."""
    try:
        doc = safejson.loads((session_dir / CLOSED_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != CLOSURE_FORMAT or doc.get("version") != 1:
        return None
    segment, records, size = (doc.get(k) for k in ("segment", "records", "size"))
    if not (_count(segment) and _count(records) and _count(size)):
        return None
    reason = doc.get("reason")
    return Closure(
        segment,
        records,
        size,
        doc["lost_bytes"] if _count(doc.get("lost_bytes")) else 0,
        reason if reason in CLOSURE_REASONS else "crash",
        doc["closed_wall_ns"] if _count(doc.get("closed_wall_ns")) else 0,
    )


def _count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def write_closure(session_dir: Path, closure: Closure) -> None:
    """Write ``closed.json`` by atomic replace (OSError is the caller's to report)."""
    atomic_write(session_dir / CLOSED_FILE, closure.to_json())


def being_recorded(session_dir: Path) -> bool:
    """A live writer holds the session and its last segment has no end yet. The lock alone says
    too much: a listing that compacts a stopped session, or a cut, holds it for a moment too."""
    if not is_locked(session_dir / LOCK_FILE):
        return False
    segs = segment_files(session_dir)
    if not segs:
        return True  # a writer that has not written its first segment yet
    number, path = segs[-1]
    try:
        return not scan_segment(path, number).ended
    except (OSError, StoreError):
        return True  # cannot tell: the careful answer
