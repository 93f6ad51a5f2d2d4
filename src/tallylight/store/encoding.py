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

import functools
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tallylight.errors import AuthenticationError
from tallylight.events import Event, Kind
from tallylight.i18n import _

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
    return AuthenticationError(_("The session data is damaged: {what}.").format(what=what))


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
    # byte k of every value at least k + 1 bytes long, one pass per byte position: memory in
    # values, not in bytes (an 8-hour session holds tens of millions of them)
    vals = (buf[starts] & 0x7F).astype(_U64)
    idx = np.flatnonzero(lens > 1)
    k = 1
    while idx.size:
        at = starts[idx] + k
        vals[idx] |= (buf[at] & 0x7F).astype(_U64) << _U64(7 * k)
        k += 1
        idx = idx[lens[idx] > k]
    return vals


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
                strict=True,
            ),
        )

    def take(self, rows: np.ndarray | slice) -> EventColumns:
        """The rows selected by an index array, a boolean mask or a slice."""
        return EventColumns(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))

    @classmethod
    def empty(cls) -> EventColumns:
        z = np.zeros(0, np.int64)
        return cls(
            z, np.zeros(0, np.uint8), z, z, z, z, z, z, np.zeros(0, np.uint64), np.zeros(0, object), z, z
        )

    @classmethod
    def markers(cls, t_ns: Sequence[int], marker: Sequence[int], reason: Sequence[int]) -> EventColumns:
        """MARKER rows at the given times (structure added by a cut or a task's window)."""
        n = len(t_ns)
        z = np.zeros(n, np.int64)
        return cls(
            np.array(t_ns, np.int64),
            np.full(n, Kind.MARKER, np.uint8),
            z,
            z,
            z,
            z,
            z,
            z,
            np.zeros(n, np.uint64),
            np.full(n, "", dtype=object),
            np.array(marker, np.int64),
            np.array(reason, np.int64),
        )

    @classmethod
    def concat(cls, parts: Sequence[EventColumns]) -> EventColumns:
        if not parts:
            return cls.empty()
        if len(parts) == 1:
            return parts[0]
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__))


# ---------------------------------------------------------------- the column table (section 6.2)

#: Which event kinds use a field: the rows of a column (tallylight.events.Kind values).
KEY_KINDS, POSITION_KINDS, BUTTON_KINDS, SCROLL_KINDS, MARKER_KINDS = (1, 2), (3, 4, 5, 6), (4, 5), (6,), (7,)


@dataclass(frozen=True)
class Column:
    """One value column of an EVENTS payload after ``dt`` (FORMAT.md section 6.2, columns 2-11).

    The table drives both the encoder and the decoder, so the order, the kinds
    that carry a value, the coding and the value range are written down once.
    """

    name: str  # the Event / EventColumns field (``text_len``: the byte length of ``text``)
    kinds: tuple[int, ...]  # the event kinds that store a value in this column
    signed: bool = False  # svarint (ZigZag) rather than varint
    delta: bool = False  # delta-coded within the record
    lo: int = 0  # valid values: lo <= v < hi
    hi: int = U31_MAX
    wide: bool = False  # the full uint64 range (the key), stored as uint64


COLUMNS = (
    Column("x", POSITION_KINDS, signed=True, delta=True, lo=I32_MIN, hi=I32_MAX),
    Column("y", POSITION_KINDS, signed=True, delta=True, lo=I32_MIN, hi=I32_MAX),
    Column("button", BUTTON_KINDS),
    Column("dx", SCROLL_KINDS, signed=True, lo=I32_MIN, hi=I32_MAX),
    Column("dy", SCROLL_KINDS, signed=True, lo=I32_MIN, hi=I32_MAX),
    Column("key_class", KEY_KINDS),
    Column("key", KEY_KINDS, wide=True),
    Column("text_len", KEY_KINDS),
    Column("marker", MARKER_KINDS),
    Column("reason", MARKER_KINDS),
)
_TEXT_LEN = 7  # index of text_len in COLUMNS: the texts themselves are a blob, not values
_FIELD_INDEX = {name: i for i, name in enumerate(Event._fields)}


def _uses(kind: np.ndarray, kinds: tuple[int, ...]) -> np.ndarray:
    """Mask of the events whose kind stores a value in a column with ``kinds``."""
    lo, hi = kinds[0], kinds[-1]
    if kinds == tuple(range(lo, hi + 1)):  # every column's kinds are a range: two compares, no lookup
        mask: np.ndarray = kind == lo if lo == hi else (kind >= lo) & (kind <= hi)
        return mask
    mask = _kind_table(kinds)[kind]
    return mask


