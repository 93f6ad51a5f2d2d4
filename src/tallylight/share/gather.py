"""What goes into a bundle, gathered from the participant's store: a joined study's sessions.

Only sessions recorded for the study are accepted; nothing is shared from
personal mode (a session without a study). Reading needs the unlocked vault;
nothing is written here, so a preview can be shown before anything leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import tallylight
from tallylight import words
from tallylight.errors import ShareError
from tallylight.i18n import _
from tallylight.options import CaptureOptions, narrow
from tallylight.share import environment, withdrawal
from tallylight.share.bundle import BundleInputs, SessionPart, StudyRef
from tallylight.store import sessions as store
from tallylight.store.vault import UnlockedVault
from tallylight.study import enrolment


def study_ref(study_id: str, data_dir: Path | None = None) -> StudyRef:
    """The joined study as a bundle needs it (StudyError if not joined or no longer valid)."""
    study = enrolment.load(study_id, data_dir)
    m = study.manifest
    return StudyRef(
        study_id=study.study_id,
        manifest_sha256=study.enrolment.manifest_hash,
        recipients=tuple(m.recipients),
        title=str(m.title),
        version=m.version,
        upload_url=m.upload_url,
        tasks=tuple(t.id for t in m.tasks),
        purposes=m.purposes,
    )


def session_study(session_id: str, study: enrolment.Study, info: Any) -> bool:
    """Was the session recorded for this study? (its header says so, or the study lists it)."""
    recorded_for = getattr(info, "study_id", "") if info is not None else ""
    if recorded_for:
        return bool(recorded_for == study.study_id)
    return session_id in study.session_ids()


def _check_within_consent(session_id: str, info: Any, study: enrolment.Study, vault: UnlockedVault) -> None:
    """Refuse a session that captured more than its (encrypted) consent record allows.

    The recorder narrows to ``enrolment.json``, which is plain so that recording needs no
    passphrase; a hand edit there could widen a recording, but never what leaves.
    """
    record = enrolment.read_consent(study, vault, getattr(info, "consent_id", "") or None)
    allowed = CaptureOptions.from_dict(record.capture)
    captured = info.options
    within = narrow(allowed, captured)
    if within != captured:
        over = [
            words.narrowed_option(name, value, words.CONSENT_CEILING)
            for name, value in within.to_dict().items()
            if value != captured.to_dict()[name]
        ]
        raise ShareError(
            _("Session {session_id} captured more than you consented to ({items}); it is not shared.").format(
                session_id=session_id, items="; ".join(over)
            )
        )


def gather(
    study_id: str,
    session_ids: Sequence[str],
    vault: UnlockedVault,
    data_dir: Path | None = None,
    probe: Callable[[], dict[str, Any]] = environment.probe,
) -> BundleInputs:
    """Read and check everything a bundle of these sessions holds (ShareError names what is wrong)."""
    if not session_ids:
        raise ShareError(_("Choose at least one session to share."))
    study = enrolment.load(study_id, data_dir)
    ref = study_ref(study_id, data_dir)
    parts = []
    for sid in dict.fromkeys(session_ids):
        summary = store.summary(sid, None, data_dir)
        if summary.recording:
            raise ShareError(
                _("Session {sid} is still being recorded; stop it before sharing it.").format(sid=sid)
            )
        data = store.read(sid, vault, data_dir)
        if data.info is None:
            raise ShareError(
                _("Session {sid} has no description record and cannot be shared.").format(sid=sid)
            )
        if not session_study(sid, study, data.info):
            raise ShareError(
                _(
                    "Session {sid} was not recorded for this study (personal mode, or another study); "
                    "nothing is shared from personal mode."
                ).format(sid=sid)
            )
        _check_within_consent(sid, data.info, study, vault)
        rep = data.report
        parts.append(
            SessionPart(
                data.info,
                rep.verdict.value,
                rep.problem,
                data.columns(),
                rep.stop_reason,
                timing=data.timing,
                trials=tuple(data.trials),
            )
        )
    record = enrolment.read_consent(study, vault)
    consent = record.to_dict()
    # what the data may be used for at the time of sharing: the record's choice, less any
    # purpose declined since (docs/BUNDLE.md, consent.purposes)
    allowed = set(study.allowed_purposes(record)) - withdrawal.declined_under(
        study_id, record.consent_id, data_dir
    )
    consent["purposes"] = {pid: pid in allowed for pid in study.purposes()}
    return BundleInputs(
        study=ref,
        participant_id=study.enrolment.participant_id,
        consent=consent,
        sessions=parts,
        app_version=tallylight.__version__,
        environment=probe(),
        participant_key=enrolment.signing_key(study_id, data_dir),
    )
