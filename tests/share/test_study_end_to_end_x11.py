"""A whole study on X11, as issue 20 describes it: three participants, one researcher.

Each participant has a home of their own (vault, enrolment, participant key) and joins
the same signed manifest with `tallylight study add`. Two record with `tallylight record`,
one with the tray app (`tallylight start --study`); each runs the study's task from the
command line while xdotool types into it, adds a note, and shares a bundle with
`tallylight share`. The researcher opens the three bundles and a forged one with
`tallylight-lab open`; then one participant withdraws with `tallylight study withdraw`,
`tallylight-lab withdraw` applies the request, and re-opening their old bundle is refused.
Real processes throughout: the CLI, the recorder, the app on Xvfb with trayer, pyrage.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import duckdb
import pytest
from share_helpers import PASS, columns, make_vault

from helpers import wait_until
from tallylight.events import Event, Kind, SessionInfo, StopReason
from tallylight.lab.main import main as lab
from tallylight.options import CaptureOptions, KeyMode
from tallylight.share import agecrypt, bundle
from tallylight.share.bundle import BundleInputs, SessionPart, StudyRef
from tallylight.study import keys, signing, template
from tallylight.study import manifest as mf
from xserver import XServer, trayer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
from test_e2e import quit_app, start_app

pytestmark = [pytest.mark.x11, pytest.mark.slow]
TL = [sys.executable, "-m", "tallylight.cli.main"]


def _tl(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*TL, *args], env=env, capture_output=True, text=True, timeout=120)
    if ok:
        assert done.returncode == 0, f"tallylight {' '.join(args)}: {done.stdout}{done.stderr}"
    return done


def _participant(xserver: XServer, root: Path, name: str, manifest: Path) -> dict[str, str]:
    """A participant's own home with a vault, who joined the study (the real `study add`)."""
    home = root / name
    make_vault(home / "data")
    env = xserver.env(TALLYLIGHT_HOME=str(home), TALLYLIGHT_PASSPHRASE=PASS)
    env.pop("TALLYLIGHT_RECORDER_CMD", None)
    env.pop("TALLYLIGHT_SINK", None)
    _tl(env, "study", "add", str(manifest), "--yes")
    return env


def _task_and_note(xserver: XServer, env: dict[str, str], text: str) -> None:
    """The study's task from another terminal, typing into it, a note: what a participant does."""
    assert "Task: Copy a paragraph" in _tl(env, "task", "start", "copy-text").stdout
    xserver.xdotool("type", "--delay", "40", text)
    _tl(env, "note")
    _tl(env, "task", "end")


