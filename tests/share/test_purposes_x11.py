"""Consent per purpose end to end (issue 22): a study asks for ``analysis`` (required) and
``model-training`` (optional); two participants record injected input on X11, one allows model
training and one declines it, both share; ``lab open --purpose model-training`` holds only the
first, a plain ``open`` holds both with the right ``purposes``; the first then declines model
training, the researcher applies the signed request, and the same query holds nobody."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid
from pathlib import Path

import duckdb
import pytest
from share_helpers import PASS, make_vault

from tallylight.lab.main import main as lab
from tallylight.share import withdrawal_request
from tallylight.study import enrolment, keys, signing, template
from xserver import XServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "study"))
from study_helpers import TRAINING

pytestmark = pytest.mark.x11
TL = [sys.executable, "-m", "tallylight.cli.main"]
TRAIN = "model-training"


def _tl(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*TL, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done


def _participant(
    xserver: XServer, home: Path, manifest: Path, study_id: str, choice: str, out: Path
) -> tuple[str, str]:
    """Join with ``--allow`` or ``--decline model-training``, record typing on X11, share to ``out``;
    (participant id, the share preview)."""
    make_vault(home / "data")
    env = xserver.env(TALLYLIGHT_HOME=str(home), TALLYLIGHT_PASSPHRASE=PASS)
    _tl(env, "study", "add", str(manifest), "--yes", choice, TRAIN)
    proc = subprocess.Popen(
        [*TL, "record", "--study", study_id, "--for", "3s"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert "RECORDING IS ON" in proc.stdout.readline()
    xserver.xdotool("mousemove", "120", "140")
    xserver.xdotool("type", "--delay", "40", "abc")
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    sid = stdout.split("Session ")[1].split(":")[0]
    shared = _tl(env, "share", sid, "--study", study_id, "--out", str(out), "--yes")
    participant = enrolment.load(study_id, home / "data").enrolment.participant_id
    return participant, shared.stdout


def _rows(dataset: Path, table: str = "events") -> list[tuple[str, int]]:
    """(participant, rows) per participant in a table (none when it holds no file)."""
    if not any((dataset / table).rglob("*.parquet")):
        return []
    with duckdb.connect() as con:
        return con.execute(
            f"select participant, count(*) from read_parquet('{dataset}/{table}/**/*.parquet', "
            "hive_partitioning=true, hive_types_autocast=false) group by 1 order by 1"
        ).fetchall()


def _purposes(dataset: Path) -> dict[str, list[str]]:
    with duckdb.connect() as con:
        rows = con.execute(
            f"select participant, purposes from read_parquet('{dataset}/sessions/**/*.parquet', "
            "hive_partitioning=true, hive_types_autocast=false)"
        ).fetchall()
    return {p: sorted(ps) for p, ps in rows}


def test_two_participants_one_refuses_model_training(
    xserver: XServer, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    researcher = tmp_path / "researcher-keys"
    pair = keys.generate(researcher)
    identity = researcher / keys.IDENTITY
    study_id = str(uuid.uuid4())
    text = template.render(recipient=pair.recipient, today=dt.date.today(), study_id=study_id)
    for old, new in TRAINING.items():
        assert old in text
        text = text.replace(old, new)
    manifest = tmp_path / "study.toml"
    manifest.write_bytes(signing.sign(text.encode(), keys.load_signing_key(researcher)))

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    home1, home2 = tmp_path_factory.mktemp("participant-1"), tmp_path_factory.mktemp("participant-2")
    p1, preview1 = _participant(xserver, home1, manifest, study_id, "--allow", inbox / "p1.age")
    p2, preview2 = _participant(xserver, home2, manifest, study_id, "--decline", inbox / "p2.age")
    assert p1 != p2
    # the share preview names what each bundle may be used for, and what was declined
    # (by the manifest's titles, with the ids `study purposes --decline` takes)
    analysis, training = "Analysis for this study (analysis)", f"Training machine-learning models ({TRAIN})"
    assert f"It may be used for: {analysis}; {training}\n" in preview1
    assert "You said no to" not in preview1
    assert f"It may be used for: {analysis}\n" in preview2
    assert f"You said no to (it may not be used for): {training}\n" in preview2

    common = ["--identity", str(identity), "--manifest", str(manifest), "--quiet"]
    every, train = tmp_path / "every", tmp_path / "train"
    assert lab(["open", str(inbox), "--out", str(every), *common]) == 0
    assert [p for p, _n in _rows(every)] == sorted([p1, p2])
    assert _purposes(every) == {p1: ["analysis", TRAIN], p2: ["analysis"]}
    query = ["open", str(inbox), "--out", str(train), "--purpose", TRAIN, *common]
    assert lab(query) == 0
    assert [p for p, _n in _rows(train)] == [p1]

    # the first participant changes their mind: a signed request, and they stay in the study
    env1 = xserver.env(TALLYLIGHT_HOME=str(home1), TALLYLIGHT_PASSPHRASE=PASS)
    requests = tmp_path / "requests"
    declined = _tl(env1, "study", "purposes", study_id, "--decline", TRAIN, "--out", str(requests))
    assert "You stay in the study" in declined.stdout
    assert enrolment.load(study_id, home1 / "data").purposes() == {"analysis": True, TRAIN: False}
    (request,) = sorted(requests.glob(f"*{withdrawal_request.SUFFIX}"))

    # the researcher applies it to both datasets
    for dataset in (every, train):
        assert lab(["withdraw", str(request), "--identity", str(identity), "--dataset", str(dataset)]) == 0
    assert _rows(train) == []
    assert _rows(train, "sessions") == []
    assert lab([*query, "--reopen"]) == 0  # the same query, even reopening every bundle: nobody
    assert _rows(train) == []
    assert _purposes(every) == {p1: ["analysis"], p2: ["analysis"]}
    assert [p for p, _n in _rows(every)] == sorted([p1, p2])  # both still take part
