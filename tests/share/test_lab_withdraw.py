"""Participant keys and withdrawal in the researcher's dataset: pinning, forgery, replacement,
``tallylight-lab withdraw``, tombstones, requests among bundles, and ``open --shard``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from share_helpers import participant_seed
from test_lab_open import N, Study, _count, _open, _sql

from tallylight.lab.main import main as lab_main
from tallylight.lab.open_cmd import shard_of
from tallylight.share import bundle, withdrawal_request
from tallylight.share.bundle import BundleInputs


def _forged(study: Study, out: Path, participant: str, session: str) -> Path:
    """A bundle made by someone holding only the study's public recipient, claiming a participant."""
    from share_helpers import inputs

    base = inputs(list(study.ref.recipients), sessions=[(session, ())], participant_id=participant)
    data = BundleInputs(
        study.ref, participant, base.consent, base.sessions, "0.1.0", base.environment, b"\x66" * 32
    )
    enc = bundle.encrypt(bundle.build(data, rng=lambda n: b"\x66" * n), list(study.ref.recipients))
    path = out / "forged.age"
    path.write_bytes(enc.data)
    return path


def _request(study: Study, folder: Path, participant: str, seed: bytes | None = None) -> Path:
    doc = {
        "format": withdrawal_request.REQUEST_FORMAT,
        "version": 1,
        "request_id": f"req-{participant}",
        "study_id": study.study_id,
        "participant_id": participant,
        "withdrawn_at": "2026-12-01T10:00:00Z",
    }
    sealed = withdrawal_request.seal(doc, seed or participant_seed(participant), list(study.ref.recipients))
    path = folder / f"req-{participant}{withdrawal_request.SUFFIX}"
    path.write_bytes(sealed)
    return path


def _features(out: Path) -> int:
    return lab_main(["features", str(out), "--quiet"])


def test_a_forged_bundle_for_an_existing_participant_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = Study(tmp_path, "a")
    out = tmp_path / "dataset"
    real = tmp_path / a.bundle(tmp_path, "p1", ["s1"]).filename
    assert _open(a, out, real) == 0
    before = _count(out)
    forged = _forged(a, tmp_path, "p1", "s1")  # the audit's attack: replace p1's real rows
    assert _open(a, out, forged) == 9
    text = capsys.readouterr().out
    assert "refused:" in text
    assert "signed by another key" in text
    assert _count(out) == before  # p1's rows are untouched
    # and a request signed by another key cannot withdraw them either
    assert lab_main(["withdraw", str(_request(a, tmp_path, "p1", b"\x66" * 32)), "--identity",
                     str(a.identity), "--dataset", str(out)]) == 9  # fmt: skip
    assert _count(out) == before


def test_a_newer_bundle_of_the_same_session_replaces_and_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = Study(tmp_path, "a")
    out = tmp_path / "dataset"
    first = tmp_path / a.bundle(tmp_path, "p1", ["s1"], seed=1).filename
    assert _open(a, out, first) == 0
    second = tmp_path / "later" / "x"
    second.parent.mkdir()
    enc = a.bundle(second.parent, "p1", ["s1"], seed=2)  # same session, same key, a new bundle id
    capsys.readouterr()
    assert _open(a, out, second.parent / enc.filename) == 0
    text = capsys.readouterr().out
    assert "replacement:" in text
    assert "1 replacement(s)" in text
    assert _count(out) == _count(out, "session = 's1'")
    (bundles,) = _sql(f"select count(distinct bundle_id) from read_parquet('{out}/events/**/*.parquet')")
    assert bundles == (1,)


def test_lab_withdraw_removes_the_participant_everywhere_and_leaves_a_tombstone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = Study(tmp_path, "a")
    inbox, out = tmp_path / "inbox", tmp_path / "dataset"
    inbox.mkdir()
    files = [inbox / a.bundle(inbox, f"p{i}", [f"s{i}a", f"s{i}b"], seed=i + 1).filename for i in range(3)]
    assert _open(a, out, inbox) == 0
    assert _features(out) == 0
    tables = sorted(p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith("_"))
    assert {"events", "sessions", "features"} <= set(tables)
    capsys.readouterr()
    req = _request(a, tmp_path, "p1")
    assert lab_main(["withdraw", str(req), "--identity", str(a.identity), "--dataset", str(out)]) == 0
    report = capsys.readouterr().out
    assert "Participant p1" in report
    assert "events:" in report
    assert "sessions removed: s1a, s1b" in report
    for table in tables:  # every table, including ones other commands add
        rows = _sql(
            f"select count(*) filter (where participant = 'p1'), count(*) from "
            f"read_parquet('{out}/{table}/**/*.parquet', hive_partitioning=true, hive_types_autocast=false)"
        )[0]
        assert rows[0] == 0, table
        assert rows[1] > 0, table
    tomb = json.loads((out / "_withdrawn" / "p1.json").read_text())
    assert tomb["request_id"] == "req-p1"
    assert tomb["sessions_removed"] == ["s1a", "s1b"]
    # their old bundle is refused from now on, by open and by open --reopen
    assert _open(a, out, files[1]) == 9
    assert _open(a, out, *files, extra=("--reopen",)) == 9
    assert "withdrew" in capsys.readouterr().out
    assert _count(out, "participant = 'p1'") == 0
    assert _count(out) > 0


def test_open_applies_requests_found_among_the_bundles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = Study(tmp_path, "a")
    inbox, out = tmp_path / "inbox", tmp_path / "dataset"
    inbox.mkdir()
    for i in range(2):
        a.bundle(inbox, f"p{i}", [f"s{i}"], seed=i + 1)
    _request(a, inbox, "p0")
    assert _open(a, out, inbox) == 0
    assert "1 withdrawal(s) applied" in capsys.readouterr().out
    assert _count(out, "participant = 'p0'") == 0
    assert _count(out, "participant = 'p1'") > 0


def test_within_one_run_the_first_bundle_of_a_new_participant_pins_their_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = Study(tmp_path, "a")
    out = tmp_path / "dataset"
    real = tmp_path / a.bundle(tmp_path, "p9", ["s9"]).filename
    forged = _forged(a, tmp_path, "p9", "s9")
    assert _open(a, out, real, forged, extra=("--jobs", "1")) == 9
    assert f"refused: {forged}: it claims participant p9" in capsys.readouterr().out
    assert _count(out) == N
    assert _open(a, out, forged, extra=("--reopen",)) == 9


def test_shards_split_deterministically_and_write_one_dataset(tmp_path: Path) -> None:
    a = Study(tmp_path, "a")
    inbox, out = tmp_path / "inbox", tmp_path / "dataset"
    inbox.mkdir()
    names = [a.bundle(inbox, f"p{i}", [f"s{i}"], seed=i + 1).filename for i in range(6)]
    parts = [[n for n in names if shard_of(n, 3) == k] for k in range(3)]
    assert sorted(n for part in parts for n in part) == sorted(names)  # every bundle in exactly one shard
    for k in (1, 2, 3):
        assert _open(a, out, inbox, extra=("--shard", f"{k}/3")) == 0
    assert _count(out) == 6 * N
    assert len(list(out.glob("_bundles.*-of-3.json"))) == 3
    per = _sql(f"select count(distinct participant) from read_parquet('{out}/events/**/*.parquet')")
    assert per == [(6,)]
    with pytest.raises(SystemExit):
        lab_main(["open", str(inbox), "--identity", "x", "--out", str(out), "--shard", "4/3"])