@functools.cache
def _kind_table(kinds: tuple[int, ...]) -> np.ndarray:
    table = np.zeros(8, bool)
    table[list(kinds)] = True
    return table


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


# ---------------------------------------------------------------- encoding


def encode_payload(events: Sequence[Event]) -> bytes:
    """Encode a non-empty batch of events (uncompressed payload, section 6.2).

    Raises ValueError for events outside the format's value ranges or with a
    non-zero field their kind does not use (a recorder bug, not user error).
    """
    n = len(events)
    if n == 0 or n > MAX_EVENTS_PER_BLOCK:
        raise ValueError(f"a block holds 1..{MAX_EVENTS_PER_BLOCK} events, got {n}")
    fields = list(zip(*events, strict=True))
    if len(fields) != len(Event._fields):
        raise ValueError("events must be tallylight.events.Event tuples")
    return _encode_fields(fields, n)


def encode_columns(cols: EventColumns) -> bytes:
    """Encode a non-empty block given as decoded columns (compaction and cuts rewrite these)."""
    n = len(cols)
    if n == 0 or n > MAX_EVENTS_PER_BLOCK:
        raise ValueError(f"a block holds 1..{MAX_EVENTS_PER_BLOCK} events, got {n}")
    return _encode_fields([getattr(cols, f) for f in Event._fields], n)


def _encode_fields(fields: list[Any], n: int) -> bytes:
    """The payload of ``n`` events given field by field (in ``Event._fields`` order)."""
    t = _field(fields, "t_ns", np.int64)
    kind = np.fromiter(fields[_FIELD_INDEX["kind"]], dtype=np.uint8, count=n)
    if t.min() < T_MIN or t.max() >= T_MAX:
        raise ValueError("t_ns out of range")
    if kind.min() < 1 or kind.max() > 7:
        raise ValueError("unknown event kind")
    blob, text_len = _encode_texts(fields[_FIELD_INDEX["text"]], _uses(kind, KEY_KINDS))
    dt, unit = _time_deltas(t)
    values = [zigzag_array(dt)]
    for column in COLUMNS:
        values.append(text_len if column.name == "text_len" else _encode_column(column, fields, kind))
    out = bytearray()
    put_varint(out, n)
    put_varint(out, zigzag(int(t[0])))
    put_varint(out, unit)
    put_varint(out, len(blob))
    out += kind.tobytes()
    out += blob
    out += varints(np.concatenate(values))
    return bytes(out)


def _field(fields: list[tuple[Any, ...]], name: str, dtype: type) -> np.ndarray:
    try:
        return np.array(fields[_FIELD_INDEX[name]], dtype=dtype)
    except (OverflowError, TypeError, ValueError) as exc:
        raise ValueError(f"event field out of range: {exc}") from None


def _encode_column(column: Column, fields: list[tuple[Any, ...]], kind: np.ndarray) -> np.ndarray:
    """One column's values (uint64, before varint coding), checking range and unused fields."""
    used = _uses(kind, column.kinds)
    arr = _field(fields, column.name, _U64 if column.wide else np.int64)
    if column.wide:
        if np.any(arr[~used]):
            raise ValueError(f"{column.name} set on a non-key event")
        keys: np.ndarray = arr[used]
        return keys
    _check(arr, used, column.lo, column.hi, column.name)
    values = arr[used]
    if column.delta:
        values = _delta(values)
    return zigzag_array(values) if column.signed else values.view(_U64)


def _encode_texts(texts: tuple[str, ...], is_key: np.ndarray) -> tuple[bytes, np.ndarray]:
    """The text blob and the text_len column (one value per key event)."""
    key_idx = np.flatnonzero(is_key)
    if not any(texts):
        return b"", np.zeros(key_idx.size, _U64)
    if any(texts[i] for i in np.flatnonzero(~is_key).tolist()):
        raise ValueError("text set on a non-key event")
    try:
        encoded = [texts[i].encode("utf-8") for i in key_idx.tolist()]
    except (UnicodeEncodeError, AttributeError) as exc:
        raise ValueError(f"bad key text: {exc}") from None
    return b"".join(encoded), np.array([len(b) for b in encoded], dtype=_U64)


