"""``tallylight share``: preview, confirmation, save or upload; round trip to the researcher's dataset."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import duckdb
import pytest
from share_helpers import PASS, JoinedStudy, PutServer, make_vault, read_csv, record_session, sample_events
from store_helpers import timing_record

from tallylight.cli.main import main as cli
from tallylight.lab.main import main as lab
from tallylight.share import outbox
from tallylight.share.bundle import SUFFIX


@pytest.fixture
def data_dir(tallylight_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tallylight_home / "data"
    make_vault(d)
    monkeypatch.setenv("TALLYLIGHT_PASSPHRASE", PASS)
    return d


def _answer(monkeypatch: pytest.MonkeyPatch, reply: str) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda _prompt="": reply)


def _unpack_with_age(study: JoinedStudy, bundle_file: Path) -> dict[str, bytes]:
    """The bundle's entries, decrypted with Debian's age (only what a researcher has)."""
    plain = bundle_file.with_suffix(".zip")
    age = ["age", "-d", "-i", str(study.identity), "-o", str(plain), str(bundle_file)]
    subprocess.run(age, check=True, timeout=60)
    with zipfile.ZipFile(plain) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _lab_query(study: JoinedStudy, bundle_file: Path, dataset: Path, sql: str) -> list[tuple]:
    """``tallylight-lab open`` the bundle into ``dataset``, then run ``sql`` on it with DuckDB."""
    args = ["open", str(bundle_file), "--identity", str(study.identity), "--out", str(dataset)]
    assert lab([*args, "--manifest", str(study.manifest), "--quiet"]) == 0
    with duckdb.connect() as con:
        return con.execute(sql).fetchall()


def test_share_to_a_file_opens_with_debians_age_and_lab_open(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    study = JoinedStudy(tmp_path, data_dir)
    study.record(data_dir, "s1")
    study.record(data_dir, "s2", sample_events()[:6])
    out = tmp_path / "bundle.age"
    _answer(monkeypatch, "y")
    assert cli(["share", "s1", "s2", "--study", study.study_id, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Sessions (2):" in text
    assert study.recipient in text
    assert "spans you cut out: 1" in text
    assert "Saved the encrypted bundle" in text
    # Debian's age opens it; the tables are plain CSV
    files = _unpack_with_age(study, out)
    doc = json.loads(files["bundle.json"])
    rows = read_csv(files["sessions/s2/events.csv"])
    assert doc["consent"]["consent_id"] == study.consent.consent_id
    assert doc["participant_id"] == study.consent.participant_id
    assert [r["kind"] for r in rows] == ["marker", "move", "move", "button_down", "button_up", "key_down"]
    # the researcher's side: one dataset, counts match what was recorded
    dataset = tmp_path / "dataset"
    counts = _lab_query(
        study,
        out,
        dataset,
        f"select session, count(*) from read_parquet('{dataset}/events/**/*.parquet', "
        "hive_partitioning=true) group by 1 order by 1",
    )
    assert counts == [("s1", len(sample_events())), ("s2", 6)]
    (entry,) = outbox.read_log()
    assert entry.action == "saved"
    assert entry.sessions == ["s1", "s2"]
    assert entry.destination == str(out)


def test_timing_quality_goes_into_the_bundle_and_the_dataset(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A session with a TIMING record (docs/FORMAT.md section 12) carries its figures into bundle.json
    and the researcher's sessions table; one without (older, or cut short) has null."""
    recorded = timing_record()
    study = JoinedStudy(tmp_path, data_dir)
    study.record(data_dir, "timed", timing={**recorded, "member_from_a_later_version": 1})
    study.record(data_dir, "older")
    out = tmp_path / "b.age"
    assert cli(["share", "timed", "older", "--study", study.study_id, "--out", str(out), "--yes"]) == 0
    preview = capsys.readouterr().out
    assert preview.count("how exact the times are:") == 1
    assert "3 events of 6 reached the recorder late and were re-timed" in preview
    assert "99th percentile 0.85 ms, longest 4.15 ms" in preview
    doc = json.loads(_unpack_with_age(study, out)["bundle.json"])
    by_id = {s["session_id"]: s for s in doc["sessions"]}
    assert by_id["timed"]["timing_quality"] == recorded  # the documented members, as stored
    assert by_id["older"]["timing_quality"] is None
    dataset = tmp_path / "dataset"
    rows = _lab_query(
        study,
        out,
        dataset,
        f"select session, timing_quality from read_parquet('{dataset}/sessions/**/*.parquet', "
        "hive_partitioning=true) order by 1",
    )
    assert [r[0] for r in rows] == ["older", "timed"]
    assert rows[0][1] is None
    assert json.loads(rows[1][1]) == recorded


