"""Task trials leave in a bundle's trials.csv and come back as the lab's ``trials`` table.

One column list (share.tables.TRIAL_COLUMNS) drives the CSV, the codebook and the lab's
types, and the measures are computed from the table by the same module as the summary's
(tasks.results), so these tests compare with that module on the original trials.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from share_helpers import inputs, read_csv
from test_lab_open import Study, _open

from tallylight.errors import BundleError
from tallylight.lab import dataset
from tallylight.share import bundle, tables
from tallylight.share.bundle import BundleInputs, SessionPart
from tallylight.share.preview import preview_lines
from tallylight.tasks import measures, results

MS = 1_000_000
#: printable text without control characters (phrases are refused with them: docs/STUDY.md)
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=12)
NUM = st.floats(-5000, 5000, allow_nan=False)


@st.composite
def pointing_trials(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.integers(-(2**40), 2**40))
    trial: dict[str, Any] = {
        "task": draw(st.sampled_from(["point", "point.2"])),
        "kind": "pointing",
        "task_number": draw(st.integers(1, 9)),
        "condition": draw(st.sampled_from(["", "mouse", "head pointer", 'tr"ack, pad'])),
        "sequence": draw(st.integers(1, 30)),
        "trial": draw(st.integers(1, 25)),
        "start_ns": start,
        "end_ns": start + draw(st.integers(0, 10**10)),
        "amplitude": draw(st.floats(1, 4000)),
        "width": draw(st.integers(1, 400)),
        "from_x": draw(NUM),
        "from_y": draw(NUM),
        "target_x": draw(NUM),
        "target_y": draw(NUM),
        "dpi": draw(st.floats(40, 600)),
        "screen_width": 1920,
        "screen_height": 1080,
        "start_os": 5,  # not a documented member: never leaves
    }
    if draw(st.booleans()):
        trial["skipped"] = True
    else:
        trial.update(select_x=draw(NUM), select_y=draw(NUM), hit=draw(st.booleans()))
    return trial


@st.composite
def typing_trials(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.integers(0, 2**40))
    typed = draw(st.lists(st.one_of(TEXT, st.just("\b")), min_size=1, max_size=8))
    return {
        "task": "type",
        "kind": "typing",
        "task_number": 2,
        "condition": "",
        "trial": draw(st.integers(1, 50)),
        "start_ns": start,
        "end_ns": start + draw(st.integers(0, 10**10)),
        "presented": draw(TEXT),
        "transcribed": draw(TEXT),
        "input": "".join(typed),
    }


def documented(trial: dict[str, Any]) -> dict[str, Any]:
    """What trials.csv carries of a trial: its documented members, empty text as absent."""
    members = set(tables.TRIAL_MEMBERS.values())
    return {k: v for k, v in trial.items() if k in members and v != "" and (k, v) != ("skipped", False)}


def table_rows(csv_bytes: bytes) -> list[dict[str, Any]]:
    return dataset.read_trials_csv(csv_bytes).to_pylist()


@given(st.lists(st.one_of(pointing_trials(), typing_trials()), min_size=1, max_size=20))
def test_trials_csv_round_trips_through_the_lab_reader(trials: list[dict[str, Any]]) -> None:
    back = tables.trials_from_rows(table_rows(tables.trials_csv(trials)))
    assert back == [documented(t) for t in trials]
    assert all("start_os" not in t for t in back)


def _sequence(seq: int, device: str, spread: float, mt_ms: int, t0: int) -> list[dict[str, Any]]:
    out = []
    for k in range(1, 8):
        dx = spread * (1 if k % 2 else -1) * (k % 3)
        sx = 300 + dx
        out.append(
            {
                "task": "point",
                "kind": "pointing",
                "condition": device,
                "sequence": seq,
                "trial": k,
                "start_ns": t0 + k * 10**9,
                "end_ns": t0 + k * 10**9 + mt_ms * MS,
                "from_x": 0,
                "from_y": 0,
                "target_x": 300,
                "target_y": 0,
                "select_x": sx,
                "select_y": 2.5,
                "width": 40,
                "amplitude": 300,
                "hit": abs(dx) <= 20,
            }
        )
    return out


def sample_trials() -> list[dict[str, Any]]:
    trials = _sequence(1, "mouse", 4.0, 420, 0) + _sequence(2, "mouse", 9.0, 610, 20 * 10**9)
    trials += _sequence(1, "trackpad", 7.0, 800, 40 * 10**9)
    trials.append({**_sequence(3, "trackpad", 1.0, 100, 60 * 10**9)[0], "skipped": True})
    for k, (phrase, stream, secs) in enumerate(
        (("the quick fox", "the quikc\b\bck fox", 4.0), ("hello world", "hello wrld", 3.0)), 1
    ):
        trials.append(
            {
                "task": "type",
                "kind": "typing",
                "condition": "",
                "trial": k,
                "start_ns": 80 * 10**9 + k * 10**10,
                "end_ns": 80 * 10**9 + k * 10**10 + round(secs * 1e9),
                "presented": phrase,
                "transcribed": stream.replace("kc\b\b", ""),
                "input": stream,
            }
        )
    return trials


def test_measures_from_the_table_equal_the_summarys() -> None:
    trials = sample_trials()
    back = tables.trials_from_rows(table_rows(tables.trials_csv(trials)))
    assert results.by_condition(back) == results.by_condition(trials)
    assert results.blocks(back) == results.blocks(trials)
    assert {r["condition"] for r in results.by_condition(back)} == {"mouse", "trackpad", ""}


def _with_trials(key: bytes = b"", trials: list[dict[str, Any]] | None = None) -> BundleInputs:
    base = inputs(["age1x"], sessions=(("s1", ()), ("s2", ())), key=key)
    s1, s2 = base.sessions
    with_trials = SessionPart(
        s1.info, s1.verdict, s1.verdict_note, s1.columns, s1.stop_reason, trials=trials or sample_trials()
    )
    return BundleInputs(
        base.study,
        base.participant_id,
        base.consent,
        [with_trials, s2],
        base.app_version,
        base.environment,
        base.participant_key,
    )


def test_a_bundle_carries_trials_csv_for_the_sessions_that_have_trials() -> None:
    built = bundle.build(_with_trials())
    s1, s2 = built.doc["sessions"]
    assert (s1["trials_file"], s1["trials"]) == ("sessions/s1/trials.csv", len(sample_trials()))
    assert (s2["trials_file"], s2["trials"]) == (None, 0)
    assert "sessions/s1/trials.csv" in built.doc["files"]
    assert "sessions/s2/trials.csv" not in built.doc["files"]
    opened = bundle.open_plaintext(built.plaintext)
    assert set(opened.trials) == {"s1"}
    rows = read_csv(opened.trials["s1"])
    assert list(rows[0]) == list(tables.TRIAL_COLUMN_NAMES)
    assert [r["kind"] for r in rows].count("typing") == 2
    assert rows[-1]["input"] == "hello wrld"
    assert rows[0]["start_ms"] == "1000"
    assert rows[0]["end_ms"] == "1420"
    lines = preview_lines(built.doc, "nowhere yet")
    assert any(line.strip().startswith(f"task trials: {len(sample_trials())}") for line in lines)
    assert any("trials.csv" in line for line in lines)


def _rezip(plaintext: bytes, change: Any) -> bytes:
    with zipfile.ZipFile(io.BytesIO(plaintext)) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    change(files)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _edit(files: dict[str, bytes], session: dict[str, Any] | None = None, drop_file: bool = False) -> None:
    doc = json.loads(files["bundle.json"])
    if session is not None:
        doc["sessions"][0].update(session)
    if drop_file:
        del doc["files"]["sessions/s1/trials.csv"]
        del files["sessions/s1/trials.csv"]
    files["bundle.json"] = json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: _edit(f, {"trials_file": None}), "sessions/s1/trials.csv, which no session"),
        (lambda f: _edit(f, {"trials_file": "sessions/s2/trials.csv"}), "names a trials file it does not"),
        (lambda f: _edit(f, drop_file=True), "names a trials file it does not hold"),
    ],
)
def test_a_trials_file_and_its_session_must_agree(change: Any, message: str) -> None:
    plaintext = _rezip(bundle.build(_with_trials()).plaintext, change)
    with pytest.raises(BundleError, match=message):
        bundle.open_plaintext(plaintext)


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        ("task,kind\r\npoint,pointing\r\n", "does not have the documented columns|malformed"),
        (None, "'=HYPERLINK"),
        ("", "malformed|documented columns"),
        ("start_ms", "start_ms is out of range"),
    ],
)
def test_a_malformed_trials_table_is_a_sentence(csv_text: str | None, message: str) -> None:
    good = tables.trials_csv(sample_trials()[:1]).decode()
    if csv_text is None:
        csv_text = good.replace("\r\npoint,", '\r\n"=HYPERLINK(""x"")",', 1)
    elif csv_text == "start_ms":  # finite, but no time: it would overflow as nanoseconds
        csv_text = good.replace(",1000,1420,", ",1e300,1420,", 1)
    with pytest.raises(BundleError, match=message):
        dataset.read_trials_csv(csv_text.encode())


# ---- the lab's trials table ------------------------------------------------------------


def _study_bundle(
    study: Study,
    inbox: Path,
    participant: str,
    trials: list[dict[str, Any]],
    seed: int,
    clock: int,
    trials2: list[dict[str, Any]] | None = None,
) -> Path:
    """A signed bundle of sessions <participant>-s1 (with ``trials``) and <participant>-s2 (``trials2``)."""
    ids = ((f"{participant}-s1", ()), (f"{participant}-s2", ()))
    base = inputs(list(study.ref.recipients), sessions=ids, participant_id=participant)
    s1, s2 = base.sessions
    s1 = SessionPart(s1.info, s1.verdict, s1.verdict_note, s1.columns, s1.stop_reason, trials=trials)
    s2 = SessionPart(s2.info, s2.verdict, s2.verdict_note, s2.columns, s2.stop_reason, trials=trials2 or ())
    data = BundleInputs(
        study.ref, participant, base.consent, [s1, s2], "0.1.0", base.environment, base.participant_key
    )
    built = bundle.build(data, rng=lambda n: bytes([seed]) * n, clock=lambda: clock)
    enc = bundle.encrypt(built, list(study.ref.recipients))
    path = inbox / f"{seed}-{enc.filename}"
    path.write_bytes(enc.data)
    return path


def _trial_rows(out: Path, where: str = "true") -> list[dict[str, Any]]:
    import duckdb

    q = (
        f"select * from read_parquet('{out}/trials/**/*.parquet', hive_partitioning=true, "
        f"hive_types_autocast=false) where {where} order by participant, session, start_ms"
    )
    with duckdb.connect() as con:
        cur = con.execute(q)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def test_lab_open_writes_a_trials_table(tmp_path: Path) -> None:
    a = Study(tmp_path, "a")
    inbox, out = tmp_path / "inbox", tmp_path / "dataset"
    inbox.mkdir()
    _study_bundle(a, inbox, "p1", sample_trials(), 1, 1_800_000_000_000_000_000)
    _study_bundle(a, inbox, "p2", sample_trials()[:7], 2, 1_800_000_000_000_000_000)
    assert _open(a, out, inbox) == 0
    rows = _trial_rows(out, "participant = 'p1'")
    assert len(rows) == len(sample_trials())
    assert {r["session"] for r in rows} == {"p1-s1"}  # s2 had no trials: no partition
    assert not (out / "trials" / f"study={a.study_id}" / "participant=p1" / "session=p1-s2").exists()
    assert rows[0]["start_ms"] == 1000.0
    assert rows[0]["hit"] is True
    assert [r["input"] for r in rows if r["kind"] == "typing"] == ["the quikc\b\bck fox", "hello wrld"]
    assert len(_trial_rows(out, "participant = 'p2'")) == 7
    # the table's columns are the codebook's, then the partition and bundle columns
    names = list(_trial_rows(out)[0])
    assert names[: len(tables.TRIAL_COLUMN_NAMES)] == list(tables.TRIAL_COLUMN_NAMES)
    assert {"bundle_id", "study", "participant", "session"} <= set(names)


def test_a_newer_bundle_replaces_a_sessions_trials_and_drops_those_cut(tmp_path: Path) -> None:
    a = Study(tmp_path, "a")
    out = tmp_path / "dataset"
    (first, second, third) = (tmp_path / n for n in ("first", "second", "third"))
    for d in (first, second, third):
        d.mkdir()
    _study_bundle(a, first, "p1", sample_trials(), 1, 1_800_000_000_000_000_000)
    assert _open(a, out, first) == 0
    assert len(_trial_rows(out)) == len(sample_trials())
    kept = [t for t in sample_trials() if t["kind"] == "typing"]  # the participant cut the pointing part
    _study_bundle(a, second, "p1", kept, 2, 1_800_000_000_000_000_001)
    assert _open(a, out, second) == 0
    assert [r["kind"] for r in _trial_rows(out)] == ["typing", "typing"]
    _study_bundle(a, third, "p1", [], 3, 1_800_000_000_000_000_002)  # and then every trial
    assert _open(a, out, third) == 0
    assert not list((out / "trials").rglob("*.parquet"))
    assert not (out / "trials" / f"study={a.study_id}" / "participant=p1" / "session=p1-s1").exists()


def test_withdrawal_removes_the_participants_trials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_lab_withdraw import _request

    from tallylight.lab.main import main as lab_main

    a = Study(tmp_path, "a")
    inbox, out = tmp_path / "inbox", tmp_path / "dataset"
    inbox.mkdir()
    _study_bundle(a, inbox, "p1", sample_trials(), 1, 1_800_000_000_000_000_000)
    _study_bundle(a, inbox, "p2", sample_trials(), 2, 1_800_000_000_000_000_000)
    assert _open(a, out, inbox) == 0
    capsys.readouterr()
    req = _request(a, tmp_path, "p1")
    assert lab_main(["withdraw", str(req), "--identity", str(a.identity), "--dataset", str(out)]) == 0
    assert f"trials: {len(sample_trials())} row(s) removed" in capsys.readouterr().out
    assert _trial_rows(out, "participant = 'p1'") == []
    assert len(_trial_rows(out, "participant = 'p2'")) == len(sample_trials())


# ---- from the participant's store --------------------------------------------------------


def test_the_stores_trials_leave_without_those_cut_out(
    tmp_path: Path, tallylight_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store's trials reach trials.csv through gather; a cut removes the trials it meets."""
    import dataclasses

    from share_helpers import PASS, JoinedStudy, info, make_vault, sample_events

    from tallylight.events import StopReason
    from tallylight.share import edits
    from tallylight.share.gather import gather
    from tallylight.store import vault, writer
    from tallylight.store.layout import sessions_root

    data_dir = tallylight_home / "data"
    make_vault(data_dir)
    monkeypatch.setenv("TALLYLIGHT_PASSPHRASE", PASS)
    study = JoinedStudy(tmp_path, data_dir)
    stored = [
        dict(t, start_ns=t["start_ns"] // 20_000, end_ns=t["end_ns"] // 20_000) for t in sample_trials()
    ]
    w = writer.open_session(
        dataclasses.replace(info("s1"), study_id=study.study_id), data_dir, seal_interval_s=1e9
    )
    w.write(sample_events())
    w.write_trials(stored)
    w.close(StopReason.PARTICIPANT)
    from tallylight.study import enrolment

    enrolment.register_session(study.study_id, "s1", data_dir)

    def shared() -> list[dict[str, Any]]:
        opened = bundle.open_plaintext(
            bundle.build(gather(study.study_id, ["s1"], vault.unlock(PASS))).plaintext
        )
        return tables.trials_from_rows(table_rows(opened.trials["s1"])) if "s1" in opened.trials else []

    assert shared() == [documented(t) for t in stored]
    # cut 2.15-2.26 ms: the trackpad trials whose span meets it go, the rest stay
    cut = (2_150_000, 2_260_000)
    edits.cut_session(sessions_root(data_dir) / "s1", vault.unlock(PASS), *cut, summarize=lambda *_a: {})
    kept = [t for t in stored if not (t["start_ns"] <= cut[1] and t["end_ns"] >= cut[0])]
    assert 0 < len(kept) < len(stored)
    assert shared() == [documented(t) for t in kept]


def test_bundle_md_and_lab_md_document_the_trials_table() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs"
    bundle_md = (docs / "BUNDLE.md").read_text().split("### 4.1 `trials.csv`")[1].split("## 5.")[0]
    for name in tables.TRIAL_COLUMN_NAMES:
        assert f"| `{name}` |" in bundle_md, name
    for field in ("trials_file", "trials"):
        assert f"| `{field}` |" in (docs / "BUNDLE.md").read_text(), field
    lab = (docs / "LAB.md").read_text()
    assert "dataset/trials/study=" in lab
    assert "dataset/task_results/study=" in lab
    for column in ("task", "condition", "throughput_bps", "sequences", "wpm", "phrases", "sessions"):
        assert f"`{column}`" in lab.split("dataset/task_results/study=")[1], column


def _task_results(out: Path) -> list[dict[str, Any]]:
    import duckdb

    q = (
        f"select * from read_parquet('{out}/task_results/**/*.parquet', hive_partitioning=true, "
        "hive_types_autocast=false) order by participant, task, condition"
    )
    with duckdb.connect() as con:
        cur = con.execute(q)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def test_features_gives_throughput_and_wpm_per_participant_task_and_condition(tmp_path: Path) -> None:
    from test_lab_withdraw import _request

    from tallylight.lab.main import main as lab_main

    a = Study(tmp_path, "a")
    inbox, out = tmp_path / "inbox", tmp_path / "dataset"
    inbox.mkdir()
    again = [dict(t, end_ns=t["end_ns"] + 37 * MS) for t in sample_trials()]  # a slower second session
    _study_bundle(a, inbox, "p1", sample_trials(), 1, 1_800_000_000_000_000_000, trials2=again)
    _study_bundle(a, inbox, "p2", sample_trials()[:7], 2, 1_800_000_000_000_000_000)
    assert _open(a, out, inbox) == 0
    assert lab_main(["features", str(out), "--quiet"]) == 0
    got = _task_results(out)
    assert {(r["participant"], r["task"], r["condition"]) for r in got} == {
        ("p1", "point", "mouse"),
        ("p1", "point", "trackpad"),
        ("p1", "type", ""),
        ("p2", "point", "mouse"),
    }
    # the reference: each session's sequences as sequences of their own, one mean per condition
    pooled = [dict(t, session="p1-s1") for t in sample_trials()] + [dict(t, session="p1-s2") for t in again]
    expected = {(r["task"], r["condition"]): r for r in results.by_condition(pooled)}
    for r in (r for r in got if r["participant"] == "p1"):
        want = expected[(r["task"], r["condition"])]
        for name in ("throughput_bps", "wpm"):
            if want[name] is None:
                assert r[name] is None
            else:
                assert math.isclose(r[name], want[name], rel_tol=1e-12), (r, want)
        assert (r["sequences"], r["phrases"], r["sessions"]) == (want["sequences"], want["phrases"], 2)
    mouse = next(r for r in got if (r["participant"], r["condition"]) == ("p1", "mouse"))
    assert mouse["sequences"] == 4  # two per session, never pooled into two
    by_hand: list[float] = []  # grouped here by session and sequence, measured by measures alone
    for session in (sample_trials(), again):
        for seq in (1, 2):
            taps = [
                measures.PointingTrial(
                    t["from_x"],
                    t["from_y"],
                    t["target_x"],
                    t["target_y"],
                    t["select_x"],
                    t["select_y"],
                    (t["end_ns"] - t["start_ns"]) / 1e6,
                    t["hit"],
                )
                for t in session
                if t.get("condition") == "mouse" and t.get("sequence") == seq
            ]
            tp = measures.pointing_sequence(300, 40, taps).throughput_bps
            assert tp is not None
            by_hand.append(tp)
    assert math.isclose(mouse["throughput_bps"], sum(by_hand) / 4, rel_tol=1e-12)
    # a purpose no participant was asked about is a typing mistake: refused, results kept
    assert lab_main(["features", str(out), "--quiet", "--purpose", "no-such-purpose"]) != 0
    assert len(_task_results(out)) == len(got)
    assert lab_main(["features", str(out), "--quiet"]) == 0
    assert len(_task_results(out)) == len(got)
    # withdrawal takes the participant's task results with the rest
    assert lab_main(["withdraw", str(_request(a, tmp_path, "p1")), "--identity", str(a.identity),
                     "--dataset", str(out)]) == 0  # fmt: skip
    assert {r["participant"] for r in _task_results(out)} == {"p2"}


@given(st.binary(max_size=400) | st.text(max_size=300).map(lambda t: t.encode("utf-8")))
def test_any_trials_csv_is_read_or_refused_in_a_sentence(data: bytes) -> None:
    """A stranger's trials.csv: a table with the documented columns, or BundleError, never a crash."""
    header = (",".join(tables.TRIAL_COLUMN_NAMES) + "\r\n").encode()
    for candidate in (data, header + data):
        said = ""
        try:
            table = dataset.read_trials_csv(candidate)
        except BundleError as exc:
            said = str(exc)
        if said:
            assert said.startswith("A trials table in the bundle"), said
        else:
            assert tuple(table.column_names) == tables.TRIAL_COLUMN_NAMES
