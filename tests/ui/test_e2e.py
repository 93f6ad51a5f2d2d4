"""End to end: the real `tallylight` app process, the real CLI, the real recorder and store.

Input is injected with xdotool into the shared Xvfb; a real tray host (trayer) runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest_helpers import PASSPHRASE

from helpers import pid_alive, wait_until
from xserver import trayer

pytestmark = [pytest.mark.x11, pytest.mark.slow]

BIN = Path(sys.executable).parent / "tallylight"


def cli(*args: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=60)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"tallylight {' '.join(args)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def has_app_commands() -> bool:
    from tallylight.cli.main import build_parser

    try:
        build_parser(["status"]).parse_args(["status"])
        return True
    except SystemExit:
        return False


@pytest.fixture
def app_env(xserver, vault_ready, tallylight_home):
    from tallylight import settings

    s = settings.Settings(welcome_done=True, reminder_every_min=0)
    settings.save(s)
    env = xserver.env(
        QT_QPA_PLATFORM="xcb", TALLYLIGHT_HOME=str(tallylight_home), TALLYLIGHT_PASSPHRASE=PASSPHRASE
    )
    env.pop("TALLYLIGHT_RECORDER_CMD", None)
    env.pop("TALLYLIGHT_SINK", None)
    return env


def start_app(env: dict, tmp_path: Path, name: str = "app") -> subprocess.Popen:
    with open(tmp_path / f"{name}.log", "w") as log:  # the app keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [str(BIN)], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    wait_until(lambda: proc.poll() is not None or _status(env) is not None, timeout=20)
    assert proc.poll() is None, (tmp_path / f"{name}.log").read_text()
    return proc


def _status(env: dict) -> dict | None:
    """The app's status over the socket (Qt-free client), or None while it is not up."""
    from tallylight import appctl
    from tallylight.errors import TallylightError

    old = os.environ.get("TALLYLIGHT_HOME")
    os.environ["TALLYLIGHT_HOME"] = env["TALLYLIGHT_HOME"]
    try:
        return appctl.send("status", timeout=5)
    except TallylightError:
        return None
    finally:
        if old is not None:
            os.environ["TALLYLIGHT_HOME"] = old


