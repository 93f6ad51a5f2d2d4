"""The session writer: an EventSink that seals encrypted, durable records.

Needs only the device *public* key. Every record is made durable before the
next is written, so a crash loses at most what was buffered since the last
seal (the recorder seals at least once a second; :meth:`SessionWriter.write`
also seals on its own when a second has passed or the buffer is large).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from tallylight import paths
from tallylight.errors import StoreError, TallylightError
from tallylight.events import Event, SessionInfo, StopReason
from tallylight.fsutil import FileLock, atomic_write, storage_error, sync_dir, sync_file, write_all
from tallylight.i18n import _
from tallylight.store import crypto, encoding, index, layout, vault
from tallylight.store import trials as trial_records
from tallylight.store.crypto import TYPE_END, TYPE_EVENTS, TYPE_INFO, TYPE_NEXT, TYPE_TIMING, TYPE_TRIALS
from tallylight.store.index import Summarizer

log = logging.getLogger(__name__)

SEGMENT_MAX_BYTES = 64 << 20
SEAL_INTERVAL_S = 1.0
MAX_BUFFER_EVENTS = 65536
#: Compaction at close keeps the session's payloads in memory up to this size.
MAX_COMPACT_BYTES = 256 << 20


def encode_info(info: SessionInfo) -> bytes:
    return json.dumps(info.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def encode_timing(quality: dict[str, Any]) -> bytes | None:
    """FORMAT.md section 12.3: a UTF-8 JSON object; None if it cannot be one (then no record
    is written: a timing record must never cost the session its END)."""
    try:
        return json.dumps(
            quality, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode("utf-8")
    except (TypeError, ValueError):
        return None


def encode_end(stop_reason: int, total_events: int, records_before: int) -> bytes:
    out = bytearray()
    for v in (stop_reason, total_events, records_before):
        encoding.put_varint(out, v)
    return bytes(out)


class SessionWriter:
    """Writes one session. Implements ``tallylight.recorder.sink.EventSink``.

    Not thread-safe: the recorder's writer thread is its only user.
    """

    def __init__(
        self,
        info: SessionInfo,
        session_dir: Path,
        session_key: bytes,
        uid: bytes,
        lock: FileLock,
        *,
        segment_max_bytes: int = SEGMENT_MAX_BYTES,
        seal_interval_s: float = SEAL_INTERVAL_S,
        max_buffer_events: int = MAX_BUFFER_EVENTS,
        compression_level: int = encoding.DEFLATE_LEVEL,
        compact: tuple[bytes, Summarizer] | None = None,
    ) -> None:
        self.info = info
        self.path = session_dir
        self._key = session_key
        self._uid = uid
        self._lock = lock
        self._segment_max = segment_max_bytes
        self._seal_interval = seal_interval_s
        self._max_buffer = max(1, min(max_buffer_events, encoding.MAX_EVENTS_PER_BLOCK))
        self._level = compression_level
        self._buf: list[Event] = []
        self._segment = -1
        self._fd: int | None = None
        self._index = 0
        self._size = 0
        self._header = b""
        self._aead: ChaCha20Poly1305 | None = None  # set by _open_segment
        self._comp = encoding.Compressor(compression_level)
        self._events_sealed = 0
        self._last_seal = time.monotonic()
        self._failed: StoreError | None = None
        self._closed = False
        # with the device's public key and a summarizer: keep the payloads, and at close
        # rewrite the session into large records with its summary (store.rewrite)
        self._compact = compact
        self._payloads: list[bytes] | None = [] if compact is not None else None
        self._payload_bytes = 0
        self._event_records = 0
        self._timing: dict[str, Any] | None = None
        self._trials: list[dict[str, Any]] = []  # carried into a compacted version

    # ------------------------------------------------------------ public

    @property
    def events_sealed(self) -> int:
        """How many events are durable on disk."""
        return self._events_sealed

    @property
    def segment(self) -> int:
        return self._segment

    @property
    def records(self) -> int:
        """Whole records in the current segment."""
        return self._index

    @property
    def size(self) -> int:
        """Bytes of the current segment."""
        return self._size

    def start(self, info_body: bytes) -> None:
        """Create segment 0 and write the INFO record."""
        self._open_segment(0)
        self._append(TYPE_INFO, info_body)

    def write_columns(self, cols: encoding.EventColumns) -> None:
        """Seal already-decoded events as records of at most ``max_buffer_events`` each."""
        self._usable()
        step = self._max_buffer
        for start in range(0, len(cols), step):
            self._append_block(cols.take(slice(start, start + step)))

    def _append_block(self, block: encoding.EventColumns) -> None:
        payload = encoding.encode_columns(block)
        body = self._comp_probe(payload)
        if body is None:  # too large for one record: halve it (fresh stream state is unaffected)
            half = len(block) // 2
            self._append_block(block.take(slice(0, half)))
            self._append_block(block.take(slice(half, None)))
            return
        self._append(TYPE_EVENTS, body)
        self._event_records += 1
        self._events_sealed += len(block)
        self._keep(payload)  # compaction at close rewrites from these (without them: no events)
        if self._size >= self._segment_max:
            self._rotate()

    def _comp_probe(self, payload: bytes) -> bytes | None:
        """The compressed body, or None (stream untouched) if it might not fit in one record."""
        worst = len(payload) + len(payload) // 1000 + 1024  # DEFLATE's worst-case growth, with room
        if worst + 1 + crypto.TAG > crypto.MAX_CIPHERTEXT and len(payload) > 1 << 16:
            return None
        return self._comp.compress(payload)

    def abandon(self) -> None:
        """Stop without an END record (the caller closes the session another way)."""
        self._closed = True
        self._close_fd()
        self._lock.release(unlink=True)

    def write(self, events: Sequence[Event]) -> None:
        """Buffer events; seals by itself once a second has passed or the buffer is large."""
        self._usable()
        self._buf.extend(events)
        if len(self._buf) >= self._max_buffer or time.monotonic() - self._last_seal >= self._seal_interval:
            self.seal()

    def seal(self) -> None:
        """Encrypt the buffered events into records and make them durable."""
        self._usable()
        buf = self._buf
        self._last_seal = time.monotonic()
        if not buf:
            return
        step = self._max_buffer
        done = 0
        try:
            while done < len(buf):
                chunk = buf[done : done + step]
                try:
                    payload = encoding.encode_payload(chunk)
                except ValueError as exc:
                    # A recorder bug; drop the bad batch rather than fail every later seal.
                    del buf[done : done + step]
                    raise StoreError(
                        _("Events could not be stored ({exc}); this is a bug in Tallylight.").format(exc=exc)
                    ) from None
                self._append(TYPE_EVENTS, self._comp.compress(payload))
                self._events_sealed += len(chunk)
                self._event_records += 1
                self._keep(payload)
                done += len(chunk)
                if self._size >= self._segment_max:
                    self._rotate()
        finally:
            del buf[:done]

    def write_trials(self, trials: Sequence[dict[str, Any]]) -> None:
        """Seal the buffered events, then the task trials as one durable TRIALS record."""
        self._usable()
        try:
            body = trial_records.encode(trials)
        except ValueError as exc:
            raise StoreError(
                _("Task trials could not be stored ({exc}); this is a bug in Tallylight.").format(exc=exc)
            ) from None
        self.seal()
        self._append(TYPE_TRIALS, body)
        self._trials.extend(trials)

    def note_timing(self, quality: dict[str, Any]) -> None:
        """The session's timing-quality record, written by :meth:`close` just before END."""
        self._timing = quality

    def close(self, reason: StopReason = StopReason.NONE) -> None:
        """Seal, write the timing record (if noted) and END, and release the session. Idempotent."""
        if self._closed:
            return
        try:
            if self._failed is None:
                self.seal()
                body = encode_timing(self._timing) if self._timing is not None else None
                if body is not None:
                    self._append(TYPE_TIMING, body)
                self._append(TYPE_END, encode_end(int(reason), self._events_sealed, self._index))
                self._finish(reason)
        finally:
            self._closed = True
            self._close_fd()
            self._lock.release(unlink=self._failed is None)

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(StopReason.NONE if exc[0] is None else StopReason.WRITE_ERROR)

    # ------------------------------------------------------------ internals

    def _keep(self, payload: bytes) -> None:
        if self._payloads is None:
            return
        self._payload_bytes += len(payload)
        if self._payload_bytes > MAX_COMPACT_BYTES:
            self._payloads = None  # too long to rewrite in memory: a reader compacts it later
        else:
            self._payloads.append(payload)

    def _finish(self, reason: StopReason) -> None:
        """After END: compact into large records with the summary, or write just the summary.

        The session is already complete and durable; a failure here only leaves
        it uncompacted (a reader compacts it later), never damaged.
        """
        if self._compact is None:
            return
        public, summarize = self._compact
        self._close_fd()
        try:
            from tallylight.store import rewrite  # rewrite writes with a SessionWriter

            if self._payloads is None:
                return
            cols = encoding.decode_payloads(self._payloads)
            self._payloads = None
            doc = summarize(cols, self.info, "complete", "")
            if self._segment > 0 or self._event_records > 1:
                rewrite.write_version(
                    self.path,
                    self.info,
                    cols,
                    public,
                    stop_reason=reason,
                    summary=doc,
                    timing=self._timing,
                    trials=self._trials,
                )
            else:
                index.write_summary(self.path, self._key, self._uid, doc)
        except (TallylightError, OSError, ValueError) as exc:
            log.warning("session %s was not compacted: %s", self.info.session_id, exc)

    def _usable(self) -> None:
        if self._failed is not None:
            raise StoreError(
                _("Recording to session {session_id} stopped after an earlier error: {failed}").format(
                    session_id=self.info.session_id, failed=self._failed
                )
            )
        if self._closed:
            raise StoreError(
                _("Session {session_id} is already closed.").format(session_id=self.info.session_id)
            )

    def _close_fd(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def _open_segment(self, number: int) -> None:
        hdr = crypto.new_segment_header(number, self._uid)
        header = hdr.to_bytes()
        path = self.path / layout.segment_name(number)
        try:
            fd = os.open(
                path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_BINARY", 0), 0o600
            )
        except OSError as exc:
            raise self._fail(exc, _("starting a new session file")) from None
        self._fd = fd
        self._segment = number
        self._index = 0
        self._size = 0
        self._header = header
        self._aead = crypto.segment_aead(self._key, header)
        self._comp = encoding.Compressor(self._level)
        try:
            write_all(fd, header)
            sync_file(fd)
            sync_dir(self.path)
        except OSError as exc:
            raise self._fail(exc, _("starting a new session file")) from None
        self._size = len(header)

    def _rotate(self) -> None:
        self._append(TYPE_NEXT, encode_end(0, self._events_sealed, self._index))
        self._close_fd()
        self._open_segment(self._segment + 1)

    def _append(self, rtype: int, body: bytes) -> None:
        assert self._fd is not None
        assert self._aead is not None
        frame = crypto.seal_record(self._aead, self._header, self._index, rtype, body)
        try:
            write_all(self._fd, frame)
            sync_file(self._fd)
        except OSError as exc:
            raise self._fail(exc, _("saving recorded events")) from None
        self._index += 1
        self._size += len(frame)

    def _fail(self, exc: OSError, what: str) -> StoreError:
        """Stop for good: cut any partial record, leave a closure note, report why."""
        err = storage_error(exc, what)
        self._failed = err
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, self._size)
                sync_file(self._fd)
            except OSError:
                pass
        self._close_fd()
        if self._segment >= 0:
            note = layout.Closure(self._segment, self._index, self._size, 0, "write-error", time.time_ns())
            with contextlib.suppress(OSError):  # recovery writes it on the next start
                layout.write_closure(self.path, note)
        return err


