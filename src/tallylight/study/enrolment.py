"""The studies a participant joined: enrolment, the stored manifest, the consent record.

On disk, per study (docs/STUDY.md, "What is stored"):

    studies/<study id>/manifest.toml        the exact signed manifest consented to
    studies/<study id>/enrolment.json       ids, hash, signer, the consented capture ceiling
    studies/<study id>/consent-<id>.tlc     consent records, encrypted to the device key
    studies/<study id>/sessions/<session>   one empty file per session recorded for the study
    studies/<study id>/participant.key      the participant's signing key for the study (private)

Everything needed to *record* (the manifest and the ceiling) is readable without
the passphrase, as recording must be; the consent record (the participant's
choices and when they were made) is not. Every use re-verifies the stored
manifest and checks it is the one consented to, so a hand-edited manifest or
enrolment file can never widen capture.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import os
import secrets
import shutil
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tallylight import __version__, paths, safejson
from tallylight.errors import ManifestError, StudyError, UsageError
from tallylight.fsutil import atomic_write, shred_file, storage_error, sync_dir, sync_file
from tallylight.i18n import _
from tallylight.options import CaptureOptions, is_within, narrow
from tallylight.store import vault
from tallylight.store.layout import check_session_id
from tallylight.study import consent, manifest, participant_key, signing
from tallylight.study.consent import ConsentRecord
from tallylight.study.manifest import Manifest, SignedManifest

STUDIES = "studies"
MANIFEST_FILE = "manifest.toml"
ENROLMENT_FILE = "enrolment.json"
PARTICIPANT_KEY_FILE = "participant.key"
SESSIONS = "sessions"
FORMAT = "tallylight-enrolment"


@dataclass(frozen=True)
class Enrolment:
    """A joined study, as stored (the plaintext part)."""

    study_id: str
    study_version: int
    manifest_hash: str
    signer_public_key: bytes
    consent_id: str
    participant_id: str
    capture: CaptureOptions  # what the participant consented to (within the manifest)
    earlier_consents: tuple[str, ...] = ()
    #: the separate choice for typing tasks: the characters typed into the task window's own
    #: field may be recorded (docs/TASKS.md); False unless the participant chose it
    typing_text: bool = False
    #: the participant's current choice per purpose (purpose id -> allowed): the consent's,
    #: narrowed by any later "no" (purposes_changed). None: joined before purposes existed,
    #: which consented to the manifest's required purposes only
    purposes: dict[str, bool] | None = None

    @property
    def signer_fingerprint(self) -> str:
        return signing.fingerprint(self.signer_public_key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": 1,
            "study_id": self.study_id,
            "study_version": self.study_version,
            "manifest_hash": self.manifest_hash,
            "signer_public_key": base64.b64encode(self.signer_public_key).decode("ascii"),
            "consent_id": self.consent_id,
            "participant_id": self.participant_id,
            "capture": self.capture.to_dict(),
            "earlier_consents": list(self.earlier_consents),
            "typing_text": self.typing_text,
            **({"purposes": dict(self.purposes)} if self.purposes is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Enrolment:
        try:
            if data["format"] != FORMAT or data["version"] != 1:
                raise ValueError
            return cls(
                study_id=str(data["study_id"]),
                study_version=int(data["study_version"]),
                manifest_hash=str(data["manifest_hash"]),
                signer_public_key=base64.b64decode(data["signer_public_key"], validate=True),
                consent_id=consent.check_id(data["consent_id"]),
                participant_id=str(data["participant_id"]),
                capture=CaptureOptions.from_dict(data["capture"]),
                earlier_consents=tuple(consent.check_id(c) for c in data.get("earlier_consents", [])),
                typing_text=data.get("typing_text", False) is True,
                purposes=consent.check_purposes(data["purposes"]) if "purposes" in data else None,
            )
        except (KeyError, TypeError, ValueError, UsageError, StudyError):
            raise StudyError(_("The study's enrolment file is damaged; join the study again.")) from None


@dataclass(frozen=True)
class Study:
    """A joined study whose stored manifest verified and matches the consent."""

    signed: SignedManifest
    enrolment: Enrolment
    path: Path

    @property
    def manifest(self) -> Manifest:
        return self.signed.manifest

    @property
    def study_id(self) -> str:
        return self.enrolment.study_id

    def ceiling(self) -> CaptureOptions:
        """The most a session for this study may capture: the manifest narrowed by the consent."""
        return narrow(self.manifest.capture, self.enrolment.capture)

    def session_ids(self) -> list[str]:
        d = self.path / SESSIONS
        return sorted(p.name for p in d.iterdir()) if d.is_dir() else []

    def purposes(self) -> dict[str, bool]:
        """Each purpose of the manifest (in its order) and whether the participant allows it now.

        A required purpose is always allowed (whoever declines one has left the study); an
        optional one only when the enrolment says so.
        """
        chosen = self.enrolment.purposes or {}
        return {p.id: p.required or chosen.get(p.id, False) is True for p in self.manifest.purposes}

    def allowed_purposes(self, record: ConsentRecord | None = None) -> tuple[str, ...]:
        """The purposes data may be used for now; with the consent record, also narrowed by it
        (enrolment.json is plain text: a hand edit there never widens what a bundle says)."""
        now = [pid for pid, yes in self.purposes().items() if yes]
        if record is not None:
            consented = set(record.allowed_purposes())
            now = [pid for pid in now if pid in consented]
        return tuple(now)


# ---------------------------------------------------------------- paths


def studies_dir(data_dir: Path | None = None) -> Path:
    return (Path(data_dir) if data_dir is not None else paths.data_dir()) / STUDIES


def study_dir(study_id: str, data_dir: Path | None = None) -> Path:
    try:
        canonical = str(uuid.UUID(study_id))
    except (ValueError, TypeError, AttributeError):
        raise UsageError(
            _("{study_id!r} is not a study id (a UUID; see `tallylight study list`).").format(
                study_id=study_id
            )
        ) from None
    if canonical != study_id:
        raise UsageError(
            _("Write the study id in lower case with dashes: {canonical}.").format(canonical=canonical)
        )
    return studies_dir(data_dir) / study_id


# ---------------------------------------------------------------- reading


def read_manifest_file(path: Path) -> bytes:
    """A manifest file's bytes, refusing huge files before reading them whole."""
    try:
        with open(path, "rb") as f:
            raw = f.read(manifest.MAX_MANIFEST_BYTES + 1)
    except FileNotFoundError:
        raise UsageError(_("{path} does not exist.").format(path=path)) from None
    except IsADirectoryError:
        raise UsageError(_("{path} is a folder, not a manifest file.").format(path=path)) from None
    except OSError as exc:
        raise UsageError(
            _("{path} cannot be read ({strerror}).").format(path=path, strerror=exc.strerror)
        ) from None
    if len(raw) > manifest.MAX_MANIFEST_BYTES:
        raise ManifestError(
            _("{name} is larger than {MAX_MANIFEST_BYTES:,} bytes; it is not a study manifest.").format(
                name=path.name, MAX_MANIFEST_BYTES=manifest.MAX_MANIFEST_BYTES
            ),
            "file",
        )
    return raw


