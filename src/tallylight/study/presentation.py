"""What a participant reads about a study: one source for the consent screen and the CLI.

Plain text (Markdown in the researcher's own texts); the GUI renders the same
sections the terminal prints, in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tallylight import i18n, words
from tallylight.i18n import N_, _, ngettext
from tallylight.study.manifest import Manifest, Purpose, SignedManifest


@dataclass(frozen=True)
class Section:
    heading: str
    body: str
    key: str = ""  # which page it belongs on (CONSENT_PAGES)


@dataclass(frozen=True)
class Page:
    """One page of the consent flow: its title and the sections it shows, in order."""

    key: str
    title: str
    sections: tuple[Section, ...]


#: the consent flow's pages, in order: (key, title, the section keys on it). A new page (e.g. one
#: consent per purpose) is one more line here; the GUI builds its pages from this table.
CONSENT_PAGES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("about", N_("About the study"), ("about",)),
    ("who", N_("Who is asking"), ("who",)),
    ("recorded", N_("What is recorded"), ("recorded", "tasks", "never")),
    ("where", N_("Where it goes"), ("where", "kept")),
    ("risks", N_("Risks and withdrawing"), ("risks", "withdraw")),
    ("purposes", N_("What your data is used for"), ("purposes",)),
    ("consent", N_("Your consent"), ("consent",)),
)


def consent_pages(signed: SignedManifest, language: str | None = None) -> list[Page]:
    """The consent sections grouped into the flow's pages (a page with no section is left out)."""
    sections = consent_sections(signed, language)
    pages = []
    for key, title, keys in CONSENT_PAGES:
        on_page = tuple(s for k in keys for s in sections if s.key == k)
        if on_page or key == "consent":
            pages.append(Page(key, _(title), on_page))
    return pages


def consent_sections(signed: SignedManifest, language: str | None = None) -> list[Section]:
    """Who asks, why, exactly what is and is not captured, where it goes, for how long, withdrawal, risks."""
    m = signed.manifest
    t = _localiser(language)
    r = m.researcher
    e = m.ethics
    captured = "\n".join(f"- {line}" for line in words.describe_capture(m.capture))
    not_collected = "\n".join(f"- {t(x)}" for x in m.not_collected) or _("- (the study lists nothing here)")
    if m.upload_url:
        where = _(
            "Only when you choose to share, after a preview, encrypted so that only the researchers can "
            "read it, and sent to {url}."
        ).format(url=m.upload_url)
    else:
        where = _(
            "Only when you choose to share, after a preview, encrypted so that only the researchers can "
            "read it; you send the file yourself."
        )
    sessions = _session_rules(m)
    sections = [
        Section(_("About the study"), f"{t(m.summary)}\n\n{t(m.description)}".strip(), "about"),
        Section(
            _("Who is asking"),
            _(
                "{investigator}, {institution}. Contact: {contact}.\n"
                "Approved by {board} (protocol {protocol}); the approval runs until {expires}.\n"
                "The study runs from {start} to {end}."
            ).format(
                investigator=r.principal_investigator,
                institution=r.institution,
                contact=r.contact,
                board=e.board,
                protocol=e.protocol,
                expires=e.approval_expires.isoformat(),
                start=m.start.isoformat(),
                end=m.end.isoformat(),
            ),
            "who",
        ),
        Section(
            _("What is recorded"),
            _("Only during sessions you start, with the tally light on:\n\n{captured}\n\n{sessions}")
            .format(captured=captured, sessions=sessions)
            .strip(),
            "recorded",
        ),
        Section(_("What is never recorded"), not_collected, "never"),
        Section(
            _("Where it goes"),
            _("{where}\nNothing leaves this computer before that.").format(where=where),
            "where",
        ),
        Section(_("How long it is kept"), f"{t(m.retention)}\n{t(m.deletion)}", "kept"),
        Section(_("How to withdraw"), t(m.withdrawal), "withdraw"),
        Section(_("Risks and compensation"), f"{t(m.risks)}\n{t(m.compensation)}", "risks"),
    ]
    sections.append(Section(_("What your data is used for"), purposes_text(m, language), "purposes"))
    if m.tasks:
        tasks = "\n".join(f"- {t(task.title)}: {t(task.instructions)}" for task in m.tasks)
        sections.insert(3, Section(_("Tasks"), tasks, "tasks"))
    sections.append(Section(_("Consent"), t(m.consent_text), "consent"))
    return sections


