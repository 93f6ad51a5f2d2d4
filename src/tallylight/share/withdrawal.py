"""Withdrawing from a study: one action that destroys, asks, and leaves a receipt.

``withdraw`` (docs/STUDY.md, "Withdrawing"):

1. writes the **withdrawal request** for the researcher (study, participant code,
   consent records, what was destroyed here, which bundles were shared) — first,
   so that a crash in the middle still leaves the request;
2. crypto-shreds the study's sessions (each session's key file is overwritten and
   removed before its data: store.sessions.delete) and its bundles still waiting
   in the outbox;
3. destroys the consent records (overwritten, removed) and the enrolment;
4. writes the participant's **receipt**: study id, time, what was destroyed, and
   the SHA-256 of the request file.

Request and receipt stay in ``withdrawals/<request id>/`` (and are copied to a
folder of the participant's choice). When the study names an upload target, the
request is marked for upload: :func:`pending_uploads` lists what still has to be
sent and :func:`mark_sent` records the server's answer — the hook the uploader
(tallylight.share / the app) uses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tallylight import __version__, paths, safejson
from tallylight.errors import StoreError, StudyError, TallylightError, UsageError
from tallylight.fsutil import atomic_write, is_locked, shred_file, storage_error
from tallylight.i18n import _
from tallylight.share import edits, outbox, withdrawal_request
from tallylight.store import layout
from tallylight.store import sessions as store
from tallylight.store.vault import UnlockedVault
from tallylight.study import enrolment
from tallylight.study.manifest import SignedManifest

WITHDRAWALS = "withdrawals"
REQUEST_FILE = "withdrawal-request.json"
#: the request as it is sent: signed with the participant's key, encrypted to the study's
#: researchers (share.withdrawal_request); absent when the manifest could not be read
SEALED_FILE = "withdrawal-request" + withdrawal_request.SUFFIX
RECEIPT_FILE = "withdrawal-receipt.json"
UPLOAD_FILE = "upload.json"
REQUEST_FORMAT = withdrawal_request.REQUEST_FORMAT
RECEIPT_FORMAT = "tallylight-withdrawal-receipt"


@dataclass(frozen=True)
class Receipt:
    """What the participant keeps."""

    request_id: str
    study_id: str
    study_title: str
    withdrawn_at: str
    sessions_destroyed: list[str]
    consent_records_destroyed: list[str]
    bundles_not_sent_destroyed: list[str]
    bundles_already_shared: list[str]
    request_sha256: str
    request_file: str  # the request as the participant reads it (its SHA-256 is request_sha256)
    upload_to: str | None
    researcher_contact: str
    #: what goes to the researchers: the request signed with the participant's key and encrypted
    #: to the study's recipients (only signed when the manifest could not be read)
    sealed_file: str = ""
    format: str = RECEIPT_FORMAT
    version: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PendingRequest:
    request_id: str
    study_id: str
    path: Path
    url: str


def withdrawals_dir(data_dir: Path | None = None) -> Path:
    return layout.data_root(data_dir) / WITHDRAWALS


def study_sessions(
    study_id: str, data_dir: Path | None = None, vault: UnlockedVault | None = None
) -> list[str]:
    """The study's sessions: those noted when they started, and (with the vault) every session
    whose encrypted INFO names the study."""
    d = enrolment.study_dir(study_id, data_dir) / enrolment.SESSIONS
    noted = {p.name for p in d.iterdir()} if d.is_dir() else set()
    existing = set(store.session_ids(data_dir))
    found = noted & existing
    if vault is not None:
        for sid in existing - found:
            try:
                info = store.summary(sid, vault, data_dir).info
            except TallylightError:
                continue  # unreadable sessions cannot be shown to be the study's; they are left alone
            if info is not None and info.study_id == study_id:
                found.add(sid)
    return sorted(found)


def withdraw(
    study_id: str,
    data_dir: Path | None = None,
    *,
    vault: UnlockedVault | None = None,
    now: dt.datetime | None = None,
    copy_to: Path | None = None,
) -> Receipt:
    """Leave the study: write the request, destroy its local data, return the receipt."""
    d = enrolment.study_dir(study_id, data_dir)
    if not d.is_dir():
        raise StudyError(
            _("You have not joined study {study_id}; see `tallylight study list`.").format(study_id=study_id)
        )
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    stamp = when.isoformat().replace("+00:00", "Z")
    enrol, signed = _what_is_known(study_id, data_dir)
    sessions = study_sessions(study_id, data_dir, vault)
    busy = [sid for sid in sessions if is_locked(layout.sessions_root(data_dir) / sid / layout.LOCK_FILE)]
    if busy:
        raise StudyError(
            _("Session {value} of this study is being recorded; stop it first, then withdraw.").format(
                value=busy[0]
            )
        )
    consents = sorted(p.name[len("consent-") : -len(".tlc")] for p in d.glob("consent-*.tlc"))
    shared, unsent = _bundles(study_id, data_dir)
    m = signed.manifest if signed else None
    request_id = str(uuid.uuid4())
    request = {
        "format": REQUEST_FORMAT,
        "version": 1,
        "request_id": request_id,
        "study_id": study_id,
        "study_version": enrol.study_version if enrol else None,
        "manifest_hash": enrol.manifest_hash if enrol else None,
        "participant_id": enrol.participant_id if enrol else None,
        "consent_ids": consents,
        "withdrawn_at": stamp,
        "request": "The participant withdraws from this study and asks that all their data, including "
        "the bundles listed here, be deleted as the study's withdrawal procedure says.",
        "bundles_shared": shared,
        "sessions_destroyed_locally": sessions,
        "app_version": __version__,
    }
    seed = enrolment.signing_key(study_id, data_dir)
    envelope = withdrawal_request.envelope(request, seed)
    body = (json.dumps(request, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    out = paths.ensure_private_dir(withdrawals_dir(data_dir) / request_id)
    sealed = withdrawal_request.seal(request, seed, m.recipients) if m is not None else envelope
    # the manifest is damaged: the signed request, to send as it is (not encrypted)
    sealed_path = out / (SEALED_FILE if m is not None else SEALED_FILE.removesuffix(".age") + ".json")
    try:
        atomic_write(out / REQUEST_FILE, body)
        atomic_write(sealed_path, sealed)
        if m is not None and m.upload_url:
            atomic_write(out / UPLOAD_FILE, json.dumps({"url": m.upload_url, "sent": False}).encode("utf-8"))
    except OSError as exc:
        raise storage_error(exc, _("writing the withdrawal request")) from None
    for sid in sessions:  # crypto-shred: the key file goes first
        edits.delete_session(sid, data_dir)
    _destroy_unsent(unsent, data_dir)
    outbox.forget_study(study_id, data_dir)  # the receipt lists what was shared; the log forgets it
    _remove_study(d)
    receipt = Receipt(
        request_id=request_id,
        study_id=study_id,
        study_title=str(m.title) if m else "",
        withdrawn_at=stamp,
        sessions_destroyed=sessions,
        consent_records_destroyed=consents,
        bundles_not_sent_destroyed=sorted(unsent),
        bundles_already_shared=shared,
        request_sha256=hashlib.sha256(body).hexdigest(),
        request_file=str(out / REQUEST_FILE),
        sealed_file=str(sealed_path),
        upload_to=m.upload_url if m else None,
        researcher_contact=m.researcher.contact if m else "",
    )
    try:
        atomic_write(out / RECEIPT_FILE, (json.dumps(receipt.to_dict(), indent=2) + "\n").encode("utf-8"))
        if copy_to is not None:
            copy_to.mkdir(parents=True, exist_ok=True)
            for name in (REQUEST_FILE, RECEIPT_FILE):  # copies are 0600 whatever the umask
                atomic_write(copy_to / name, (out / name).read_bytes())
            atomic_write(copy_to / f"{request_id}-{sealed_path.name}", sealed_path.read_bytes())
    except OSError as exc:
        raise storage_error(exc, _("writing the withdrawal receipt")) from None
    return receipt


def _what_is_known(
    study_id: str, data_dir: Path | None
) -> tuple[enrolment.Enrolment | None, SignedManifest | None]:
    """The enrolment and manifest as far as they can be read: withdrawing never fails on damage."""
    try:
        study = enrolment.load(study_id, data_dir)
        return study.enrolment, study.signed
    except TallylightError:
        pass
    try:
        return enrolment.read_enrolment(enrolment.study_dir(study_id, data_dir)), None
    except TallylightError:
        return None, None


def _bundles(study_id: str, data_dir: Path | None) -> tuple[list[str], list[str]]:
    """(bundle ids already sent or saved, bundle ids still waiting in the outbox) of the study."""

    try:
        entries = outbox.read_log(data_dir)
    except TallylightError:
        entries = []
    waiting = [p.bundle_id for p in outbox.pending(data_dir) if p.study_id == study_id]
    shared = sorted(
        {e.bundle_id for e in entries if e.study_id == study_id and e.action in ("sent", "saved")}
        - set(waiting)
    )
    return shared, waiting


def _destroy_unsent(bundle_ids: Iterable[str], data_dir: Path | None) -> None:

    wanted = set(bundle_ids)
    for p in outbox.pending(data_dir):
        if p.bundle_id in wanted:
            outbox.remove(p, data_dir)


def _remove_study(d: Path) -> None:
    try:
        for p in [*sorted(d.glob("consent-*.tlc")), d / enrolment.PARTICIPANT_KEY_FILE]:
            shred_file(p)
        shutil.rmtree(d)
    except OSError as exc:
        raise StoreError(
            _("The study's consent could not be removed completely ({strerror}).").format(
                strerror=exc.strerror
            )
        ) from None


# ---------------------------------------------------------------- saying no to a purpose


PURPOSE_RECEIPT_FORMAT = "tallylight-purpose-withdrawal-receipt"


@dataclass(frozen=True)
class PurposeReceipt:
    """What the participant keeps after saying no to purposes while staying in the study."""

    request_id: str
    study_id: str
    study_title: str
    declined_at: str
    purposes_declined: list[str]
    purposes_allowed: list[str]  # what the data may still be used for
    bundles_already_shared: list[str]  # the request asks the researchers to apply it to these too
    request_sha256: str
    request_file: str
    sealed_file: str
    upload_to: str | None
    researcher_contact: str
    format: str = PURPOSE_RECEIPT_FORMAT
    version: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def required_among(study: enrolment.Study, purpose_ids: Iterable[str]) -> list[str]:
    """Those of ``purpose_ids`` the study needs: saying no to one of them is leaving the study."""
    m = study.manifest
    return [pid for pid in purpose_ids if (p := m.purpose(pid)) is not None and p.required]


def declined_under(study_id: str, consent_id: str, data_dir: Path | None = None) -> set[str]:
    """The purposes the participant said no to while ``consent_id`` was their consent record, from
    the purpose withdrawals kept on disk.

    Why: saying no writes no new consent record (that needs the passphrase), so enrolment.json
    alone would hold the "no", and a hand edit there would bring the purpose back. The requests
    stay beside it; a later "yes" is a new consent record, so they no longer apply then.
    """
    out: set[str] = set()
    root = withdrawals_dir(data_dir)
    if not root.is_dir():
        return out
    for path in sorted(root.glob(f"*/{REQUEST_FILE}")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if (
            isinstance(doc, dict)
            and doc.get("format") == withdrawal_request.PURPOSE_REQUEST_FORMAT
            and doc.get("study_id") == study_id
            and doc.get("consent_id") == consent_id
            and isinstance(doc.get("purposes_declined"), list)
        ):
            out.update(str(pid) for pid in doc["purposes_declined"])
    return out


def decline_purposes(
    study_id: str,
    purpose_ids: Iterable[str],
    data_dir: Path | None = None,
    *,
    now: dt.datetime | None = None,
    copy_to: Path | None = None,
) -> PurposeReceipt:
    """Say no to optional purposes and stay in the study: write the signed request for the
    researchers (first, as a withdrawal does), then store the choice, then the receipt.

    Needs no passphrase. A required purpose is refused here (saying no to it is a withdrawal:
    :func:`withdraw`); so is one already declined, or one the study does not have.
    """
    study = enrolment.load(study_id, data_dir)
    m = study.manifest
    wanted = list(dict.fromkeys(purpose_ids))
    if not wanted:
        raise UsageError(_("Name a purpose to say no to."))
    enrolment.refuse_unknown_purposes(m, wanted)
    required = required_among(study, wanted)
    if required:
        raise StudyError(
            _(
                "The study needs the purpose {purpose!r}; saying no to it means withdrawing from the "
                "study (tallylight study withdraw {study_id})."
            ).format(purpose=required[0], study_id=study_id)
        )
    current = study.purposes()
    already = [pid for pid in wanted if not current[pid]]
    if already:
        raise StudyError(
            _("You already said no to the purpose {purpose!r}; nothing changed.").format(purpose=already[0])
        )
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    stamp = when.isoformat().replace("+00:00", "Z")
    shared, _waiting = _bundles(study_id, data_dir)
    remaining = [pid for pid, yes in current.items() if yes and pid not in wanted]
    request_id = str(uuid.uuid4())
    e = study.enrolment
    request = {
        "format": withdrawal_request.PURPOSE_REQUEST_FORMAT,
        "version": 1,
        "request_id": request_id,
        "study_id": study_id,
        "study_version": e.study_version,
        "manifest_hash": e.manifest_hash,
        "participant_id": e.participant_id,
        "consent_id": e.consent_id,
        "purposes_declined": wanted,
        "purposes_allowed": remaining,
        "declined_at": stamp,
        "request": "The participant stays in this study but no longer allows their data to be used for "
        "the purposes listed in purposes_declined, from now on and for the bundles already shared "
        "(listed here). Data may still be used for purposes_allowed.",
        "bundles_shared": shared,
        "app_version": __version__,
    }
    seed = enrolment.signing_key(study_id, data_dir)
    body = (json.dumps(request, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    out = paths.ensure_private_dir(withdrawals_dir(data_dir) / request_id)
    sealed_path = out / SEALED_FILE
    try:
        atomic_write(out / REQUEST_FILE, body)
        atomic_write(sealed_path, withdrawal_request.seal(request, seed, m.recipients))
        if m.upload_url:
            atomic_write(out / UPLOAD_FILE, json.dumps({"url": m.upload_url, "sent": False}).encode("utf-8"))
    except OSError as exc:
        raise storage_error(exc, _("writing the purpose withdrawal")) from None
    enrolment.save_purposes(study, dict.fromkeys(wanted, False))
    receipt = PurposeReceipt(
        request_id=request_id,
        study_id=study_id,
        study_title=str(m.title),
        declined_at=stamp,
        purposes_declined=wanted,
        purposes_allowed=remaining,
        bundles_already_shared=shared,
        request_sha256=hashlib.sha256(body).hexdigest(),
        request_file=str(out / REQUEST_FILE),
        sealed_file=str(sealed_path),
        upload_to=m.upload_url,
        researcher_contact=m.researcher.contact,
    )
    try:
        atomic_write(out / RECEIPT_FILE, (json.dumps(receipt.to_dict(), indent=2) + "\n").encode("utf-8"))
        if copy_to is not None:
            copy_to.mkdir(parents=True, exist_ok=True)
            atomic_write(copy_to / f"{request_id}-{sealed_path.name}", sealed_path.read_bytes())
            atomic_write(copy_to / f"{request_id}-{RECEIPT_FILE}", (out / RECEIPT_FILE).read_bytes())
    except OSError as exc:
        raise storage_error(exc, _("writing the receipt")) from None
    return receipt


# ---------------------------------------------------------------- the upload hook


def pending_uploads(data_dir: Path | None = None) -> list[PendingRequest]:
    """Withdrawal requests still to be sent to their study's upload target (oldest first)."""
    root = withdrawals_dir(data_dir)
    out = []
    for d in sorted(root.iterdir()) if root.is_dir() else []:
        try:
            upload = safejson.loads((d / UPLOAD_FILE).read_text("utf-8"))
            request = safejson.loads((d / REQUEST_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(upload, dict) and not upload.get("sent") and isinstance(upload.get("url"), str):
            path = d / SEALED_FILE if (d / SEALED_FILE).exists() else d / REQUEST_FILE
            out.append(PendingRequest(d.name, str(request.get("study_id")), path, upload["url"]))
    return out


def mark_sent(request_id: str, answer: str, data_dir: Path | None = None) -> None:
    """Record that the request reached the researcher's server (and what it answered)."""
    d = withdrawals_dir(data_dir) / str(uuid.UUID(request_id))
    try:
        upload = safejson.loads((d / UPLOAD_FILE).read_text("utf-8"))
        upload.update(sent=True, answer=answer[:500])
        atomic_write(d / UPLOAD_FILE, json.dumps(upload).encode("utf-8"))
    except (OSError, ValueError) as exc:
        raise StudyError(
            _("The withdrawal request {request_id} cannot be updated ({exc}).").format(
                request_id=request_id, exc=exc
            )
        ) from None
