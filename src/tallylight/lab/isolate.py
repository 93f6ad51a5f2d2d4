"""Open each bundle in its own child process, under a memory and a time limit.

A bundle comes from a stranger: whatever it does to the process that opens it
(runs it out of memory, keeps it busy, crashes a parser) must refuse that bundle
alone. So each bundle is opened in a child process of its own, at most ``jobs``
at once: the child decrypts, verifies and builds the tables (with its address
space limited to ``max_memory`` bytes where the OS allows), then asks the parent
whether to write them. The parent answers from what it knows across the whole run
(the registry, the other bundles), so a duplicate or a session another bundle
already brought is refused before anything is written. A child that runs past
``timeout`` seconds before writing is killed; one that dies is reported with its
exit status. Children come from a fork server that imported the lab's modules
once (spawned processes where the OS has no fork server).
"""

from __future__ import annotations

import contextlib
import importlib.abc
import multiprocessing as mp
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from tallylight.lab import dataset
from tallylight.lab.dataset import Outcome, StudyCheck
from tallylight.share.bundle import MAX_UNPACKED

#: what a decision on a ready bundle is: None to write it, else (status, message) to refuse it
Decide = Callable[[Outcome], "tuple[str, str] | None"]


@dataclass(frozen=True)
class Limits:
    """What one bundle may cost: seconds until its tables are ready, address space, bytes unpacked."""

    timeout: float = 900.0
    max_memory: int | None = None
    max_unpacked: int = MAX_UNPACKED


@dataclass(frozen=True)
class Job:
    path: str
    identity_text: str
    out: str
    studies: Mapping[str, StudyCheck] | None
    limits: Limits


def _context() -> Any:
    methods = mp.get_all_start_methods()
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["tallylight.lab.dataset"])
        return ctx
    return mp.get_context("spawn")


def _limit_memory(max_memory: int | None) -> None:
    if max_memory is None:
        return
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        soft = max_memory if hard == resource.RLIM_INFINITY else min(max_memory, hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


class _WithoutPandas(importlib.abc.MetaPathFinder):
    """Refuses to import pandas. pyarrow imports it, when installed, on its first ``pa.array`` of
    Python values, only to ask whether they are pandas objects: 0.3 s and more
    address space in every child, for nothing a bundle needs (pyarrow goes on without it)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:  # noqa: ARG002 - the finder's signature
        if fullname == "pandas" or fullname.startswith("pandas."):
            raise ModuleNotFoundError("pandas is not loaded where bundles are opened", name=fullname)


def child(conn: Connection, job: Job) -> None:
    """The child's whole life: prepare, ask, write (or not), report."""
    if "pandas" not in sys.modules:
        sys.meta_path.insert(0, _WithoutPandas())
    os.umask(0o077)  # the dataset is private whatever the researcher's umask
    _limit_memory(job.limits.max_memory)
    try:
        prepared = dataset.prepare_one(job.path, job.identity_text, job.studies, job.limits.max_unpacked)
    except MemoryError:
        prepared = dataset.Prepared(Outcome(job.path, "bad", _memory_message(job.limits)))
    outcome = prepared.outcome
    if outcome.status != "ready":
        conn.send(outcome)
        return
    conn.send(outcome)
    verdict = conn.recv()
    if verdict is not None:
        outcome.status, outcome.message = verdict
        prepared.tables.clear()
    else:
        try:
            outcome = dataset.write_prepared(prepared, job.out)
        except MemoryError:
            outcome.status, outcome.message = "bad", _memory_message(job.limits)
    conn.send(outcome)


def _memory_message(limits: Limits) -> str:
    if limits.max_memory is None:
        return "opening it ran out of memory; refused"
    return f"opening it needs more than {limits.max_memory >> 20} MiB of memory (--max-memory); refused"


@dataclass
class _Running:
    path: str
    process: Any
    conn: Connection
    started: float
    waiting: bool = True  # for its tables (the time limit applies); False once writing
    last: Outcome | None = None


def open_all(
    jobs: list[Job], workers: int, decide: Decide, clock: Callable[[], float] = time.monotonic
) -> Iterator[Outcome]:
    """Each job's outcome (in the order they finish); a failed child refuses its bundle alone."""
    ctx = _context()
    todo = list(reversed(jobs))
    running: list[_Running] = []
    try:
        while todo or running:
            while todo and len(running) < workers:
                job = todo.pop()
                mine, theirs = ctx.Pipe()
                proc = ctx.Process(target=child, args=(theirs, job), daemon=True)
                proc.start()
                theirs.close()
                running.append(_Running(job.path, proc, mine, clock()))
            limit = jobs[0].limits.timeout
            waits = [r.started + limit - clock() for r in running if r.waiting]
            ready = wait([r.conn for r in running], timeout=max(0.0, min(waits)) if waits else None)
            for r in list(running):
                done = _service(r, r.conn in ready, decide, limit, clock)
                if done is not None:
                    running.remove(r)
                    yield done
    finally:
        for r in running:
            r.process.kill()
            _finish(r)


def _service(
    r: _Running, readable: bool, decide: Decide, limit: float, clock: Callable[[], float]
) -> Outcome | None:
    """Advance one child; its final outcome once it has one."""
    if readable:
        try:
            got: Outcome = r.conn.recv()
        except (EOFError, OSError):  # the child died: its end of the pipe closed
            _finish(r)
            code = r.process.exitcode
            why = f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"
            out = r.last or Outcome(r.path, "bad")
            out.status = "bad"
            out.message = f"the process opening it ended unexpectedly ({why}); refused"
            return out
        if got.status == "ready" and r.waiting:
            r.waiting, r.last = False, got
            with contextlib.suppress(OSError):  # a child that died meanwhile is reported on the next turn
                r.conn.send(decide(got))
            return None
        _finish(r)
        return got
    if r.waiting and clock() - r.started > limit:
        r.process.kill()
        _finish(r)
        return Outcome(r.path, "bad", f"opening it took longer than {limit:g} s (--timeout); refused")
    return None


def _finish(r: _Running) -> None:
    r.process.join()
    r.conn.close()
