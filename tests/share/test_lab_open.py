"""``tallylight-lab open``: bundles into one hive-partitioned Parquet dataset that DuckDB reads whole."""

from __future__ import annotations

import datetime as dt
import functools
import io
import os
import re
import uuid
from pathlib import Path

import duckdb
import pytest
from share_helpers import fixed_rng, inputs, participant_seed, sample_events

from tallylight.lab.main import main as lab_main
from tallylight.share import agecrypt, bundle
from tallylight.share.bundle import BundleInputs, StudyRef
from tallylight.study import keys, signing, template
from tallylight.study import manifest as mf

TODAY = dt.date(2026, 11, 29)


def _ask_model_training(text: str) -> str:
    """The template with its commented optional ``model-training`` purpose switched on."""
    start = re.search(r"^# \[\[purposes\]\] +# an optional use", text, re.M).start()  # type: ignore[union-attr]
    block = text[start:].split("\n\n", 1)[0]
    lines = [
        "[[purposes]]" if ln.startswith("# [[purposes]]") else ln.removeprefix("# ")
        for ln in block.split("\n")
    ]
    out = text.replace(block, "\n".join(lines), 1)
    assert 'id = "model-training"' in out
    assert "\n# id =" not in out
    return out


class Study:
    """A researcher's key folder and a signed manifest naming its recipient."""

    def __init__(self, root: Path, name: str) -> None:
        self.keys = root / f"keys-{name}"
        pair = keys.generate(self.keys)
        self.study_id = str(uuid.uuid4())
        text = template.render(recipient=pair.recipient, today=TODAY, study_id=self.study_id)
        body = _ask_model_training(text).encode()
        self.manifest = root / f"{name}.toml"
        self.manifest.write_bytes(signing.sign(body, keys.load_signing_key(self.keys)))
        signed = mf.load(self.manifest.read_bytes())
        self.ref = StudyRef(self.study_id, signed.hash, (pair.recipient,), "study " + name, 1)
        self.identity = self.keys / keys.IDENTITY

    def bundle(
        self,
        out: Path,
        participant: str,
        sessions: list[str],
        seed: int = 0,
        purposes: dict[str, bool] | None = None,
    ) -> bundle.Encrypted:
        parts = [(s, ()) for s in sessions]
        base = inputs(
            list(self.ref.recipients), sessions=parts, participant_id=participant, purposes=purposes
        )
        data = BundleInputs(
            self.ref,
            participant,
            base.consent,
            base.sessions,
            "0.1.0",
            base.environment,
            base.participant_key,
        )
        built = bundle.build(data, rng=lambda n: bytes([seed]) * n if seed else fixed_rng(n))
        enc = bundle.encrypt(built, list(self.ref.recipients))
        (out / enc.filename).write_bytes(enc.data)
        return enc


def _open(study: Study, out: Path, *files: Path, extra: tuple[str, ...] = ()) -> int:
    args = ["open", *map(str, files), "--identity", str(study.identity), "--out", str(out)]
    return lab_main([*args, "--manifest", str(study.manifest), "--quiet", *extra])


def _count(out: Path, where: str = "true") -> int:
    q = (
        f"select count(*) from read_parquet('{out}/events/**/*.parquet', hive_partitioning=true, "
        f"hive_types_autocast=false) where {where}"
    )
    return int(_sql(q)[0][0])