def purposes_text(m: Manifest, language: str | None = None) -> str:
    """The purposes in plain words: what each means, and that the optional ones are a free choice."""
    intro = _(
        "You say yes or no to each use of your data. The study needs the ones marked required: saying "
        "no to one of them means not taking part. The others are up to you; you can take part and "
        "still say no to them, now or later."
    )
    return intro + "\n\n" + "\n".join(f"- {purpose_line(p, language)}" for p in m.purposes)


def purpose_title(p: Purpose, language: str | None = None) -> str:
    """A purpose's title, translated when it is Tallylight's own (a manifest without purposes)."""
    return _(str(p.title)) if p.implicit else _localiser(language)(p.title)


def purpose_name(p: Purpose, language: str | None = None) -> str:
    """A purpose where it is listed (the share preview): its title, and the id that
    ``tallylight study purposes ID --decline …`` takes."""
    return _("{title} ({id})").format(title=purpose_title(p, language), id=p.id)


def purpose_line(p: Purpose, language: str | None = None) -> str:
    """One purpose: its title, required or optional, what it means, and who gets the data for it."""
    mark = _("required") if p.required else _("optional")
    line = _("{title} ({mark}): {description}").format(
        title=purpose_title(p, language), mark=mark, description=_purpose_description(p, language)
    )
    return line + _purpose_recipients(p, language)


def purpose_choice_line(p: Purpose, allowed: bool, language: str | None = None) -> str:
    """One purpose with the participant's choice (``study show``, ``study purposes``): named by
    title and id as the share preview names it, then yes or no, required or optional, what it
    means and who gets the data for it."""
    tick = "x" if allowed else " "
    line = _("{name}: {answer}, {mark}. {description}").format(
        name=purpose_name(p, language),
        answer=_("yes") if allowed else _("no"),
        mark=_("required") if p.required else _("optional"),
        description=_purpose_description(p, language),
    )
    return f"[{tick}] {line}{_purpose_recipients(p, language)}"


def _purpose_description(p: Purpose, language: str | None) -> str:
    return _(str(p.description)) if p.implicit else _localiser(language)(p.description)


def _purpose_recipients(p: Purpose, language: str | None) -> str:
    if p.recipients is None:
        return ""
    return " " + _("Who gets the data for this: {recipients}").format(
        recipients=_localiser(language)(p.recipients)
    )


def purpose_names(m: Manifest, ids: Iterable[str], language: str | None = None) -> str:
    """Purposes named as the participant saw them (title and id), in a sentence's list; an id
    the manifest does not hold stays as it is."""
    by_id = {p.id: p for p in m.purposes}
    return ", ".join(purpose_name(by_id[i], language) if i in by_id else i for i in ids)


def purpose_changes_text(m: Manifest, new: tuple[str, ...], now_required: tuple[str, ...]) -> str:
    """What a new version of a study changed in its purposes (empty if nothing)."""
    parts = []
    if new:
        parts.append(
            _("New or reworded purposes, not ticked for you: {ids}.").format(ids=purpose_names(m, new))
        )
    if now_required:
        parts.append(_("Purposes that are now required: {ids}.").format(ids=purpose_names(m, now_required)))
    return " ".join(parts)


def _session_rules(m: Manifest) -> str:
    s = m.sessions
    parts = []
    if s.max_sessions:
        parts.append(
            ngettext("at most {n} session", "at most {n} sessions", s.max_sessions).format(n=s.max_sessions)
        )
    if s.max_duration_minutes:
        parts.append(_("each stops after {minutes:g} minutes").format(minutes=s.max_duration_minutes))
    if s.idle_stop_minutes:
        parts.append(
            _("a session stops after {minutes:g} minutes without input").format(minutes=s.idle_stop_minutes)
        )
    return _("Sessions: {rules}.").format(rules="; ".join(parts)) if parts else ""


def localise(text: object, language: str | None = None) -> str:
    """A manifest text (one or more languages) in ``language``, by default the app's own."""
    return _localiser(language)(text)


def _localiser(language: str | None) -> Callable[[object], str]:
    """A manifest text in ``language``, by default the app's own (the manifest's first where it lacks it)."""
    language = language or i18n.language()

    def t(text: object) -> str:
        get = getattr(text, "get", None)
        return get(language) if get else str(text)

    return t


def signer_line(signed: SignedManifest) -> str:
    return _(
        "Signed by the key with fingerprint {fingerprint}. Compare it with the fingerprint "
        "the researchers published (on their web page or information sheet); if it differs, do not join."
    ).format(fingerprint=signed.fingerprint)
