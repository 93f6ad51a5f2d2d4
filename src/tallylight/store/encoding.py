"""Pure event codec: the EVENTS record body of docs/FORMAT.md section 6.

Columnar per record (delta times in a per-record time unit, delta-coded x/y,
one kind byte per event, narrowest fixed-width column per field) and raw
DEFLATE. Fixed-width columns rather than varints because they decode with one
``np.frombuffer`` per column for *all* records at once, which is what makes
opening a session of millions of events fast; DEFLATE then squeezes out the
bytes a varint would have saved.

No I/O and no crypto here: bytes in, bytes out.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from tallylight.errors import AuthenticationError
from tallylight.events import Event, Kind

COMPRESSION_DEFLATE = 1
MAX_EVENTS_PER_BLOCK = 1 << 20
MAX_PAYLOAD = 64 << 20
DEFLATE_LEVEL = 6

T_MIN, T_MAX = -(1 << 62), 1 << 62
I32_MIN, I32_MAX = -(1 << 31), 1 << 31
U31_MAX = 1 << 31

_WIDTHS = (0, 1, 2, 4, 8)
_DTYPES = {1: np.dtype("<i1"), 2: np.dtype("<i2"), 4: np.dtype("<i4"), 8: np.dtype("<i8")}
_KINDS: list[Kind | None] = [None] + [Kind(i) for i in range(1, 8)]


class CorruptBlock(ValueError):
    """An authenticated body that does not follow the format (internal)."""


def _corrupt(what: str) -> AuthenticationError:
    return AuthenticationError(f"The session data is damaged: {what}.")


# ---------------------------------------------------------------- varints


def put_varint(out: bytearray, value: int) -> None:
    if value < 0 or value >= 1 << 64:
        raise ValueError("varint out of range")
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def get_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Read a shortest-form LEB128 varint < 2^64; CorruptBlock on anything else."""
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
                self.t_ns.tolist(), kinds, self.x.tolist(), self.y.tolist(),
                self.button.tolist(), self.dx.tolist(), self.dy.tolist(),
                self.key_class.tolist(), self.key.tolist(), self.text.tolist(),
                self.marker.tolist(), self.reason.tolist(),
            ),
        )

    @classmethod
    def empty(cls) -> EventColumns:
        z = np.zeros(0, np.int64)
        return cls(z, np.zeros(0, np.uint8), z, z, z, z, z, z, np.zeros(0, np.uint64),
                   np.zeros(0, object), z, z)

    @classmethod
    def concat(cls, parts: Sequence[EventColumns]) -> EventColumns:
        if not parts:
            return cls.empty()
        if len(parts) == 1:
            return parts[0]
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__))


def _column(a: np.ndarray) -> bytes:
    if a.size == 0:
        return b"\x00"
    lo = int(a.min())
    hi = int(a.max())
    if lo == 0 and hi == 0:
        return b"\x00"
    if lo >= -0x80 and hi < 0x80:
        w = 1
    elif lo >= -0x8000 and hi < 0x8000:
        w = 2
    elif lo >= -(1 << 31) and hi < 1 << 31:
        w = 4
    else:
        w = 8
    return bytes((w,)) + a.astype(_DTYPES[w], copy=False).tobytes()


def _delta(a: np.ndarray) -> np.ndarray:
    if a.size == 0:
        return a
    d = np.empty_like(a)
    d[0] = a[0]
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
        key = np.array(cols[8], dtype=np.uint64)
        mk = np.array(cols[10], dtype=np.int64)
        rs = np.array(cols[11], dtype=np.int64)
    except (OverflowError, TypeError) as exc:
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
    for arr, used, lo, hi, name in (
        (x, is_pos, I32_MIN, I32_MAX, "x"), (y, is_pos, I32_MIN, I32_MAX, "y"),
        (btn, is_btn, 0, U31_MAX, "button"), (dx, is_scr, I32_MIN, I32_MAX, "dx"),
        (dy, is_scr, I32_MIN, I32_MAX, "dy"), (kc, is_key, 0, U31_MAX, "key_class"),
        (mk, is_mk, 0, U31_MAX, "marker"), (rs, is_mk, 0, U31_MAX, "reason"),
    ):
        if arr.min() < lo or arr.max() >= hi:
            raise ValueError(f"{name} out of range")
        if np.any(arr[~used]):
            raise ValueError(f"{name} set on an event kind that does not use it")
    if np.any(key[~is_key]):
        raise ValueError("key set on a non-key event")
    texts = cols[9]
    key_idx = np.flatnonzero(is_key)
    if any(texts):
        if any(texts[i] for i in np.flatnonzero(~is_key).tolist()):
            raise ValueError("text set on a non-key event")
        try:
            tb = [texts[i].encode("utf-8") for i in key_idx.tolist()]
        except (UnicodeEncodeError, AttributeError) as exc:
            raise ValueError(f"bad key text: {exc}") from None
        tlen = np.array([len(b) for b in tb], dtype=np.int64)
        blob = b"".join(tb)
    else:
        tlen = np.zeros(key_idx.size, np.int64)
        blob = b""

    out = bytearray()
    put_varint(out, n)
    t0 = int(t[0])
    put_varint(out, zigzag(t0))
    d = np.diff(t)
    unit = 1
    if d.size and np.any(d):
        unit = int(np.gcd.reduce(np.abs(d)))
        if unit > 1:
            d = d // unit
    put_varint(out, unit)
    out += kind.tobytes()
    parts = [
        bytes(out),
        _column(d),
        _column(_delta(x[is_pos])),
        _column(_delta(y[is_pos])),
        _column(btn[is_btn]),
        _column(dx[is_scr]),
        _column(dy[is_scr]),
        _column(kc[is_key]),
        _column(key[is_key].view(np.int64)),
        _column(tlen),
        blob,
        _column(mk[is_mk]),
        _column(rs[is_mk]),
    ]
    return b"".join(parts)


