"""Bundles waiting to be sent, and the share log.

A confirmed bundle is first written to the outbox (it is already encrypted to
the researcher, so it may rest on disk); only then is it sent, and only a
server's success removes it. So if the network or the app dies mid-upload,
nothing is lost: the next start finds it in the outbox and sends it again, to
the same name (idempotent by bundle id).

The share log (``share-log.jsonl``) records each share: when, which study and
sessions, the bundle id and SHA-256, where it went and the server's answer. It
is kept in plain JSON lines on purpose, so the sessions window can show it
without the passphrase: it holds no captured data, and upload addresses are
stored without their query string (where presigned URLs carry credentials).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tallylight import paths, safejson
from tallylight.errors import ShareError, UsageError
from tallylight.fsutil import atomic_write, storage_error, sync_file
from tallylight.i18n import _
from tallylight.share.bundle import SUFFIX, Encrypted
from tallylight.store.sessions import check_export_target

OUTBOX = "outbox"
LOG_FILE = "share-log.jsonl"
META_SUFFIX = ".json"
_ID = re.compile(r"^[0-9a-f-]{36}$")


def _base(data_dir: Path | None) -> Path:
    return Path(data_dir) if data_dir is not None else paths.data_dir()


def outbox_dir(data_dir: Path | None = None) -> Path:
    return _base(data_dir) / OUTBOX


def redact_url(url: str) -> str:
    """scheme://host[:port]/path — no user info, no query (presigned signatures), no fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return _("(an invalid address)")
    host = f"[{host}]" if ":" in host else host
    return urlunsplit((parts.scheme, host + port, parts.path, "", ""))


@dataclass
class Pending:
    """A bundle in the outbox: its file and what is known about it."""

    bundle_id: str
    study_id: str
    sessions: list[str]
    sha256: str
    bytes: int
    url: str | None
    created_utc: str
    attempts: int = 0
    last_answer: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def path(self, data_dir: Path | None = None) -> Path:
        return outbox_dir(data_dir) / f"{self.bundle_id}{SUFFIX}"

    def meta_path(self, data_dir: Path | None = None) -> Path:
        return outbox_dir(data_dir) / f"{self.bundle_id}{META_SUFFIX}"


