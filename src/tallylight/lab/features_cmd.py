"""``tallylight-lab features DIR``: keystroke and mouse features of every session in a dataset.

Reads ``DIR/events`` (written by ``tallylight-lab open``), turns each session's
rows back into event columns, computes the review's features
(tallylight.review.features) per session and per task, and writes

    DIR/features/…      one row per session and per task (keys, mouse)
    DIR/keystrokes/…    one row per key press (Aalto-style)
    DIR/digraphs/…      latencies by key-class pair, per session
    DIR/writing/…       Inputlog-style process measures per session and per task
    DIR/trajectories/…  mousetrap-style trials, one per click, time-normalised (101 steps)

each partitioned study=…/participant=…/session=…/part-0.parquet, and from the task
window's trials (DIR/trials)

    DIR/task_results/study=…/participant=…/part-0.parquet   throughput and WPM per
                        participant, task and condition (tallylight.tasks.results)

(docs/LAB.md section 4 gives every column, its formula and its source).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tallylight.errors import UsageError

#: feature columns that hold text; every other feature is a number (int64 for counts, else float64;
#: null when undefined)
TEXT_COLUMNS = {
    "scope",
    "task",
    "study",
    "participant",
    "session",
    "key_class",
    "key_id",
    "first_class",
    "second_class",
}
#: columns of another type: list columns (the time-normalised path) and flags
LIST_COLUMNS = {"x_norm", "y_norm"}
BOOL_COLUMNS = {"rollover"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "features",
        help="compute keystroke and mouse features of every session in a dataset (Parquet)",
        description="Compute keystroke (hold, intervals, rollover, speed, pauses, bursts) and mouse "
        "(path, speed, acceleration, idle time, clicks, mousetrap measures per trial) features for "
        "every session in DIR/events, per session and per task.",
    )
    p.add_argument("dir", metavar="DIR", type=Path, help="a dataset folder written by 'tallylight-lab open'")
    p.add_argument(
        "--pause-threshold",
        metavar="SECONDS",
        type=float,
        default=2.0,
        help="an interval at least this long is a pause (default 2 s)",
    )
    p.add_argument(
        "--purpose",
        metavar="ID",
        help=(
            "only sessions whose participant allowed this purpose (the sessions table's purposes); "
            "features of other sessions computed before are removed"
        ),
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def columns_from_table(table: Any) -> Any:
    """EventColumns from one session's events rows (named values back to codes, nulls to 0)."""
    import numpy as np

    from tallylight.share import tables
    from tallylight.store.encoding import EventColumns

    def ints(name: str) -> np.ndarray:
        return np.asarray(table.column(name).fill_null(0).to_numpy(zero_copy_only=False), np.int64)

    def names(name: str) -> np.ndarray:
        return tables.codes(name, table.column(name).to_pylist())

    t_ms = np.asarray(table.column("t_ms").to_numpy(zero_copy_only=False), np.float64)
    key_id = [int(k, 16) if k else 0 for k in table.column("key_id").to_pylist()]
    text = np.array([t or "" for t in table.column("key_text").to_pylist()], dtype=object)
    return EventColumns(
        t_ns=np.rint(t_ms * 1e6).astype(np.int64),
        kind=names("kind").astype(np.uint8),
        x=ints("x_px"),
        y=ints("y_px"),
        button=names("button"),
        dx=ints("scroll_dx_steps"),
        dy=ints("scroll_dy_steps"),
        key_class=names("key_class"),
        key=np.array(key_id, np.uint64),
        text=text,
        marker=names("marker"),
        reason=_reasons(table, names("marker"), names("reason")),
    )


def _reasons(table: Any, marker: Any, reason: Any) -> Any:
    """The reason codes, with task markers' task number (task_N) and notes' number put back."""
    import numpy as np

    from tallylight.events import Marker

    out = np.array(reason, np.int64)
    notes = table.column("note_number").fill_null(0).to_numpy(zero_copy_only=False)
    is_note = marker == Marker.NOTE
    out[is_note] = np.asarray(notes, np.int64)[is_note]
    tasks = table.column("task").to_pylist()
    for i in np.flatnonzero(np.isin(marker, (Marker.TASK_START, Marker.TASK_END))).tolist():
        name = tasks[i] or ""
        out[i] = int(name[5:]) if name.startswith("task_") and name[5:].isdigit() else 0
    return out


