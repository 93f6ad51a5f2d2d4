"""The one owner of the on-disk layout, and reading with a key source instead of a vault."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from store_helpers import CHEAP, PASS, synthetic, write_session

from tallylight.errors import StoreError, VaultError
from tallylight.store import layout, reader, sessions, vault
from tallylight.store.crypto import SessionKey
from tallylight.store.reader import Verdict


def test_writer_uses_the_layout_names(tmp_path: Path) -> None:
    vault.create_vault(PASS, tmp_path, params=CHEAP)
    d = write_session(tmp_path, "s1", [synthetic(20)])
    assert d == layout.session_path("s1", tmp_path)
    assert sorted(p.name for p in d.iterdir()) == [layout.KEY_FILE, layout.segment_name(0)]
    assert layout.vault_file(tmp_path).is_file()
    assert [n for n, _ in layout.segment_files(d)] == [0]


@pytest.mark.parametrize("bad", ["", ".hidden", "a/b", "x" * 129, "ä"])
def test_session_ids_are_checked_where_paths_are_built(tmp_path: Path, bad: str) -> None:
    with pytest.raises(StoreError):
        layout.session_path(bad, tmp_path)


@given(
    segment=st.integers(0, 2**32),
    records=st.integers(0, 2**32),
    size=st.integers(0, 2**40),
    lost=st.integers(0, 2**40),
    reason=st.sampled_from(layout.CLOSURE_REASONS),
)
def test_closure_round_trips(segment: int, records: int, size: int, lost: int, reason: str) -> None:
    closure = layout.Closure(segment, records, size, lost, reason, 123)
    doc = json.loads(closure.to_json())
    assert doc["format"] == "tallylight-closed"
    assert doc["version"] == 1
    assert list(doc)[2:] == ["segment", "records", "size", "lost_bytes", "reason", "closed_wall_ns"]
    assert closure.acknowledges(segment, records, size)
    assert not closure.acknowledges(segment, records + 1, size)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"format": "tallylight-closed", "version": 2, "segment": 0, "records": 0, "size": 0}',
        '{"format": "tallylight-closed", "version": 1, "segment": "0", "records": 0, "size": 0}',
        '{"format": "tallylight-closed", "version": 1, "segment": true, "records": 0, "size": 0}',
        '{"format": "tallylight-closed", "version": 1, "segment": -1, "records": 0, "size": 0}',
        '{"format": "other", "version": 1, "segment": 0, "records": 0, "size": 0}',
    ],
)
def test_a_sidecar_that_is_not_one_is_ignored(tmp_path: Path, text: str) -> None:
    (tmp_path / layout.CLOSED_FILE).write_text(text)
    assert layout.read_closure(tmp_path) is None


def test_an_odd_reason_reads_as_crash(tmp_path: Path) -> None:
    (tmp_path / layout.CLOSED_FILE).write_text(
        '{"format": "tallylight-closed", "version": 1, "segment": 1, "records": 2, "size": 3, "reason": "x"}'
    )
    assert layout.read_closure(tmp_path) == layout.Closure(1, 2, 3, 0, "crash", 0)


def test_reader_takes_a_key_source_without_any_vault(tmp_path: Path) -> None:
    v = vault.create_vault(PASS, tmp_path, params=CHEAP)
    events = synthetic(50)
    d = write_session(tmp_path, "s1", [events[:20], events[20:]])
    held = {d.name: v.session_key(d)}  # e.g. what a share bundle or a review cache holds
    asked: list[str] = []

    def keys(session_dir: Path) -> SessionKey:
        asked.append(session_dir.name)
        return held[session_dir.name]

    data = reader.read_session(d, keys)
    assert asked == ["s1"]
    assert data.report.verdict is Verdict.COMPLETE
    assert list(data.events()) == list(reader.read_session(d, v).events()) == events
    info, _report, cols = sessions.read_columns("s1", keys, tmp_path)
    assert info is not None
    assert info.session_id == "s1"
    assert len(cols) == 50


def test_a_wrong_key_from_a_key_source_is_corrupt_not_data(tmp_path: Path) -> None:
    v = vault.create_vault(PASS, tmp_path, params=CHEAP)
    d = write_session(tmp_path, "s1", [synthetic(10)])
    right = v.session_key(d)
    report, data = reader.verify_session(d, lambda _d: SessionKey(bytes(32), right.uid))
    assert report.verdict is Verdict.CORRUPT
    assert data is None
    report, data = reader.verify_session(d, lambda _d: SessionKey(right.key, bytes(16)))
    assert report.verdict is Verdict.CORRUPT
    assert data is None


def test_a_key_source_without_the_key_says_why(tmp_path: Path) -> None:
    vault.create_vault(PASS, tmp_path, params=CHEAP)
    d = write_session(tmp_path, "s1", [synthetic(10)])

    def none(_d: Path) -> SessionKey:
        raise VaultError("This bundle holds no key for that session.")

    report, data = reader.verify_session(d, none)
    assert report.verdict is Verdict.CORRUPT
    assert data is None
    assert report.problem == "This bundle holds no key for that session."
