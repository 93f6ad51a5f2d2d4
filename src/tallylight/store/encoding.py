"""Pure event codec: the EVENTS record body of docs/FORMAT.md section 6.

Columnar per record: one kind byte per event, then per field a column of
LEB128 varints holding only the events that use the field — time deltas in a
per-record time unit, ZigZag deltas for x/y, plain values for the rest. Every
column's length follows from the kinds, so the values of *all* records are
decoded together with a handful of numpy calls (opening a session of millions
of events is then dominated by numpy, not Python). The payload is then
compressed with raw DEFLATE in one stream per segment, flushed at every record
(``Z_SYNC_FLUSH`` with the constant 00 00 FF FF tail removed, as in RFC 7692),
so small once-a-second records still share one compression history.

No I/O and no crypto here: bytes in, bytes out.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from tallylight.errors import AuthenticationError
from tallylight.events import Event, Kind

COMPRESSION_DEFLATE = 1
MAX_EVENTS_PER_BLOCK = 1 << 20
MAX_PAYLOAD = 64 << 20
DEFLATE_LEVEL = 6
SYNC_TAIL = b"\x00\x00\xff\xff"

T_MIN, T_MAX = -(1 << 62), 1 << 62
I32_MIN, I32_MAX = -(1 << 31), 1 << 31
U31_MAX = 1 << 31

_KINDS: list[Kind | None] = [None] + [Kind(i) for i in range(1, 8)]
_U64 = np.uint64


class CorruptBlock(ValueError):
    """An authenticated body that does not follow the format (internal)."""


def _corrupt(what: str) -> AuthenticationError:
    return AuthenticationError(f"The session data is damaged: {what}.")


# ---------------------------------------------------------------- scalar varints


def put_varint(out: bytearray, value: int) -> None:
    if value < 0 or value >= 1 << 64:
        raise ValueError("varint out of range")
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def get_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Read a shortest-form LEB128 varint < 2^64; CorruptBlock on anything else."""
    try:
        b = buf[pos]
    except IndexError:
        raise CorruptBlock("bad varint") from None
    if b < 0x80:
        return b, pos + 1
    value = 0
    shift = 0
    start = pos
    n = len(buf)
    while True:
        if pos >= n or pos - start >= 10:
            raise CorruptBlock("bad varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            if b == 0 and pos - start > 1:
                raise CorruptBlock("non-shortest varint")
            if value >= 1 << 64:
                raise CorruptBlock("varint too large")
            return value, pos
        shift += 7


def zigzag(v: int) -> int:
    return (v << 1) ^ (v >> 63) if v < 0 else v << 1


def unzigzag(u: int) -> int:
    return (u >> 1) ^ -(u & 1)


# ---------------------------------------------------------------- vector varints

_THRESHOLDS = [_U64(1) << _U64(7 * k) for k in range(1, 10)]


def zigzag_array(a: np.ndarray) -> np.ndarray:
    """int64 -> uint64 ZigZag (two's complement, wraps like the spec says)."""
    a = a.astype(np.int64, copy=False)
    return ((a << 1) ^ (a >> 63)).view(_U64)


def unzigzag_array(u: np.ndarray) -> np.ndarray:
    return (u >> _U64(1)).view(np.int64) ^ -(u & _U64(1)).view(np.int64)


def varints(u: np.ndarray) -> bytes:
    """LEB128 encoding of every value of a uint64 array, back to back."""
    if u.size == 0:
        return b""
    nb = np.ones(u.size, np.int64)
    for th in _THRESHOLDS:
        m = u >= th
        if not m.any():
            break
        nb += m
    maxnb = int(nb.max())
    if maxnb == 1:
        return u.astype(np.uint8).tobytes()
    ends = np.cumsum(nb)
    starts = ends - nb
    out = np.empty(int(ends[-1]), np.uint8)
    for k in range(maxnb):
        if k == 0:
            sel_u, sel_nb, sel_st = u, nb, starts
        else:
            m = nb > k
            sel_u, sel_nb, sel_st = u[m], nb[m], starts[m]
        byte = ((sel_u >> _U64(7 * k)) & _U64(0x7F)).astype(np.uint8)
        byte |= (sel_nb > k + 1).astype(np.uint8) << 7
        out[sel_st + k] = byte
    return out.tobytes()


def decode_varints(chunks: Sequence[bytes | memoryview], counts: Sequence[int]) -> np.ndarray:
    """Decode ``counts[i]`` varints from each chunk ``i``; all chunks together, vectorised.

    CorruptBlock unless each chunk holds exactly its count of whole,
    shortest-form values below 2^64.
    """
    total = int(sum(counts))
    buf = np.frombuffer(b"".join(chunks), np.uint8)
    if buf.size == 0:
        if total:
            raise CorruptBlock("varint column does not hold the expected number of values")
        return np.zeros(0, _U64)
    term = buf < 0x80
    ends = np.flatnonzero(term)
    if ends.size != total:
        raise CorruptBlock("varint column does not hold the expected number of values")
    clen = np.fromiter((len(c) for c in chunks), np.int64, len(chunks))
    cend = np.cumsum(clen)
    if not term[(cend - 1)[clen > 0]].all():
        raise CorruptBlock("varint crosses a record boundary")
    per = np.diff(np.searchsorted(ends, cend - 1, side="right"), prepend=0)
    if not np.array_equal(per, np.asarray(counts, np.int64)):
        raise CorruptBlock("varint column does not hold the expected number of values")
    if ends.size == buf.size:  # every value one byte: the common case for small deltas
        return buf.astype(_U64)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lens = ends - starts + 1
    if lens.max() > 10:
        raise CorruptBlock("varint too long")
    last = buf[ends]
    if np.any((last == 0) & (lens > 1)):
        raise CorruptBlock("non-shortest varint")
    if np.any((lens == 10) & (last > 1)):
        raise CorruptBlock("varint too large")
    pos = np.arange(buf.size, dtype=np.int64) - np.repeat(starts, lens)
    vals = (buf & 0x7F).astype(_U64) << (pos * 7).astype(_U64)
    return np.bitwise_or.reduceat(vals, starts)


# ---------------------------------------------------------------- compression


class Compressor:
    """One raw DEFLATE stream per segment, flushed (and the flush tail dropped) per record."""

    def __init__(self, level: int = DEFLATE_LEVEL) -> None:
        self._c = zlib.compressobj(level, zlib.DEFLATED, -15, 9)

    def compress(self, payload: bytes) -> bytes:
        out = self._c.compress(payload) + self._c.flush(zlib.Z_SYNC_FLUSH)
        assert out.endswith(SYNC_TAIL)
        return bytes((COMPRESSION_DEFLATE,)) + out[: -len(SYNC_TAIL)]


class Decompressor:
    """Inverse of :class:`Compressor`; feed it a segment's EVENTS bodies in order."""

    def __init__(self) -> None:
        self._d = zlib.decompressobj(-15)

    def decompress(self, body: bytes | memoryview) -> bytes:
        if len(body) < 2 or body[0] != COMPRESSION_DEFLATE:
            raise CorruptBlock("unknown compression")
        try:
            out = self._d.decompress(bytes(body[1:]) + SYNC_TAIL, MAX_PAYLOAD)
        except zlib.error:
            raise CorruptBlock("bad deflate stream") from None
        if self._d.eof or self._d.unconsumed_tail or self._d.unused_data:
            raise CorruptBlock("deflate stream ended, oversized or followed by bytes")
        return out


def compress(payload: bytes, level: int = DEFLATE_LEVEL) -> bytes:
    """A body as the first record of a fresh stream."""
    return Compressor(level).compress(payload)


def decompress(body: bytes | memoryview) -> bytes:
    return Decompressor().decompress(body)


# ---------------------------------------------------------------- columns


@dataclass(frozen=True)
class EventColumns:
    """A session's events as numpy columns (one row per event).

    ``key`` is uint64 (a keyed hash may use all 64 bits); ``text`` is an object
    array of str. Fields a kind does not use are 0 / "".
    """

    t_ns: np.ndarray
    kind: np.ndarray
    x: np.ndarray
    y: np.ndarray
    button: np.ndarray
    dx: np.ndarray
    dy: np.ndarray
    key_class: np.ndarray
    key: np.ndarray
    text: np.ndarray
    marker: np.ndarray
    reason: np.ndarray

    def __len__(self) -> int:
        return int(self.t_ns.shape[0])

    def events(self) -> Iterator[Event]:
        """The rows as :class:`Event` tuples (kind as :class:`Kind`)."""
        kinds = [_KINDS[k] for k in self.kind.tolist()]
        return map(
            Event._make,
            zip(
                self.t_ns.tolist(),
                kinds,
                self.x.tolist(),
                self.y.tolist(),
                self.button.tolist(),
                self.dx.tolist(),
                self.dy.tolist(),
                self.key_class.tolist(),
                self.key.tolist(),
                self.text.tolist(),
                self.marker.tolist(),
                self.reason.tolist(),
            ),
        )

    @classmethod
    def empty(cls) -> EventColumns:
        z = np.zeros(0, np.int64)
        return cls(
            z, np.zeros(0, np.uint8), z, z, z, z, z, z, np.zeros(0, np.uint64), np.zeros(0, object), z, z
        )

    @classmethod
    def concat(cls, parts: Sequence[EventColumns]) -> EventColumns:
        if not parts:
            return cls.empty()
        if len(parts) == 1:
            return parts[0]
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__))