def _now_iso(clock: Callable[[], float] = time.time) -> str:
    return dt.datetime.fromtimestamp(clock(), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def put(
    enc: Encrypted,
    study_id: str,
    sessions: Sequence[str],
    url: str | None,
    data_dir: Path | None = None,
) -> Pending:
    """Write a confirmed bundle to the outbox (bundle first, then its note), durably."""
    paths.ensure_private_dir(outbox_dir(data_dir))
    p = Pending(enc.bundle_id, study_id, list(sessions), enc.sha256, len(enc.data), url, _now_iso())
    try:
        atomic_write(p.path(data_dir), enc.data)
        atomic_write(p.meta_path(data_dir), json.dumps(asdict(p)).encode("utf-8"))
    except OSError as exc:
        raise storage_error(exc, _("keeping the bundle in the outbox")) from None
    return p


def update(p: Pending, data_dir: Path | None = None) -> None:
    # the bundle itself is safe; at worst the attempt count is lost
    with contextlib.suppress(OSError):
        atomic_write(p.meta_path(data_dir), json.dumps(asdict(p)).encode("utf-8"))


def pending(data_dir: Path | None = None) -> list[Pending]:
    """Bundles waiting to be sent (oldest first); a note without its bundle is ignored."""
    box = outbox_dir(data_dir)
    out = []
    try:
        names = sorted(box.iterdir()) if box.is_dir() else []
    except OSError:
        return []
    for meta in names:
        if not meta.name.endswith(META_SUFFIX) or not _ID.match(meta.name[: -len(META_SUFFIX)]):
            continue
        try:
            doc = safejson.loads(meta.read_text("utf-8"))
            p = Pending(**{k: doc[k] for k in Pending.__dataclass_fields__ if k in doc})
        except (OSError, ValueError, TypeError):
            continue
        if p.path(data_dir).is_file():
            out.append(p)
    out.sort(key=lambda p: p.created_utc)
    return out


def read_bundle(p: Pending, data_dir: Path | None = None) -> bytes:
    try:
        return p.path(data_dir).read_bytes()
    except OSError as exc:
        raise ShareError(
            _("The bundle {bundle_id} in the outbox cannot be read ({strerror}).").format(
                bundle_id=p.bundle_id, strerror=exc.strerror
            )
        ) from None


def remove(p: Pending, data_dir: Path | None = None) -> None:
    """Sent: forget the bundle (the note goes last, so a crash leaves a bundle that is sent again)."""
    for path in (p.path(data_dir), p.meta_path(data_dir)):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise storage_error(exc, _("clearing a sent bundle from the outbox")) from None


def drop_holding(session_ids: Sequence[str], why: str, data_dir: Path | None = None) -> list[Pending]:
    """Remove every waiting bundle that holds one of ``session_ids`` (the participant cut or deleted
    it after confirming the share), and record each in the share log as ``dropped``.

    A bundle is already encrypted to the researcher, so it cannot be trimmed here; it is
    dropped, and the participant shares the changed session again if they want to.
    """
    wanted = set(session_ids)
    dropped = [p for p in pending(data_dir) if wanted.intersection(p.sessions)]
    for p in dropped:
        remove(p, data_dir)
        log("dropped", p, p.study_id, p.sessions, "", why, data_dir)
    return dropped


def dropped_words(n: int) -> str:
    """What the participant is told about ``n`` dropped bundles: '' when nothing waited."""
    if not n:
        return ""
    from tallylight.i18n import ngettext

    return ngettext(
        "{n} bundle waiting to be sent held it and was dropped, so it is never sent.",
        "{n} bundles waiting to be sent held it and were dropped, so they are never sent.",
        n,
    ).format(n=n)


def check_save_target(dest: Path, data_dir: Path | None = None) -> Path:
    """Where a bundle may be saved: never inside the data folder, never a file named ``-``."""
    if dest.name == "-":
        raise UsageError(_("A bundle is binary and is not written to standard output; give a file name."))
    return check_export_target(dest, data_dir, what="A bundle")


def save_copy(data: bytes, dest: Path, data_dir: Path | None = None) -> None:
    """Save bundle…: write the encrypted bundle where the participant chose (never over a file).

    Written whole to a temporary file beside ``dest``, then linked into place, so ``dest``
    appears complete or not at all, and a file that appeared meanwhile is never replaced.
    """
    dest = check_save_target(dest, data_dir)
    if dest.exists():
        raise ShareError(_("{dest} already exists; choose another name.").format(dest=dest))
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        try:
            # 0600 whatever the umask: a bundle names the study and the participant's id
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
            with open(fd, "wb") as fh:
                os.fchmod(fd, 0o600)
                fh.write(data)
                fh.flush()
                sync_file(fh.fileno())
            try:
                os.link(tmp, dest)
            except FileExistsError:
                raise
            except OSError:  # no hard links here (a FAT memory stick): rename instead
                if os.path.lexists(dest):
                    raise FileExistsError(dest) from None
                os.replace(tmp, dest)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    except FileExistsError:
        raise ShareError(_("{dest} already exists; choose another name.").format(dest=dest)) from None
    except OSError as exc:
        raise storage_error(exc, _("saving the bundle to {dest}").format(dest=dest)) from None


def copy_from_outbox(p: Pending, dest: Path, data_dir: Path | None = None) -> None:
    """Save bundle… for a bundle kept in the outbox: the same whole-or-nothing save."""
    save_copy(read_bundle(p, data_dir), dest, data_dir)


# ---- the share log -------------------------------------------------------------------------


@dataclass(frozen=True)
class LogEntry:
    time_utc: str
    action: str  # saved | queued | sent | failed | cancelled | dropped
    study_id: str
    sessions: list[str]
    bundle_id: str
    sha256: str
    destination: str
    answer: str = ""


def log(
    action: str,
    p: Pending | Encrypted,
    study_id: str,
    sessions: Sequence[str],
    destination: str,
    answer: str = "",
    data_dir: Path | None = None,
) -> LogEntry:
    """Append one line to the share log (durably)."""
    entry = LogEntry(
        _now_iso(),
        action,
        study_id,
        list(sessions),
        p.bundle_id,
        p.sha256,
        redact_url(destination) if "://" in destination else destination,
        answer,
    )
    path = _base(data_dir) / LOG_FILE
    try:
        paths.ensure_private_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (json.dumps(asdict(entry), ensure_ascii=False) + "\n").encode("utf-8"))
            sync_file(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise storage_error(exc, _("writing the share log")) from None
    return entry


def forget_study(study_id: str, data_dir: Path | None = None) -> int:
    """Withdrawal: remove every share-log entry of ``study_id`` (the rest stays); how many went."""
    path = _base(data_dir) / LOG_FILE
    try:
        lines = path.read_text("utf-8").splitlines()
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise storage_error(exc, _("reading the share log")) from None
    keep = []
    for line in lines:
        try:
            doc = safejson.loads(line)
        except ValueError:
            doc = None
        if not (isinstance(doc, dict) and doc.get("study_id") == study_id):
            keep.append(line)
    try:
        atomic_write(path, "".join(f"{line}\n" for line in keep).encode("utf-8"))
    except OSError as exc:
        raise storage_error(exc, _("rewriting the share log")) from None
    return len(lines) - len(keep)


def read_log(data_dir: Path | None = None) -> list[LogEntry]:
    """Every entry, oldest first; a damaged line is skipped."""
    try:
        lines = (_base(data_dir) / LOG_FILE).read_text("utf-8").splitlines()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ShareError(
            _("The share log cannot be read ({strerror}).").format(strerror=exc.strerror)
        ) from None
    out = []
    for line in lines:
        try:
            doc = safejson.loads(line)
            out.append(LogEntry(**{k: doc[k] for k in LogEntry.__dataclass_fields__}))
        except (ValueError, TypeError, KeyError):
            continue
    return out
