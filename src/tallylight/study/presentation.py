"""What a participant reads about a study: one source for the consent screen and the CLI.

Plain text (Markdown in the researcher's own texts); the GUI renders the same
sections the terminal prints, in the same order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tallylight import words
from tallylight.study.manifest import Manifest, SignedManifest


@dataclass(frozen=True)
class Section:
    heading: str
    body: str


def consent_sections(signed: SignedManifest, language: str | None = None) -> list[Section]:
    """Who asks, why, exactly what is and is not captured, where it goes, for how long, withdrawal, risks."""
    m = signed.manifest
    t = _localiser(language)
    r = m.researcher
    e = m.ethics
    captured = "\n".join(f"- {line}" for line in words.describe_capture(m.capture))
    not_collected = "\n".join(f"- {t(x)}" for x in m.not_collected) or "- (the study lists nothing here)"
    where = (
        "Only when you choose to share, after a preview, encrypted so that only the researchers can read it"
        + (f", and sent to {m.upload_url}." if m.upload_url else "; you send the file yourself.")
    )
    sessions = _session_rules(m)
    sections = [
        Section("About the study", f"{t(m.summary)}\n\n{t(m.description)}".strip()),
        Section(
            "Who is asking",
            f"{r.principal_investigator}, {r.institution}. Contact: {r.contact}.\n"
            f"Approved by {e.board} (protocol {e.protocol}); the approval runs until "
            f"{e.approval_expires.isoformat()}.\n"
            f"The study runs from {m.start.isoformat()} to {m.end.isoformat()}.",
        ),
        Section(
            "What is recorded",
            f"Only during sessions you start, with the tally light on:\n\n{captured}\n\n{sessions}".strip(),
        ),
        Section("What is never recorded", not_collected),
        Section("Where it goes", f"{where}\nNothing leaves this computer before that."),
        Section("How long it is kept", f"{t(m.retention)}\n{t(m.deletion)}"),
        Section("How to withdraw", t(m.withdrawal)),
        Section("Risks and compensation", f"{t(m.risks)}\n{t(m.compensation)}"),
    ]
    if m.tasks:
        tasks = "\n".join(f"- {t(task.title)}: {t(task.instructions)}" for task in m.tasks)
        sections.insert(3, Section("Tasks", tasks))
    sections.append(Section("Consent", t(m.consent_text)))
    return sections


def _session_rules(m: Manifest) -> str:
    s = m.sessions
    parts = []
    if s.max_sessions:
        parts.append(f"at most {s.max_sessions} session{'s' if s.max_sessions != 1 else ''}")
    if s.max_duration_minutes:
        parts.append(f"each stops after {s.max_duration_minutes:g} minutes")
    if s.idle_stop_minutes:
        parts.append(f"a session stops after {s.idle_stop_minutes:g} minutes without input")
    return ("Sessions: " + "; ".join(parts) + ".") if parts else ""


def _localiser(language: str | None) -> Callable[[object], str]:
    def t(text: object) -> str:
        get = getattr(text, "get", None)
        return get(language) if get else str(text)

    return t


def signer_line(signed: SignedManifest) -> str:
    return (
        f"Signed by the key with fingerprint {signed.fingerprint}. Compare it with the fingerprint "
        "the researchers published (on their web page or information sheet); if it differs, do not join."
    )
