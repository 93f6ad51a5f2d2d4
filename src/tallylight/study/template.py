"""The commented manifest template written by ``tallylight-lab manifest new``.

``manifest new`` writes it with ``TODO:`` in every text the researcher must write;
``manifest new --example`` fills them with an example study (Dr. Jane Example…)
to read. ``manifest sign`` refuses a manifest that still holds a ``TODO:`` or an
example value (:func:`leftovers` names each field), so participants never see the
example. docs/STUDY.md explains every field; the template's comments say the rules.
"""

from __future__ import annotations

import datetime as dt
import uuid

PLACEHOLDER_RECIPIENT = "age1-paste-the-recipient-key-printed-by-tallylight-lab-keygen"

TEMPLATE = """\
# Tallylight study manifest (schema 1). Documentation: docs/STUDY.md.
# Fill in every field, then sign:  tallylight-lab manifest sign {filename} --key KEYDIR
# Any edit after signing breaks the signature (sign again). Texts may be one
# string, or a table of languages:  title = {{ en = "Typing study", de = "Tippstudie" }}
schema = 1

[study]
id = "{study_id}"          # a UUID; keep it for every version of this study
version = 1                # raise it for every change: participants consent again
title = "Typing rhythm and fatigue"
summary = "How typing rhythm changes over a working day."
description = \"\"\"
We measure *when* keys go down and up and how the mouse moves while you work,
to understand how typing rhythm changes with fatigue.
\"\"\"
start = {start}          # first day sessions may be recorded
end = {end}            # last day

[researcher]
principal_investigator = "Dr. Jane Example"
institution = "Example University, Department of Psychology"
contact = "jane.example@example.edu"

[ethics]
board = "Example University Ethics Committee"
protocol = "EC-2026-001"
approval_expires = {end}   # after this date the study is refused

[capture]
# what is captured at most; the participant may narrow it, never widen it
keys = "class"             # none | class | hashed | full
mouse_moves = true
move_min_interval_ms = 0   # keep at most one move every N ms (0 = all)
move_min_distance_px = 0   # keep a move only after N px (0 = all)
clicks = true
scrolls = true
not_collected = [
  "The characters you type, passwords and text",
  "Screen contents, window titles and application names",
  "Audio, camera and location",
]

[sessions]
max_duration_minutes = 60  # 0 = no limit
max_sessions = 20          # 0 = no limit
idle_stop_minutes = 10     # stop after this long without input (0 = never)

[[tasks]]                  # optional; repeat the block for more tasks
id = "copy-text"
title = "Copy a paragraph"
instructions = "Open the text you were sent and type it into any editor."

[data]
retention = "Stored encrypted at Example University for 5 years after publication, then deleted."
deletion = "You can ask for deletion at any time until the data is anonymised (3 months after the study)."
recipients = ["{recipient}"]
# upload_url = "https://files.example.edu/s/abc123"   # optional: where bundles are sent

[withdrawal]
procedure = "Choose Withdraw in Tallylight: it deletes your data here and asks us to delete the rest."

[risks]
risks = "None beyond everyday computer use. Typing rhythm can in principle identify a person."
compensation = "A 20 EUR voucher after 10 sessions."

[consent]
text = \"\"\"
## Consent
Taking part is voluntary. You can stop or withdraw at any time without giving a reason.
\"\"\"

[[consent.checkboxes]]
id = "read"
text = "I have read and understood the information about this study."
required = true

[[consent.checkboxes]]
id = "agree"
text = "I agree to take part and to the recording described above."
required = true

[[consent.checkboxes]]
id = "contact-later"
text = "You may contact me about future studies."
required = false

# What the data may be used for: one [[purposes]] block per use, and the participant says
# yes or no to each. required = true: the study needs it (saying no means not joining);
# optional uses start unticked, and saying no to them still lets people take part.
# Suggested ids: analysis, publication-aggregate, dataset-release, model-training,
# third-party (docs/STUDY.md); any other id with your own words is allowed. Without any
# [[purposes]] block the study has one required purpose, "analysis".
[[purposes]]
id = "analysis"
title = "Analysis for this study"
description = "We analyse your typing and mouse rhythm to answer this study's questions."
recipients = "The research team only."
required = true

# [[purposes]]             # an optional use: remove the leading "# " to ask for it
# id = "model-training"
# title = "Training machine-learning models"
# description = "We use your data to train models that estimate fatigue from typing rhythm."
# recipients = "The research team only; the models are not sold or licensed to anyone."
# required = false
"""


#: the texts a researcher must write: dotted field -> (example value, what to write)
EXAMPLE_VALUES: dict[str, tuple[str, str]] = {
    "study.title": ("Typing rhythm and fatigue", "the study's title"),
    "study.summary": ("How typing rhythm changes over a working day.", "one sentence on the study"),
    "study.description": (
        "We measure *when* keys go down and up and how the mouse moves while you work,\n"
        "to understand how typing rhythm changes with fatigue.\n",
        "what the study does and why, for participants",
    ),
    "researcher.principal_investigator": ("Dr. Jane Example", "the principal investigator's name"),
    "researcher.institution": ("Example University, Department of Psychology", "your institution"),
    "researcher.contact": ("jane.example@example.edu", "an e-mail address participants can write to"),
    "ethics.board": ("Example University Ethics Committee", "the ethics board that approved the study"),
    "ethics.protocol": ("EC-2026-001", "the approval's reference"),
    "data.retention": (
        "Stored encrypted at Example University for 5 years after publication, then deleted.",
        "where the data is kept and for how long",
    ),
    "data.deletion": (
        "You can ask for deletion at any time until the data is anonymised (3 months after the study).",
        "until when participants can have their data deleted",
    ),
    "risks.risks": (
        "None beyond everyday computer use. Typing rhythm can in principle identify a person.",
        "the risks of taking part",
    ),
    "risks.compensation": ("A 20 EUR voucher after 10 sessions.", "what participants receive, or 'None'"),
}
TODO = "TODO: "


def leftovers(body: bytes) -> list[str]:
    """Dotted fields that still hold a ``TODO:`` or the example's value (empty: none)."""
    import tomllib

    try:
        doc = tomllib.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []  # the parser names what is wrong
    found = []
    for dotted, (example, _what) in EXAMPLE_VALUES.items():
        value: object = doc
        for part in dotted.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        texts = list(value.values()) if isinstance(value, dict) else [value]
        if any(isinstance(t, str) and (t.strip() == example.strip() or t.startswith(TODO)) for t in texts):
            found.append(dotted)
    return found


def render(
    *,
    filename: str = "study.toml",
    recipient: str | None = None,
    today: dt.date | None = None,
    study_id: str | None = None,
    example: bool = True,
) -> str:
    """The template; with ``example=False`` every text to write is a ``TODO:`` (what ``new`` writes)."""
    text = TEMPLATE
    if not example:
        for example_text, what in EXAMPLE_VALUES.values():
            if example_text.endswith("\n"):  # the multi-line description
                text = text.replace(example_text, f"{TODO}{what}\n", 1)
            else:
                text = text.replace(f'"{example_text}"', f'"{TODO}{what}"', 1)
    start = today or dt.date.today()
    return text.format(
        filename=filename,
        study_id=study_id or str(uuid.uuid4()),
        start=start.isoformat(),
        end=(start + dt.timedelta(days=90)).isoformat(),
        recipient=recipient or PLACEHOLDER_RECIPIENT,
    )
