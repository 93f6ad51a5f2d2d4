"""Removing a participant from every table of a dataset (a verified withdrawal request).

Every table ``tallylight-lab`` writes (events, sessions, trials, features, the
feature tables, and any added later) is hive-partitioned by study / participant /
session, so a participant's rows are exactly the ``participant=<id>`` folders
below each table. Removal finds those folders wherever they are, so a table
added later is covered without a change here. Then a tombstone
(tallylight.lab.ledger) makes ``open`` and ``open --reopen`` refuse that
participant's bundles from then on.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from tallylight.errors import BundleError
from tallylight.lab import ledger
from tallylight.share.withdrawal_request import Request


@dataclass
class Report:
    """What a withdrawal removed from the dataset."""

    participant: str
    study: str
    request_id: str
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows removed
    sessions: list[str] = field(default_factory=list)
    bundles: list[str] = field(default_factory=list)
    already: bool = False  # the participant had withdrawn before (nothing more to remove)
    #: a purpose withdrawal that declined these required purposes, applied as this withdrawal
    required_declined: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        head = f"Participant {self.participant} (study {self.study}), request {self.request_id}:"
        out = [head]
        if self.required_declined:
            out.append(
                "  a purpose withdrawal declining the required purpose(s) "
                f"{', '.join(self.required_declined)}: "
                "declining a required purpose is a withdrawal from the study, so it is applied as one"
            )
        if self.already:
            return [*out, "  withdrew before; nothing more to remove."]
        for table, n in sorted(self.rows.items()):
            out.append(f"  {table}: {n:,} row(s) removed")
        if not self.rows:
            out.append("  no rows in this dataset")
        out.append(f"  sessions removed: {', '.join(self.sessions) or 'none'}")
        out.append(f"  bundles forgotten: {', '.join(self.bundles) or 'none'}")
        out.append("  tombstone written: their bundles are refused from now on, also by --reopen")
        return out


def _tables(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def _rows(folder: Path) -> int:
    import pyarrow.parquet as pq

    n = 0
    for f in folder.rglob("*.parquet"):
        try:
            n += pq.ParquetFile(f).metadata.num_rows
        except (OSError, ValueError):
            continue
    return n


def check_request(out: Path, request: Request, studies: set[str] | None = None) -> None:
    """Refuse a request whose key is not the participant's pinned key (or of another study)."""
    from tallylight.share.bundle import safe_name

    if not safe_name(request.participant_id) or not safe_name(request.study_id):
        raise BundleError("The request's participant or study id is not a plain name; it is refused.")
    if studies is not None and request.study_id not in studies:
        raise BundleError(f"The request is for study {request.study_id}, which this dataset does not hold.")
    pinned = ledger.view(out).pins.get(request.participant_id)
    if pinned is not None and pinned != request.public_key:
        raise BundleError(
            f"The request claims participant {request.participant_id} but is signed by another key than "
            "their bundles; it is refused."
        )


def remove_participant(out: Path, request: Request, now: dt.datetime | None = None) -> Report:
    """Delete every row of the request's participant, forget their bundles, write the tombstone."""
    if request.is_purpose_withdrawal:
        raise BundleError("This is a purpose withdrawal (the participant stays); it removes no participant.")
    check_request(out, request)
    return _remove(out, request, now)