def test_nothing_is_written_or_sent_before_confirmation(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    srv = PutServer(tmp_path / "server")
    try:
        study = JoinedStudy(tmp_path, data_dir, upload_url=srv.url("/drop/"))
        study.record(data_dir, "s1")
        _answer(monkeypatch, "n")
        assert cli(["share", "s1", "--study", study.study_id, "--upload"]) == 1
        assert "Nothing was shared." in capsys.readouterr().out
        assert srv.requests() == []
        assert outbox.pending() == []
        assert outbox.read_log() == []
        monkeypatch.setattr("sys.stdin.isatty", lambda: False)
        assert cli(["share", "s1", "--study", study.study_id, "--upload"]) == 2  # no terminal, no --yes
        assert srv.requests() == []
        # confirmed: sent, with a known length, and logged
        assert cli(["share", "s1", "--study", study.study_id, "--upload", "--yes"]) == 0
        assert "Sent." in capsys.readouterr().out
        (name,) = srv.files()
        assert name.endswith(SUFFIX)
        assert not srv.requests()[0]["chunked"]
        assert [e.action for e in outbox.read_log()] == ["queued", "sent"]
        assert outbox.pending() == []
    finally:
        srv.stop()


def test_personal_mode_sessions_are_never_shared(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = JoinedStudy(tmp_path, data_dir)
    record_session(data_dir, "personal", sample_events())
    out = tmp_path / "b.age"
    assert cli(["share", "personal", "--study", study.study_id, "--out", str(out), "--yes"]) == 9
    assert "nothing is shared from personal mode" in capsys.readouterr().err
    assert not out.exists()


def test_upload_needs_an_address_and_a_study(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = JoinedStudy(tmp_path, data_dir)
    study.record(data_dir, "s1")
    assert cli(["share", "s1", "--study", study.study_id, "--upload", "--yes"]) == 9
    assert "no upload address" in capsys.readouterr().err
    assert cli(["share", "s1", "--upload", "--yes"]) == 2
    assert cli(["share", "s1", "--study", "not-a-uuid", "--out", str(tmp_path / "x"), "--yes"]) == 2
    other = "00000000-0000-4000-8000-000000000000"
    assert cli(["share", "s1", "--study", other, "--out", str(tmp_path / "x"), "--yes"]) == 8
    assert not (tmp_path / "x").exists()


def test_share_log_is_shown(tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["share", "--log"]) == 0
    assert "Nothing was shared yet." in capsys.readouterr().out
    study = JoinedStudy(tmp_path, data_dir)
    study.record(data_dir, "s1")
    assert cli(["share", "s1", "--study", study.study_id, "--out", str(tmp_path / "b.age"), "--yes"]) == 0
    capsys.readouterr()
    assert cli(["share", "--log"]) == 0
    assert f"saved     study {study.study_id}  sessions s1" in capsys.readouterr().out


def test_a_session_wider_than_the_consent_is_never_shared(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """enrolment.json is plain (recording needs no passphrase): a hand edit can make the recorder
    capture mouse movement the participant declined. Sharing checks every session against the
    encrypted consent record, so such a session never leaves."""
    study = JoinedStudy(tmp_path, data_dir, capture={"mouse_moves": False})
    study.record(data_dir, "s1")  # its header says mouse moves were captured
    out = tmp_path / "b.age"
    assert cli(["share", "s1", "--study", study.study_id, "--out", str(out), "--yes"]) != 0
    err = capsys.readouterr().err
    assert "Session s1 captured more than you consented to (mouse moves: off" in err
    assert "Traceback" not in err
    assert not out.exists()
    assert outbox.read_log() == []


def test_a_bundle_is_never_saved_inside_the_data_folder_nor_to_a_file_named_dash(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    study = JoinedStudy(tmp_path, data_dir)
    study.record(data_dir, "s1")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "into-data").symlink_to(data_dir)
    for out in (data_dir / "b.age", data_dir / "sessions" / "b.age", tmp_path / "into-data" / "b.age", "-"):
        assert cli(["share", "s1", "--study", study.study_id, "--out", str(out), "--yes"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert "Traceback" not in err, err
    assert sorted(p.name for p in data_dir.iterdir()) == ["sessions", "studies", "vault.json"]
    assert sorted(p.name for p in (data_dir / "sessions").iterdir()) == ["s1"]
    assert not (tmp_path / "-").exists()
    assert outbox.read_log() == []


def test_a_damaged_share_log_or_outbox_note_is_skipped(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    (data_dir / "share-log.jsonl").write_text(deep + "\n", "utf-8")
    assert cli(["share", "--log"]) == 0
    assert "Nothing was shared yet." in capsys.readouterr().out


def test_cli_withdraw_sends_the_signed_request_and_lab_withdraw_applies_it(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Share, open, withdraw from the CLI (sent at once), apply: the participant is gone everywhere."""
    srv = PutServer(tmp_path / "server")
    try:
        study = JoinedStudy(tmp_path, data_dir, upload_url=srv.url("/drop/"))
        study.record(data_dir, "s1")
        bundle_file = tmp_path / "b.tallylight.age"
        assert cli(["share", "s1", "--study", study.study_id, "--out", str(bundle_file), "--yes"]) == 0
        dataset = tmp_path / "dataset"
        sql = f"select count(*) from read_parquet('{dataset}/events/**/*.parquet')"
        assert _lab_query(study, bundle_file, dataset, sql)[0][0] > 0
        assert lab(["features", str(dataset), "--quiet"]) == 0
        capsys.readouterr()
        assert cli(["study", "withdraw", study.study_id, "--yes"]) == 0
        assert "It was sent to the researchers." in capsys.readouterr().out
        (name,) = srv.files()
        assert name.endswith(".tallylight-withdrawal.age")
        request = tmp_path / name
        request.write_bytes(srv.files()[name])
        args = ["withdraw", str(request), "--identity", str(study.identity), "--dataset", str(dataset)]
        assert lab(args) == 0
        assert "events:" in capsys.readouterr().out
        assert not list(dataset.glob("*/study=*/participant=*"))  # every table
        # the old bundle cannot bring them back
        reopen = ["open", str(bundle_file), "--identity", str(study.identity), "--out", str(dataset)]
        assert lab([*reopen, "--reopen", "--quiet"]) == 9
        assert "withdrew" in capsys.readouterr().out
    finally:
        srv.stop()


def test_upload_progress_is_honest() -> None:
    from tallylight.cli.share_cmd import progress_percent

    assert progress_percent("b 0 0") is None  # no size yet: neither 0 % nor 100 %
    assert progress_percent("b 50 200") == 25
    assert progress_percent("b 200 200") == 100
    assert progress_percent("garbage") is None


def test_sessions_cut_from_the_cli_uses_the_review_windows_cut(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tallylight import events as ev
    from tallylight.store import sessions, vault

    s = 1_000_000_000
    evs = [ev.marker(0, ev.Marker.SESSION_START)]
    for k in range(1, 10):  # a key press every second
        evs += [ev.key_down(k * s, ev.KeyClass.LETTER), ev.key_up(k * s + s // 10, ev.KeyClass.LETTER)]
    evs.append(ev.marker(10 * s, ev.Marker.SESSION_STOP, ev.StopReason.PARTICIPANT))
    record_session(data_dir, "c1", evs)
    assert cli(["sessions", "cut", "c1", "--from", "2.5", "--to", "5.5"]) == 2  # no terminal, no --yes
    assert cli(["sessions", "cut", "c1", "--from", "30", "--to", "40", "--yes"]) == 2  # past the end
    capsys.readouterr()
    assert cli(["sessions", "cut", "c1", "--from", "5.5", "--to", "2.5", "--yes"]) == 0
    assert "Cut 2.5 s – 5.5 s out of session c1" in capsys.readouterr().out
    cols = sessions.read("c1", vault.unlock(PASS)).columns()
    downs = sorted(int(t) // s for t, k in zip(cols.t_ns, cols.kind, strict=True) if k == ev.Kind.KEY_DOWN)
    assert downs == [1, 2, 6, 7, 8, 9]  # the presses at 3, 4 and 5 s are gone, and only they
    assert any(m == ev.Marker.GAP for m in cols.marker[cols.kind == ev.Kind.MARKER])  # a trimmed gap