def compress(payload: bytes, level: int = DEFLATE_LEVEL) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return bytes((COMPRESSION_DEFLATE,)) + c.compress(payload) + c.flush()


def decompress(body: bytes | memoryview) -> bytes:
    """Inverse of :func:`compress`; CorruptBlock if not exactly one bounded stream."""
    if len(body) < 1 or body[0] != COMPRESSION_DEFLATE:
        raise CorruptBlock("unknown compression")
    d = zlib.decompressobj(-15)
    try:
        out = d.decompress(body[1:], MAX_PAYLOAD)
    except zlib.error:
        raise CorruptBlock("bad deflate stream") from None
    if not d.eof or d.unconsumed_tail or d.unused_data:
        raise CorruptBlock("deflate stream incomplete, oversized or followed by bytes")
    return out


def encode_block(events: Sequence[Event], level: int = DEFLATE_LEVEL) -> bytes:
    """EVENTS record body: compression byte + compressed payload."""
    return compress(encode_payload(events), level)


# ---------------------------------------------------------------- decoding


class _Col:
    __slots__ = ("counts", "widths", "chunks")

    def __init__(self) -> None:
        self.counts: list[int] = []
        self.widths: list[int] = []
        self.chunks: list[memoryview] = []

    def read(self, p: memoryview, pos: int, count: int) -> int:
        if pos >= len(p):
            raise CorruptBlock("truncated column")
        w = p[pos]
        if w not in _DTYPES and w != 0:
            raise CorruptBlock("bad column width")
        end = pos + 1 + count * w
        if end > len(p):
            raise CorruptBlock("truncated column")
        self.counts.append(count)
        self.widths.append(w)
        self.chunks.append(p[pos + 1 : end])
        return end

    def gather(self) -> np.ndarray:
        total = sum(self.counts)
        widths = self.widths
        present = set(widths)
        if len(present) == 1:
            w = widths[0]
            if w == 0:
                return np.zeros(total, np.int64)
            return np.frombuffer(b"".join(self.chunks), dtype=_DTYPES[w]).astype(np.int64)
        out = np.zeros(total, np.int64)
        counts = np.array(self.counts, dtype=np.int64)
        starts = np.cumsum(counts) - counts
        ws = np.array(widths, dtype=np.uint8)
        for w in present:
            if w == 0:
                continue
            sel = np.flatnonzero(ws == w)
            vals = np.frombuffer(b"".join([self.chunks[i] for i in sel.tolist()]), dtype=_DTYPES[w])
            c = counts[sel]
            shift = starts[sel] - (np.cumsum(c) - c)
            out[np.arange(vals.size) + np.repeat(shift, c)] = vals
        return out


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
    ns: list[int] = []
    t0s: list[int] = []
    units: list[int] = []
    kinds: list[memoryview] = []
    pcount: list[int] = []
    bcount: list[int] = []
    scount: list[int] = []
    kcount: list[int] = []
    mcount: list[int] = []
    texts: list[tuple[int, memoryview]] = []
    dt, cx, cy, cb, cdx, cdy, ckc, ckey, ctl, cm, cr = (_Col() for _ in range(11))
    event_base = 0
    for raw in payloads:
        p = memoryview(raw)
        n, pos = get_varint(p, 0)
        if n < 1 or n > MAX_EVENTS_PER_BLOCK:
            raise CorruptBlock("bad event count")
        zt, pos = get_varint(p, pos)
        t0 = unzigzag(zt)
        if not T_MIN <= t0 < T_MAX:
            raise CorruptBlock("time out of range")
        unit, pos = get_varint(p, pos)
        if unit < 1 or unit >= 1 << 63:
            raise CorruptBlock("bad time unit")
        if pos + n > len(p):
            raise CorruptBlock("truncated kinds")
        kb = raw[pos : pos + n] if isinstance(raw, bytes) else bytes(p[pos : pos + n])
        c = [kb.count(i) for i in range(8)]
        if c[0] or sum(c) != n:
            raise CorruptBlock("unknown event kind")
        kinds.append(p[pos : pos + n])
        pos += n
        P = c[3] + c[4] + c[5] + c[6]
        B = c[4] + c[5]
        S = c[6]
        K = c[1] + c[2]
        M = c[7]
        pos = dt.read(p, pos, n - 1)
        pos = cx.read(p, pos, P)
        pos = cy.read(p, pos, P)
        pos = cb.read(p, pos, B)
        pos = cdx.read(p, pos, S)
        pos = cdy.read(p, pos, S)
        pos = ckc.read(p, pos, K)
        pos = ckey.read(p, pos, K)
        pos = ctl.read(p, pos, K)
        w = ctl.widths[-1]
        if w and K:
            lens = np.frombuffer(ctl.chunks[-1], dtype=_DTYPES[w])
            if lens.min() < 0:
                raise CorruptBlock("negative text length")
            blen = int(lens.astype(object).sum())
            if pos + blen > len(p):
                raise CorruptBlock("truncated text")
            texts.append((len(ctl.counts) - 1, p[pos : pos + blen]))
            pos += blen
        pos = cm.read(p, pos, M)
        pos = cr.read(p, pos, M)
        if pos != len(p):
            raise CorruptBlock("trailing bytes in event block")
        ns.append(n)
        t0s.append(t0)
        units.append(unit)
        pcount.append(P)
        bcount.append(B)
        scount.append(S)
        kcount.append(K)
        mcount.append(M)
        event_base += n

    N = event_base
    counts = np.array(ns, dtype=np.int64)
    kind = np.frombuffer(b"".join(kinds), dtype=np.uint8)
    starts = np.cumsum(counts) - counts

    # time: per record t0 + unit * running sum of deltas
    step = np.zeros(N, np.int64)
    dts = dt.gather()
    if dts.size:
        nonstart = np.ones(N, bool)
        nonstart[starts] = False
        if any(u != 1 for u in units):
            dts = dts * np.repeat(np.array(units, dtype=np.int64), counts - 1)
        step[nonstart] = dts
    t = _segmented_cumsum(step, counts) + np.repeat(np.array(t0s, dtype=np.int64), counts)
    if t.min() < T_MIN or t.max() >= T_MAX:
        raise CorruptBlock("time out of range")

    is_key = kind <= 2
    is_pos = (kind >= 3) & (kind <= 6)
    is_btn = (kind == 4) | (kind == 5)
    is_scr = kind == 6
    is_mk = kind == 7

    def scatter(values: np.ndarray, mask: np.ndarray, lo: int, hi: int) -> np.ndarray:
        if values.size and (values.min() < lo or values.max() >= hi):
            raise CorruptBlock("value out of range")
        out = np.zeros(N, np.int64)
        if values.size:
            out[mask] = values
        return out

    pc = np.array(pcount, dtype=np.int64)
    x = scatter(_segmented_cumsum(cx.gather(), pc), is_pos, I32_MIN, I32_MAX)
    y = scatter(_segmented_cumsum(cy.gather(), pc), is_pos, I32_MIN, I32_MAX)
    button = scatter(cb.gather(), is_btn, 0, U31_MAX)
    dx = scatter(cdx.gather(), is_scr, I32_MIN, I32_MAX)
    dy = scatter(cdy.gather(), is_scr, I32_MIN, I32_MAX)
    key_class = scatter(ckc.gather(), is_key, 0, U31_MAX)
    keyv = np.zeros(N, np.uint64)
    kv = ckey.gather()
    if kv.size:
        keyv[is_key] = kv.view(np.uint64)
    marker = scatter(cm.gather(), is_mk, 0, U31_MAX)
    reason = scatter(cr.gather(), is_mk, 0, U31_MAX)

    text = np.full(N, "", dtype=object)
    if texts:
        key_rows = np.flatnonzero(is_key)
        kc_arr = np.array(kcount, dtype=np.int64)
        key_starts = np.cumsum(kc_arr) - kc_arr
        for rec, blob in texts:
            w = ctl.widths[rec]
            if not blob:
                continue
            lens = np.frombuffer(ctl.chunks[rec], dtype=_DTYPES[w]).tolist()
            b = bytes(blob)
            off = 0
            base = int(key_starts[rec])
            for j, ln in enumerate(lens):
                try:
                    s = b[off : off + ln].decode("utf-8")
                except UnicodeDecodeError:
                    raise CorruptBlock("bad UTF-8 in key text") from None
                off += ln
                if s:
                    text[key_rows[base + j]] = s
    return EventColumns(t, kind.copy(), x, y, button, dx, dy, key_class, keyv, text, marker, reason)


def decode_block(body: bytes) -> EventColumns:
    """Decode one EVENTS body (compression byte + payload)."""
    try:
        payload = decompress(body)
    except CorruptBlock as exc:
        raise _corrupt(str(exc)) from None
    return decode_payloads([payload])