def _remove(
    out: Path, request: Request, now: dt.datetime | None, required: list[str] | None = None
) -> Report:
    pid, study = request.participant_id, request.study_id
    report = Report(pid, study, request.request_id, required_declined=list(required or []))
    if pid in ledger.load_withdrawn(out):
        report.already = True
    for table in _tables(out):
        folders = [p for p in table.rglob(f"participant={pid}") if p.is_dir()]
        folders = [p for p in folders if f"study={study}" in p.parts]
        n = 0
        for folder in folders:
            n += _rows(folder)
            for s in folder.glob("session=*"):
                report.sessions.append(s.name.removeprefix("session="))
            shutil.rmtree(folder)
        if folders:
            report.rows[table.name] = n
    report.sessions = sorted(set(report.sessions))
    bundles = {bid for bid, e in ledger.load_bundles(out).items() if e.get("participant") == pid}
    ledger.forget_bundles(out, bundles)
    report.bundles = sorted(bundles)
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    ledger.write_tombstone(
        out,
        {
            "participant": pid,
            "study": study,
            "request_id": request.request_id,
            "participant_public_key": request.public_key,
            "withdrawn_at": str(request.doc.get("withdrawn_at") or request.doc.get("declined_at") or ""),
            **({"required_purposes_declined": report.required_declined} if report.required_declined else {}),
            "applied_utc": when.isoformat().replace("+00:00", "Z"),
            "rows_removed": report.rows,
            "sessions_removed": report.sessions,
            "bundles_forgotten": report.bundles,
        },
    )
    return report


# ---------------------------------------------------------------- purpose withdrawals


@dataclass
class PurposeReport:
    """What a purpose withdrawal changed in the dataset (the participant stays in it)."""

    participant: str
    study: str
    request_id: str
    declined: list[str]
    changed: list[str] = field(default_factory=list)  # sessions whose purposes lost them
    dataset_purpose: str | None = None
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows removed (a dataset for one purpose)
    removed: list[str] = field(default_factory=list)  # sessions removed from such a dataset
    unknown: list[str] = field(default_factory=list)  # declined ids no manifest of the study has

    def lines(self) -> list[str]:
        out = [
            f"Participant {self.participant} (study {self.study}), request {self.request_id}: "
            f"no longer allows {', '.join(self.declined)}",
        ]
        if self.unknown:
            out.append(
                f"  not a purpose of any manifest of the study given so far: {', '.join(self.unknown)} "
                "(remembered as declined all the same; check the request with the participant)"
            )
        out.append(f"  sessions whose purposes changed: {', '.join(self.changed) or 'none in this dataset'}")
        if self.dataset_purpose is not None:
            if self.removed:
                for table, n in sorted(self.rows.items()):
                    out.append(f"  {table}: {n:,} row(s) removed")
                removed = ", ".join(self.removed)
                out.append(f"  this dataset is for {self.dataset_purpose}: sessions removed: {removed}")
            else:
                out.append(f"  this dataset is for {self.dataset_purpose}: nothing to remove")
        out.append("  remembered: their bundles opened from now on carry this choice, also by --reopen")
        if self.changed:
            out.append(
                "  the purposes column is updated; the consent column keeps each bundle's consent as it "
                "was shared (the purposes column is the one to filter on)"
            )
        return out


def refresh_purposes(out: Path, participant: str, study: str) -> list[str]:
    """Rewrite the ``purposes`` of a participant's session rows from their bundles' consent less
    what they declined later (tallylight.lab.ledger); the sessions whose purposes shrank."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    declined = ledger.load_declines(out).get(participant, {})
    if not declined:
        return []
    created = {bid: str(e.get("created_utc", "")) for bid, e in ledger.load_bundles(out).items()}
    changed = []
    folder = out / "sessions" / f"study={study}" / f"participant={participant}"
    for path in sorted(folder.glob("session=*/*.parquet")) if folder.is_dir() else []:
        table = pq.read_table(path)
        if "purposes" not in table.column_names:
            continue
        before = table.column("purposes").to_pylist()
        bundles = table.column("bundle_id").to_pylist()
        after = [
            ledger.effective_purposes(list(p or []), declined, created.get(str(b), ""))
            for p, b in zip(before, bundles, strict=True)
        ]
        if after == before:
            continue
        i = table.column_names.index("purposes")
        table = table.set_column(i, "purposes", pa.array(after, pa.list_(pa.string())))
        tmp = path.with_name(f".{path.name}.tmp")
        pq.write_table(table, tmp)
        tmp.replace(path)
        changed.append(path.parent.name.removeprefix("session="))
    return changed


def _session_purposes(out: Path, participant: str, study: str) -> dict[str, set[str]]:
    import pyarrow.parquet as pq

    found: dict[str, set[str]] = {}
    folder = out / "sessions" / f"study={study}" / f"participant={participant}"
    for path in sorted(folder.glob("session=*/*.parquet")) if folder.is_dir() else []:
        table = pq.read_table(path, columns=["purposes"])
        sid = path.parent.name.removeprefix("session=")
        found[sid] = {p for row in table.column("purposes").to_pylist() for p in row or []}
    return found


def _manifest_hashes(out: Path, participant: str, study: str) -> set[str]:
    """The manifests the participant's sessions in the dataset were shared under."""
    import pyarrow.parquet as pq

    found: set[str] = set()
    base = out / "sessions" / f"study={study}" / f"participant={participant}"
    for path in sorted(base.glob("session=*")) if base.is_dir() else []:
        try:
            table = pq.read_table(path, columns=["manifest_sha256"])
        except (OSError, ValueError, KeyError):
            continue
        found.update(str(h) for h in table.column("manifest_sha256").to_pylist() if h)
    return found


