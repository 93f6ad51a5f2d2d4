"""Shared Hypothesis strategies (events, sessions)."""

from __future__ import annotations

from hypothesis import strategies as st

from tallylight.events import Event, Kind, SessionInfo

I32 = st.integers(-(1 << 31), (1 << 31) - 1)
U31 = st.integers(0, (1 << 31) - 1)
SMALL = st.integers(-3000, 3000)
T = st.integers(-(1 << 62), (1 << 62) - 1)
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)


def _coord() -> st.SearchStrategy[int]:
    return st.one_of(SMALL, I32)


@st.composite
def events(draw: st.DrawFn, t: st.SearchStrategy[int] = T) -> Event:
    """Any valid event: every kind, full value ranges, unused fields zero."""
    kind = draw(st.sampled_from(list(Kind)))
    tn = draw(t)
    if kind in (Kind.KEY_DOWN, Kind.KEY_UP):
        return Event(
            tn,
            kind,
            key_class=draw(U31),
            key=draw(st.integers(0, (1 << 64) - 1) | st.integers(0, 300)),
            text=draw(texts),
        )
    if kind == Kind.MOVE:
        return Event(tn, kind, x=draw(_coord()), y=draw(_coord()))
    if kind in (Kind.BUTTON_DOWN, Kind.BUTTON_UP):
        return Event(tn, kind, x=draw(_coord()), y=draw(_coord()), button=draw(U31))
    if kind == Kind.SCROLL:
        return Event(tn, kind, x=draw(_coord()), y=draw(_coord()), dx=draw(I32), dy=draw(I32))
    return Event(tn, kind, marker=draw(U31), reason=draw(U31))


@st.composite
def event_streams(draw: st.DrawFn, min_size: int = 1, max_size: int = 60) -> list[Event]:
    """Realistic-ish times (mostly increasing, sometimes equal or backwards, sometimes quantised)."""
    n = draw(st.integers(min_size, max_size))
    unit = draw(st.sampled_from([1, 1000, 1_000_000, 7]))
    t = draw(st.integers(0, 1 << 40)) * unit
    out = []
    for _ in range(n):
        t += draw(st.integers(-5, 2000)) * unit
        out.append(draw(events(t=st.just(max(-(1 << 62), min(t, (1 << 62) - 1))))))
    return out


def session_infos(session_id: str = "s1") -> st.SearchStrategy[SessionInfo]:
    return st.builds(
        SessionInfo,
        session_id=st.just(session_id),
        started_wall_ns=st.integers(0, 1 << 62),
        clock=st.just("perf_counter_ns"),
        clock_resolution_ns=st.integers(1, 1000),
        key_mode=st.sampled_from(["none", "class", "hashed", "full"]),
        mouse_moves=st.booleans(),
        move_min_interval_ms=st.floats(0, 100, allow_nan=False),
        move_min_distance_px=st.floats(0, 100, allow_nan=False),
        clicks=st.booleans(),
        scrolls=st.booleans(),
        label=texts,
        platform=st.sampled_from(["linux", "darwin", "win32"]),
        app_version=st.just("0.1.0"),
        extra=st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
    )