def _check(arr: np.ndarray, used: np.ndarray, lo: int, hi: int, name: str) -> None:
    if arr.min() < lo or arr.max() >= hi:
        raise ValueError(f"{name} out of range")
    if np.any(arr[~used]):
        raise ValueError(f"{name} set on an event kind that does not use it")


def _delta(a: np.ndarray) -> np.ndarray:
    d = a.copy()
    if a.size > 1:
        np.subtract(a[1:], a[:-1], out=d[1:])
    return d


def encode_payload(events: Sequence[Event]) -> bytes:
    """Encode a non-empty batch of events (uncompressed payload).

    Raises ValueError for events outside the format's value ranges or with a
    non-zero field their kind does not use (a recorder bug, not user error).
    """
    n = len(events)
    if n == 0 or n > MAX_EVENTS_PER_BLOCK:
        raise ValueError(f"a block holds 1..{MAX_EVENTS_PER_BLOCK} events, got {n}")
    cols = list(zip(*events))
    if len(cols) != 12:
        raise ValueError("events must be tallylight.events.Event tuples")
    try:
        t = np.array(cols[0], dtype=np.int64)
        kind = np.fromiter(cols[1], dtype=np.uint8, count=n)
        x = np.array(cols[2], dtype=np.int64)
        y = np.array(cols[3], dtype=np.int64)
        btn = np.array(cols[4], dtype=np.int64)
        dx = np.array(cols[5], dtype=np.int64)
        dy = np.array(cols[6], dtype=np.int64)
        kc = np.array(cols[7], dtype=np.int64)
        key = np.array(cols[8], dtype=_U64)
        mk = np.array(cols[10], dtype=np.int64)
        rs = np.array(cols[11], dtype=np.int64)
    except (OverflowError, TypeError, ValueError) as exc:
        raise ValueError(f"event field out of range: {exc}") from None
    if t.min() < T_MIN or t.max() >= T_MAX:
        raise ValueError("t_ns out of range")
    if kind.min() < 1 or kind.max() > 7:
        raise ValueError("unknown event kind")
    is_key = kind <= 2
    is_pos = (kind >= 3) & (kind <= 6)
    is_btn = (kind == 4) | (kind == 5)
    is_scr = kind == 6
    is_mk = kind == 7
    _check(x, is_pos, I32_MIN, I32_MAX, "x")
    _check(y, is_pos, I32_MIN, I32_MAX, "y")
    _check(btn, is_btn, 0, U31_MAX, "button")
    _check(dx, is_scr, I32_MIN, I32_MAX, "dx")
    _check(dy, is_scr, I32_MIN, I32_MAX, "dy")
    _check(kc, is_key, 0, U31_MAX, "key_class")
    _check(mk, is_mk, 0, U31_MAX, "marker")
    _check(rs, is_mk, 0, U31_MAX, "reason")
    if np.any(key[~is_key]):
        raise ValueError("key set on a non-key event")
    texts = cols[9]
    key_idx = np.flatnonzero(is_key)
    blob = b""
    tlen = None
    if any(texts):
        if any(texts[i] for i in np.flatnonzero(~is_key).tolist()):
            raise ValueError("text set on a non-key event")
        try:
            tb = [texts[i].encode("utf-8") for i in key_idx.tolist()]
        except (UnicodeEncodeError, AttributeError) as exc:
            raise ValueError(f"bad key text: {exc}") from None
        tlen = np.array([len(b) for b in tb], dtype=_U64)
        blob = b"".join(tb)

    d = np.diff(t)
    unit = 1
    if d.size and np.any(d):
        unit = int(np.gcd.reduce(np.abs(d)))
        if unit > 1:
            d = d // unit
    z = np.zeros(0, _U64)
    values = np.concatenate(
        [
            zigzag_array(d),
            zigzag_array(_delta(x[is_pos])),
            zigzag_array(_delta(y[is_pos])),
            btn[is_btn].view(_U64),
            zigzag_array(dx[is_scr]),
            zigzag_array(dy[is_scr]),
            kc[is_key].view(_U64),
            key[is_key],
            tlen if tlen is not None else np.zeros(key_idx.size, _U64),
            mk[is_mk].view(_U64),
            rs[is_mk].view(_U64),
            z,
        ]
    )
    out = bytearray()
    put_varint(out, n)
    put_varint(out, zigzag(int(t[0])))
    put_varint(out, unit)
    put_varint(out, len(blob))
    out += kind.tobytes()
    out += blob
    out += varints(values)
    return bytes(out)


