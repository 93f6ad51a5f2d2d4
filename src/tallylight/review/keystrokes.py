"""Key downs paired with their ups: holds, down-down and up-down intervals.

A key may be released under another identity than it was pressed with (``'H'``
down, ``'h'`` up), so the recorder reports every up exactly as its down was
reported (same class, key code and text). Pairing here therefore matches an up
to a down of the *same identity* ``(key_class, key, text)``:

- In ``hashed`` and ``full`` mode the identity is the physical key. A down while
  the same key is already held is auto-repeat: it is counted (``repeats``) but
  the hold runs from the first down.
- In ``class`` mode the identity is only the class (all letters look alike).
  Downs and ups are matched first-in, first-out per class: with rollover
  (``a`` down, ``b`` down, ``a`` up, ``b`` up) the first key pressed is the first
  released, which is by far the common case. Auto-repeat cannot be told apart
  from several held keys of one class there.

An up with no open down (its down fell in a pause) and a down never released
(session stopped, or its up fell in a pause) are left unpaired.

Everything is vectorised (sorting and cumulative sums), so an hour of typing
pairs in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tallylight.events import Kind
from tallylight.store.encoding import EventColumns


@dataclass(frozen=True)
class Keystrokes:
    """Paired key presses, ordered by down time (ns on the session clock)."""

    down_t: np.ndarray  # int64
    up_t: np.ndarray  # int64
    key_class: np.ndarray  # int64
    down_row: np.ndarray  # int64 row of the down in the columns
    up_row: np.ndarray  # int64 row of the up
    repeats: int = 0  # auto-repeat downs folded into a held key (hashed/full mode)
    unpaired_downs: int = 0
    unpaired_ups: int = 0

    def __len__(self) -> int:
        return int(self.down_t.size)

    @property
    def hold_ns(self) -> np.ndarray:
        hold: np.ndarray = self.up_t - self.down_t
        return hold


def _identities(cols: EventColumns, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(identity id per key row, whether that identity is a physical key)."""
    kc = cols.key_class[rows]
    key = cols.key[rows]
    texts = cols.text[rows]
    has_text = texts != ""
    any_key, any_text = bool(key.any()), bool(has_text.any())
    if not any_key and not any_text:  # class mode: the class is all there is
        return kc.astype(np.int64), np.zeros(rows.size, bool)
    _, kc_id = np.unique(kc, return_inverse=True)
    _, key_id = np.unique(key, return_inverse=True)
    if any_text:
        _, text_id = np.unique(texts.astype(str), return_inverse=True)
    else:
        text_id = np.zeros(rows.size, np.int64)
    dims = (int(kc_id.max()) + 1, int(key_id.max()) + 1, int(text_id.max()) + 1)
    ident = np.ravel_multi_index((kc_id.ravel(), key_id.ravel(), text_id.ravel()), dims)
    return ident.astype(np.int64), (key != 0) | has_text


def pair_keys(cols: EventColumns) -> Keystrokes:
    """Pair every key down with its up (see the module docstring for the rules)."""
    kind = cols.kind
    rows = np.flatnonzero((kind == Kind.KEY_DOWN) | (kind == Kind.KEY_UP))
    empty = np.zeros(0, np.int64)
    if rows.size == 0:
        return Keystrokes(empty, empty, empty, empty, empty)
    ident, exact = _identities(cols, rows)
    t = cols.t_ns[rows]
    order = np.lexsort((t, ident))  # by identity, then time (stable: record order breaks ties)
    rows, ident, exact, t = rows[order], ident[order], exact[order], t[order]
    is_down = kind[rows] == Kind.KEY_DOWN
    n = rows.size
    first = np.ones(n, bool)
    first[1:] = ident[1:] != ident[:-1]

    # hashed/full: a down right after a down of the same physical key is auto-repeat
    prev_down = np.zeros(n, bool)
    prev_down[1:] = is_down[:-1]
    repeat = is_down & exact & prev_down & ~first
    repeats = int(repeat.sum())
    if repeats:
        keep = ~repeat
        rows, ident, t, is_down, first = rows[keep], ident[keep], t[keep], is_down[keep], first[keep]
        n = rows.size

    # FIFO per identity: the k-th up that finds an open down takes the k-th down
    group = np.cumsum(first) - 1
    gstart = np.flatnonzero(first)
    d = is_down.astype(np.int64)
    u = 1 - d
    cum_d = np.cumsum(d)
    cum_u = np.cumsum(u)
    base_d = (cum_d - d)[gstart][group]
    base_u = (cum_u - u)[gstart][group]
    cd = cum_d - base_d  # downs so far in the group (inclusive)
    cu = cum_u - base_u
    offset = group * (2 * n + 2)
    orphans = np.maximum(np.maximum.accumulate(cu - cd + offset) - offset, 0)
    prev_orphans = np.zeros(n, np.int64)
    prev_orphans[1:] = orphans[:-1]
    prev_orphans[first] = 0
    matched = ~is_down & (orphans == prev_orphans)
    k = (cu - orphans)[matched]  # 1-based index of the matched down within its group
    down_pos = np.flatnonzero(is_down)  # the j-th down of group g is down_pos[downs before g + j]
    downs_before = (cum_d - d)[gstart]
    down_idx = down_pos[downs_before[group[matched]] + k - 1]
    up_idx = np.flatnonzero(matched)

    down_t = t[down_idx]
    by_time = np.argsort(down_t, kind="stable")
    down_rows = rows[down_idx][by_time]
    up_rows = rows[up_idx][by_time]
    return Keystrokes(
        down_t=down_t[by_time],
        up_t=t[up_idx][by_time],
        key_class=cols.key_class[down_rows],
        down_row=down_rows,
        up_row=up_rows,
        repeats=repeats,
        unpaired_downs=int(is_down.sum()) - up_idx.size,
        unpaired_ups=int((~is_down).sum()) - up_idx.size,
    )


@dataclass(frozen=True)
class KeyIntervals:
    """Intervals between consecutive keystrokes ``i`` and ``i + 1`` (ns).

    ``down_down`` is from one down to the next; ``up_down`` from one up to the
    next down (negative: the next key went down before this one came up,
    rollover). ``first`` is the index of keystroke ``i``.
    """

    down_down: np.ndarray
    up_down: np.ndarray
    first: np.ndarray


def key_intervals(ks: Keystrokes, breaks_ns: np.ndarray | None = None) -> KeyIntervals:
    """Down-down and up-down intervals of consecutive keystrokes.

    ``breaks_ns``: times at which capture stopped (start of each pause or gap);
    an interval that spans one is not an interval of typing and is left out.
    """
    if len(ks) < 2:
        z = np.zeros(0, np.int64)
        return KeyIntervals(z, z, z)
    first = np.arange(len(ks) - 1)
    if breaks_ns is not None and breaks_ns.size:
        b = np.sort(breaks_ns)
        # a break lies in (down_i, down_{i+1}] when the count of breaks up to each differs
        spans = np.searchsorted(b, ks.down_t[1:], side="right") != np.searchsorted(
            b, ks.down_t[:-1], side="right"
        )
        first = first[~spans]
    return KeyIntervals(
        down_down=ks.down_t[first + 1] - ks.down_t[first],
        up_down=ks.down_t[first + 1] - ks.up_t[first],
        first=first,
    )
