"""`tallylight sessions ...` end to end, as a participant or a script runs it."""

from __future__ import annotations

import csv
import json
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from store_helpers import CHEAP, run_sessions_cli, synthetic, write_session

from tallylight.events import Kind
from tallylight.store import vault

PW = "cli pass phrase"


def run(*args: str, passphrase: str | None = PW, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_sessions_cli(*args, passphrase=passphrase, input=stdin)


@pytest.fixture
def home_with_sessions(data_dir: Path) -> Path:
    vault.create_vault(PW, data_dir, params=CHEAP)
    r = run("list")
    assert r.returncode == 0, r.stderr
    assert "No sessions yet." in r.stdout
    write_session(data_dir, "alpha", [synthetic(120, seed=1), synthetic(30, seed=2)])
    write_session(data_dir, "beta", [synthetic(10, seed=3)], close=False)
    return data_dir


def test_list_show_export_delete(home_with_sessions: Path, tmp_path: Path) -> None:
    r = run("list")
    assert r.returncode == 0, r.stderr
    assert "alpha" in r.stdout
    assert "complete" in r.stdout
    assert "beta" in r.stdout
    assert "recovered" in r.stdout
    assert "Session beta was not closed" in r.stderr  # recovery ran and said what was lost

    r = run("show", "alpha")
    assert r.returncode == 0
    assert "events:     150" in r.stdout
    assert "complete" in r.stdout

    out = tmp_path / "a.csv"
    r = run("export", "alpha", "--format", "csv", "--out", str(out))
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(out.open()))
    evs = synthetic(120, seed=1) + synthetic(30, seed=2)
    assert len(rows) == 150
    assert [int(Decimal(r["t_ms"]) * 1_000_000) for r in rows] == [e.t_ns for e in evs]
    assert [int(r["key_id"] or "0", 16) for r in rows] == [e.key for e in evs]  # the bundle's columns

    out2 = tmp_path / "a.jsonl"
    assert run("export", "alpha", "--format", "jsonl", "--out", str(out2)).returncode == 0
    lines = [json.loads(x) for x in out2.read_text().splitlines()]
    moved = (Kind.MOVE, Kind.BUTTON_DOWN, Kind.BUTTON_UP, Kind.SCROLL)
    assert [(x["kind"], x["x_px"], x["y_px"]) for x in lines] == [
        (e.kind.name.lower(), *((e.x, e.y) if e.kind in moved else (None, None))) for e in evs
    ]

    r = run("delete", "alpha", "--yes", passphrase=None)
    assert r.returncode == 0, r.stderr
    assert not (home_with_sessions / "sessions" / "alpha").exists()
    r = run("show", "alpha")
    assert r.returncode == 2
    assert "no session alpha" in r.stderr


def test_wrong_passphrase_is_a_message_not_a_traceback(home_with_sessions: Path) -> None:
    r = run("list", passphrase="wrong")
    assert r.returncode == 6
    assert r.stderr.strip().endswith("That passphrase is not right.")
    assert "Traceback" not in r.stderr


def test_passphrase_file_and_no_terminal(home_with_sessions: Path, tmp_path: Path) -> None:
    pf = tmp_path / "pw"
    pf.write_text(PW + "\n")
    r = run("show", "alpha", "--passphrase-file", str(pf), passphrase=None)
    assert r.returncode == 0, r.stderr
    r = run("show", "alpha", passphrase=None)
    assert r.returncode == 2
    assert "--passphrase-file" in r.stderr
    assert "Traceback" not in r.stderr


def test_change_passphrase(home_with_sessions: Path, tmp_path: Path) -> None:
    new = tmp_path / "new"
    new.write_text("brand new\n")
    r = run("passphrase", "--new-passphrase-file", str(new))
    assert r.returncode == 0, r.stderr
    assert run("show", "alpha").returncode == 6
    r = run("show", "alpha", passphrase="brand new")
    assert r.returncode == 0
    assert "events:     150" in r.stdout


def test_damaged_session_is_reported(home_with_sessions: Path, tmp_path: Path) -> None:
    seg = home_with_sessions / "sessions" / "alpha" / "seg-00000000.tls"
    raw = bytearray(seg.read_bytes())
    raw[100] ^= 1
    seg.write_bytes(bytes(raw))
    r = run("list")
    assert r.returncode == 0
    assert "corrupt" in r.stdout
    r = run("export", "alpha", "--out", str(tmp_path / "x.csv"))
    assert r.returncode == 5
    assert "damaged" in r.stderr
    assert not (tmp_path / "x.csv").exists()