def _time_deltas(t: np.ndarray) -> tuple[np.ndarray, int]:
    """The ``dt`` column in units of the record's time unit (the gcd of the deltas)."""
    d = np.diff(t)
    unit = 1
    if d.size and np.any(d):
        unit = int(np.gcd.reduce(np.abs(d)))
        if unit > 1:
            d = d // unit
    return d, unit


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
    out: np.ndarray = c - np.repeat(before, counts)
    return out


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


#: How many events :func:`iter_decode` decodes at once: enough for numpy to be efficient,
#: few enough that each step's temporary arrays stay small and no single numpy call holds
#: the interpreter long (a GUI thread shares it with the worker that decodes).
DECODE_CHUNK_EVENTS = 1 << 18


def iter_decode(payloads: Sequence[bytes], chunk_events: int = DECODE_CHUNK_EVENTS) -> Iterator[EventColumns]:
    """:func:`decode_payloads` in pieces of whole records of about ``chunk_events`` events each.

    The pieces, in record order, concatenate to what :func:`decode_payloads`
    returns. A caller that reduces each piece (the review window) never holds
    every decoded column of a long session at once. Raises AuthenticationError
    (a damaged session) for any malformed payload, when its piece is reached.
    """
    group: list[bytes] = []
    held = 0
    for raw in payloads:
        try:
            n, _pos = get_varint(raw, 0)
        except CorruptBlock as exc:
            raise _corrupt(str(exc)) from None
        if group and held + n > chunk_events:
            yield decode_payloads(group)
            group, held = [], 0
        group.append(raw)
        held += n
    if group:
        yield decode_payloads(group)


@dataclass
class _Headers:
    """The framing of each record (section 6.2's first four varints, kinds, texts, value bytes)."""

    counts: list[int] = field(default_factory=list)
    t0s: list[int] = field(default_factory=list)
    units: list[int] = field(default_factory=list)
    text_bytes: list[int] = field(default_factory=list)
    kinds: list[bytes] = field(default_factory=list)
    texts: list[bytes] = field(default_factory=list)  # only the records that have text
    values: list[bytes] = field(default_factory=list)


def _parse_headers(payloads: Sequence[bytes]) -> _Headers:
    """Only the four header varints of each record are parsed in Python."""
    h = _Headers()
    for raw in payloads:
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
        h.kinds.append(raw[pos : pos + n])
        if tb:
            h.texts.append(raw[pos + n : end])
        h.values.append(raw[end:])
        h.counts.append(n)
        h.t0s.append(unzigzag(zt))
        h.units.append(unit)
        h.text_bytes.append(tb)
    return h


def _decode(payloads: Sequence[bytes]) -> EventColumns:
    if not payloads:
        return EventColumns.empty()
    h = _parse_headers(payloads)
    n_records = len(payloads)
    counts = np.array(h.counts, dtype=np.int64)
    kind = np.frombuffer(b"".join(h.kinds), dtype=np.uint8).copy()
    if kind.min() < 1 or kind.max() > 7:
        raise CorruptBlock("unknown event kind")
    # every column's length in every record follows from the kinds
    if n_records == 1:
        per_kind = np.bincount(kind, minlength=8).reshape(1, 8)
    else:
        per_kind = np.bincount(
            np.repeat(np.arange(n_records, dtype=np.int64), counts) * 8 + kind, minlength=8 * n_records
        ).reshape(n_records, 8)
    rows = np.stack([counts - 1] + [per_kind[:, list(c.kinds)].sum(axis=1) for c in COLUMNS], axis=1)
    vals = decode_varints(h.values, rows.sum(axis=1).tolist())
    if n_records == 1:  # one record's columns already follow each other
        grouped = vals
    else:
        col_id = np.repeat(np.tile(np.arange(len(COLUMNS) + 1, dtype=np.int8), n_records), rows.ravel())
        grouped = vals[np.argsort(col_id, kind="stable")]  # radix sort for int8: by column, record order kept
    cols = np.split(grouped, np.cumsum(rows.sum(axis=0)).tolist()[:-1])

    t = _decode_times(cols[0], counts, h)
    masks: dict[tuple[int, ...], np.ndarray] = {}  # columns of the same kinds share their mask
    for c in COLUMNS:
        if c.kinds not in masks:
            masks[c.kinds] = _uses(kind, c.kinds)
    decoded = {
        c.name: _decode_column(c, v, masks[c.kinds], rows[:, i + 1])
        for i, (c, v) in enumerate(zip(COLUMNS, cols[1:], strict=True))
        if c.name != "text_len"
    }
    text = _decode_texts(cols[1 + _TEXT_LEN], rows[:, 1 + _TEXT_LEN], masks[KEY_KINDS], h)
    return EventColumns(t_ns=t, kind=kind, text=text, **decoded)


