"""Consent that can be read at any size (issue 21, item 2): the consent flow is pages, each fitting
a 1280x720 screen at 100 %, 150 % and 200 %, in English, German and the pseudo-locale (40 % longer,
right to left); "I have read" only after the last page."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest_helpers import screenshot_dir

from xserver import xvfb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "study"))
from study_helpers import write_signed

pytestmark = pytest.mark.x11

SCRIPT = Path(__file__).with_name("consent_check.py")
PAGES = ["about", "who", "recorded", "where", "risks", "consent"]


@pytest.fixture(scope="module")
def small_screen():
    with xvfb(screen="1280x720x24") as server:
        yield server


@pytest.mark.parametrize("scale", ["1", "1.5", "2"])
@pytest.mark.parametrize("language", ["en", "de", "en@pseudo"])
def test_every_consent_page_fits_1280x720(small_screen, scale, language, tallylight_home, tmp_path):
    manifest = write_signed(tmp_path / "study.toml")
    out = screenshot_dir() / "consent"
    out.mkdir(parents=True, exist_ok=True)
    env = small_screen.env(
        QT_QPA_PLATFORM="xcb", QT_SCALE_FACTOR=scale, TALLYLIGHT_HOME=str(tallylight_home), LANGUAGE=language
    )
    env.pop("QT_SCREEN_SCALE_FACTORS", None)
    env["PYTHONPATH"] = str(Path(__file__).parent)
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(manifest), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert list(result["report"]) == PAGES
    problems = {page: bad for page, bad in result["report"].items() if bad}
    assert not problems, json.dumps(problems, indent=1)
    assert result["have_read_enabled"]  # the last page was reached
    assert result["rtl"] == (language == "en@pseudo")
    if language == "de":
        assert result["titles"][1] == "Wer fragt"