def task_spans(table: Any) -> list[tuple[int, int, str]]:
    """(start ns, end ns, label) of each task run: from task_start to the task_end of the same task.

    A task run more than once in a session gets ``#2``, ``#3`` … after its id.
    """
    rows = zip(
        table.column("t_ms").to_pylist(),
        table.column("marker").to_pylist(),
        table.column("task").to_pylist(),
        strict=True,
    )
    spans: list[tuple[int, int, str]] = []
    running: tuple[int, str] | None = None
    runs: dict[str, int] = {}
    for tm, m, task in sorted((r for r in rows if r[1] in ("task_start", "task_end")), key=lambda r: r[0]):
        if m == "task_start":
            running = (round(tm * 1e6), task or "task")
        elif running is not None and (task or "task") == running[1]:
            runs[running[1]] = runs.get(running[1], 0) + 1
            label = running[1] if runs[running[1]] == 1 else f"{running[1]}#{runs[running[1]]}"
            spans.append((running[0], round(tm * 1e6), label))
            running = None
    return spans


def arrow_schema(records: list[dict[str, Any]]) -> Any:
    """Column types by name: text, integer (every count, review.features.COUNTS) or float; nulls allowed.

    By name, not by value, so every session's partition has the same schema.
    """
    import pyarrow as pa

    from tallylight.review.features import COUNTS

    def kind(name: str) -> Any:
        if name in TEXT_COLUMNS:
            return pa.string()
        if name in LIST_COLUMNS:
            return pa.list_(pa.float64())
        if name in BOOL_COLUMNS:
            return pa.bool_()
        return pa.int64() if name in COUNTS else pa.float64()

    return pa.schema([(k, kind(k)) for k in records[0]])


#: the task results table: per participant, task and condition (docs/LAB.md section 4)
TASK_RESULTS = "task_results"


def _in(trial: dict[str, Any], row: dict[str, Any]) -> bool:
    return bool(trial["task"] == row["task"] and str(trial.get("condition", "")) == row["condition"])


def task_results(root: Path, sessions: list[dict[str, Any]]) -> int:
    """Throughput and WPM per participant, task and condition from the trials of ``sessions``.

    Computed by tallylight.tasks.results (the summary's and the task window's module) from
    all of a participant's trials at once: a participant's throughput in a condition is the
    mean of their sequence throughputs across sessions, never pooled raw data. The table is
    rewritten whole from this run's sessions: a participant whose trials are gone, or whose
    sessions this run left out (``--purpose``), keeps no rows in it. Returns rows.
    """
    import shutil

    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    from tallylight.share import tables
    from tallylight.tasks import results

    wanted = {(str(s["study"]), str(s["participant"]), str(s["session"])) for s in sessions}
    people = sorted({w[:2] for w in wanted})
    trials: dict[tuple[str, str], list[dict[str, Any]]] = {p: [] for p in people}
    if (root / "trials").is_dir():
        hive = ds.partitioning(
            pa.schema([(k, pa.string()) for k in ("study", "participant", "session")]), flavor="hive"
        )
        for row in ds.dataset(root / "trials", format="parquet", partitioning=hive).to_table().to_pylist():
            key = (row["study"], row["participant"], row["session"])
            if key in wanted:
                (trial,) = tables.trials_from_rows([row])
                trials[key[:2]].append({**trial, "session": row["session"]})
    n = 0
    shutil.rmtree(root / TASK_RESULTS, ignore_errors=True)
    for (study, participant), items in trials.items():
        folder = root / TASK_RESULTS / f"study={study}" / f"participant={participant}"
        rows = [
            {**r, "sessions": len({t["session"] for t in items if _in(t, r)})}
            for r in results.by_condition(items)
        ]
        if not rows:
            continue
        schema = pa.schema(
            [
                ("task", pa.string()),
                ("condition", pa.string()),
                ("throughput_bps", pa.float64()),
                ("sequences", pa.int64()),
                ("wpm", pa.float64()),
                ("phrases", pa.int64()),
                ("sessions", pa.int64()),
            ]
        )
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = folder / ".part-0.parquet.tmp"
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp)
        tmp.replace(folder / "part-0.parquet")
        n += len(rows)
    return n