def open_session(
    info: SessionInfo,
    data_dir: Path | None = None,
    *,
    segment_max_bytes: int = SEGMENT_MAX_BYTES,
    seal_interval_s: float = SEAL_INTERVAL_S,
    max_buffer_events: int = MAX_BUFFER_EVENTS,
    compression_level: int = encoding.DEFLATE_LEVEL,
    summarize: Summarizer | None = None,
) -> SessionWriter:
    """Create the session's directory, key file and first segment (with the
    encrypted SessionInfo) and return its writer.

    With ``summarize``, the session is compacted into large records at close,
    with the list's summary that ``summarize`` computes.

    Needs only the vault's public key: VaultError if there is no vault,
    StoreError if the session exists or cannot be created (StorageFull if full).
    """
    session_dir = layout.session_path(info.session_id, data_dir)
    public = vault.load_public_key(data_dir)
    try:
        info_body = encode_info(info)
    except (TypeError, ValueError) as exc:
        raise StoreError(_("The session description cannot be stored ({exc}).").format(exc=exc)) from None
    try:
        sessions = paths.ensure_private_dir(session_dir.parent)
        session_dir.mkdir(mode=0o700)
        sync_dir(sessions)
    except FileExistsError:
        raise StoreError(
            _("A session called {session_id} already exists.").format(session_id=info.session_id)
        ) from None
    except OSError as exc:
        raise storage_error(exc, _("creating the session folder")) from None
    lock = FileLock(session_dir / layout.LOCK_FILE)
    try:
        if not lock.try_acquire():
            raise StoreError(
                _("Session {session_id} is already being written by another process.").format(
                    session_id=info.session_id
                )
            )
        key = os.urandom(32)
        uid = os.urandom(16)
        atomic_write(
            session_dir / layout.KEY_FILE, crypto.wrap_session_key(key, uid, info.session_id, public)
        )
    except OSError as exc:
        lock.release()
        shutil.rmtree(session_dir, ignore_errors=True)
        raise storage_error(exc, _("creating the session")) from None
    w = SessionWriter(
        info,
        session_dir,
        key,
        uid,
        lock,
        segment_max_bytes=segment_max_bytes,
        seal_interval_s=seal_interval_s,
        max_buffer_events=max_buffer_events,
        compression_level=compression_level,
        compact=None if summarize is None else (public, summarize),
    )
    try:
        w.start(info_body)
    except StoreError:
        # Nothing was recorded yet: leave no half-made session behind (key first).
        w._closed = True
        w._close_fd()
        lock.release()
        with contextlib.suppress(OSError):
            os.unlink(session_dir / layout.KEY_FILE)
        shutil.rmtree(session_dir, ignore_errors=True)
        raise
    return w