def enrolled_ids(data_dir: Path | None = None) -> list[str]:
    root = studies_dir(data_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / ENROLMENT_FILE).is_file())


def read_enrolment(d: Path) -> Enrolment:
    try:
        data = safejson.loads((d / ENROLMENT_FILE).read_text("utf-8"))
    except FileNotFoundError:
        raise StudyError(
            _("You have not joined study {name}; see `tallylight study list`.").format(name=d.name)
        ) from None
    except (OSError, ValueError):
        raise StudyError(_("The study's enrolment file is damaged; join the study again.")) from None
    return Enrolment.from_dict(data)


def load(study_id: str, data_dir: Path | None = None, *, today: dt.date | None = None) -> Study:
    """A joined study; refused if its stored manifest no longer verifies or is not the consented one.

    With ``today``, also refused when the study has ended or its approval expired.
    """
    d = study_dir(study_id, data_dir)
    enrolment = read_enrolment(d)
    raw = read_manifest_file(d / MANIFEST_FILE) if (d / MANIFEST_FILE).exists() else b""
    if not raw:
        raise StudyError(
            _("The manifest of study {study_id} is missing; join the study again.").format(study_id=study_id)
        )
    signed = manifest.load(raw, today)
    if (
        signed.hash != enrolment.manifest_hash
        or signed.public_key != enrolment.signer_public_key
        or signed.study_id != enrolment.study_id
        or signed.study_id != study_id
    ):
        raise ManifestError(
            _(
                "The stored manifest is not the one you consented to (it was changed after consent); "
                "nothing is recorded for this study. Join it again with the researcher's file."
            ),
            "file",
        )
    return Study(signed, enrolment, d)


