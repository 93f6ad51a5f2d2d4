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


#: the members issue 19 names for each pointing sequence and each typed phrase
POINTING_MEMBERS = (
    "amplitude_px",
    "width_px",
    "effective_width_px",
    "effective_amplitude_px",
    "effective_id_bits",
    "movement_time_ms",
    "throughput_bps",
    "error_rate",
)
TYPING_MEMBERS = (
    "presented",
    "transcribed",
    "wpm",
    "msd_error_rate",
    "kspc",
    "total_error_rate",
    "corrected_error_rate",
    "uncorrected_error_rate",
)


def _trials() -> list[dict]:
    """Two pointing sequences and two typed phrases, as the task window stores them."""
    out: list[dict] = []
    for seq, spread in ((1, 4.0), (2, 9.0)):
        for k in range(1, 6):
            t0 = (seq * 10 + k) * 10**8
            out.append(
                {"task": "tap", "kind": "pointing", "condition": "mouse", "sequence": seq, "trial": k,
                 "start_ns": t0, "end_ns": t0 + 450_000_000, "from_x": 0, "from_y": 0, "target_x": 300,
                 "target_y": 0, "select_x": 300 + spread * (-1) ** k * (k % 3), "select_y": 1.0,
                 "width": 40, "amplitude": 300, "hit": True}
            )  # fmt: skip
    for k, (presented, stream) in enumerate((("the quick", "thw\be quick"), ("hello", "helo")), 1):
        t0 = (40 + k * 10) * 10**8
        out.append(
            {"task": "copy", "kind": "typing", "trial": k, "start_ns": t0, "end_ns": t0 + 3 * 10**9,
             "presented": presented, "transcribed": stream.replace("w\b", ""), "input": stream}
        )  # fmt: skip
    return out


def test_summary_gives_the_task_measures_the_issue_names(
    data_dir: Path, unlocked: vault.UnlockedVault
) -> None:
    """``--json`` adds ``pointing`` and ``typing`` blocks (docs/TASKS.md), computed by
    tasks.results from the session's TRIALS records; the words give one line each."""
    from store_helpers import make_info

    from tallylight.events import StopReason
    from tallylight.store import writer
    from tallylight.tasks import results

    w = writer.open_session(make_info("tasks"), data_dir, seal_interval_s=1e9)
    w.write(scripted())
    w.write_trials(_trials())
    w.close(StopReason.PARTICIPANT)
    r = run("tasks", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    seqs = d["pointing"]["sequences"]
    assert len(seqs) == 2
    for s in seqs:
        assert set(POINTING_MEMBERS) <= set(s)
    assert d["pointing"]["throughput_bps"] == results.blocks(_trials())["pointing"]["throughput_bps"]
    typed = d["typing"]["trials"]
    assert [t["presented"] for t in typed] == ["the quick", "hello"]
    assert [t["transcribed"] for t in typed] == ["the quick", "helo"]
    for t in typed:
        assert set(TYPING_MEMBERS) <= set(t)
    r = run("tasks")
    assert r.returncode == 0, r.stderr
    assert "Pointing: throughput" in r.stdout
    assert "Typing:" in r.stdout
    write_session(data_dir, "plain", [scripted()])  # no trials: no blocks
    r = run("plain", "--json")
    assert r.returncode == 0, r.stderr
    assert "pointing" not in json.loads(r.stdout)
    assert "typing" not in json.loads(r.stdout)
