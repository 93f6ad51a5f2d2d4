"""``tallylight-lab open BUNDLE… --identity FILE --out DIR``: bundles into one Parquet dataset.

Bundles are opened in worker processes, several at once, each bundle under a
memory and a time limit (tallylight.lab.isolate): a bad, foreign, duplicate or
hostile bundle (a zip bomb, a parser that runs out of memory) is reported and
skipped without stopping the others, and the registry is saved whatever happens.
Every bundle is judged against the dataset's ledger (tallylight.lab.ledger): a
participant's key is pinned, a withdrawn participant refused, and a session
another bundle already brought is written over only by a newer bundle from the
same key (a replacement, reported). Withdrawal requests among the bundles are
applied after them.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tallylight.errors import BundleError, UsageError
from tallylight.lab import ledger

if TYPE_CHECKING:
    from rich.console import Console

    from tallylight.lab.dataset import Outcome, StudyCheck
    from tallylight.lab.isolate import Setup
    from tallylight.study.manifest import SignedManifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "open",
        help="decrypt and verify bundles into one Parquet dataset (study/participant/session)",
        description="Decrypt bundles with your age identity, verify them, check them against the "
        "study manifest(s), and write them into one hive-partitioned Parquet dataset under DIR.",
    )
    p.add_argument("bundles", metavar="BUNDLE", nargs="+", type=Path, help="bundle files or folders of them")
    p.add_argument("--identity", metavar="FILE", type=Path, required=True, help="age identity (identity.txt)")
    p.add_argument("--out", metavar="DIR", type=Path, required=True, help="the dataset folder")
    p.add_argument(
        "--manifest",
        metavar="FILE",
        type=Path,
        action="append",
        default=[],
        help="the signed study manifest (repeat for several studies or versions); bundles of other "
        "studies or manifests are refused",
    )
    p.add_argument("--jobs", type=int, default=0, help="worker processes (default: one per core)")
    p.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="refuse a bundle whose opening takes longer than this (default: 900)",
    )
    p.add_argument(
        "--max-memory",
        type=int,
        default=None,
        metavar="MIB",
        help="refuse a bundle whose opening needs more memory than this (default: no limit but the system's)",
    )
    p.add_argument("--reopen", action="store_true", help="rewrite bundles opened before (no duplicate rows)")
    p.add_argument(
        "--purpose",
        metavar="ID",
        help="keep only sessions whose participant allowed this purpose (such as model-training); the "
        "dataset is then for that purpose only, and a later purpose withdrawal removes from it",
    )
    p.add_argument(
        "--shard",
        metavar="K/N",
        type=parse_shard,
        help="open only the K-th of N deterministic parts of the bundles (1 <= K <= N), so that N runs, "
        "on one machine or many, write one dataset without conflicts",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _expand(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.iterdir() if q.is_file() and q.name.endswith(".age")))
        else:
            out.append(p)
    return out


def _studies(manifests: list[Path]) -> dict[str, StudyCheck] | None:
    from tallylight.lab.dataset import StudyCheck

    if not manifests:
        return None
    found: dict[str, StudyCheck] = {}
    for path in manifests:
        signed = _load_manifest(path)
        old = found.get(signed.study_id)
        hashes = {signed.hash} | (set(old.manifest_hashes) if old else set())
        recips = set(signed.manifest.recipients) | (set(old.recipients) if old else set())
        ids = frozenset(p.id for p in signed.manifest.purposes)
        asked = {**(old.purposes if old else {}), signed.hash: ids}
        found[signed.study_id] = StudyCheck(signed.study_id, frozenset(hashes), frozenset(recips), asked)
    return found


def _load_manifest(path: Path) -> SignedManifest:
    """A manifest given on the command line, read and verified (a file that cannot be read is
    a usage error, one that does not verify raises the manifest's own error)."""
    from tallylight.study import manifest as mf

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"Cannot read the manifest {path} ({exc.strerror}).") from None
    return mf.load(raw)


