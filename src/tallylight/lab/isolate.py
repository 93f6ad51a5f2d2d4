"""Open bundles in a few long-lived worker processes, each bundle under a memory and a time limit.

A bundle comes from a stranger: whatever it does to the process that opens it
(runs it out of memory, keeps it busy, crashes a parser) must refuse that bundle
alone. So bundles are opened in worker processes, ``jobs`` of them, never in the
parent: a worker decrypts, verifies and builds one bundle's tables at a time (with
its address space limited to ``max_memory`` bytes where the OS allows), then asks
the parent whether to write them. The parent answers from what it knows across the
whole run (the registry, the other bundles), so a duplicate or a session another
bundle already brought is refused before anything is written.

A worker lives for many bundles (starting a process per bundle cost about as much
as opening a 100k-event bundle). What one bundle does still reaches no other:

- a worker that runs past ``timeout`` seconds on a bundle before writing is killed,
  that bundle refused, and a fresh worker takes the next one;
- a worker that dies is reported with its exit status, for its bundle alone;
- a bundle that runs a worker out of memory ends that worker (its heap is not
  trusted after that). If the worker had opened other bundles before, what they
  left behind could have been the cause (pyarrow's threads and allocator keep
  address space reserved, and ``max_memory`` limits address space), so the bundle
  is tried once more in a fresh worker and refused only if it fails there too.
  The same holds for a worker that dies while preparing a bundle, and, under a
  memory limit, for any bundle a used worker finds bad (a failed allocation can
  surface as, say, a bundle that does not decrypt).

Workers come from a fork server that imported the lab's modules once (spawned
processes where the OS has no fork server).
"""

from __future__ import annotations

import contextlib
import importlib.abc
import multiprocessing as mp
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
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
class Setup:
    """What every worker of a run needs: the identity, the dataset, the manifests' checks, the limits."""

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
    address space in every worker, for nothing a bundle needs (pyarrow goes on without it)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:  # noqa: ARG002 - the finder's signature
        if fullname == "pandas" or fullname.startswith("pandas."):
            raise ModuleNotFoundError("pandas is not loaded where bundles are opened", name=fullname)


#: a bundle of at least this many events gives its memory back to the system once written
RELEASE_ROWS = 1_000_000

#: messages from a worker: ("ready", outcome) asks for a verdict; ("done", outcome, out_of_memory)
#: ends a bundle (out_of_memory: where it ran out, "preparing" or "writing"; the worker then ends)
READY, DONE = "ready", "done"


def worker(conn: Connection, setup: Setup) -> None:
    """A worker's whole life: bundle paths in, outcomes out, until told to stop (None) or a
    bundle runs it out of memory."""
    if "pandas" not in sys.modules:
        sys.meta_path.insert(0, _WithoutPandas())
    os.umask(0o077)  # the dataset is private whatever the researcher's umask
    _limit_memory(setup.limits.max_memory)
    dataset.use_system_allocator()
    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if path is None or not _open_one(conn, path, setup):
            return


def _open_one(conn: Connection, path: str, setup: Setup) -> bool:
    """Prepare, ask, write (or not), report one bundle; False if it ran the worker out of memory."""
    try:
        prepared = dataset.prepare_one(path, setup.identity_text, setup.studies, setup.limits.max_unpacked)
    except MemoryError:
        prepared = None
    if prepared is None:
        conn.send((DONE, Outcome(path, "bad", _memory_message(setup.limits)), "preparing"))
        return False
    outcome = prepared.outcome
    if outcome.status != "ready":
        conn.send((DONE, outcome, ""))
        return True
    conn.send((READY, outcome))
    verdict = conn.recv()
    if verdict is not None:
        outcome.status, outcome.message = verdict
        conn.send((DONE, outcome, ""))
        return True
    try:
        outcome = dataset.write_prepared(prepared, setup.out)
    except MemoryError:
        del prepared
        outcome.status, outcome.message = "bad", _memory_message(setup.limits)
        conn.send((DONE, outcome, "writing"))
        return False
    del prepared
    # what a large bundle held goes back to the system before the next, and under a memory limit
    # what any bundle held; an ordinary bundle's is reused (giving it back and taking it again
    # cost a seventh of opening it)
    if setup.limits.max_memory is not None or outcome.rows >= RELEASE_ROWS:
        dataset.release_memory()
    conn.send((DONE, outcome, ""))
    return True


def _memory_message(limits: Limits) -> str:
    if limits.max_memory is None:
        return "opening it ran out of memory; refused"
    return f"opening it needs more than {limits.max_memory >> 20} MiB of memory (--max-memory); refused"


