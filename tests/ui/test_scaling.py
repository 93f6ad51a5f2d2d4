"""Every window fits a 1280x720 screen at 100 %, 150 % and 200 % (issue 8, item 12), in English,
German and the pseudo-locale (40 % longer, right to left; issue 21):
no control clipped, squeezed or off-screen; long content scrolls. Screenshots at each
scale (``NAME@1x.png``, ``NAME@1_5x.png``, ``NAME@2x.png``) are written to
``conftest_helpers.screenshot_dir()``, never the tracked tree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest_helpers import screenshot_dir, write_session
from share_helpers import JoinedStudy
from test_preview_language import GERMAN_TITLES

from xserver import xvfb

SCRIPT = Path(__file__).with_name("scale_check.py")


@pytest.fixture(scope="module")
def small_screen():
    with xvfb(screen="1280x720x24") as server:
        yield server


@pytest.fixture(scope="module")
def shots() -> Path:
    out = screenshot_dir() / "scaled"
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.mark.slow  # every window in three languages at three scales: about 10 s each
@pytest.mark.parametrize("scale", ["1", "1.5", "2"])
@pytest.mark.parametrize("language", ["en", "de", "en@pseudo"])
def test_every_window_fits_1280x720(
    small_screen, shots, scale, language, tallylight_home, vault_ready, tmp_path
):
    write_session("s-scale", label="typing task", seconds=30)
    # a study session, so the share dialog is checked with its preview shown
    study = JoinedStudy(tmp_path, tallylight_home / "data", replace=GERMAN_TITLES)
    study.record(tallylight_home / "data", "s-share")
    env = small_screen.env(
        QT_QPA_PLATFORM="xcb",
        QT_SCALE_FACTOR=scale,
        TALLYLIGHT_HOME=str(tallylight_home),
        SCALE_CHECK_PASSPHRASE=vault_ready,
        SCALE_CHECK_SESSION="s-scale",
        SCALE_CHECK_SHARE_SESSION="s-share",
        LANGUAGE=language,
        # the pseudo-locale accents every word of ours: plain words on screen escaped gettext
        SCALE_CHECK_UNTRANSLATED="1" if language == "en@pseudo" else "",
        # the label of the session written above and the study's title: data, not ours
        SCALE_CHECK_DATA="typing task|Typing rhythm and fatigue",
    )
    env.pop("QT_SCREEN_SCALE_FACTORS", None)
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(shots)], env=env, capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, proc.stderr[-8000:]  # a crash: every thread's Python stack (faulthandler)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["dpr"] == float(scale)
    problems = {name: bad for name, bad in result["report"].items() if bad}
    assert not problems, json.dumps(problems, indent=1)
    suffix = scale.replace(".", "_")
    lang = "" if language == "en" else "-" + language.replace("@", "-")
    assert (shots / f"start@{suffix}x{lang}.png").stat().st_size > 1000