def _decode_times(dt: np.ndarray, counts: np.ndarray, h: _Headers) -> np.ndarray:
    """Column 1: ``t[i] = t[i-1] + unit * dt[i-1]`` from each record's ``t0``."""
    if any(not T_MIN <= v < T_MAX for v in h.t0s):
        raise CorruptBlock("time out of range")
    n_events = int(counts.sum())
    starts = np.cumsum(counts) - counts
    step = np.zeros(n_events, np.int64)
    dts = unzigzag_array(dt)
    if dts.size:
        nonstart = np.ones(n_events, bool)
        nonstart[starts] = False
        if any(u != 1 for u in h.units):
            dts = dts * np.repeat(np.array(h.units, dtype=_U64).view(np.int64), counts - 1)
        step[nonstart] = dts
    t = _segmented_cumsum(step, counts) + np.repeat(np.array(h.t0s, dtype=object).astype(np.int64), counts)
    if t.min() < T_MIN or t.max() >= T_MAX:
        raise CorruptBlock("time out of range")
    return t


def _decode_column(
    column: Column, values: np.ndarray, used: np.ndarray, per_record: np.ndarray
) -> np.ndarray:
    """One value column back to one row per event (0 where the kind does not use it)."""
    if column.wide:
        out = np.zeros(used.size, _U64)
        if values.size:
            out[used] = values
        return out
    if column.signed:
        values = unzigzag_array(values)
        if column.delta:
            values = _segmented_cumsum(values, per_record)
    elif values.size and values.max() >= _U64(U31_MAX):
        raise CorruptBlock("value out of range")
    else:
        values = values.astype(np.int64)
    out = np.zeros(used.size, np.int64)
    if values.size:
        if values.min() < column.lo or values.max() >= column.hi:
            raise CorruptBlock("value out of range")
        out[used] = values
    return out


_NO_TEXT = np.array("", dtype=object)


def _decode_texts(
    text_len: np.ndarray, keys_per_record: np.ndarray, is_key: np.ndarray, h: _Headers
) -> np.ndarray:
    """The key events' texts from each record's blob, cut by the text_len column."""
    n_records = len(h.counts)
    if not h.texts:  # no record has text (every mode but full): every length must be 0
        if text_len.any():
            raise CorruptBlock("text lengths do not match the text")
        # one shared "" for every row, read-only (filling millions of rows held the interpreter)
        empty: np.ndarray = np.broadcast_to(_NO_TEXT, is_key.shape)
        return empty
    text = np.full(is_key.size, "", dtype=object)
    if text_len.size and text_len.max() >= _U64(MAX_PAYLOAD):
        raise CorruptBlock("text too long")
    lens = text_len.astype(np.int64)
    krec = np.repeat(np.arange(n_records, dtype=np.int64), keys_per_record)
    per_rec = (
        np.bincount(krec, weights=lens, minlength=n_records).astype(np.int64)
        if lens.size
        else np.zeros(n_records, np.int64)
    )
    if not np.array_equal(per_rec, np.array(h.text_bytes, dtype=np.int64)):
        raise CorruptBlock("text lengths do not match the text")
    if not h.texts:
        return text
    key_rows = np.flatnonzero(is_key)
    key_starts = (np.cumsum(keys_per_record) - keys_per_record).tolist()
    lens_all = lens.tolist()
    blobs = iter(h.texts)
    for r, tb in enumerate(h.text_bytes):
        if not tb:
            continue
        blob = next(blobs)
        off = 0
        base = key_starts[r]
        for j in range(int(keys_per_record[r])):
            ln = lens_all[base + j]
            if ln:
                try:
                    text[key_rows[base + j]] = blob[off : off + ln].decode("utf-8")
                except UnicodeDecodeError:
                    raise CorruptBlock("bad UTF-8 in key text") from None
                off += ln
    return text


def decode_block(body: bytes) -> EventColumns:
    """Decode one EVENTS body that starts a compression stream."""
    try:
        payload = decompress(body)
    except CorruptBlock as exc:
        raise _corrupt(str(exc)) from None
    return decode_payloads([payload])
