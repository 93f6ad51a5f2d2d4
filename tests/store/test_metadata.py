"""Issue 7 item 10: what leaks without the passphrase, and stored text on a terminal.

Session ids are random (the start time lives only in the encrypted INFO), the
label never appears on a command line, stored text is printed with control
characters escaped, and the docs and words say honestly what is readable.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from store_helpers import CHEAP, make_info, run_sessions_cli, synthetic

from helpers import NoHooks, children, start_record
from tallylight import appctl, words
from tallylight.events import StopReason
from tallylight.recorder.session import Session, new_session_id
from tallylight.recorder.sink import MemorySink
from tallylight.store import vault, writer

ROOT = Path(__file__).resolve().parents[2]
PW = "pass phrase"
EVIL = "x\x1b]0;pwned\x07\x1b[2J\u202etxt.exe"


def test_session_ids_are_random_and_undatable() -> None:
    ids = {new_session_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"[0-9a-f]{24}", i) for i in ids)
    from tallylight.options import CaptureOptions

    s = Session(CaptureOptions(), MemorySink, hooks=NoHooks)
    info = s.start()
    s.stop(StopReason.PARTICIPANT)
    assert re.fullmatch(r"[0-9a-f]{24}", info.session_id)
    assert info.started_wall_ns > 0  # the time is in the (encrypted) INFO only


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_sessions_cli(*args, passphrase=PW)


def test_stored_text_is_printed_escaped(data_dir: Path) -> None:
    vault.create_vault(PW, data_dir, params=CHEAP)
    w = writer.open_session(make_info("evil", label=EVIL), data_dir)
    w.write(synthetic(5))
    w.close(StopReason.PARTICIPANT)
    for args in (("list",), ("show", "evil")):
        r = _cli(*args)
        assert r.returncode == 0, r.stderr
        assert "\x1b" not in r.stdout
        assert "\x07" not in r.stdout
        assert "\u202e" not in r.stdout
        assert "x\\x1b]0;pwned\\x07\\x1b[2J\\u202etxt.exe" in r.stdout
    status = appctl.format_status({"state": "recording", "label": EVIL, "elapsed_s": 1, "counts": {}})
    assert "\x1b" not in status
    assert "Label: x\\x1b]0;pwned" in status


def test_printable_keeps_ordinary_text() -> None:
    assert words.printable("Typing test — ünïcode 😀") == "Typing test — ünïcode 😀"
    assert words.printable("a\nb\tc\x7f") == "a\\x0ab\\x09c\\x7f"


def test_hashed_mode_is_described_honestly() -> None:
    hashed = words.key_mode("hashed")
    assert "substitution" in hashed.plain
    assert "what you typed" in hashed.plain
    assert "never read as a letter" not in hashed.plain
    assert "can be decoded" in hashed.short
    assert "frequency analysis" in (ROOT / "README.md").read_text()
    store = (ROOT / "docs" / "STORE.md").read_text()
    assert "Nothing readable" not in store
    assert "lock file means" in store.lower()


@pytest.mark.x11
@pytest.mark.parametrize("how", ["env", "file"])
def test_the_label_never_reaches_a_command_line(xserver, tallylight_home: Path, how: str) -> None:
    """issue 17 item 10: not in the argv of ``record`` itself, nor of any child."""
    label = "meeting-with-dr-who"
    env = xserver.env(TALLYLIGHT_SINK="memory")
    args = ["--for", "20s"]
    if how == "env":
        env["TALLYLIGHT_LABEL"] = label
    else:
        (tallylight_home / "label.txt").write_text(label + "\n")
        args += ["--label-file", str(tallylight_home / "label.txt")]
    proc = start_record(env, *args)
    try:
        kids = children(proc.pid)
        assert len(kids) == 2  # the recorder and the tally window
        for pid in (proc.pid, *kids):
            assert label.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
            if pid in kids:  # nor in a child's environment
                assert label.encode() not in Path(f"/proc/{pid}/environ").read_bytes()
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


@pytest.mark.parametrize("command", ["record", "start"])
def test_a_label_on_the_command_line_is_refused_before_anything_starts(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from tallylight.cli.main import main as cli

    assert cli([command, "--label", "meeting-with-dr-who"]) == 2
    err = capsys.readouterr().err
    assert "can be read by every user" in err
    assert "Nothing was started" in err
