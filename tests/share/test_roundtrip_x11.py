"""The whole path: record injected input under a study, cut a span, share, open with Debian's age and
with tallylight-lab open; the tables hold what was recorded minus the cut span, DuckDB counts match."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import numpy as np
import pytest
from share_helpers import PASS, JoinedStudy, make_vault, read_csv

from tallylight.events import Kind
from tallylight.lab.main import main as lab
from tallylight.review.summary import list_summary
from tallylight.share import tables
from tallylight.store import sessions as store
from tallylight.store.edit import cut_session
from xserver import XServer

pytestmark = pytest.mark.x11
TL = [sys.executable, "-m", "tallylight.cli.main"]


def test_record_cut_share_open(xserver: XServer, tmp_path: Path, tallylight_home: Path) -> None:
    data = tallylight_home / "data"
    vault = make_vault(data)
    study = JoinedStudy(tmp_path, data)
    env = xserver.env(TALLYLIGHT_PASSPHRASE=PASS)
    proc = subprocess.Popen(
        [*TL, "record", "--study", study.study_id, "--for", "4s"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert "RECORDING IS ON" in proc.stdout.readline()
    xserver.xdotool("mousemove", "100", "100")
    xserver.xdotool("type", "--delay", "60", "ab cd")
    xserver.xdotool("mousemove", "300", "200", "click", "1")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    sid = out.split("Session ")[1].split(":")[0]

    recorded = store.read(sid, vault, data).columns()
    keys = np.flatnonzero(recorded.kind == Kind.KEY_DOWN)
    assert keys.size == 5, recorded.kind.tolist()
    # cut out the span from the second to the third key press (the participant's choice)
    a, b = int(recorded.t_ns[keys[1]]), int(recorded.t_ns[keys[2]])
    cut_session(data / "sessions" / sid, vault, a, b, summarize=list_summary)
    inside = (recorded.t_ns >= a) & (recorded.t_ns <= b) & (recorded.kind != Kind.MARKER)
    # a keystroke split by an edge goes whole (the space pressed at b is released after it)
    for down in np.flatnonzero(recorded.kind == Kind.KEY_DOWN):
        ups = np.flatnonzero(
            (recorded.kind == Kind.KEY_UP)
            & (recorded.key == recorded.key[down])
            & (recorded.t_ns > recorded.t_ns[down])
        )
        if ups.size and inside[down] != inside[ups[0]]:
            inside[down] = inside[ups[0]] = True
    kept = recorded.take(~inside)
    expected = {
        tables.KIND_NAMES[k]: int(n)
        for k, n in zip(*np.unique(kept.kind[kept.kind != Kind.MARKER], return_counts=True), strict=True)
    }

    bundle_file = tmp_path / "b.age"
    shared = subprocess.run(
        [*TL, "share", sid, "--study", study.study_id, "--out", str(bundle_file), "--yes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shared.returncode == 0, shared.stderr
    assert "spans you cut out: 1" in shared.stdout

    plain = tmp_path / "b.zip"
    age = ["age", "-d", "-i", str(study.identity), "-o", str(plain), str(bundle_file)]
    subprocess.run(age, check=True, timeout=60)
    with zipfile.ZipFile(plain) as zf:
        doc = json.loads(zf.read("bundle.json"))
        rows = read_csv(zf.read(f"sessions/{sid}/events.csv"))
    got: dict[str, int] = {}
    for r in rows:
        if r["kind"] != "marker":
            got[r["kind"]] = got.get(r["kind"], 0) + 1
    assert got == expected
    downs = [r["key_class"] for r in rows if r["kind"] == "key_down"]
    assert downs == ["letter", "letter", "letter"]  # a (cut: b, space) c d
    cut = doc["sessions"][0]["cut_spans"]
    assert [(c["start_ms"], c["end_ms"]) for c in cut] == [(a / 1e6, b / 1e6)]
    assert not any(a / 1e6 <= float(r["t_ms"]) <= b / 1e6 for r in rows if r["kind"] != "marker")
    assert doc["sessions"][0]["capture"]["key_mode"] == "class"  # the study's ceiling
    # the recorder's timing figures (docs/FORMAT.md section 12) came along, through the cut
    timing = doc["sessions"][0]["timing_quality"]
    assert timing == store.read(sid, vault, data).timing
    assert timing["os_clock"] == "x11-server-time"
    assert timing["input_events"] == sum(expected.values())
    # per-event delivery figures cannot be recounted once events are cut: unknown, and said so
    for name in ("events_with_os_time", "retimed", "delivery_lag_p50_us", "delivery_lag_max_us"):
        assert timing[name] is None, name
    assert any("were cut out afterwards" in n for n in timing["notes"])

    dataset = tmp_path / "dataset"
    args = ["open", str(bundle_file), "--identity", str(study.identity), "--out", str(dataset), "--quiet"]
    assert lab([*args, "--manifest", str(study.manifest)]) == 0
    with duckdb.connect() as con:
        counts = con.execute(
            f"select kind, count(*) from read_parquet('{dataset}/events/**/*.parquet') "
            "where kind <> 'marker' group by 1"
        ).fetchall()
        (stored_timing,) = con.execute(
            f"select timing_quality from read_parquet('{dataset}/sessions/**/*.parquet')"
        ).fetchone()  # type: ignore[misc]
    assert dict(counts) == expected
    assert json.loads(stored_timing) == timing