def record_manifests(out: Path, manifests: list[Path]) -> None:
    """Remember each manifest's purposes and the required ones in the dataset
    (tallylight.lab.ledger): a purpose withdrawal is checked against them."""
    from tallylight.lab import ledger

    for path in manifests:
        signed = _load_manifest(path)
        ps = signed.manifest.purposes
        ledger.add_manifest_purposes(
            out, signed.study_id, signed.hash, [p.id for p in ps], [p.id for p in ps if p.required]
        )


class _Decider:
    """Whether a ready bundle may be written, from the ledger and what this run wrote before it.

    Pins, tombstones and replacements follow tallylight.lab.ledger.judge; within a run,
    the first bundle decided for a new participant pins their key.
    """

    def __init__(
        self, registry: dict[str, Any], reopen: bool, view: ledger.View, purpose: str | None = None
    ) -> None:
        self.known = set() if reopen else set(registry["bundles"])
        self.view = view
        self.purpose = purpose
        self.this_run: set[str] = set()
        self.replaces: dict[str, list[str]] = {}  # bundle id -> bundles it replaces (the worker's
        # final outcome is a new object, so the decision is kept here)

    def __call__(self, o: Outcome) -> tuple[str, str] | None:
        if o.bundle_id in self.this_run:
            return "duplicate", "another file held the same bundle; its rows were written once"
        if o.bundle_id in self.known:
            return "duplicate", "this bundle was opened before; skipped"
        verdict = ledger.judge(self.view, o.participant_id, o.signer, o.bundle_id, o.created_utc, o.sessions)
        if verdict.refused:
            return "refused", verdict.refused
        if self.purpose is not None:
            allowed = ledger.effective_purposes(
                o.purposes, self.view.declined.get(o.participant_id, {}), o.created_utc
            )
            if self.purpose not in allowed:
                return "left out", f"its participant did not allow the purpose {self.purpose}"
        self.replaces[o.bundle_id] = list(verdict.replaces)
        self.this_run.add(o.bundle_id)
        self.view.pins.setdefault(o.participant_id, o.signer)
        self.view.sessions.update((sid, (o.bundle_id, o.created_utc, o.participant_id)) for sid in o.sessions)
        return None


def _register(registry: dict[str, Any], o: Outcome, opened_utc: str) -> None:
    registry["bundles"][o.bundle_id] = {
        "sha256": o.sha256,
        "study": o.study_id,
        "participant": o.participant_id,
        "signer": o.signer,
        "created_utc": o.created_utc,
        "opened_utc": opened_utc,
        "sessions": o.sessions,
        "rows": o.rows,
        "file": Path(o.path).name,
    }
    for old in o.replaces:  # the older bundle no longer holds those sessions' rows
        entry = registry["bundles"].get(old)
        if isinstance(entry, dict):
            entry["sessions"] = [sid for sid in entry.get("sessions") or [] if sid not in o.sessions]
            entry["replaced_by"] = o.bundle_id


def _dataset_purpose(out: Path, asked: str | None, registry: dict[str, Any]) -> str | None:
    """The purpose this run keeps sessions for: --purpose, or the one the dataset was opened for.

    A dataset is for one purpose or for all from its first bundle on, so a purpose withdrawal
    knows whether to take a purpose off rows or remove them.
    """
    from tallylight.study.manifest import is_id

    has = ledger.dataset_purpose(out)
    if asked is not None and not is_id(asked):
        raise UsageError(f"--purpose {asked!r} is not a purpose id (such as model-training).")
    if asked is None:
        if has is not None:
            print(f"This dataset is for the purpose {has}: only sessions allowed for it are opened.")
        return has
    if has is not None and has != asked:
        raise UsageError(
            f"{out} is a dataset for the purpose {has}; open the bundles for {asked} into another folder."
        )
    if has is None and registry["bundles"]:
        raise UsageError(
            f"{out} already holds sessions for every purpose; open the bundles for {asked} into a new folder."
        )
    ledger.set_dataset_purpose(out, asked)
    return asked


def _refresh_purposes(out: Path, opened: list[Outcome], view: ledger.View) -> None:
    """Take purposes declined later off the rows just written (a purpose withdrawal applied earlier)."""
    from tallylight.lab import removal

    for participant, study in sorted({(o.participant_id, o.study_id) for o in opened}):
        if participant in view.declined:
            removal.refresh_purposes(out, participant, study)