def required_declined(out: Path, request: Request) -> tuple[list[str], list[str]]:
    """Which purposes a purpose withdrawal declines that the study requires, and which ids no
    manifest of the study has; BundleError when the dataset was never given a manifest of the
    study (then it cannot tell whether the request is a withdrawal from the study).

    Required means: in a manifest the participant's sessions here were shared under (any
    manifest of the study given so far when none of theirs is here)."""
    study = request.study_id
    known = ledger.manifest_purposes(out, study)
    if not known:
        raise BundleError(
            f"This dataset does not know which purposes study {study} requires (declining a required "
            "one is a withdrawal from the study): give the study's manifest with --manifest and apply "
            "the request again."
        )
    theirs = _manifest_hashes(out, request.participant_id, study) & set(known)
    required = set().union(*(known[h][1] for h in theirs or known))
    every = set().union(*(ids for ids, _req in known.values()))
    declined = list(request.purposes_declined)
    return [p for p in declined if p in required], [p for p in declined if p not in every]


def decline_purposes(out: Path, request: Request, now: dt.datetime | None = None) -> PurposeReport | Report:
    """Apply a verified purpose withdrawal: remember it, take the purposes off the participant's
    session rows, and in a dataset opened for one of them remove those sessions from every table.

    One that declines a required purpose (the app never sends one, but a participant's key can
    sign one) is a withdrawal from the study, as the participant was told: it is applied as one,
    and the Report says why."""
    check_request(out, request)
    required, unknown = required_declined(out, request)
    if required:
        return _remove(out, request, now, required)
    pid, study = request.participant_id, request.study_id
    declined = list(request.purposes_declined)
    when = str(request.doc.get("declined_at", ""))
    ledger.add_declines(out, pid, study, dict.fromkeys(declined, when), request.request_id)
    report = PurposeReport(pid, study, request.request_id, declined, unknown=unknown)
    report.changed = refresh_purposes(out, pid, study)
    purpose = ledger.dataset_purpose(out)
    report.dataset_purpose = purpose
    if purpose is not None:
        drop = sorted(sid for sid, ps in _session_purposes(out, pid, study).items() if purpose not in ps)
        report.removed = drop
        report.rows = remove_sessions(out, pid, study, drop)
    return report


def remove_sessions(out: Path, participant: str, study: str, sessions: list[str]) -> dict[str, int]:
    """Delete these sessions of a participant from every table (table -> rows removed)."""
    rows: dict[str, int] = {}
    for table in _tables(out):
        base = table / f"study={study}" / f"participant={participant}"
        n, hit = 0, False
        for sid in sessions:
            folder = base / f"session={sid}"
            if folder.is_dir():
                hit = True
                n += _rows(folder)
                shutil.rmtree(folder)
        if hit:
            rows[table.name] = n
        if base.is_dir() and not any(base.iterdir()):
            base.rmdir()
    return rows
