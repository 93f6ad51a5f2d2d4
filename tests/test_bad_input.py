"""Issue 7 item 12: deeply nested JSON on the recorder's control pipe and in settings.json.

One clear line (an error notice, or the defaults), never a traceback or a hang.
"""

from __future__ import annotations

import io
import json

import pytest

from tallylight import safejson, settings
from tallylight.recorder.client import RecorderClient
from tallylight.recorder.process import RecorderProcess
from xserver import XServer

DEEP = "[" * 100_000 + "]" * 100_000


def test_safejson_refuses_depth_not_width() -> None:
    with pytest.raises(ValueError, match="nested"):
        safejson.loads(DEEP)
    with pytest.raises(ValueError, match="nested"):
        safejson.loads('{"a":' * 40 + "1" + "}" * 40)
    assert safejson.loads('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}')["a"].startswith("[[")
    assert safejson.loads(json.dumps([list(range(10_000))])) == [list(range(10_000))]
    with pytest.raises(ValueError, match="not UTF-8"):
        safejson.loads(b"\xff\xfe")


def test_nested_command_on_the_control_pipe_is_an_error_notice() -> None:
    out = io.StringIO()
    proc = RecorderProcess(out, check_capture=lambda: None)
    proc.handle(DEEP)
    msg = json.loads(out.getvalue().splitlines()[-1])
    assert msg["event"] == "error"
    assert msg["fatal"] is False
    assert "nested" in msg["message"]


@pytest.mark.x11
def test_the_real_recorder_survives_it(xserver: XServer) -> None:
    with RecorderClient(env=xserver.env(TALLYLIGHT_SINK="memory")) as rec:
        assert rec.proc.stdin is not None
        rec.proc.stdin.write(DEEP + "\n")
        rec.proc.stdin.flush()
        assert "nested" in rec.wait_for("error", timeout=10)["message"]
        assert rec.request("status")["state"] == "idle"


def test_nested_settings_file_gives_the_defaults(tallylight_home) -> None:
    path = settings.settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DEEP)
    assert settings.load() == settings.Settings()
    path.write_text('{"keys": ' * 50 + '"full"' + "}" * 50)
    assert settings.load() == settings.Settings()


@pytest.mark.x11
def test_a_home_that_cannot_be_created_is_one_line(xserver: XServer) -> None:
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "tallylight.cli.main", "record", "--for", "1s"],
        env=xserver.env(TALLYLIGHT_HOME="/proc/x", TALLYLIGHT_PASSPHRASE="pass phrase"),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert r.returncode == 5, r.stderr
    assert "cannot create its folder /proc/x/data" in r.stderr
    assert "Traceback" not in r.stderr
    assert "bug in Tallylight" not in r.stderr


#: the shapes that made the old depth check quadratic (its string regex backtracked over every
#: escaped quote): 10k/20k/40k took 1.2/4.8/19.4 s; an unterminated string is the worst
#: (prefix, repeated unit, suffix)
_QUOTES = (('"', '\\"', '"'), ('"', '\\"', ""), ("[", '"\\"', "]"), ('{"a":"', '\\\\\\"', ""))


@pytest.mark.slow  # seconds of CPU by design (the quadratic check needed half an hour)
def test_safejson_depth_check_is_linear_under_a_cpu_limit() -> None:
    """400,000 escaped quotes, in each shape, in a child limited to 20 CPU seconds and 1 GiB.

    A linear check needs a fraction of a second for all of them; the quadratic one
    needed about 19 s for 40,000 and would need half an hour for 400,000. The limit
    is on CPU time (prlimit --cpu), which load on the machine does not stretch.
    """
    import shutil
    import subprocess
    import sys

    if shutil.which("prlimit") is None:
        pytest.skip("needs prlimit (util-linux)")
    code = (
        "from tallylight import safejson\n"
        f"shapes = {_QUOTES!r}\n"
        "for n in (40_000, 400_000):\n"
        "    for shape in shapes:\n"
        "        text = shape[0] + shape[1] * n + shape[2]\n"
        "        safejson.check_depth(text)\n"
        "        try:\n"
        "            safejson.loads(text)\n"
        "        except ValueError:\n"
        "            pass\n"
        "print('done')\n"
    )
    cmd = ["prlimit", "--cpu=20", f"--as={1 << 30}", sys.executable, "-c", code]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout == "done\n"


def test_safejson_depth_check_work_grows_linearly() -> None:
    """The check's CPU time for 8 n escaped quotes against n, measured in this test: far below 64x."""
    import time

    def cost(n: int) -> float:
        text = '"' + '\\"' * n
        best = float("inf")
        for _ in range(5):
            t0 = time.process_time()
            safejson.check_depth(text)
            best = min(best, time.process_time() - t0)
        return max(best, 1e-4)

    small, large = cost(25_000), cost(200_000)
    assert large / small < 24, (small, large)  # linear: about 8; quadratic: about 64


def test_safejson_depth_check_still_ignores_brackets_in_strings() -> None:
    assert safejson.loads('["\\\\", "[[[", "\\"]]]"]') == ["\\", "[[[", '"]]]']
    with pytest.raises(safejson.TooDeep):
        safejson.loads('["\\\\"' + ", [" * 40 + "]" * 40 + "]")