def parse_shard(text: str) -> tuple[int, int]:
    k, sep, n = text.partition("/")
    try:
        shard = (int(k), int(n))
    except ValueError:
        shard = (0, 0)
    if not sep or not 1 <= shard[0] <= shard[1]:
        raise argparse.ArgumentTypeError(f"{text!r} is not K/N with 1 <= K <= N (for example 2/8)")
    return shard


def shard_of(name: str, n: int) -> int:
    """Which of ``n`` shards (0-based) a bundle file belongs to: a hash of its file name."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8", "surrogateescape")).digest()[:8], "big") % n


def apply_requests(out: Path, requests: list[Outcome], studies: dict[str, StudyCheck] | None) -> list[Any]:
    """Apply withdrawal requests found among the bundles (after the bundles, so none comes back)."""
    from tallylight.errors import TallylightError
    from tallylight.lab import removal

    reports: list[Any] = []
    for o in requests:
        try:
            if studies is not None and o.request.study_id not in studies:
                raise BundleError(f"it is for study {o.request.study_id}, which no given manifest describes")
            if o.request.is_purpose_withdrawal:
                reports.append(removal.decline_purposes(out, o.request))
            else:
                reports.append(removal.remove_participant(out, o.request))
        except TallylightError as exc:
            o.status, o.message = "refused", f"withdrawal request: {exc}"
    return reports


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from tallylight.lab import dataset, isolate

    if args.jobs < 0:
        raise UsageError("--jobs must be a number of worker processes (0: one per core).")
    console = Console(stderr=True)
    identity_text, mine = _identity(args.identity)
    studies = _studies(args.manifest)
    _check_studies(console, studies, mine, args.purpose)
    files = _expand(args.bundles)
    if not files:
        raise UsageError("No bundle files were given.")
    out: Path = args.out
    _make_folder(out)
    registry = dataset.load_registry(out)
    purpose = _dataset_purpose(out, args.purpose, registry)
    record_manifests(out, args.manifest)
    if args.shard is not None:  # deterministic: by the file's name, the same on every machine
        files = [f for f in files if shard_of(f.name, args.shard[1]) == args.shard[0] - 1]
    outcomes, todo = _distinct(files)

    limits = isolate.Limits(
        timeout=args.timeout, max_memory=None if args.max_memory is None else args.max_memory << 20
    )
    setup = isolate.Setup(identity_text, str(out), studies, limits)
    jobs = max(1, min(args.jobs or os.cpu_count() or 1, len(todo)))  # never more workers than bundles
    t0 = time.perf_counter()
    decide = _Decider(registry, args.reopen, ledger.view(out), purpose)
    try:
        outcomes += _open_all(todo, setup, jobs, decide, registry, console, args.quiet)
    finally:  # whatever ended the run, what was written is in the registry
        dataset.save_registry(out, registry, args.shard)
    wall = time.perf_counter() - t0
    order = {str(f): i for i, f in enumerate(files)}
    outcomes.sort(key=lambda o: order.get(o.path, len(order)))  # workers finish in any order

    _refresh_purposes(out, [o for o in outcomes if o.status == "opened"], decide.view)
    reports = apply_requests(out, [o for o in outcomes if o.status == "request"], studies)
    refused = _summarise(outcomes, reports, out, wall, jobs, purpose)
    if refused:
        raise BundleError(f"{refused} bundle(s) could not be opened (listed above); the others were.")
    return 0


def _identity(path: Path) -> tuple[str, set[str]]:
    """The identity's text, which the workers decrypt with, and its public keys."""
    from tallylight.share import agecrypt

    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read the identity file {path} ({exc}).") from None
    return text, set(agecrypt.public_keys(agecrypt.identities_from_text(text)))


def _check_studies(
    console: Console, studies: dict[str, StudyCheck] | None, mine: set[str], purpose: str | None
) -> None:
    """Refuse before anything is written: a study this identity cannot read, a purpose none asks."""
    if studies is None:
        console.print("[yellow]No --manifest given: study ids and manifest hashes are not checked.[/]")
    else:
        for check in studies.values():
            if not mine & check.recipients:
                raise UsageError(
                    f"Your identity is not a recipient of study {check.study_id} (see its manifest)."
                )
    if purpose is not None and studies is not None:
        asked = sorted({p for check in studies.values() for ids in check.purposes.values() for p in ids})
        if purpose not in asked:
            raise UsageError(
                f"No manifest given asks participants about the purpose {purpose!r} (theirs: "
                f"{', '.join(asked)}); check the id."
            )