@functools.cache
def _db() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB for every query of the process (a connection costs about 15 ms of CPU,
    and the lab tests ask about 70 queries). Queries only read files; DuckDB keeps no local file's
    data or Parquet metadata between them, so a rewritten dataset is read afresh."""
    con = duckdb.connect()
    con.execute("SET cache_local_files = false; SET parquet_metadata_cache = false")
    return con


def _sql(query: str) -> list[tuple]:
    return _db().execute(query).fetchall()


N = len(sample_events())


def test_open_writes_one_dataset_duckdb_reads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = Study(tmp_path, "a")
    inbox, out = tmp_path / "inbox", tmp_path / "dataset"
    inbox.mkdir()
    for i in range(4):
        a.bundle(inbox, f"p{i:03d}", [f"s{i}a", f"s{i}b"], seed=i + 1)
    assert _open(a, out, inbox, extra=("--jobs", "2")) == 0
    assert "Opened 4 bundle(s) (8 session(s)" in capsys.readouterr().out
    assert _count(out) == 8 * N
    per = _sql(
        f"select participant, count(distinct session) from read_parquet('{out}/events/**/*.parquet', "
        "hive_partitioning=true, hive_types_autocast=false) group by 1 order by 1"
    )
    assert per == [(f"p{i:03d}", 2) for i in range(4)]
    # named values and nulls, not codes and zeros
    assert _count(out, "kind = 'key_down' and x_px is null and key_class = 'letter'") == 4 * 2
    assert _count(out, "kind = 'move' and x_px = 0 and y_px = 0") == 8
    assert _count(out, f"study = '{a.study_id}'") == 8 * N
    t = _sql(f"select min(t_utc) from read_parquet('{out}/events/**/*.parquet')")[0][0]
    assert t.year == 2023
    sessions = _sql(
        f"select count(*), min(key_mode), min(verdict) from read_parquet('{out}/sessions/**/*.parquet', "
        "hive_partitioning=true)"
    )[0]
    assert sessions == (8, "hashed", "complete")
    # pandas-free pyarrow reads the same dataset as a whole
    import pyarrow.dataset as ds

    assert ds.dataset(out / "events", format="parquet", partitioning="hive").count_rows() == 8 * N
    # and pandas, as LAB.md shows (the lab extra installs it)
    import pandas as pd  # type: ignore[import-untyped]

    assert len(pd.read_parquet(out / "events")) == 8 * N


def test_reopening_never_duplicates_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = Study(tmp_path, "a")
    out = tmp_path / "dataset"
    enc = a.bundle(tmp_path, "p1", ["s1"])
    f = tmp_path / enc.filename
    assert _open(a, out, f) == 0
    assert _open(a, out, f) == 0  # duplicate: reported, skipped
    assert "duplicate:" in capsys.readouterr().out
    assert _open(a, out, f, extra=("--reopen",)) == 0  # rewritten in place
    assert _open(a, out, f, f, extra=("--reopen",)) == 0  # the same file twice in one run
    assert _count(out) == N


def test_bad_foreign_and_other_study_bundles_are_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = Study(tmp_path, "a"), Study(tmp_path, "b")
    good = tmp_path / a.bundle(tmp_path, "p1", ["s1"]).filename
    foreign = tmp_path / b.bundle(tmp_path, "p2", ["s2"], seed=7).filename
    damaged = tmp_path / "damaged.age"
    raw = bytearray(good.read_bytes())
    raw[len(raw) // 2] ^= 1
    damaged.write_bytes(bytes(raw))
    # encrypted to A's key but made for study B's manifest
    other = BundleInputs(
        b.ref, "p3", {}, inputs(["x"]).sessions, "0.1.0", participant_key=participant_seed("p3")
    )
    mixed = bundle.encrypt(bundle.build(other, rng=lambda n: b"\x09" * n), list(a.ref.recipients))
    wrong_study = tmp_path / "wrong-study.age"
    wrong_study.write_bytes(mixed.data)
    out = tmp_path / "dataset"
    assert _open(a, out, good, foreign, damaged, wrong_study, extra=("--jobs", "2")) == 9
    text = capsys.readouterr().out
    assert f"foreign: {foreign}: This bundle is not encrypted to your identity" in text
    assert f"bad: {damaged}: This bundle is damaged" in text
    assert f"foreign: {wrong_study}: it is for study {b.study_id}" in text
    assert "Opened 1 bundle(s)" in text
    assert _count(out) == N


def test_identity_not_a_recipient_of_the_manifest_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = Study(tmp_path, "a"), Study(tmp_path, "b")
    f = tmp_path / a.bundle(tmp_path, "p1", ["s1"]).filename
    args = ["open", str(f), "--identity", str(b.identity), "--out", str(tmp_path / "o")]
    assert lab_main([*args, "--manifest", str(a.manifest), "--quiet"]) == 2
    assert "not a recipient of study" in capsys.readouterr().err


def test_identity_file_with_garbage_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "id.txt"
    bad.write_text("hello\n")
    assert lab_main(["open", "x.age", "--identity", str(bad), "--out", str(tmp_path / "o")]) == 9
    assert "not an age secret key" in capsys.readouterr().err
    assert agecrypt  # the module the CLI uses


def test_features_of_an_opened_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """open, then features: one row per session, mousetrap trials; the events round-trip exactly."""
    from share_helpers import columns

    from tallylight.lab.features_cmd import columns_from_table
    from tallylight.review import features

    a = Study(tmp_path, "a")
    out = tmp_path / "dataset"
    f = tmp_path / a.bundle(tmp_path, "p1", ["s1"]).filename
    assert _open(a, out, f) == 0
    assert lab_main(["features", str(out), "--quiet", "--pause-threshold", "0.5"]) == 0
    assert "Features of 1 session(s)" in capsys.readouterr().out
    rows = _sql(
        "select scope, keystrokes, clicks, path_length_px, participant "
        f"from read_parquet('{out}/features/**/*.parquet', hive_partitioning=true)"
    )
    expected = features.session_features(columns(sample_events()), 0.5)
    assert rows == [("session", 2.0, 1.0, pytest.approx(expected["path_length_px"]), "p1")]
    # the Parquet rows give back exactly the recorded events (named values -> codes)
    import pyarrow.dataset as ds

    table = ds.dataset(out / "events", format="parquet", partitioning="hive").to_table()
    back, orig = columns_from_table(table), columns(sample_events())
    for name in ("t_ns", "kind", "x", "y", "button", "dx", "dy", "key_class", "key", "marker", "reason"):
        assert getattr(back, name).tolist() == getattr(orig, name).tolist(), name
    assert features.session_features(back) == features.session_features(orig)


def test_features_on_a_full_disk_is_a_sentence(tmp_path: Path) -> None:
    import resource
    import subprocess
    import sys

    a = Study(tmp_path, "a")
    out = tmp_path / "dataset"
    assert _open(a, out, tmp_path / a.bundle(tmp_path, "p1", ["s1"]).filename) == 0

    def limit() -> None:  # a size limit acts like a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))

    done = subprocess.run(
        [sys.executable, "-m", "tallylight.lab", "features", str(out), "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
        # not measured by coverage: its data file cannot be written under the size limit either;
        # and no bytecode: CPython writes a .pyc cut short by the limit, which breaks later imports
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")},
            "PYTHONDONTWRITEBYTECODE": "1",
        },
    )
    assert done.returncode != 0, done.stderr
    assert done.returncode != 70, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr


def test_features_without_a_dataset_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert lab_main(["features", str(tmp_path)]) == 2
    assert "holds no events dataset" in capsys.readouterr().err


def test_a_negative_jobs_count_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = Study(tmp_path, "a")
    files = [tmp_path / a.bundle(tmp_path, f"p{i}", ["s1"], seed=i + 1).filename for i in range(2)]
    out = tmp_path / "out"
    assert _open(a, out, *files, extra=("--jobs", "-1")) == 2
    assert "--jobs must be" in capsys.readouterr().err


@pytest.mark.parametrize("threshold", ["0", "-1", "nan", "inf", "1e308"])
def test_an_absurd_pause_threshold_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], threshold: str
) -> None:
    assert lab_main(["features", str(tmp_path), f"--pause-threshold={threshold}"]) == 2
    err = capsys.readouterr().err
    assert "--pause-threshold must be" in err
    assert "bug" not in err


def test_features_per_task_and_trials(tmp_path: Path) -> None:
    import dataclasses

    from share_helpers import columns

    from tallylight import events as ev
    from tallylight.events import Marker

    a = Study(tmp_path, "a")
    evs = [ev.marker(0, Marker.SESSION_START), ev.marker(1_000_000, Marker.TASK_START, 1)]
    evs += [ev.move(2_000_000, 0, 0), ev.move(3_000_000, 50, 20), ev.move(4_000_000, 100, 0)]
    evs += [ev.button(5_000_000, 100, 0, ev.Button.LEFT, True), ev.marker(6_000_000, Marker.TASK_END, 1)]
    evs += [ev.marker(7_000_000, Marker.SESSION_STOP, 1)]
    ref = dataclasses.replace(a.ref, tasks=("copy-text",))
    base = inputs(list(ref.recipients))
    part = dataclasses.replace(base.sessions[0], columns=columns(evs))
    enc = bundle.encrypt(
        bundle.build(BundleInputs(ref, "p1", {}, [part], "0.1.0", participant_key=participant_seed("p1"))),
        list(ref.recipients),
    )
    (tmp_path / enc.filename).write_bytes(enc.data)
    out = tmp_path / "dataset"
    assert _open(a, out, tmp_path / enc.filename) == 0
    assert lab_main(["features", str(out), "--quiet"]) == 0
    # the sessions table names the tasks and notes and counts events per kind (integers)
    sessions = _sql(
        f"select task_runs, note_count, move_events, button_down_events, marker_events, "
        f"json_extract_string(tasks, '$[0].task') from read_parquet('{out}/sessions/**/*.parquet')"
    )
    assert sessions == [(1, 0, 3, 1, 4, "copy-text")]
    rows = _sql(f"select scope, task, clicks from read_parquet('{out}/features/**/*.parquet') order by scope")
    assert rows == [("session", None, 1.0), ("task", "copy-text", 1.0)]
    trials = _sql(
        f"select task, trial, mad_px, initiation_ms from read_parquet('{out}/trajectories/**/*.parquet')"
    )
    assert trials == [("copy-text", 1, pytest.approx(20.0), pytest.approx(2.0))]


@pytest.mark.parametrize(
    ("where", "key", "value"),
    [("session", "time_zone", [1, 2]), ("session", "capture", "x"), ("session", "duration_ms", "long")],
)
def test_a_bundle_with_odd_values_is_skipped_not_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str, key: str, value: object
) -> None:
    import io
    import json
    import zipfile

    a = Study(tmp_path, "a")
    good = tmp_path / a.bundle(tmp_path, "p1", ["s1"]).filename
    built = bundle.build(inputs(list(a.ref.recipients)), rng=lambda n: b"\x05" * n)
    with zipfile.ZipFile(io.BytesIO(built.plaintext)) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    doc = json.loads(files["bundle.json"])
    doc["study"]["id"], doc["study"]["manifest_sha256"] = a.study_id, a.ref.manifest_sha256
    (doc["sessions"][0] if where == "session" else doc)[key] = value
    files["bundle.json"] = json.dumps(doc).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, d in files.items():
            zf.writestr(n, d)
    odd = tmp_path / "odd.age"
    odd.write_bytes(agecrypt.encrypt(buf.getvalue(), list(a.ref.recipients)))
    assert _open(a, tmp_path / "out", good, odd, extra=("--jobs", "2")) == 9
    text = capsys.readouterr().out
    assert f"bad: {odd}" in text
    assert "Opened 1 bundle(s)" in text


@pytest.mark.parametrize("t_ms", ["nan", "inf", "-inf", ""])
def test_an_event_without_a_real_time_is_a_malformed_table(t_ms: str) -> None:
    """A time that is not a number poisoned t_utc and every feature (numpy warnings, no error)."""
    from tallylight.errors import BundleError
    from tallylight.lab.dataset import read_events_csv
    from tallylight.share.tables import COLUMN_NAMES

    good = ",".join(COLUMN_NAMES) + "\n" + "1.5,key_down" + "," * (len(COLUMN_NAMES) - 2) + "\n"
    assert read_events_csv(good.encode()).num_rows == 1
    bad = good + t_ms + ",key_up" + "," * (len(COLUMN_NAMES) - 2) + "\n"
    with pytest.raises(BundleError, match="t_ms"):
        read_events_csv(bad.encode())


def test_an_events_file_holds_the_csv_values_with_the_codebook_types(tmp_path: Path) -> None:
    """Name columns go from the CSV to Parquet dictionary-encoded as read; every reader still sees
    the codebook's types (plain text, not dictionaries) and the CSV's values."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from tallylight.share import tables

    a = Study(tmp_path, "a")
    enc = a.bundle(tmp_path, "p1", ["s1"])
    out = tmp_path / "dataset"
    assert _open(a, out, tmp_path / enc.filename) == 0
    (path,) = (out / "events").rglob("*.parquet")
    got = pq.read_table(path)
    kinds = {"decimal": pa.float64(), "integer": pa.int64(), "text": pa.string(), "name": pa.string()}
    want = pa.schema(
        [
            ("t_ms", pa.float64()),
            ("t_utc", pa.timestamp("ns", tz="UTC")),
            *((c.name, kinds[c.type]) for c in tables.COLUMNS[1:]),
            ("bundle_id", pa.string()),
        ]
    )
    assert got.schema == want
    opened = bundle.open_bundle(enc.data, agecrypt.identities_from_text(a.identity.read_text()))
    csv = opened.events["s1"]
    plain = pacsv.read_csv(
        io.BytesIO(csv),
        convert_options=pacsv.ConvertOptions(
            column_types={c.name: want.field(c.name).type for c in tables.COLUMNS}, strings_can_be_null=True
        ),
    )
    assert got.drop_columns(["t_utc", "bundle_id"]).equals(plain)
    assert got["bundle_id"].unique().to_pylist() == [opened.bundle_id]
    # the time columns keep their min/max, by which a reader skips whole files
    meta = pq.ParquetFile(path).metadata.row_group(0)
    stats = {meta.column(i).path_in_schema: meta.column(i).statistics for i in range(meta.num_columns)}
    assert stats["t_utc"].has_min_max
    assert stats["t_ms"].min == pc.min(plain["t_ms"]).as_py()
