"""Helpers start as ``python -m`` from source and as ``<app> --role`` from a frozen app."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from tallylight import reentry
from tallylight.recorder.client import RecorderClient

DASH_M = '"-m", "tallylight'


def test_from_source_a_helper_is_python_dash_m() -> None:
    assert reentry.child_argv("tallylight.recorder.process") == [sys.executable, "-m", "tallylight.recorder"]
    assert reentry.child_argv("tallylight.ui.outbox_sender", "--bundle", "b1") == [
        sys.executable,
        "-m",
        "tallylight.ui.outbox_sender",
        "--bundle",
        "b1",
    ]


def test_frozen_a_helper_is_the_app_with_its_role(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/tallylight/tallylight")
    assert reentry.child_argv("tallylight.recorder.process") == ["/opt/tallylight/tallylight", "--recorder"]
    assert reentry.child_argv("tallylight.capture.xinject") == ["/opt/tallylight/tallylight", "--xinject"]


def test_an_unknown_helper_is_refused() -> None:
    with pytest.raises(ValueError, match="not a Tallylight helper"):
        reentry.child_argv("tallylight.nothing")


def test_every_role_names_a_module_with_main() -> None:
    for module in reentry.ROLES.values():
        assert callable(importlib.import_module(module).main), module


def test_no_helper_is_started_with_dash_m_outside_the_table() -> None:
    """A new ``[sys.executable, "-m", ...]`` would break in the frozen app: use reentry.child_argv."""
    src = Path(reentry.__file__).resolve().parent
    allowed = {"reentry.py", "client.py"}  # the client may run another interpreter on request
    offenders = [p.name for p in src.rglob("*.py") if p.name not in allowed and DASH_M in p.read_text()]
    assert offenders == []


def test_the_recorder_re_enters_through_the_app_when_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """The installed ``tallylight`` script stands in for the frozen app: ``tallylight --recorder``
    answers ready and stops when its control channel closes."""
    app = Path(sys.executable).with_name("tallylight")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app))
    client = RecorderClient()
    try:
        assert client.proc.args == [str(app), "--recorder"]
        assert client.ready["event"] == "ready"
    finally:
        assert client.close() == 0