def quit_app(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def control(env: dict, *args: str) -> None:
    """`tallylight start|stop|...` through the real CLI (dispatcher -> appctl.send -> the app's socket)."""
    cli(*args, env=env)


def export(env: dict, session_id: str, tmp_path: Path) -> list[dict]:
    out = tmp_path / f"{session_id}.jsonl"
    cli("sessions", "export", session_id, "--format", "jsonl", "--out", str(out), env=env)
    return [json.loads(line) for line in out.read_text().splitlines()]


def kinds(events: list[dict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for e in events:
        out[e["kind"]] = out.get(e["kind"], 0) + 1
    return out


def test_cli_session_records_exactly_in_session_input(app_env, xserver, tmp_path):
    with trayer(xserver):
        app = start_app(app_env, tmp_path)
        try:
            # A second `tallylight` brings the first forward and exits.
            second = subprocess.run([str(BIN)], env=app_env, capture_output=True, text=True, timeout=30)
            assert second.returncode == 0
            assert "already running" in second.stdout
            xserver.xdotool("type", "--delay", "5", "before")  # not in a session: never recorded
            control({**app_env, "TALLYLIGHT_LABEL": "e2e"}, "start")
            st = _status(app_env)
            assert st["state"] == "recording"
            assert st["label"] == "e2e"
            xserver.xdotool("type", "--delay", "5", "abc")
            xserver.xdotool("mousemove", "300", "300", "click", "1")
            xserver.xdotool("click", "5")  # scroll down
            wait_until(lambda: (_status(app_env) or {}).get("counts", {}).get("scroll", 0) >= 1, timeout=10)
            out = cli("status", env=app_env).stdout
            assert "State: recording" in out
            assert "Label: e2e" in out
            control(app_env, "stop")
            st = _status(app_env)
            assert st["state"] == "idle"
            sid = st["last_session"]["session_id"]
            xserver.xdotool("type", "--delay", "5", "after")  # after the session: never recorded
        finally:
            quit_app(app)
    events = export(app_env, sid, tmp_path)
    k = kinds(events)
    assert k.get("key_down") == 3, k
    assert k.get("key_up") == 3, k
    assert k.get("button_down") == 1, k
    assert k.get("button_up") == 1, k
    assert k.get("scroll", 0) >= 1, k
    assert k.get("move", 0) >= 1, k
    ups = [e for e in events if e["kind"] == "key_down"]
    assert all(e["key_text"] is None for e in ups)  # default key mode: kind of key only


def test_sigkill_gui_stops_recorder_and_session_survives(app_env, xserver, tmp_path):
    app = start_app(app_env, tmp_path)  # no tray host: the fallback window is the light
    try:
        control({**app_env, "TALLYLIGHT_LABEL": "killed"}, "start")
        st = _status(app_env)
        rec_pid, sid = st["recorder_pid"], st["session_id"]
        assert rec_pid
        assert pid_alive(rec_pid)
        xserver.xdotool("type", "--delay", "5", "xyz")
        wait_until(lambda: (_status(app_env) or {}).get("counts", {}).get("key_up", 0) >= 3, timeout=10)
        killed_wall_ns = time.time_ns()  # taken before the kill: what follows can only be later
        os.kill(app.pid, signal.SIGKILL)
        app.wait(5)
        wait_until(lambda: not pid_alive(rec_pid), timeout=10)  # it exits (reaping it is the scheduler's)
    finally:
        quit_app(app)
    app2 = start_app(app_env, tmp_path, "app2")
    try:
        st = _status(app_env)
        assert st["state"] == "idle"
    finally:
        quit_app(app2)
    listing = cli("sessions", "list", env=app_env).stdout
    line = next(line for line in listing.splitlines() if line.startswith(sid))
    assert "complete" in line or "recovered" in line, listing
    events = export(app_env, sid, tmp_path)
    assert kinds(events).get("key_down") == 3
    # When capture ended, by the recorder's own clock: it stamps the session's stop marker as it
    # removes its hooks; the session's wall-clock start places that moment beside the kill.
    started_wall_ns = json.loads(cli("sessions", "summary", sid, "--json", env=app_env).stdout)[
        "started_wall_ns"
    ]
    stops = [e for e in events if e["kind"] == "marker" and e["marker"] == "session_stop"]
    assert len(stops) == 1, stops
    assert stops[0]["reason"] == "stop_controller_gone", stops
    ended_after = (started_wall_ns + stops[0]["t_ms"] * 1e6 - killed_wall_ns) / 1e9
    print(f"capture ended {ended_after * 1000:.0f} ms after the app was killed")
    assert ended_after < 1.0, f"capture outlived the light by {ended_after:.2f} s"


def test_killing_gui_and_recorder_together_is_recovered_on_next_start(app_env, xserver, tmp_path):
    app = start_app(app_env, tmp_path)
    try:
        control({**app_env, "TALLYLIGHT_LABEL": "crash"}, "start")
        st = _status(app_env)
        rec_pid, sid = st["recorder_pid"], st["session_id"]
        xserver.xdotool("type", "--delay", "5", "ab")
        wait_until(lambda: (_status(app_env) or {}).get("counts", {}).get("key_up", 0) >= 2, timeout=10)
        wait_until(lambda: _sealed_bytes(app_env, sid) > 0, timeout=5)  # sealed at least once a second
        os.killpg(app.pid, signal.SIGKILL)  # the whole group: the recorder gets no chance to close
        app.wait(5)
        wait_until(lambda: not pid_alive(rec_pid), timeout=2.0)
    finally:
        quit_app(app)
    app2 = start_app(app_env, tmp_path, "app2")
    try:
        # the app recovers unfinished sessions at start, in the background
        wait_until(
            lambda: (Path(app_env["TALLYLIGHT_HOME"]) / "data" / "sessions" / sid / "closed.json").exists(),
            timeout=10,
        )
    finally:
        quit_app(app2)
    listing = cli("sessions", "list", env=app_env).stdout
    line = next(line for line in listing.splitlines() if line.startswith(sid))
    assert "recovered" in line, listing


def _sealed_bytes(env: dict, sid: str) -> int:
    d = Path(env["TALLYLIGHT_HOME"]) / "data" / "sessions" / sid
    return (
        sum(p.stat().st_size for p in d.glob("*") if p.is_file() and p.name not in ("key", "writer.lock"))
        if d.is_dir()
        else 0
    )


def test_sigterm_quits_cleanly_and_closes_the_session(app_env, xserver, tmp_path):
    """What logout/shutdown does to the app: it quits, and the session is stopped and complete."""
    app = start_app(app_env, tmp_path)
    try:
        control({**app_env, "TALLYLIGHT_LABEL": "term"}, "start")
        st = _status(app_env)
        rec_pid, sid = st["recorder_pid"], st["session_id"]
        xserver.xdotool("type", "--delay", "5", "q")
        wait_until(lambda: (_status(app_env) or {}).get("counts", {}).get("key_up", 0) >= 1, timeout=10)
        app.send_signal(signal.SIGTERM)
        # the bound only catches a hang: a loaded machine may take longer to seal and quit, and the
        # outcome (exit 0, recorder gone, session complete) is what is asserted
        assert app.wait(120) == 0
        assert not pid_alive(rec_pid)
    finally:
        quit_app(app)
    listing = cli("sessions", "list", env=app_env).stdout
    line = next(line for line in listing.splitlines() if line.startswith(sid))
    assert "complete" in line, listing
    assert kinds(export(app_env, sid, tmp_path)).get("key_down") == 1


def test_cli_without_a_running_app_says_so(app_env):
    assert has_app_commands()
    for cmd in ("status", "start", "stop"):
        proc = cli(cmd, env=app_env, check=False)
        assert proc.returncode == 7, (cmd, proc.stderr)
        assert "not running" in proc.stderr


def test_no_display_is_a_sentence_not_a_crash(tallylight_home):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run([str(BIN)], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "display" in proc.stderr.lower()
    assert "tallylight record" in proc.stderr
    # the app's own check, for `python -m tallylight.ui` (the CLI dispatcher checks first)
    proc = subprocess.run(
        [sys.executable, "-m", "tallylight.ui"], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "needs a desktop session" in proc.stderr
    assert "Traceback" not in proc.stderr
