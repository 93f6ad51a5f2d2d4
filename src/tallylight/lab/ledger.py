"""What a dataset remembers besides its rows: bundles opened, participant keys, withdrawals.

    OUT/_bundles.json            bundles opened by unsharded runs (bundle id -> entry)
    OUT/_bundles.K-of-N.json     the same, written by ``open --shard K/N`` (one file per shard,
                                 so N runs at once never write the same file)
    OUT/_withdrawn/<participant>.json   a tombstone per withdrawn participant
    OUT/_purposes/<participant>.json    purposes a participant declined later (purpose withdrawals)
    OUT/_dataset.json            what the dataset is for: {"purpose": id} after ``open --purpose``
    OUT/_studies/<study>.json    each manifest given to ``open``/``withdraw --manifest``: its
                                 purpose ids and which are required (a purpose withdrawal that
                                 declines a required one is a withdrawal from the study)

Files and folders starting with ``_`` are skipped by dataset readers (pyarrow,
DuckDB, polars). The registry is the union of every ``_bundles*.json``.

**Pinning** (docs/BUNDLE.md, "Who made a bundle"): a participant id belongs to the
public key of the first bundle opened for it (the earliest entry); a bundle that
claims the participant with another key, or no key, is refused. **Replacing**: a
bundle that holds a session already opened from another bundle of the same key
replaces those rows when it is newer (``created_utc``), and is refused when older.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tallylight import safejson
from tallylight.fsutil import atomic_write

REGISTRY = "_bundles.json"
TOMBSTONES = "_withdrawn"
DECLINES = "_purposes"
DATASET = "_dataset.json"
STUDIES = "_studies"


def registry_name(shard: tuple[int, int] | None) -> str:
    return REGISTRY if shard is None else f"_bundles.{shard[0]}-of-{shard[1]}.json"


@dataclass(frozen=True)
class View:
    """What a worker needs to judge a bundle (plain values: it crosses to worker processes)."""

    pins: dict[str, str] = field(default_factory=dict)  # participant -> public key
    sessions: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # sid -> (bundle, created, pid)
    withdrawn: dict[str, str] = field(default_factory=dict)  # participant -> when
    #: participant -> purpose -> when they declined it (a purpose withdrawal)
    declined: dict[str, dict[str, str]] = field(default_factory=dict)


def _read_json(path: Path) -> Any:
    try:
        return safejson.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def load_bundles(out: Path) -> dict[str, dict[str, Any]]:
    """Every bundle entry of every registry file (an entry met twice: the first file's, by name)."""
    merged: dict[str, dict[str, Any]] = {}
    for path in sorted(out.glob("_bundles*.json")):
        doc = _read_json(path)
        bundles = doc.get("bundles") if isinstance(doc, dict) else None
        if isinstance(bundles, dict):
            for bid, entry in bundles.items():
                if isinstance(entry, dict):
                    merged.setdefault(str(bid), entry)
    return merged


def load_withdrawn(out: Path) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    folder = out / TOMBSTONES
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        doc = _read_json(path)
        if isinstance(doc, dict) and isinstance(doc.get("participant"), str):
            found[doc["participant"]] = doc
    return found


def _order(entry: Mapping[str, Any]) -> tuple[str, str]:
    return str(entry.get("opened_utc", "")), str(entry.get("created_utc", ""))


def view(out: Path) -> View:
    """Pins, sessions and tombstones as the dataset holds them now."""
    bundles = load_bundles(out)
    pins: dict[str, str] = {}
    sessions: dict[str, tuple[str, str, str]] = {}
    for bid, e in sorted(bundles.items(), key=lambda kv: _order(kv[1])):
        pid, signer = str(e.get("participant", "")), str(e.get("signer", ""))
        if pid and signer:
            pins.setdefault(pid, signer)
        for sid in e.get("sessions") or []:
            seen = sessions.get(str(sid))
            if seen is None or str(e.get("created_utc", "")) >= seen[1]:
                sessions[str(sid)] = (bid, str(e.get("created_utc", "")), pid)
    withdrawn = {p: str(t.get("withdrawn_at", "")) for p, t in load_withdrawn(out).items()}
    return View(pins, sessions, withdrawn, load_declines(out))


@dataclass(frozen=True)
class Verdict:
    refused: str = ""  # why, or "" when the bundle may be written
    replaces: tuple[str, ...] = ()  # bundle ids whose sessions this one replaces


def judge(
    v: View, participant: str, signer: str, bundle_id: str, created_utc: str, session_ids: list[str]
) -> Verdict:
    """Whether a verified bundle may be written into the dataset (pure)."""
    if participant in v.withdrawn:
        return Verdict(f"participant {participant} withdrew from the study ({v.withdrawn[participant]})")
    if not signer:
        return Verdict("it is not signed by a participant key (made by a Tallylight before keys existed)")
    pinned = v.pins.get(participant)
    if pinned is not None and pinned != signer:
        return Verdict(
            f"it claims participant {participant} but is signed by another key than that participant's "
            "bundles (a forged or foreign bundle)"
        )
    replaces: list[str] = []
    for sid in session_ids:
        seen = v.sessions.get(sid)
        if seen is None or seen[0] == bundle_id:
            continue
        old_bundle, old_created, old_pid = seen
        if old_pid != participant:
            return Verdict(f"its session {sid} belongs to another participant in this dataset")
        if created_utc < old_created:
            return Verdict(f"a newer bundle ({old_bundle}) of its session {sid} was opened already")
        replaces.append(old_bundle)
    return Verdict("", tuple(dict.fromkeys(replaces)))


def save_bundles(out: Path, bundles: Mapping[str, Any], shard: tuple[int, int] | None) -> None:
    """Write this run's registry file (the shard's own, or the unsharded one)."""
    path = out / registry_name(shard)
    doc = _read_json(path)
    current: dict[str, Any] = {}
    if isinstance(doc, dict) and isinstance(doc.get("bundles"), dict):
        current = doc["bundles"]
    current.update(bundles)
    body = json.dumps({"bundles": current}, indent=1, sort_keys=True).encode("utf-8")
    atomic_write(path, body, mode=0o600)


def forget_bundles(out: Path, bundle_ids: set[str]) -> None:
    """Remove bundles from every registry file (their rows were deleted)."""
    for path in sorted(out.glob("_bundles*.json")):
        doc = _read_json(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("bundles"), dict):
            continue
        kept = {k: v for k, v in doc["bundles"].items() if k not in bundle_ids}
        if len(kept) != len(doc["bundles"]):
            atomic_write(path, json.dumps({"bundles": kept}, indent=1, sort_keys=True).encode(), mode=0o600)


def write_tombstone(out: Path, doc: Mapping[str, Any]) -> None:
    folder = out / TOMBSTONES
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    body = json.dumps(dict(doc), indent=1, sort_keys=True).encode("utf-8")
    atomic_write(folder / f"{doc['participant']}.json", body, mode=0o600)


def update_entries(out: Path, changes: Mapping[str, Mapping[str, Any]]) -> None:
    """Merge ``changes`` into the named bundles' entries, in whichever registry file holds each."""
    for path in sorted(out.glob("_bundles*.json")):
        doc = _read_json(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("bundles"), dict):
            continue
        hit = [bid for bid in changes if isinstance(doc["bundles"].get(bid), dict)]
        for bid in hit:
            doc["bundles"][bid].update(changes[bid])
        if hit:
            atomic_write(path, json.dumps(doc, indent=1, sort_keys=True).encode("utf-8"), mode=0o600)


# ---------------------------------------------------------------- purposes


def load_declines(out: Path) -> dict[str, dict[str, str]]:
    """participant -> purpose -> when they declined it, from every applied purpose withdrawal."""
    found: dict[str, dict[str, str]] = {}
    folder = out / DECLINES
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        doc = _read_json(path)
        declined = doc.get("declined") if isinstance(doc, dict) else None
        if isinstance(doc, dict) and isinstance(doc.get("participant"), str) and isinstance(declined, dict):
            found[doc["participant"]] = {str(k): str(v) for k, v in declined.items()}
    return found


def add_declines(
    out: Path, participant: str, study: str, declined: Mapping[str, str], request_id: str
) -> None:
    """Remember purposes a participant declined (merged with earlier ones; the earliest time kept)."""
    folder = out / DECLINES
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"{participant}.json"
    doc = _read_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("declined"), dict):
        doc = {"participant": participant, "study": study, "declined": {}, "requests": []}
    for purpose, when in declined.items():
        doc["declined"].setdefault(purpose, when)
    if request_id not in doc.setdefault("requests", []):
        doc["requests"].append(request_id)
    atomic_write(path, json.dumps(doc, indent=1, sort_keys=True).encode("utf-8"), mode=0o600)