def encode_block(events: Sequence[Event], level: int = DEFLATE_LEVEL) -> bytes:
    """EVENTS record body as the first record of a fresh compression stream."""
    return compress(encode_payload(events), level)


# ---------------------------------------------------------------- decoding


def _segmented_cumsum(d: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at each record (int64, wraps like the spec says)."""
    c = np.cumsum(d)
    if c.size == 0:
        return c
    ends = np.cumsum(counts)
    before = np.concatenate(([0], c))[ends - counts]
    return c - np.repeat(before, counts)


def decode_payloads(payloads: Sequence[bytes]) -> EventColumns:
    """Decode many uncompressed payloads (in record order) into one set of columns.

    Per record only the framing is parsed in Python; the values of every column
    of every record are converted with a handful of numpy calls in total.
    Raises AuthenticationError (a damaged session) for any malformed payload.
    """
    try:
        return _decode(payloads)
    except CorruptBlock as exc:
        raise _corrupt(str(exc)) from None


def _decode(payloads: Sequence[bytes]) -> EventColumns:
    if not payloads:
        return EventColumns.empty()
    R = len(payloads)
    ns: list[int] = []
    t0s: list[int] = []
    units: list[int] = []
    tbytes: list[int] = []
    kinds: list[bytes] = []
    blobs: list[bytes] = []
    vchunks: list[bytes] = []
    for raw in payloads:  # only the four header varints are parsed in Python
        n, pos = get_varint(raw, 0)
        zt, pos = get_varint(raw, pos)
        unit, pos = get_varint(raw, pos)
        tb, pos = get_varint(raw, pos)
        if n < 1 or n > MAX_EVENTS_PER_BLOCK:
            raise CorruptBlock("bad event count")
        if unit < 1 or unit >= 1 << 63:
            raise CorruptBlock("bad time unit")
        end = pos + n + tb
        if end > len(raw):
            raise CorruptBlock("truncated event block")
        kinds.append(raw[pos : pos + n])
        if tb:
            blobs.append(raw[pos + n : end])
        vchunks.append(raw[end:])
        ns.append(n)
        t0s.append(unzigzag(zt))
        units.append(unit)
        tbytes.append(tb)

    counts = np.array(ns, dtype=np.int64)
    N = int(counts.sum())
    kind = np.frombuffer(b"".join(kinds), dtype=np.uint8).copy()
    if kind.min() < 1 or kind.max() > 7:
        raise CorruptBlock("unknown event kind")
    rec = np.repeat(np.arange(R, dtype=np.int64), counts)
    kc = np.bincount(rec * 8 + kind, minlength=8 * R).reshape(R, 8)
    P = kc[:, 3] + kc[:, 4] + kc[:, 5] + kc[:, 6]
    B = kc[:, 4] + kc[:, 5]
    S = kc[:, 6]
    K = kc[:, 1] + kc[:, 2]
    M = kc[:, 7]
    C = np.stack([counts - 1, P, P, B, S, S, K, K, K, M, M], axis=1)
    vals = decode_varints(vchunks, C.sum(axis=1).tolist())
    col_id = np.repeat(np.tile(np.arange(11, dtype=np.int8), R), C.ravel())
    grouped = vals[np.argsort(col_id, kind="stable")]  # radix sort for int8: by column, record order kept
    bounds = np.cumsum(C.sum(axis=0)).tolist()
    cols = np.split(grouped, bounds[:-1])

    t0 = np.array(t0s, dtype=object)
    if any(not T_MIN <= v < T_MAX for v in t0s):
        raise CorruptBlock("time out of range")
    starts = np.cumsum(counts) - counts
    step = np.zeros(N, np.int64)
    dts = unzigzag_array(cols[0])
    if dts.size:
        nonstart = np.ones(N, bool)
        nonstart[starts] = False
        if any(u != 1 for u in units):
            dts = dts * np.repeat(np.array(units, dtype=_U64).view(np.int64), counts - 1)
        step[nonstart] = dts
    t = _segmented_cumsum(step, counts) + np.repeat(t0.astype(np.int64), counts)
    if t.min() < T_MIN or t.max() >= T_MAX:
        raise CorruptBlock("time out of range")

    is_key = kind <= 2
    is_pos = (kind >= 3) & (kind <= 6)
    is_btn = (kind == 4) | (kind == 5)
    is_scr = kind == 6
    is_mk = kind == 7

    def scatter(values: np.ndarray, mask: np.ndarray, lo: int, hi: int) -> np.ndarray:
        out = np.zeros(N, np.int64)
        if values.size:
            if values.min() < lo or values.max() >= hi:
                raise CorruptBlock("value out of range")
            out[mask] = values
        return out

    def unsigned(v: np.ndarray) -> np.ndarray:
        if v.size and v.max() >= _U64(U31_MAX):
            raise CorruptBlock("value out of range")
        return v.astype(np.int64)

    x = scatter(_segmented_cumsum(unzigzag_array(cols[1]), P), is_pos, I32_MIN, I32_MAX)
    y = scatter(_segmented_cumsum(unzigzag_array(cols[2]), P), is_pos, I32_MIN, I32_MAX)
    button = scatter(unsigned(cols[3]), is_btn, 0, U31_MAX)
    dx = scatter(unzigzag_array(cols[4]), is_scr, I32_MIN, I32_MAX)
    dy = scatter(unzigzag_array(cols[5]), is_scr, I32_MIN, I32_MAX)
    key_class = scatter(unsigned(cols[6]), is_key, 0, U31_MAX)
    keyv = np.zeros(N, _U64)
    if cols[7].size:
        keyv[is_key] = cols[7]
    marker = scatter(unsigned(cols[9]), is_mk, 0, U31_MAX)
    reason = scatter(unsigned(cols[10]), is_mk, 0, U31_MAX)

    text = np.full(N, "", dtype=object)
    tlen = cols[8]
    if tlen.size and tlen.max() >= _U64(MAX_PAYLOAD):
        raise CorruptBlock("text too long")
    tlen = tlen.astype(np.int64)
    krec = np.repeat(np.arange(R, dtype=np.int64), K)
    per_rec = (
        np.bincount(krec, weights=tlen, minlength=R).astype(np.int64) if tlen.size else np.zeros(R, np.int64)
    )
    if not np.array_equal(per_rec, np.array(tbytes, dtype=np.int64)):
        raise CorruptBlock("text lengths do not match the text")
    if blobs:
        key_rows = np.flatnonzero(is_key)
        key_starts = (np.cumsum(K) - K).tolist()
        lens_all = tlen.tolist()
        it = iter(blobs)
        for r, tb in enumerate(tbytes):
            if not tb:
                continue
            b = next(it)
            off = 0
            base = key_starts[r]
            for j in range(int(K[r])):
                ln = lens_all[base + j]
                if ln:
                    try:
                        text[key_rows[base + j]] = b[off : off + ln].decode("utf-8")
                    except UnicodeDecodeError:
                        raise CorruptBlock("bad UTF-8 in key text") from None
                    off += ln
    return EventColumns(t, kind, x, y, button, dx, dy, key_class, keyv, text, marker, reason)


def decode_block(body: bytes) -> EventColumns:
    """Decode one EVENTS body that starts a compression stream."""
    try:
        payload = decompress(body)
    except CorruptBlock as exc:
        raise _corrupt(str(exc)) from None
    return decode_payloads([payload])