def allowed_sessions(root: Path, purpose: str) -> set[tuple[str, str, str]]:
    """(study, participant, session) of every session whose ``purposes`` include ``purpose``."""
    import pyarrow.dataset as ds

    folder = root / "sessions"
    if not folder.is_dir():
        raise UsageError(f"{root} holds no sessions table (run 'tallylight-lab open' first).")
    import pyarrow as pa

    part = ds.partitioning(pa_schema(), flavor="hive")
    try:
        table = ds.dataset(folder, format="parquet", partitioning=part).to_table(
            columns=["study", "participant", "session", "purposes", "consent"]
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a sessions table written before purposes existed
        raise UsageError(
            f"The sessions table of {root} does not say what each session may be used for (it was "
            "written by an older Tallylight); open the bundles again with 'tallylight-lab open --reopen'."
        ) from None
    rows = table.to_pylist()
    asked = set().union(*(_asked(r["consent"]) for r in rows)) if rows else set()
    if rows and purpose not in asked:
        # a typing mistake: the run would leave every session out and drop every feature
        raise UsageError(
            f"No participant in {root} was asked about the purpose {purpose!r} (the purposes asked: "
            f"{', '.join(sorted(asked))}); check the id."
        )
    return {(r["study"], r["participant"], r["session"]) for r in rows if purpose in (r["purposes"] or [])}


def _asked(consent_json: str | None) -> set[str]:
    """The purposes a session's consent record answered, yes or no (``analysis`` for a record made
    before purposes existed, docs/BUNDLE.md)."""
    import json

    try:
        purposes = json.loads(consent_json or "null").get("purposes")
    except (ValueError, AttributeError):
        return set()
    return {str(k) for k in purposes} if isinstance(purposes, dict) else {"analysis"}


#: the tables ``features`` writes per session (task_results is written per participant)
SESSION_TABLES = ("features", "keystrokes", "digraphs", "writing", "trajectories")


def drop_others(root: Path, kept: set[tuple[str, ...]]) -> int:
    """Remove every derived partition of a session not in ``kept`` (and task results of a participant
    with none); returns how many sessions lost theirs.

    Why: after ``features --purpose ID`` the feature tables are what a model for ID is trained on,
    so features computed earlier for every purpose, or before a participant declined ID, must not
    stay beside them. They are derived from the dataset, which keeps its rows: a plain
    ``features`` computes them again.
    """
    import shutil

    dropped: set[tuple[str, ...]] = set()
    for table in SESSION_TABLES:
        for folder in sorted((root / table).glob("study=*/participant=*/session=*")):
            key = (folder.parent.parent.name[6:], folder.parent.name[12:], folder.name[8:])
            if key not in kept:
                shutil.rmtree(folder)
                dropped.add(key)
    people = {k[:2] for k in kept}
    for folder in sorted((root / TASK_RESULTS).glob("study=*/participant=*")):
        if (folder.parent.name[6:], folder.name[12:]) not in people:
            shutil.rmtree(folder)
    return len(dropped)


def pa_schema() -> Any:
    """The partition columns as text (hive partitioning would guess numbers from names like 1)."""
    import pyarrow as pa

    return pa.schema([(name, pa.string()) for name in ("study", "participant", "session")])


def run(args: argparse.Namespace) -> int:
    # bad input is told before pyarrow and pandas load (half a second of imports)
    if not 0 < args.pause_threshold <= 86_400:  # (also refuses nan)
        raise UsageError("--pause-threshold must be a number of seconds above 0 and at most 86,400 (a day).")
    events_dir = args.dir / "events"
    if not events_dir.is_dir():
        raise UsageError(f"{args.dir} holds no events dataset (run 'tallylight-lab open' first).")

    import pyarrow.dataset as ds
    from rich.console import Console
    from rich.progress import Progress

    from tallylight.lab.dataset import PARTITIONS

    dataset = ds.dataset(events_dir, format="parquet", partitioning=ds.partitioning(flavor="hive"))
    keys = dataset.to_table(columns=list(PARTITIONS)).group_by(list(PARTITIONS)).aggregate([])
    sessions = keys.to_pylist()
    left_out = dropped = 0
    if args.purpose is not None:
        sessions, left_out, dropped = _keep_allowed(args.dir, args.purpose, sessions)
    console = Console(stderr=True)
    n_rows = 0
    with Progress(console=console, disable=args.quiet) as progress:
        task = progress.add_task("Computing features", total=len(sessions))
        for key in sessions:
            tables = _session_tables(dataset, key, args.pause_threshold)
            for out, data in tables.items():
                if data:
                    _write_table(args.dir / out, data, key)
            n_rows += len(tables["features"])
            progress.advance(task)
    try:
        n_results = task_results(args.dir, sessions)
    except OSError as exc:
        raise UsageError(
            f"Writing the task results to {args.dir / TASK_RESULTS} failed ({exc.strerror or exc}); "
            "run 'tallylight-lab features' again once there is room."
        ) from None
    print(f"Features of {len(sessions)} session(s) ({n_rows} row(s)) written to {args.dir / 'features'}.")
    if n_results:
        print(
            f"Throughput and WPM per participant, task and condition ({n_results} row(s)) written to "
            f"{args.dir / TASK_RESULTS}."
        )
    if args.purpose is not None:
        print(f"{left_out} session(s) left out: their participant did not allow the purpose {args.purpose}.")
        if dropped:
            print(
                f"The features of other sessions computed before were removed ({dropped} session(s)): "
                f"the feature tables now hold only sessions allowed for {args.purpose}."
            )
    return 0


def _keep_allowed(
    root: Path, purpose: str, sessions: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], int, int]:
    """The sessions allowed for ``purpose``, how many were left out, and how many sessions' features
    computed before were removed, so that the feature tables hold only allowed sessions."""
    from tallylight.lab.dataset import PARTITIONS

    allowed = allowed_sessions(root, purpose)
    kept = [k for k in sessions if tuple(str(k[name]) for name in PARTITIONS) in allowed]
    try:
        dropped = drop_others(root, {tuple(str(k[n]) for n in PARTITIONS) for k in kept})
    except OSError as exc:
        raise UsageError(
            f"Removing the features of sessions not allowed for {purpose} from {root} failed "
            f"({exc.strerror or exc}); nothing was computed. Fix that and run the command again."
        ) from None
    return kept, len(sessions) - len(kept), dropped


