"""Helpers for the study tests (import as ``from study_helpers import ...``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from helpers import NoHooks  # re-exported for the study tests
from tallylight.study import signing, template

TODAY = dt.date(2026, 11, 29)
STUDY_ID = "0b6a1a52-3c1e-4f7e-9d35-2d0f6c8f7a10"
#: a fixed researcher key for deterministic tests (Ed25519 signatures are deterministic)
RESEARCHER = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
RECIPIENT = "age1rtnu4ted4pkty9jzlsxlxn7z5uc79v5hl6zrce2nnvuh8q5a7asqx8xywd"


def body(**replace: str) -> bytes:
    """The template, filled in, with optional textual replacements (old=new via a dict)."""
    text = template.render(recipient=RECIPIENT, today=TODAY, study_id=STUDY_ID)
    for old, new in replace.items():
        text = text.replace(old, new)
    return text.encode("utf-8")


def signed(raw: bytes | None = None, key: Ed25519PrivateKey = RESEARCHER) -> bytes:
    return signing.sign(body() if raw is None else raw, key)


def edit(raw: bytes, old: str, new: str, key: Ed25519PrivateKey | None = RESEARCHER) -> bytes:
    """Replace text in the body and sign again (key None: leave the old signature)."""
    assert old.encode() in raw, old
    changed = raw.replace(old.encode(), new.encode(), 1)
    return signing.sign(changed, key) if key is not None else changed


def write(path: Path, raw: bytes) -> Path:
    path.write_bytes(raw)
    return path


PASS = "correct horse battery staple"


def current_body(**replace: str) -> bytes:
    """The template dated around the real today (the CLI and recorder use the real date)."""
    text = template.render(
        recipient=RECIPIENT, today=dt.date.today() - dt.timedelta(days=1), study_id=STUDY_ID
    )
    for old, new in replace.items():
        text = text.replace(old, new)
    return text.encode("utf-8")


def write_signed(path: Path, key: Ed25519PrivateKey = RESEARCHER, /, **replace: str) -> Path:
    path.write_bytes(signing.sign(current_body(**replace), key))
    return path


def record(study: str | None = None) -> str:
    """One short session through the real recorder process object and the encrypted store."""
    import io
    import json

    from tallylight.events import StopReason
    from tallylight.recorder.process import RecorderProcess

    out = io.StringIO()
    proc = RecorderProcess(out, hooks=NoHooks, check_capture=lambda: None)
    proc.handle(json.dumps({"cmd": "start", "id": 1, "options": {}, **({"study": study} if study else {})}))
    started = json.loads(out.getvalue().splitlines()[-1])
    assert started["event"] == "started", started
    proc.stop(StopReason.PARTICIPANT)
    return str(started["session_id"])


#: the sections every consent screen shows (study.presentation), in the CLI and the window
CONSENT_HEADINGS = (
    "Who is asking",
    "What is recorded",
    "What is never recorded",
    "Where it goes",
    "How long it is kept",
    "How to withdraw",
    "Risks and compensation",
    "Consent",
)


#: replacements (for ``write_signed(path, RESEARCHER, **TRAINING)``) that turn the template's
#: commented-out optional purpose into a real one: the manifest then asks for ``analysis``
#: (required) and ``model-training`` (optional)
TRAINING = {
    '# [[purposes]]             # an optional use: remove the leading "# " to ask for it\n'
    '# id = "model-training"': '[[purposes]]\nid = "model-training"',
    '# title = "Training': 'title = "Training',
    '# description = "We use your data': 'description = "We use your data',
    '# recipients = "The research team only; the': 'recipients = "The research team only; the',
    "# required = false\n": "required = false\n",
}
