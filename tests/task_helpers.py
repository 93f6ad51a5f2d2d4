"""A manifest with a typing and a pointing task, for the task tests (``from task_helpers import ...``)."""

from __future__ import annotations

TASKS_TOML = """
[[tasks]]
id = "point"
title = "Click the circles"
instructions = "Click each highlighted circle as quickly and accurately as you can."
kind = "pointing"
amplitudes_px = [256, 512]
widths_px = [32, 64]
targets_per_circle = 5
sequences_per_condition = 1
seed = 7
devices = ["mouse", "trackpad"]
show_results = true

[[tasks]]
id = "type"
title = "Copy the phrases"
instructions = "Type each phrase as shown, then press Enter."
kind = "typing"
phrases = ["the quick brown fox", "hello world"]
repetitions = 1
seed = 3
show_results = true

"""


def with_tasks(body: bytes, extra: str = TASKS_TOML) -> bytes:
    """A manifest body with the task blocks added before its [data] table."""
    assert b"\n[data]" in body
    return body.replace(b"\n[data]", ("\n" + extra + "[data]").encode(), 1)


def join_task_study(extra: str = TASKS_TOML, typing_text: bool = True, recipient: str = "") -> str:
    """Join (consent recorded) a study with these tasks, current today; returns its id. Needs a vault.
    ``recipient``: the researcher's age key its bundles are encrypted to (a fixed one if not given)."""
    import datetime as dt

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from tallylight.study import enrolment, signing, template

    study_id = "0b6a1a52-3c1e-4f7e-9d35-2d0f6c8f7a10"
    recipient = recipient or "age1rtnu4ted4pkty9jzlsxlxn7z5uc79v5hl6zrce2nnvuh8q5a7asqx8xywd"
    body = template.render(
        recipient=recipient, today=dt.date.today() - dt.timedelta(days=1), study_id=study_id
    )
    raw = signing.sign(
        with_tasks(body.encode("utf-8"), extra), Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    )
    offer = enrolment.check_offer(raw)
    enrolment.join(offer, {c.id: True for c in offer.signed.manifest.checkboxes}, typing_text=typing_text)
    return study_id
