"""``tallylight-lab open BUNDLE… --identity FILE --out DIR``: bundles into one Parquet dataset.

Each bundle is opened in a child process of its own, several at once, under a
memory and a time limit (tallylight.lab.isolate): a bad, foreign, duplicate or
hostile bundle (a zip bomb, a parser that runs out of memory) is reported and
skipped without stopping the others, and the registry is saved whatever happens.
A bundle that brings a session another bundle already brought is a conflict:
reported, never written over the first.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tallylight.errors import BundleError, UsageError

if TYPE_CHECKING:
    from tallylight.lab.dataset import Outcome, StudyCheck


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
    from tallylight.study import manifest as mf

    if not manifests:
        return None
    found: dict[str, StudyCheck] = {}
    for path in manifests:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"Cannot read the manifest {path} ({exc.strerror}).") from None
        signed = mf.load(raw)
        old = found.get(signed.study_id)
        hashes = {signed.hash} | (set(old.manifest_hashes) if old else set())
        recips = set(signed.manifest.recipients) | (set(old.recipients) if old else set())
        found[signed.study_id] = StudyCheck(signed.study_id, frozenset(hashes), frozenset(recips))
    return found


class _Decider:
    """Whether a ready bundle may be written, from the registry and what this run wrote before it."""

    def __init__(self, registry: dict[str, Any], reopen: bool) -> None:
        from tallylight.lab import dataset

        self.known = set() if reopen else set(registry["bundles"])
        self.owners = dataset.session_owners(registry)
        self.this_run: set[str] = set()

    def __call__(self, o: Outcome) -> tuple[str, str] | None:
        if o.bundle_id in self.this_run:
            return "duplicate", "another file held the same bundle; its rows were written once"
        if o.bundle_id in self.known:
            return "duplicate", "this bundle was opened before; skipped"
        for sid in o.sessions:
            owner = self.owners.get(sid)
            if owner is not None and owner != o.bundle_id:
                return "conflict", (
                    f"its session {sid} already came in bundle {owner}; the rows of that bundle were "
                    "kept and this bundle was not written"
                )
        self.this_run.add(o.bundle_id)
        self.owners.update((sid, o.bundle_id) for sid in o.sessions)
        return None


def _register(registry: dict[str, Any], o: Outcome) -> None:
    registry["bundles"][o.bundle_id] = {
        "sha256": o.sha256,
        "study": o.study_id,
        "participant": o.participant_id,
        "sessions": o.sessions,
        "rows": o.rows,
        "file": Path(o.path).name,
    }


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from tallylight.lab import dataset, isolate
    from tallylight.share import agecrypt

    if args.jobs < 0:
        raise UsageError("--jobs must be a number of worker processes (0: one per core).")
    console = Console(stderr=True)
    try:
        identity_text = args.identity.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read the identity file {args.identity} ({exc}).") from None
    mine = set(agecrypt.public_keys(agecrypt.identities_from_text(identity_text)))
    studies = _studies(args.manifest)
    if studies is None:
        console.print("[yellow]No --manifest given: study ids and manifest hashes are not checked.[/]")
    else:
        for check in studies.values():
            if not mine & check.recipients:
                raise UsageError(
                    f"Your identity is not a recipient of study {check.study_id} (see its manifest)."
                )
    files = _expand(args.bundles)
    if not files:
        raise UsageError("No bundle files were given.")
    out: Path = args.out
    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
        dataset.make_private(out)
    except OSError as exc:
        raise UsageError(f"Cannot create {out} ({exc.strerror}).") from None
    registry = dataset.load_registry(out)

    # the same file given twice is opened once
    outcomes: list[dataset.Outcome] = []
    todo: list[Path] = []
    seen: dict[str, Path] = {}
    for f in files:
        try:
            digest = hashlib.sha256(f.read_bytes()).hexdigest()
        except OSError as exc:
            outcomes.append(dataset.Outcome(str(f), "bad", f"cannot be read ({exc.strerror})"))
            continue
        if digest in seen:
            why = f"the same bundle as {seen[digest]}; skipped"
            outcomes.append(dataset.Outcome(str(f), "duplicate", why))
            continue
        seen[digest] = f
        todo.append(f)

    limits = isolate.Limits(
        timeout=args.timeout, max_memory=None if args.max_memory is None else args.max_memory << 20
    )
    work = [isolate.Job(str(f), identity_text, str(out), studies, limits) for f in todo]
    jobs = max(1, min(args.jobs or os.cpu_count() or 1, len(todo)))  # never more workers than bundles
    t0 = time.perf_counter()
    decide = _Decider(registry, args.reopen)
    try:
        with Progress(
            TextColumn("Opening bundles"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=args.quiet,
        ) as progress:
            task = progress.add_task("open", total=len(todo))
            for outcome in isolate.open_all(work, jobs, decide):
                outcomes.append(outcome)
                if outcome.status == "opened":
                    _register(registry, outcome)
                progress.advance(task)
    finally:  # whatever ended the run, what was written is in the registry
        dataset.save_registry(out, registry)
    wall = time.perf_counter() - t0
    order = {str(f): i for i, f in enumerate(files)}
    outcomes.sort(key=lambda o: order.get(o.path, len(order)))  # children finish in any order

    opened = [o for o in outcomes if o.status == "opened"]
    refused = [o for o in outcomes if o.status in ("bad", "foreign", "conflict")]
    dupes = [o for o in outcomes if o.status == "duplicate"]
    rows = sum(o.rows for o in opened)
    for o in refused + dupes:
        print(f"{o.status}: {o.path}: {o.message}")
    n_sessions = sum(len(o.sessions) for o in opened)
    print(
        f"Opened {len(opened)} bundle(s) ({n_sessions} session(s), {rows:,} events) into {out} "
        f"in {wall:.1f} s with {jobs} worker(s); {len(refused)} refused, {len(dupes)} duplicate(s)."
    )
    if refused:
        raise BundleError(f"{len(refused)} bundle(s) could not be opened (listed above); the others were.")
    return 0
