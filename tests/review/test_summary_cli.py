"""`tallylight sessions summary ID [--json]` end to end."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from store_helpers import PASS, timing_record, write_session
from test_summary import scripted

from helpers import run_cli_in_process
from tallylight.store import vault


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TALLYLIGHT_PASSPHRASE": PASS}
    return run_cli_in_process(["sessions", "summary", *args], env=env)


def test_summary_json_and_words(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    events = scripted()
    write_session(data_dir, "s1", [events[:9], events[9:]])
    r = run("s1", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["recorded_s"] == 16
    assert d["paused_s"] == 3
    assert d["verdict"] == "complete"
    assert d["counts"]["key_down"] == 11
    assert d["path_px"] == 91
    assert d["longest_pause_s"] == 4
    assert d["median_hold_ms"] == 50
    assert [g["reason"] for g in d["gaps"]] == [
        "paused_by_participant",
        "private_app",
    ]
    r = run("s1")
    assert r.returncode == 0, r.stderr
    assert "You recorded for 16 s." in r.stdout
    assert "median hold:" in r.stdout


def test_summary_says_how_exact_the_times_are(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    """The session's TIMING record (docs/FORMAT.md section 12): clock source, delivery lag, re-timed."""
    events = scripted()
    write_session(data_dir, "timed", [events], timing=timing_record())
    write_session(data_dir, "older", [events])
    r = run("timed", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["timing"] == timing_record()
    r = run("older", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["timing"] is None
    r = run("timed")
    assert r.returncode == 0, r.stderr
    row = "  timing:             clock x11-server-time; delivery lag p50/p99/max 0.05/0.85/4.15 ms; "
    assert row + "3 of 6 events re-timed" in r.stdout.splitlines()
    r = run("older")
    assert r.returncode == 0, r.stderr
    assert (
        "timing:             none recorded (an older session, or one that did not stop normally)" in r.stdout
    )


def test_summary_of_a_missing_session_is_one_line(unlocked: vault.UnlockedVault) -> None:
    r = run("nope")
    assert r.returncode == 2
    assert r.stderr.strip() == "tallylight: There is no session nope."


def test_summary_without_mouse_moves(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    from test_summary import clicks_without_moves

    write_session(data_dir, "nomoves", [clicks_without_moves()], mouse_moves=False)
    r = run("nomoves")
    assert r.returncode == 0, r.stderr
    assert "Mouse movement was not recorded" in r.stdout
    assert "pointer travelled" not in r.stdout
    assert "path length:        mouse moves not recorded" in r.stdout
    d = json.loads(run("nomoves", "--json").stdout)
    assert d["path_px"] == 0
    assert d["moves_recorded"] is False