def list_studies(data_dir: Path | None = None) -> list[Study | tuple[str, str]]:
    """Every joined study, or (id, reason) for one that cannot be used as stored."""
    out: list[Study | tuple[str, str]] = []
    for study_id in enrolled_ids(data_dir):
        try:
            out.append(load(study_id, data_dir))
        except (StudyError, UsageError) as exc:
            out.append((study_id, str(exc)))
    return out


# ---------------------------------------------------------------- joining


@dataclass(frozen=True)
class Offer:
    """A manifest checked against what was joined before: what joining it would mean."""

    signed: SignedManifest
    previous: Enrolment | None  # a consented earlier version, if any
    #: the manifest of that earlier version, where it can still be read
    previous_manifest: Manifest | None = None

    @property
    def is_update(self) -> bool:
        return self.previous is not None

    @property
    def start_purposes(self) -> dict[str, bool]:
        """Where the choice per purpose starts: required ones ticked, every optional one unticked,
        a new version included. No "yes" is carried over: the plain enrolment file that would
        carry it can be edited by hand, and a pre-ticked box that the participant confirms
        would turn such an edit into a real consent record (the terminal never pre-ticks
        either)."""
        return {p.id: p.required for p in self.signed.manifest.purposes}

    def purpose_changes(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(purposes new in this version or with new words, optional ones it makes required)."""
        before = self.previous_manifest
        if before is None:
            return (), ()
        new, now_required = [], []
        for p in self.signed.manifest.purposes:
            old = before.purpose(p.id)
            if old is None or (old.title, old.description, old.recipients) != (
                p.title,
                p.description,
                p.recipients,
            ):
                new.append(p.id)
            elif p.required and not old.required:
                now_required.append(p.id)
        return tuple(new), tuple(now_required)

    @property
    def start_capture(self) -> CaptureOptions:
        """Where the participant's choice starts: what the manifest asks, narrowed as they narrowed
        the version they consented to before (a new version never silently undoes their choice)."""
        asked = self.signed.manifest.capture
        return asked if self.previous is None else narrow(asked, self.previous.capture)


def check_offer(raw: bytes, data_dir: Path | None = None, *, today: dt.date | None = None) -> Offer:
    """Verify a manifest someone wants to join; refuse it with the reason if it may not be.

    Refused: unsigned, wrongly signed, malformed, expired (ManifestError from the parser);
    a version already consented to whose bytes changed; an older version; a new version
    signed by another key than the one consented to.
    """
    signed = manifest.load(raw, today or manifest.today_utc())
    d = study_dir(signed.study_id, data_dir)
    if not (d / ENROLMENT_FILE).exists():
        return Offer(signed, None)
    previous = read_enrolment(d)
    m = signed.manifest
    if signed.public_key != previous.signer_public_key:
        raise ManifestError(
            _(
                "This manifest for a study you joined is signed by another key ({fingerprint}) than the "
                "one you consented to ({signer_fingerprint}). It is refused; ask the researcher."
            ).format(fingerprint=signed.fingerprint, signer_fingerprint=previous.signer_fingerprint),
            "signature",
        )
    if m.version < previous.study_version:
        raise ManifestError(
            _(
                "This is version {version} of the study; you already consented to version {study_version}."
            ).format(version=m.version, study_version=previous.study_version),
            "study.version",
        )
    if m.version == previous.study_version:
        if signed.hash == previous.manifest_hash:
            raise StudyError(
                _("You have already joined this study (version {version}); nothing changed.").format(
                    version=m.version
                )
            )
        raise ManifestError(
            _(
                "This manifest says it is version {version}, the version you consented to, but its text "
                "differs: it was changed after your consent. It is refused; ask the researcher."
            ).format(version=m.version),
            "study.version",
        )
    return Offer(signed, previous, _stored_manifest(d))


def _stored_manifest(d: Path) -> Manifest | None:
    """The manifest stored for a joined study, without the date check (None if unreadable)."""
    try:
        return manifest.load(read_manifest_file(d / MANIFEST_FILE)).manifest
    except (ManifestError, UsageError):
        return None


def check_choices(m: Manifest, checkboxes: Mapping[str, bool]) -> dict[str, bool]:
    """Every box answered (unanswered = not ticked); refused unless every required box is ticked."""
    known = {c.id for c in m.checkboxes}
    unknown = sorted(set(checkboxes) - known)
    if unknown:
        raise UsageError(_("The study has no consent box {value!r}.").format(value=unknown[0]))
    choices = {c.id: bool(checkboxes.get(c.id, False)) for c in m.checkboxes}
    missing = [c for c in m.checkboxes if c.required and not choices[c.id]]
    if missing:
        raise StudyError(
            _("Consent needs every required box ticked; not ticked: {text!r}. Nothing was saved.").format(
                text=str(missing[0].text)
            )
        )
    return choices


def refuse_unknown_purposes(m: Manifest, purpose_ids: Iterable[str]) -> None:
    """Refuse the first of ``purpose_ids`` the manifest does not name, saying which ones it does:
    a mistyped id must never read as a choice about nothing."""
    for pid in purpose_ids:
        if m.purpose(pid) is None:
            known = ", ".join(p.id for p in m.purposes)
            raise UsageError(
                _("The study has no purpose {purpose!r} (its purposes: {known}).").format(
                    purpose=pid, known=known
                )
            )


def check_purposes(m: Manifest, chosen: Mapping[str, bool]) -> dict[str, bool]:
    """A choice for every purpose (unanswered = no); refused unless every required one is allowed."""
    refuse_unknown_purposes(m, sorted(set(chosen)))
    choices = {p.id: bool(chosen.get(p.id, False)) for p in m.purposes}
    missing = [p for p in m.purposes if p.required and not choices[p.id]]
    if missing:
        raise StudyError(
            _(
                "The study needs your yes to {title!r} ({purpose}); saying no to it means not taking "
                "part. Nothing was saved."
            ).format(title=str(missing[0].title), purpose=missing[0].id)
        )
    return choices


def join(
    offer: Offer,
    checkboxes: Mapping[str, bool],
    capture: CaptureOptions | None = None,
    data_dir: Path | None = None,
    *,
    now: dt.datetime | None = None,
    typing_text: bool = False,
    purposes: Mapping[str, bool] | None = None,
) -> tuple[Study, ConsentRecord]:
    """Record consent to ``offer`` and store the manifest; the study can then be recorded for.

    ``capture`` narrows what the study may capture (never widens: a wider request is refused).
    ``purposes`` is the choice per purpose; left out, the required ones only (never a carried-over
    yes). Needs the vault's public key (not the passphrase) to seal the consent record.
    """
    signed = offer.signed
    m = signed.manifest
    choices = check_choices(m, checkboxes)
    purpose_choices = check_purposes(
        m, purposes if purposes is not None else dict.fromkeys(m.required_purposes, True)
    )
    allowed = m.capture
    chosen = offer.start_capture if capture is None else capture
    if not is_within(chosen, allowed):
        raise UsageError(
            _("The capture you chose is wider than the study asks for; it can only be narrowed.")
        )
    if typing_text and not any(t.kind == "typing" for t in m.tasks):
        raise UsageError(_("This study has no typing task, so there are no typed characters to allow."))
    device_public = vault.load_public_key(data_dir)
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    previous = offer.previous
    record = ConsentRecord(
        consent_id=str(uuid.uuid4()),
        study_id=m.study_id,
        study_version=m.version,
        manifest_hash=signed.hash,
        signer_fingerprint=signed.fingerprint,
        participant_id=previous.participant_id if previous else secrets.token_hex(8),
        given_at=when.isoformat().replace("+00:00", "Z"),
        checkboxes=choices,
        capture=chosen.to_dict(),
        app_version=__version__,
        extra={"typing_text": typing_text} if typing_text else {},
        purposes=purpose_choices,
    )
    enrolment = Enrolment(
        study_id=m.study_id,
        study_version=m.version,
        manifest_hash=signed.hash,
        signer_public_key=signed.public_key,
        consent_id=record.consent_id,
        participant_id=record.participant_id,
        capture=chosen,
        earlier_consents=(*previous.earlier_consents, previous.consent_id) if previous else (),
        typing_text=typing_text,
        purposes=purpose_choices,
    )
    paths.ensure_private_dir(studies_dir(data_dir))
    d = paths.ensure_private_dir(study_dir(m.study_id, data_dir))
    signing_key(m.study_id, data_dir)  # made at enrolment; a new version of the study keeps it
    try:
        atomic_write(d / consent_file(record.consent_id), consent.seal(record, device_public))
        atomic_write(d / MANIFEST_FILE, signed.raw, 0o600)
        atomic_write(d / ENROLMENT_FILE, (json.dumps(enrolment.to_dict(), indent=2) + "\n").encode("utf-8"))
    except OSError as exc:
        raise storage_error(exc, _("saving your consent")) from None
    return Study(signed, enrolment, d), record


def save_purposes(study: Study, choices: Mapping[str, bool], consent_id: str | None = None) -> Study:
    """Store the participant's current choice per purpose (and, after a new consent record, its id).

    Saying no needs no passphrase, as withdrawing does: the enrolment is plain, and what
    leaves is still narrowed by the consent record (Study.allowed_purposes).
    """
    m = study.manifest
    current = study.purposes()
    current.update({pid: bool(v) for pid, v in choices.items() if m.purpose(pid) is not None})
    e = study.enrolment
    new_id = consent_id or e.consent_id
    new_record = new_id != e.consent_id
    changed = dataclasses.replace(
        e,
        purposes={p.id: p.required or current[p.id] for p in m.purposes},
        consent_id=new_id,
        earlier_consents=(*e.earlier_consents, e.consent_id) if new_record else e.earlier_consents,
    )
    try:
        atomic_write(
            study.path / ENROLMENT_FILE, (json.dumps(changed.to_dict(), indent=2) + "\n").encode("utf-8")
        )
    except OSError as exc:
        raise storage_error(exc, _("saving your choice")) from None
    return Study(study.signed, changed, study.path)


def allow_purposes(
    study: Study,
    purpose_ids: Sequence[str],
    unlocked: vault.UnlockedVault,
    *,
    now: dt.datetime | None = None,
) -> tuple[Study, ConsentRecord]:
    """Say yes to optional purposes after joining: an act of consent, so a new consent record
    (a copy of the current one with these purposes allowed, dated now) becomes the current one."""
    refuse_unknown_purposes(study.manifest, purpose_ids)
    old = read_consent(study, unlocked)
    choices = {**study.purposes(), **dict.fromkeys(purpose_ids, True)}
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    record = dataclasses.replace(
        old,
        consent_id=str(uuid.uuid4()),
        given_at=when.isoformat().replace("+00:00", "Z"),
        app_version=__version__,
        purposes=choices,
        extra={**old.extra, "replaces_consent": old.consent_id},
    )
    try:
        atomic_write(study.path / consent_file(record.consent_id), consent.seal(record, unlocked.public_key))
    except OSError as exc:
        raise storage_error(exc, _("saving your consent")) from None
    return save_purposes(study, choices, record.consent_id), record


def signing_key(study_id: str, data_dir: Path | None = None) -> bytes:
    """The participant's private key for the study (participant_key), made once and kept.

    It is a plain file readable only by the participant (like the enrolment), not
    sealed in the vault: withdrawing, which signs a request, must never depend on
    remembering the passphrase. A study joined before keys existed gets one on first use.
    """
    path = study_dir(study_id, data_dir) / PARTICIPANT_KEY_FILE
    try:
        seed = path.read_bytes()
        if len(seed) == participant_key.SEED_BYTES:
            return seed
        raise StudyError(_("Your key for this study is damaged; withdraw and join the study again."))
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise storage_error(exc, _("reading your key for the study")) from None
    seed = participant_key.generate()
    try:
        atomic_write(path, seed, 0o600)
    except OSError as exc:
        raise storage_error(exc, _("saving your key for the study")) from None
    return seed


def consent_file(consent_id: str) -> str:
    return f"consent-{consent.check_id(consent_id)}.tlc"


def read_consent(study: Study, unlocked: vault.UnlockedVault, consent_id: str | None = None) -> ConsentRecord:
    """The (current, by default) consent record, decrypted with the unlocked vault."""
    cid = consent_id or study.enrolment.consent_id
    try:
        raw = (study.path / consent_file(cid)).read_bytes()
    except FileNotFoundError:
        raise StudyError(_("The consent record of this study is missing.")) from None
    except OSError as exc:
        raise StudyError(
            _("The consent record cannot be read ({strerror}).").format(strerror=exc.strerror)
        ) from None
    return consent.open_record(raw, cid, unlocked.private_key)


# ---------------------------------------------------------------- sessions of a study


def register_session(study_id: str, session_id: str, data_dir: Path | None = None) -> None:
    """Remember that ``session_id`` was recorded for the study (for limits and withdrawal)."""
    check_session_id(session_id)
    d = study_dir(study_id, data_dir) / SESSIONS
    try:
        d.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(d / session_id, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            sync_file(fd)
        finally:
            os.close(fd)
        sync_dir(d)
    except OSError as exc:
        raise storage_error(exc, _("noting the session for the study")) from None


def remove(study: Study) -> None:
    """Delete everything stored for the study (consent records first, overwritten)."""
    for p in [*sorted(study.path.glob("consent-*.tlc")), study.path / PARTICIPANT_KEY_FILE]:
        if p.exists():
            shred_file(p)
    shutil.rmtree(study.path, ignore_errors=True)
    sync_dir(study.path.parent)


# ---------------------------------------------------------------- what a session may do


@dataclass(frozen=True)
class SessionTerms:
    """What a session for a study may capture and for how long, and what it records about it."""

    study_id: str
    study_version: int
    manifest_hash: str
    consent_id: str
    ceiling: CaptureOptions
    max_duration_s: float  # 0 = no limit
    idle_timeout_s: float  # 0 = never
    tasks: tuple[str, ...] = ()  # task ids in manifest order; a task marker stores position + 1
    task_titles: tuple[str, ...] = ()
    title: str = ""
    task_kinds: tuple[str, ...] = ()  # each task's kind (free, typing, pointing), in manifest order
    typing_text: bool = False  # the participant allowed typing tasks' characters (Enrolment.typing_text)

    def info_fields(self) -> dict[str, str]:
        """What the session's encrypted INFO record says about the study (events.SessionInfo)."""
        return {"study_id": self.study_id, "manifest_hash": self.manifest_hash, "consent_id": self.consent_id}

    def limit_duration(self, requested: float) -> float:
        return tighter(self.max_duration_s, requested)

    def limit_idle(self, requested: float) -> float:
        return tighter(self.idle_timeout_s, requested)


def tighter(a: float, b: float) -> float:
    """The stricter of two limits where 0 means none."""
    return min(x for x in (a, b) if x) if (a or b) else 0.0


def session_terms(
    study_id: str, data_dir: Path | None = None, *, today: dt.date | None = None
) -> SessionTerms:
    """The terms for a new session of a joined study; refused (StudyError) if none may be recorded."""
    study = load(study_id, data_dir)
    m = study.manifest
    manifest.check_running(m, today or manifest.today_utc())
    rules = m.sessions
    if rules.max_sessions and len(study.session_ids()) >= rules.max_sessions:
        raise StudyError(
            _(
                "You have recorded all {max_sessions} sessions this study asks for; thank you. No more can "
                "be recorded for it."
            ).format(max_sessions=rules.max_sessions)
        )
    return SessionTerms(
        study_id=study.study_id,
        study_version=m.version,
        manifest_hash=study.enrolment.manifest_hash,
        consent_id=study.enrolment.consent_id,
        ceiling=study.ceiling(),
        max_duration_s=rules.max_duration_minutes * 60,
        idle_timeout_s=rules.idle_stop_minutes * 60,
        tasks=tuple(t.id for t in m.tasks),
        task_titles=tuple(str(t.title) for t in m.tasks),
        title=str(m.title),
        task_kinds=tuple(t.kind for t in m.tasks),
        typing_text=study.enrolment.typing_text,
    )


def startable(
    data_dir: Path | None = None, *, today: dt.date | None = None
) -> list[tuple[str, str, dict[str, Any]]]:
    """(study id, title, capture ceiling) of each joined study a session can be recorded for now."""
    out = []
    for study_id in enrolled_ids(data_dir):
        try:
            terms = session_terms(study_id, data_dir, today=today)
            title = str(load(study_id, data_dir).manifest.title)
        except (StudyError, UsageError):
            continue
        out.append((study_id, title, terms.ceiling.to_dict()))
    return out