def _with_record(xserver: XServer, env: dict[str, str], study_id: str, text: str) -> str:
    proc = subprocess.Popen(
        [*TL, "record", "--study", study_id],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "RECORDING IS ON" in proc.stdout.readline()
        _task_and_note(xserver, env, text)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return out.split("Session ")[1].split(":")[0]


def _with_app(xserver: XServer, env: dict[str, str], root: Path, study_id: str, text: str) -> str:
    from tallylight import settings

    old = os.environ["TALLYLIGHT_HOME"]
    os.environ["TALLYLIGHT_HOME"] = env["TALLYLIGHT_HOME"]
    try:  # this participant's own settings: past the welcome, no reminders
        settings.save(settings.Settings(welcome_done=True, reminder_every_min=0, capture=CaptureOptions()))
    finally:
        os.environ["TALLYLIGHT_HOME"] = old
    app_env = {**env, "QT_QPA_PLATFORM": "xcb"}
    with trayer(xserver):
        app = start_app(app_env, root, name="participant-app")
        try:
            _tl(app_env, "start", "--study", study_id)
            _task_and_note(xserver, app_env, text)
            _tl(app_env, "stop")
            wait_until(lambda: "State: idle" in _tl(app_env, "status", ok=False).stdout, timeout=30)
            status = _tl(app_env, "status").stdout
        finally:
            quit_app(app)
    sessions = _tl(env, "sessions", "list").stdout
    ids = [
        line.split()[0] for line in sessions.splitlines() if line[:1].isalnum() and len(line.split()[0]) == 24
    ]
    assert len(ids) == 1, (sessions, status)
    return ids[0]


def _sql(query: str) -> list[tuple]:
    with duckdb.connect() as con:
        return con.execute(query).fetchall()


def test_three_participants_share_open_and_one_withdraws(xserver: XServer, tmp_path: Path) -> None:
    # the researcher: keys and a signed manifest with the template's task
    study_id = str(uuid.uuid4())
    pair = keys.generate(tmp_path / "researcher")
    body = template.render(recipient=pair.recipient, today=dt.date.today(), study_id=study_id)
    manifest = tmp_path / "study.toml"
    manifest.write_bytes(signing.sign(body.encode(), keys.load_signing_key(tmp_path / "researcher")))
    identity = tmp_path / "researcher" / keys.IDENTITY

    people = {name: _participant(xserver, tmp_path, name, manifest) for name in ("ann", "ben", "cat")}
    sessions = {
        "ann": _with_record(xserver, people["ann"], study_id, "abc"),
        "ben": _with_record(xserver, people["ben"], study_id, "hello"),
        "cat": _with_app(xserver, people["cat"], tmp_path, study_id, "xy z"),
    }
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    bundles = {}
    for name, env in people.items():
        bundles[name] = inbox / f"{name}{bundle.SUFFIX}"
        _tl(env, "share", sessions[name], "--study", study_id, "--out", str(bundles[name]), "--yes")

    # a forgery: anyone holding the study's public recipient can build a bundle claiming ann's
    # participant id and session; it is signed with the forger's key, not ann's
    forged = _forge(tmp_path, manifest, pair.recipient, identity, bundles["ann"])
    dataset = tmp_path / "dataset"
    args = [
        "open",
        str(inbox),
        "--identity",
        str(identity),
        "--manifest",
        str(manifest),
        "--out",
        str(dataset),
    ]
    assert lab([*args, "--quiet", "--jobs", "1"]) == 0
    assert lab(["open", str(forged), *args[2:], "--quiet"]) == 9  # refused: another key for ann
    events = f"read_parquet('{dataset}/events/**/*.parquet', hive_partitioning=true)"
    table = f"read_parquet('{dataset}/sessions/**/*.parquet', hive_partitioning=true)"
    participants = _sql(f"select participant, session, task_runs, note_count from {table} order by 1")
    assert len(participants) == 3
    assert sorted(s for _, s, _, _ in participants) == sorted(sessions.values())
    assert all(runs == 1 and notes == 1 for _, _, runs, notes in participants)  # the task and note, each
    downs = dict(_sql(f"select session, count(*) from {events} where kind = 'key_down' group by 1"))
    assert downs == {sessions["ann"]: 3, sessions["ben"]: 5, sessions["cat"]: 4}
    ben = next(p for p, s, _, _ in participants if s == sessions["ben"])
    assert lab(["features", str(dataset), "--quiet"]) == 0
    derived = sorted(p.parent.name for p in dataset.glob("*/*") if p.name.startswith("study="))
    assert {"features", "keystrokes", "writing"} <= set(derived)  # the tables the withdrawal must reach
    everywhere = [d for d in sorted(set(derived)) if list((dataset / d).rglob(f"participant={ben}"))]
    assert {"events", "sessions", "features", "keystrokes"} <= set(everywhere)

    # ben withdraws: the request is saved for the researcher, who applies it
    requests = tmp_path / "requests"
    _tl(people["ben"], "study", "withdraw", study_id, "--yes", "--no-send", "--out", str(requests))
    (request,) = [p for p in requests.iterdir() if p.name.endswith(".age")]
    assert lab(["withdraw", str(request), "--identity", str(identity), "--dataset", str(dataset)]) == 0
    for name in everywhere:  # every table that held ben's rows, the derived ones too
        assert not list((dataset / name).rglob(f"participant={ben}")), name
        path = f"read_parquet('{dataset}/{name}/**/*.parquet', hive_partitioning=true)"
        assert _sql(f"select count(distinct participant) from {path}") == [(2,)], name
    # and their old bundle is refused from now on, with --reopen too
    assert lab(["open", str(bundles["ben"]), *args[2:], "--quiet", "--reopen"]) == 9
    assert _sql(f"select count(*) from {events} where participant = '{ben}'") == [(0,)]


def _forge(root: Path, manifest: Path, recipient: str, identity: Path, real: Path) -> Path:
    """A bundle claiming the real bundle's participant and session, signed by another key."""
    opened = bundle.open_bundle(real.read_bytes(), agecrypt.identities_from_text(identity.read_text()))
    doc = opened.doc
    signed = mf.load(manifest.read_bytes())
    session = doc["sessions"][0]
    info = SessionInfo(
        session["session_id"],
        int(session["start_unix_ns"]),
        "perf_counter_ns",
        1,
        CaptureOptions(keys=KeyMode.CLASS),
    )
    part = SessionPart(
        info, "complete", "", columns([Event(1_000_000, Kind.KEY_DOWN, key_class=1)]), StopReason.PARTICIPANT
    )
    ref = StudyRef(doc["study"]["id"], signed.hash, (recipient,), "forged", 1, tasks=("copy-text",))
    inputs = BundleInputs(
        ref, opened.participant_id, doc["consent"], [part], "forger", participant_key=b"\x07" * 32
    )
    enc = bundle.encrypt(bundle.build(inputs), [recipient])
    path = root / f"forged{bundle.SUFFIX}"
    path.write_bytes(enc.data)
    return path
