"""The summary file (FORMAT.md 11.3) and the commit note (11.2): round trips and damage, by property."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tallylight.store import index, rewrite

KEY = bytes(range(32))
UID = bytes(range(100, 116))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)
docs = st.dictionaries(st.text(max_size=8), json_values, max_size=6)


@given(docs, st.text(min_size=1, max_size=12))
def test_summary_round_trip(doc: dict, sid: str) -> None:
    raw = index.seal_summary(KEY, UID, sid, doc)
    assert index.open_summary(raw, KEY, UID, sid) == doc


@given(docs, st.data())
def test_any_changed_byte_and_any_other_version_is_refused(doc: dict, data: st.DataObject) -> None:
    raw = index.seal_summary(KEY, UID, "s1", doc)
    i = data.draw(st.integers(0, len(raw) - 1))
    flipped = raw[:i] + bytes([raw[i] ^ data.draw(st.integers(1, 255))]) + raw[i + 1 :]
    assert index.open_summary(flipped, KEY, UID, "s1") is None
    assert index.open_summary(raw, KEY, bytes(16), "s1") is None  # another version's uid
    assert index.open_summary(raw, KEY, UID, "s2") is None  # a renamed session
    assert index.open_summary(raw[: data.draw(st.integers(0, len(raw) - 1))], KEY, UID, "s1") is None


@given(st.binary(max_size=200))
def test_junk_is_never_a_summary(raw: bytes) -> None:
    assert index.open_summary(raw, KEY, UID, "s1") is None


names = st.sampled_from(
    ["key", "closed.json", "summary.tls", "seg-00000000.tls", "seg-00000001.tls", "evil", "../key"]
)


@given(
    st.one_of(
        json_values,
        st.fixed_dictionaries({"format": st.just("tallylight-version"), "files": st.lists(names)}),
    )
)
def test_a_commit_note_is_valid_or_ignored_never_an_error(tmp_path_factory, doc) -> None:
    nxt = Path(tmp_path_factory.mktemp("next"))
    (nxt / rewrite.COMMIT_FILE).write_text(json.dumps(doc))
    files = rewrite._commit(nxt)
    if files is not None:
        assert "key" in files
        assert all(f in ("key", "closed.json", "summary.tls") or f.startswith("seg-") for f in files)
        assert "evil" not in files
        assert "../key" not in files
