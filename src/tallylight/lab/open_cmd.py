"""``tallylight-lab open BUNDLE… --identity FILE --out DIR``: bundles into one Parquet dataset.

Bundles are opened in parallel worker processes (decrypting, parsing CSV and
writing Parquet are CPU work); each bundle's outcome comes back as a plain value,
so a bad, foreign or duplicate bundle is reported and skipped without stopping
the others.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tallylight.errors import BundleError, UsageError

if TYPE_CHECKING:
    from tallylight.lab.dataset import StudyCheck


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


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from tallylight.lab import dataset
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
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"Cannot create {out} ({exc.strerror}).") from None
    registry = dataset.load_registry(out)
    known = [] if args.reopen else sorted(registry["bundles"])

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

    jobs = max(1, min(args.jobs or os.cpu_count() or 1, len(todo)))  # never more workers than bundles
    t0 = time.perf_counter()
    with Progress(
        TextColumn("Opening bundles"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=args.quiet,
    ) as progress:
        task = progress.add_task("open", total=len(todo))
        if jobs == 1 or len(todo) == 1:
            for f in todo:
                outcomes.append(dataset.open_one(str(f), identity_text, str(out), studies, known))
                progress.advance(task)
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures: list[Future[Any]] = [
                    pool.submit(dataset.open_one, str(f), identity_text, str(out), studies, known)
                    for f in todo
                ]
                for fut in futures:
                    outcomes.append(fut.result())
                    progress.advance(task)
    wall = time.perf_counter() - t0

    # a bundle id met twice in this run: the second is a duplicate (same id, different file)
    ids: set[str] = set()
    for o in outcomes:
        if o.status == "opened":
            if o.bundle_id in ids:
                o.status = "duplicate"
                o.message = "another file held the same bundle; its rows were written once"
            ids.add(o.bundle_id)
            registry["bundles"][o.bundle_id] = {
                "sha256": o.sha256,
                "study": o.study_id,
                "participant": o.participant_id,
                "sessions": o.sessions,
                "rows": o.rows,
                "file": Path(o.path).name,
            }
    dataset.save_registry(out, registry)

    opened = [o for o in outcomes if o.status == "opened"]
    refused = [o for o in outcomes if o.status in ("bad", "foreign")]
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
