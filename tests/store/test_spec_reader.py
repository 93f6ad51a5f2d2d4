"""An independent reader written from docs/FORMAT.md alone (no tallylight.store code).

The reader is tests/store/spec_reader.py: only the standard library, pyca's
ChaCha20-Poly1305, X25519 and Argon2id, and the spec's byte layouts. If code and
spec drift apart, these tests (and tests/store/test_vectors.py, for damaged and
crafted files) fail.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spec_reader import read_session, unlock
from store_helpers import CHEAP, PASS, synthetic, write_session

from strategies import event_streams
from tallylight.events import Event, Kind, StopReason


def read(session: Path, device, timing: dict | None = None) -> tuple[str, list[Event], int | None]:
    """(verdict, events, stop reason); the TIMING record (section 12), if any, goes into ``timing``."""
    result = read_session(session, device)
    if timing is not None and result.timing is not None:
        timing.update(result.timing)
    return result.verdict, [Event(t, Kind(k), *rest) for t, k, *rest in result.events], result.stop_reason


def test_independent_reader_agrees(data_dir: Path, unlocked) -> None:
    evs = [
        *synthetic(3000, seed=5),
        Event(10**12, Kind.KEY_DOWN, key_class=1, key=2**64 - 1, text="ünï€😀"),
        Event(10**12 + 5, Kind.SCROLL, x=-5, y=-(2**31), dx=-3, dy=2**31 - 1),
    ]
    write_session(
        data_dir, "spec", [evs[i : i + 333] for i in range(0, len(evs), 333)], segment_max_bytes=4000
    )
    verdict, got, stop = read(data_dir / "sessions" / "spec", unlock(data_dir, PASS))
    assert verdict == "complete"
    assert stop == int(StopReason.PARTICIPANT)
    assert got == evs


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(event_streams(max_size=30), min_size=1, max_size=5))
def test_independent_reader_property(tmp_path_factory, batches: list[list[Event]]) -> None:
    from tallylight.store import vault

    d = tmp_path_factory.mktemp("spec")
    vault.create_vault(PASS, d, params=CHEAP)
    write_session(d, "p", batches, segment_max_bytes=200)
    verdict, got, _ = read(d / "sessions" / "p", unlock(d, PASS))
    assert verdict == "complete"
    assert got == [e for b in batches for e in b]