@dataclass
class _Worker:
    process: Any
    conn: Connection
    path: str | None = None  # the bundle it is on (None: idle)
    started: float = 0.0  # when it was given that bundle
    preparing: bool = False  # the time limit applies (False once writing)
    last: Outcome | None = None  # what it said of its bundle when ready
    used: bool = False  # it has opened a bundle before this one
    second_try: bool = False  # this bundle failed in another worker before


def open_all(
    paths: Sequence[str],
    setup: Setup,
    workers: int,
    decide: Decide,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Outcome]:
    """Each bundle's outcome (in the order they finish); a failing bundle refuses itself alone."""
    ctx = _context()
    todo: deque[tuple[str, bool]] = deque((p, False) for p in paths)  # (path, second try)
    pool: list[_Worker] = []
    limit = setup.limits.timeout
    try:
        while todo or any(w.path is not None for w in pool):
            for w in pool:  # hand out work: idle workers first, then new ones
                if todo and w.path is None and not todo[0][1]:
                    _give(w, *todo.popleft(), clock)
            while todo and len(pool) < workers:
                w = _start(ctx, setup)
                pool.append(w)
                _give(w, *todo.popleft(), clock)
            busy = [w for w in pool if w.path is not None]
            waits = [w.started + limit - clock() for w in busy if w.preparing]
            ready = wait([w.conn for w in busy], timeout=max(0.0, min(waits)) if waits else None)
            for w in busy:
                done, gone, retry = _service(w, w.conn in ready, decide, setup.limits, clock)
                if gone:
                    pool.remove(w)
                    _retire(w)
                if retry is not None:  # a used worker failed: once more, in a fresh one
                    todo.appendleft((retry, True))
                elif done is not None:
                    yield done
    finally:  # idle workers are told to stop, busy ones (only when the caller gave up) killed
        for w in pool:
            if w.path is not None:
                w.process.kill()
            else:
                with contextlib.suppress(OSError):
                    w.conn.send(None)
        for w in pool:
            _finish(w)


def _start(ctx: Any, setup: Setup) -> _Worker:
    mine, theirs = ctx.Pipe()
    proc = ctx.Process(target=worker, args=(theirs, setup), daemon=True)
    proc.start()
    theirs.close()
    return _Worker(proc, mine)


def _give(w: _Worker, path: str, second_try: bool, clock: Callable[[], float]) -> None:
    w.path, w.started, w.preparing, w.last, w.second_try = path, clock(), True, None, second_try
    with contextlib.suppress(OSError):  # a worker that died meanwhile is reported on the next turn
        w.conn.send(path)


def _service(
    w: _Worker, readable: bool, decide: Decide, limits: Limits, clock: Callable[[], float]
) -> tuple[Outcome | None, bool, str | None]:
    """Advance one busy worker: (its bundle's final outcome, whether the worker is to go, a bundle
    to try again in a fresh worker)."""
    path = w.path or ""
    # what earlier bundles left in a worker may be what failed this one: once more, in a fresh worker
    may_retry = w.preparing and w.used and not w.second_try
    if readable:
        try:
            got = w.conn.recv()
        except (EOFError, OSError):  # the worker died: its end of the pipe closed
            w.process.join()
            if may_retry:
                return None, True, path
            code = w.process.exitcode
            why = f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"
            out = w.last or Outcome(path, "bad")
            out.status = "bad"
            out.message = f"the process opening it ended unexpectedly ({why}); refused"
            return out, True, None
        if got[0] == READY and w.preparing:
            w.preparing, w.last = False, got[1]
            with contextlib.suppress(OSError):  # a worker that died meanwhile is reported on the next turn
                w.conn.send(decide(got[1]))
            return None, False, None
        outcome, out_of_memory = got[1], bool(got[2])
        w.path, w.used = None, True
        # under a memory limit, what the earlier bundles left reserved counts against this one
        # (pyarrow's threads and allocator keep address space), so a bundle refused as bad in a
        # used worker may have been refused for them: only a fresh worker's refusal counts
        if may_retry and (out_of_memory or (outcome.status == "bad" and limits.max_memory is not None)):
            return None, True, path
        return outcome, out_of_memory, None
    if w.preparing and clock() - w.started > limits.timeout:
        w.process.kill()
        why = f"opening it took longer than {limits.timeout:g} s (--timeout); refused"
        return Outcome(path, "bad", why), True, None
    return None, False, None


def _retire(w: _Worker) -> None:
    """Let a worker go: told to stop if it still listens (a dead or killed one cannot), then joined."""
    with contextlib.suppress(OSError):
        w.conn.send(None)
    _finish(w)


def _finish(w: _Worker) -> None:
    w.process.join()
    w.conn.close()
