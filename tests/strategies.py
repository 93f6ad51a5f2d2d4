"""Shared Hypothesis strategies (events, sessions)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tallylight.events import Event, Kind, SessionInfo
from tallylight.options import CaptureOptions, KeyMode

I32 = st.integers(-(1 << 31), (1 << 31) - 1)
U31 = st.integers(0, (1 << 31) - 1)
SMALL = st.integers(-3000, 3000)
T = st.integers(-(1 << 62), (1 << 62) - 1)
texts = st.text(st.characters(codec="utf-8"), max_size=8)  # no lone surrogates


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


def capture_options() -> st.SearchStrategy[CaptureOptions]:
    return st.builds(
        CaptureOptions,
        keys=st.sampled_from(KeyMode),
        mouse_moves=st.booleans(),
        move_min_interval_ms=st.floats(0, 100, allow_nan=False),
        move_min_distance_px=st.floats(0, 100, allow_nan=False),
        clicks=st.booleans(),
        scrolls=st.booleans(),
    )


def session_infos(session_id: str = "s1") -> st.SearchStrategy[SessionInfo]:
    return st.builds(
        SessionInfo,
        session_id=st.just(session_id),
        started_wall_ns=st.integers(0, 1 << 62),
        clock=st.just("perf_counter_ns"),
        clock_resolution_ns=st.integers(1, 1000),
        options=capture_options(),
        label=texts,
        platform=st.sampled_from(["linux", "darwin", "win32"]),
        app_version=st.just("0.1.0"),
        extra=st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
    )


# ---------------------------------------------------------------- study manifests

import datetime as _dt  # noqa: E402
import json as _json  # noqa: E402
import math as _math  # noqa: E402

toml_scalars = (
    st.text(max_size=30)
    | st.integers(-(1 << 63), (1 << 63) - 1)
    | st.floats()
    | st.booleans()
    | st.dates()
    | st.datetimes()
    | st.sampled_from(
        ["class", "full", "age1xyz", "https://a.example/x", "0b6a1a52-3c1e-4f7e-9d35-2d0f6c8f7a10"]
    )
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(min_size=1, max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def to_toml(value: object) -> str:
    """A TOML value (inline tables for tables), for fuzzing the manifest parser."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if _math.isnan(value):
            return "nan"
        if _math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return _json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(to_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_json.dumps(k)} = {to_toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def toml_document(doc: dict) -> bytes:
    return "\n".join(f"{_json.dumps(k)} = {to_toml(v)}" for k, v in doc.items()).encode("utf-8")


@st.composite
def mutated_manifest_docs(draw: st.DrawFn, doc: dict) -> dict:
    """``doc`` (a parsed manifest) with a few leaves replaced, removed or added anywhere."""
    import copy

    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        node: Any = doc
        while True:
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            child = node[key]
            if isinstance(child, (dict, list)) and child and draw(st.booleans()):
                node = child
                continue
            action = draw(st.sampled_from(["replace", "remove", "add"]))
            if action == "replace":
                node[key] = draw(toml_values)
            elif action == "remove":
                del node[key]
            elif isinstance(node, dict):
                node[draw(st.text(min_size=1, max_size=8))] = draw(toml_values)
            else:
                node.append(draw(toml_values))
            break
    return doc


def hotkeys() -> st.SearchStrategy:
    """Valid pause hotkeys (tallylight.capture.hotkey.Hotkey)."""
    from tallylight.capture.hotkey import MODIFIERS, NAMED_KEYS, Hotkey

    triggers = st.one_of(
        st.sampled_from(sorted(NAMED_KEYS)),
        st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789,.;'/[]\\-=`"),
    )
    mods = st.sets(st.sampled_from(MODIFIERS), min_size=1).map(frozenset)
    return st.builds(Hotkey, mods, triggers)