def _session_tables(dataset: Any, key: dict[str, Any], limit: float) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows for one session, by the folder they go to, in the order they are written."""
    import pyarrow.compute as pc

    from tallylight.lab.dataset import PARTITIONS
    from tallylight.review import features, field_tables
    from tallylight.review.timeline import window

    flt = None
    for name in PARTITIONS:
        cond = pc.field(name) == key[name]
        flt = cond if flt is None else flt & cond
    table = dataset.to_table(filter=flt)
    cols = columns_from_table(table)
    tasks = task_spans(table)
    rows = [{"scope": "session", "task": None, **features.session_features(cols, limit)}]
    for a, b, label in tasks:
        found = features.session_features(window(cols, a, b), limit)
        rows.append({"scope": "task", "task": label, **found})
    writing = [{"scope": "session", "task": None, **field_tables.writing_measures(cols, limit)}]
    for a, b, label in tasks:
        found = field_tables.writing_measures(window(cols, a, b), limit)
        writing.append({"scope": "task", "task": label, **found})
    return {
        "features": rows,
        "keystrokes": field_tables.keystroke_rows(cols),
        "digraphs": field_tables.digraph_rows(cols),
        "writing": writing,
        "trajectories": field_tables.trajectory_rows(cols, tasks),
    }


def _write_table(folder: Path, data: list[dict[str, Any]], key: dict[str, Any]) -> None:
    """One session's rows into one partitioned table, replacing what the session had there."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tallylight.lab.dataset import BASENAME, PARTITIONS

    records = [{**r, **key} for r in data]
    tbl = pa.Table.from_pylist(records, schema=arrow_schema(records))
    try:
        pq.write_to_dataset(
            tbl,
            root_path=str(folder),
            partition_cols=list(PARTITIONS),
            basename_template=BASENAME,
            existing_data_behavior="delete_matching",
        )
    except OSError as exc:  # a full disk, a size limit, no permission
        raise UsageError(
            f"Writing the features to {folder} failed ({exc.strerror or exc}); "
            "run 'tallylight-lab features' again once there is room."
        ) from None