def effective_purposes(purposes: list[str], declined: Mapping[str, str], created_utc: str) -> list[str]:
    """A bundle's purposes less those its participant declined after making it (pure).

    A bundle made after a purpose withdrawal carries the participant's later choice in its
    own consent, so only bundles made before the withdrawal lose the purpose.
    """
    return [p for p in purposes if not (p in declined and created_utc <= declined[p])]


def dataset_purpose(out: Path) -> str | None:
    """The purpose a dataset was opened for (``open --purpose``), or None for every purpose."""
    doc = _read_json(out / DATASET)
    purpose = doc.get("purpose") if isinstance(doc, dict) else None
    return purpose if isinstance(purpose, str) and purpose else None


def set_dataset_purpose(out: Path, purpose: str) -> None:
    atomic_write(out / DATASET, json.dumps({"purpose": purpose}).encode("utf-8"), mode=0o600)


def add_manifest_purposes(
    out: Path, study: str, manifest_hash: str, purposes: list[str], required: list[str]
) -> None:
    """Remember a manifest's purposes and which it requires: bundles carry only yes/no per
    purpose, so this is how ``withdraw`` knows that a declined purpose was a required one."""
    folder = out / STUDIES
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"{study}.json"
    doc = _read_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("manifests"), dict):
        doc = {"study": study, "manifests": {}}
    entry = {"purposes": list(purposes), "required": list(required)}
    if doc["manifests"].get(manifest_hash) == entry:
        return
    doc["manifests"][manifest_hash] = entry
    atomic_write(path, json.dumps(doc, indent=1, sort_keys=True).encode("utf-8"), mode=0o600)


def manifest_purposes(out: Path, study: str) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """manifest hash -> (its purpose ids, the required ones), for every manifest of the study
    given so far; empty when none was (the dataset cannot tell which purposes are required)."""
    doc = _read_json(out / STUDIES / f"{study}.json")
    manifests = doc.get("manifests") if isinstance(doc, dict) else None
    found: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
    for h, e in manifests.items() if isinstance(manifests, dict) else []:
        if (
            isinstance(e, dict)
            and isinstance(e.get("purposes"), list)
            and isinstance(e.get("required"), list)
        ):
            found[str(h)] = (frozenset(map(str, e["purposes"])), frozenset(map(str, e["required"])))
    return found
