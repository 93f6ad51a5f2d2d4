"""One real process per command of ``tallylight`` and ``tallylight-lab``.

The CLI tests call ``main(argv)`` in-process (helpers.run_cli_in_process): a new Python
per call made them most of ``make test-fast``. What only a process shows is kept here,
once per command: the installed entry point starts, the command is reached past argument
parsing, the exit code is the one its error class maps to, the participant reads one
sentence and never a traceback, and nothing is written where it should not be.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import run_cli_in_process

BIN = Path(sys.executable).parent
NOT_RUNNING = "Tallylight is not running. Start it with `tallylight` (the tray app) first."
#: task and note also reach a running `tallylight record`
NO_SESSION = "No session is recording: neither the Tallylight app nor `tallylight record` is running."


def _env(tallylight_home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE")}
    env["TALLYLIGHT_HOME"] = str(tallylight_home)
    env.update(extra)
    return env


def _run(
    program: str, *args: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / program), *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _one_sentence(done: subprocess.CompletedProcess[str], code: int, said: str) -> None:
    assert done.returncode == code, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines == [f"tallylight: {said}"], lines


# Each command, started as the installed script, past its argument parsing, to the
# error class and exit code that the dispatcher gives it (cli/dispatch.py).
APP_COMMANDS = [
    (["start"], NOT_RUNNING),
    (["pause"], NOT_RUNNING),
    (["resume"], NOT_RUNNING),
    (["stop"], NOT_RUNNING),
    (["status"], NOT_RUNNING),
    (["task", "end"], NO_SESSION),
    (["note"], NO_SESSION),
]


@pytest.mark.parametrize(("args", "said"), APP_COMMANDS, ids=[a[0] for a, _ in APP_COMMANDS])
def test_app_commands_without_the_app_say_so(args: list[str], said: str, tallylight_home: Path) -> None:
    _one_sentence(_run("tallylight", *args, env=_env(tallylight_home)), 7, said)


def test_record_without_a_display_refuses_before_any_recorder(tallylight_home: Path) -> None:
    done = _run("tallylight", "record", "--for", "1s", env=_env(tallylight_home))
    _one_sentence(
        done, 3, "No graphical display was found (DISPLAY is not set), so there is no input to record."
    )
    assert not (tallylight_home / "data").exists()  # no vault made for a session that cannot run


def test_sessions_on_no_data_creates_nothing(tallylight_home: Path) -> None:
    done = _run("tallylight", "sessions", "list", env=_env(tallylight_home))
    assert done.returncode == 6, done.stderr
    assert "There is no Tallylight data in" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tallylight_home / "data").exists()


def test_study_list_with_no_study(tallylight_home: Path) -> None:
    done = _run("tallylight", "study", "list", env=_env(tallylight_home))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("You have not joined any study.")


def test_share_names_what_it_needs(tallylight_home: Path) -> None:
    done = _run("tallylight", "share", env=_env(tallylight_home))
    _one_sentence(done, 2, "Name the study with --study ID (sessions are shared with one study at a time).")


def test_doctor_without_a_display(tallylight_home: Path) -> None:
    done = _run("tallylight", "doctor", env=_env(tallylight_home))
    assert done.returncode == 3, done.stderr
    assert done.stdout.startswith("No graphical display was found")
    _one_sentence(done, 3, "Recording is not possible here (see above).")


def test_help_is_german_under_language_de(tallylight_home: Path) -> None:
    """The language is chosen from the environment at the process's start."""
    done = _run("tallylight", "--help", env=_env(tallylight_home, LANGUAGE="de"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Aufruf: tallylight")


# ------------------------------------------------------------------ tallylight-lab


def test_lab_keygen_writes_private_keys(tmp_path: Path, tallylight_home: Path) -> None:
    done = _run("tallylight-lab", "keygen", "--out", str(tmp_path / "k"), env=_env(tallylight_home))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "k").iterdir()) == [
        "identity.txt",
        "recipient.txt",
        "signing.key",
        "signing.pub",
    ]
    assert (tmp_path / "k" / "identity.txt").stat().st_mode & 0o077 == 0


def test_lab_manifest_new_writes_a_template(tmp_path: Path, tallylight_home: Path) -> None:
    out = tmp_path / "study.toml"
    done = _run("tallylight-lab", "manifest", "new", "--out", str(out), env=_env(tallylight_home))
    assert done.returncode == 0, done.stderr
    assert out.read_text().strip()


def test_lab_open_refuses_an_unreadable_bundle(tmp_path: Path, tallylight_home: Path) -> None:
    keys = tmp_path / "k"
    assert run_cli_in_process(["keygen", "--out", str(keys)], lab=True).returncode == 0
    missing = tmp_path / "none.age"
    done = _run(
        "tallylight-lab",
        "open",
        str(missing),
        "--identity",
        str(keys / "identity.txt"),
        "--out",
        str(tmp_path / "ds"),
        "--quiet",
        env=_env(tallylight_home),
    )
    assert done.returncode == 9, done.stderr
    assert f"bad: {missing}: cannot be read (No such file or directory)" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["features", "{d}"], "{d} holds no events dataset (run 'tallylight-lab open' first)."),
        (
            ["withdraw", "{d}/request", "--identity", "{d}/id", "--dataset", "{d}"],
            "Cannot read the identity file {d}/id ([Errno 2] No such file or directory: '{d}/id').",
        ),
    ],
    ids=["features", "withdraw"],
)
def test_lab_commands_on_no_dataset_say_so(
    args: list[str], said: str, tmp_path: Path, tallylight_home: Path
) -> None:
    d = str(tmp_path / "nothing")
    done = _run("tallylight-lab", *(a.format(d=d) for a in args), env=_env(tallylight_home))
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [f"tallylight-lab: {said.format(d=d)}"]


def test_lab_task_layout_needs_a_manifest(tmp_path: Path, tallylight_home: Path) -> None:
    done = _run(
        "tallylight-lab",
        "task",
        "layout",
        str(tmp_path / "missing.toml"),
        "pointing",
        "--screen",
        "1280x720",
        env=_env(tallylight_home),
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert done.stderr.strip()