def _make_folder(out: Path) -> None:
    """The dataset's folder, readable by its owner only."""
    from tallylight.lab import dataset

    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
        dataset.make_private(out)
    except OSError as exc:
        raise UsageError(f"Cannot create {out} ({exc.strerror}).") from None


def _distinct(files: list[Path]) -> tuple[list[Outcome], list[Path]]:
    """The files to open, each once: the same file given twice is opened once.

    Only files of one size can be the same: the others are not read here, so the workers
    start at once. Returns the outcomes of the files skipped, and the files to open."""
    from tallylight.lab import dataset

    outcomes: list[Outcome] = []
    todo: list[Path] = []
    seen: dict[str, Path] = {}
    sizes: dict[int, int] = {}
    for f in files:
        with contextlib.suppress(OSError):  # an unreadable file is reported below
            size = f.stat().st_size
            sizes[size] = sizes.get(size, 0) + 1
    for f in files:
        try:
            size = f.stat().st_size
            digest = hashlib.sha256(f.read_bytes()).hexdigest() if sizes.get(size, 0) > 1 else f"size {size}"
        except OSError as exc:
            outcomes.append(dataset.Outcome(str(f), "bad", f"cannot be read ({exc.strerror})"))
            continue
        if digest in seen:
            why = f"the same bundle as {seen[digest]}; skipped"
            outcomes.append(dataset.Outcome(str(f), "duplicate", why))
            continue
        seen[digest] = f
        todo.append(f)
    return outcomes, todo


def _open_all(
    todo: list[Path],
    setup: Setup,
    jobs: int,
    decide: _Decider,
    registry: dict[str, Any],
    console: Console,
    quiet: bool,
) -> list[Outcome]:
    """Open the bundles in the workers, registering each one written as it comes back."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from tallylight.lab import isolate

    outcomes: list[Outcome] = []
    opened_utc = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with Progress(
        TextColumn("Opening bundles"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
    ) as progress:
        task = progress.add_task("open", total=len(todo))
        for outcome in isolate.open_all([str(f) for f in todo], setup, jobs, decide):
            outcomes.append(outcome)
            if outcome.status == "opened":
                outcome.replaces = decide.replaces.get(outcome.bundle_id, [])
                _register(registry, outcome, opened_utc)
            progress.advance(task)
    return outcomes


def _summarise(
    outcomes: list[Outcome], reports: list[Any], out: Path, wall: float, jobs: int, purpose: str | None
) -> int:
    """Print what became of each bundle that was not simply opened, and the totals.

    Returns how many bundles were refused."""
    opened = [o for o in outcomes if o.status == "opened"]
    left_out = [o for o in outcomes if o.status == "left out"]
    refused = [o for o in outcomes if o.status in ("bad", "foreign", "conflict", "refused")]
    dupes = [o for o in outcomes if o.status == "duplicate"]
    replacing = [o for o in opened if o.replaces]
    rows = sum(o.rows for o in opened)
    for o in refused + dupes + left_out:
        print(f"{o.status}: {o.path}: {o.message}")
    for o in replacing:
        old = ", ".join(o.replaces)
        print(f"replacement: {o.path}: a newer bundle of the same session(s); replaced the rows of {old}")
    for report in reports:
        print("\n".join(report.lines()))
    n_sessions = sum(len(o.sessions) for o in opened)
    print(
        f"Opened {len(opened)} bundle(s) ({n_sessions} session(s), {rows:,} events) into {out} "
        f"in {wall:.1f} s with {jobs} worker(s); {len(refused)} refused, {len(dupes)} duplicate(s), "
        f"{len(replacing)} replacement(s), {len(reports)} withdrawal(s) applied"
        + (f"; {len(left_out)} left out (not allowed for {purpose})" if purpose is not None else "")
        + "."
    )
    return len(refused)
