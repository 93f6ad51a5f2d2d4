"""A study session through the real app: `tallylight start --study`, tasks and notes, the tray menu.

The real `tallylight` app process, CLI, recorder and store on Xvfb with trayer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest_helpers import PASSPHRASE
from test_e2e import _status, cli, quit_app, start_app

from helpers import wait_until
from tallylight.events import Kind, Marker
from tallylight.options import CaptureOptions
from xserver import trayer

pytestmark = [pytest.mark.x11, pytest.mark.slow]

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "study"))
from study_helpers import STUDY_ID, write_signed  # noqa: E402


@pytest.fixture
def study_env(xserver, vault_ready, tallylight_home, tmp_path):
    from tallylight import settings

    # the participant's settings allow exact keys; the study (class) must still win
    settings.save(
        settings.Settings(welcome_done=True, reminder_every_min=0, capture=CaptureOptions(keys="full"))
    )
    env = xserver.env(
        QT_QPA_PLATFORM="xcb", TALLYLIGHT_HOME=str(tallylight_home), TALLYLIGHT_PASSPHRASE=PASSPHRASE
    )
    env.pop("TALLYLIGHT_RECORDER_CMD", None)
    env.pop("TALLYLIGHT_SINK", None)
    manifest = write_signed(tmp_path / "study.toml")
    cli("study", "add", str(manifest), "--yes", env=env)
    return env


def test_start_study_tasks_notes_and_markers(study_env, xserver, tmp_path) -> None:
    with trayer(xserver):
        app = start_app(study_env, tmp_path)
        try:
            cli("start", "--study", STUDY_ID, env=study_env)
            status = _status(study_env)
            assert status
            assert status["state"] == "recording"
            assert status["study"] == STUDY_ID
            assert status["options"]["keys"] == "class"  # narrowed by the study, not the settings
            out = cli("status", env=study_env).stdout
            assert "Study: " + STUDY_ID in out
            assert "copy-text" in out
            refused = cli("task", "start", "nope", env=study_env, check=False)
            assert refused.returncode != 0
            assert "copy-text" in refused.stderr
            assert "Task: Copy a paragraph" in cli("task", "start", "copy-text", env=study_env).stdout
            xserver.xdotool("type", "--delay", "20", "abc")
            cli("note", env=study_env)
            cli("task", "end", env=study_env)
            ended = cli("task", "end", env=study_env, check=False)
            assert ended.returncode != 0
            assert "No task is running" in ended.stderr
            cli("stop", env=study_env)
            wait_until(lambda: (_status(study_env) or {}).get("state") == "idle", timeout=20)
        finally:
            quit_app(app)
    from tallylight.store import sessions, vault
    from tallylight.study import enrolment

    (sid,) = sessions.session_ids()
    data = sessions.read(sid, vault.unlock(PASSPHRASE))
    assert data.info is not None
    assert data.info.study_id == STUDY_ID
    assert data.info.options.keys.label == "class"
    study = enrolment.load(STUDY_ID)
    assert data.info.consent_id == study.enrolment.consent_id
    assert data.info.manifest_hash == study.signed.hash
    markers = [(e.marker, e.reason) for e in data.events() if e.kind == Kind.MARKER]
    assert (Marker.TASK_START, 1) in markers
    assert (Marker.NOTE, 1) in markers
    assert (Marker.TASK_END, 1) in markers
    assert (
        markers.index((Marker.TASK_START, 1))
        < markers.index((Marker.NOTE, 1))
        < markers.index((Marker.TASK_END, 1))
    )
    assert study.session_ids() == [sid]


def test_personal_start_is_unchanged(study_env, xserver, tmp_path) -> None:
    with trayer(xserver):
        app = start_app(study_env, tmp_path)
        try:
            cli("start", env=study_env)
            status = _status(study_env)
            assert status
            assert status["study"] == ""
            assert status["options"]["keys"] == "full"
            refused = cli("task", "start", "copy-text", env=study_env, check=False)
            assert refused.returncode != 0
            assert "not for a study" in refused.stderr
            cli("stop", env=study_env)
        finally:
            quit_app(app)
