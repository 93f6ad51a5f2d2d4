"""``tallylight-lab open`` against bundles made to hurt it: each is refused alone, the run goes on.

The run is a real ``tallylight-lab open`` process under a memory limit
(``prlimit --as``) and a time limit: a bomb that made the opener allocate
gigabytes, or a crash in one bundle, must not cost the others or the registry.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_zip import (
    BZIP2,
    DEFLATED,
    STORED,
    Entry,
    entry,
    raw_zip,
    relist,
    unzip,
    zeros_bzip2,
    zeros_deflated,
)
from share_helpers import sample_events
from test_lab_open import Study, _count, _open

from tallylight.share import agecrypt
from tallylight.share.tables import COLUMN_NAMES

N = len(sample_events())
#: the address space the whole run may use (lab open with pyarrow needs about a third of it)
MEMORY_LIMIT = 3 << 30
#: a run that is far past this has hung (a bundle costs well under a second here)
TIME_LIMIT = 240

pytestmark = pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs prlimit (util-linux)")


def _genuine(study: Study, tmp: Path, participant: str, session: str, seed: int) -> dict[str, bytes]:
    """The files of a genuine bundle (as its plaintext ZIP holds them)."""
    enc = study.bundle(tmp, participant, [session], seed=seed)
    plain = agecrypt.decrypt(enc.data, agecrypt.identities_from_text(study.identity.read_text()))
    (tmp / enc.filename).unlink()
    return dict(unzip(plain))


def _seal(study: Study, path: Path, archive: bytes) -> Path:
    path.write_bytes(agecrypt.encrypt(archive, list(study.ref.recipients)))
    return path


def _honest(files: dict[str, bytes]) -> bytes:
    return raw_zip(entry(n, d) for n, d in files.items())


def _run_limited(
    study: Study, out: Path, *files: Path, extra: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    cmd = [
        "prlimit",
        f"--as={MEMORY_LIMIT}",
        sys.executable,
        "-m",
        "tallylight.lab",
        "open",
        *map(str, files),
    ]
    cmd += [
        "--identity",
        str(study.identity),
        "--out",
        str(out),
        "--manifest",
        str(study.manifest),
        "--quiet",
    ]
    return subprocess.run([*cmd, *extra], capture_output=True, text=True, timeout=TIME_LIMIT)


def _hostile(study: Study, tmp: Path) -> dict[str, Path]:
    """One bundle for each way the audit hurt `open`, each fully encrypted to the study's key."""
    files = _genuine(study, tmp, "p-evil", "s-evil", seed=9)
    csv = "sessions/s-evil/events.csv"
    made: dict[str, Path] = {}

    # zeros as BZIP2 (the audit's 2,347 bytes took the opener to 2.2 GB; this is the same idea, smaller)
    stored, crc = zeros_bzip2(64 << 20)
    bomb = Entry(csv, BZIP2, stored, crc, 64 << 20)
    rest = [entry(n, d) for n, d in files.items() if n != csv]
    made["bzip2"] = _seal(study, tmp / "bzip2.age", raw_zip([*rest, bomb]))

    # 2 GiB of zeros as DEFLATE whose headers claim 100 bytes; and one claiming its real size
    stored, crc = zeros_deflated(2 << 30)
    made["lying"] = _seal(study, tmp / "lying.age", raw_zip([*rest, Entry(csv, DEFLATED, stored, crc, 100)]))
    made["deflate"] = _seal(
        study, tmp / "deflate.age", raw_zip([*rest, Entry(csv, DEFLATED, stored, crc, 2 << 30)])
    )

    # names a writer never produces, read before bundle.json on main
    for tag, name in (("dotdot", "../../escape.csv"), ("newline", csv + "\n"), ("absolute", "/tmp/x.csv")):  # noqa: S108 - a name inside the zip, no file
        made[tag] = _seal(study, tmp / f"{tag}.age", _honest({**files, name: b"x"}))

    # formula cells in name columns, with bundle.json's checksums made to match
    for column, value in (
        ("kind", '=HYPERLINK("http://x","y")'),
        ("key_class", "=2+3"),
        ("marker", "@SUM(1)"),
    ):
        forged = _formula(files[csv], column, value)
        made[f"formula-{column}"] = _seal(
            study, tmp / f"formula-{column}.age", _honest(relist({**files, csv: forged}))
        )
    return made


def _formula(csv: bytes, column: str, value: str) -> bytes:
    lines = csv.decode().split("\r\n")
    i = COLUMN_NAMES.index(column)
    for k, line in enumerate(lines[1:], 1):
        cells = line.split(",")
        if len(cells) == len(COLUMN_NAMES) and cells[i]:
            cells[i] = '"' + value.replace('"', '""') + '"'
            lines[k] = ",".join(cells)
            break
    else:
        raise AssertionError(f"no row fills {column}")
    return "\r\n".join(lines).encode()


@pytest.mark.slow
def test_hostile_bundles_are_refused_alone_under_a_memory_limit(tmp_path: Path) -> None:
    study = Study(tmp_path, "a")
    good = tmp_path / study.bundle(tmp_path, "p1", ["s1"]).filename
    hostile = _hostile(study, tmp_path)
    out = tmp_path / "dataset"
    done = _run_limited(study, out, good, *hostile.values(), extra=("--jobs", "2"))
    assert done.returncode == 9, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    text = done.stdout
    assert "Opened 1 bundle(s) (1 session(s)" in text, text
    for tag, path in hostile.items():
        assert f"bad: {path}: " in text, (tag, text)
    assert "compression method" in text.split(f"bad: {hostile['bzip2']}: ")[1].splitlines()[0]
    assert "unexpected file" in text.split(f"bad: {hostile['dotdot']}: ")[1].splitlines()[0]
    assert "=HYPERLINK" in text
    assert "which is not a value of the codebook" in text
    registry = json.loads((out / "_bundles.json").read_text())
    assert [b["participant"] for b in registry["bundles"].values()] == ["p1"]
    assert _count(out) == N
    assert not (tmp_path / "escape.csv").exists()


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.mark.slow  # a real worker under prlimit, with a real memory or time limit
@pytest.mark.parametrize("first", ["heavy", "good"])
def test_a_bundle_that_runs_out_of_memory_is_refused_and_the_registry_kept(
    tmp_path: Path, first: str
) -> None:
    """A MemoryError (here from --max-memory) refuses the bundle it happened in, not the run.

    With one worker and the good bundle first, the heavy one fails in a worker that opened a
    bundle before: it is tried again in a fresh worker and refused there (tallylight.lab.isolate).
    """
    study = Study(tmp_path, "a")
    good = tmp_path / study.bundle(tmp_path, "p1", ["s1"]).filename
    files = _genuine(study, tmp_path, "p2", "s2", seed=3)
    # 3 million rows: a worker (the C library's malloc, no copies of the CSV while unpacking) opens
    # 2 million within 700 MiB of address space
    big = files["sessions/s2/events.csv"] + b"".join(
        f"{1000 + i}.5,move,{i},{i % 977},,,,,,,,,,\r\n".encode() for i in range(3_000_000)
    )
    heavy = _seal(
        study,
        tmp_path / "heavy.age",
        raw_zip(entry(n, d, STORED) for n, d in relist({**files, "sessions/s2/events.csv": big}).items()),
    )
    out = tmp_path / "dataset"
    order = (heavy, good) if first == "heavy" else (good, heavy)
    done = _run_limited(study, out, *order, extra=("--max-memory", "700", "--jobs", "1"))
    assert done.returncode == 9, done.stderr
    # Python sees a MemoryError, or native code (pyarrow) aborts the worker: either refuses this bundle alone
    line = done.stdout.split(f"bad: {heavy}: ")[1].splitlines()[0]
    assert "needs more than 700 MiB of memory" in line or "ended unexpectedly (signal" in line, line
    assert "Opened 1 bundle(s)" in done.stdout
    assert json.loads((out / "_bundles.json").read_text())["bundles"]


@pytest.mark.slow  # a real worker under prlimit, with a real memory or time limit
def test_a_bundle_past_the_time_limit_is_refused_alone(tmp_path: Path) -> None:
    study = Study(tmp_path, "a")
    good = tmp_path / study.bundle(tmp_path, "p1", ["s1"]).filename
    other = tmp_path / study.bundle(tmp_path, "p2", ["s2"], seed=2).filename
    out = tmp_path / "dataset"
    # no bundle is decrypted, verified and tabled in a microsecond: the limit is always passed;
    # the one worker is killed on the first bundle, and a fresh one takes the second
    done = _run_limited(study, out, good, other, extra=("--timeout", "0.000001", "--jobs", "1"))
    assert done.returncode == 9, done.stderr
    for f in (good, other):
        assert f"bad: {f}: opening it took longer than 1e-06 s (--timeout); refused" in done.stdout
    assert json.loads((out / "_bundles.json").read_text()) == {"bundles": {}}


def test_a_session_another_bundle_brought_is_a_conflict_not_a_replacement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = Study(tmp_path, "a")
    first = tmp_path / study.bundle(tmp_path, "p1", ["s1"], seed=1).filename
    assert _open(study, tmp_path / "dataset", first) == 0
    # a forged bundle (encrypted to the researcher's public key, as anyone can) claiming p1/s1 with one row
    files = _genuine(study, tmp_path, "p1", "s1", seed=2)
    csv = "sessions/s1/events.csv"
    files[csv] = b"\r\n".join(files[csv].split(b"\r\n")[:2]) + b"\r\n"
    forged = _seal(study, tmp_path / "forged.age", _honest(relist(files)))
    assert _open(study, tmp_path / "dataset", forged) == 9
    text = capsys.readouterr().out
    # a forger has no participant key: unsigned, it is refused (a signed one, by another key, too:
    # tests/share/test_lab_withdraw.py)
    assert f"refused: {forged}: it is not signed by a participant key" in text
    assert _count(tmp_path / "dataset") == N  # the 15 genuine rows, not 1
    # --reopen rewrites a bundle's own sessions, never another's
    assert _open(study, tmp_path / "dataset", forged, extra=("--reopen",)) == 9
    assert _open(study, tmp_path / "dataset", first, extra=("--reopen",)) == 0
    assert _count(tmp_path / "dataset") == N
    # two bundles with one session in a single run: one is written, the other is a conflict
    out2 = tmp_path / "dataset2"
    assert _open(study, out2, first, forged, extra=("--jobs", "2")) == 9
    assert "refused: " in capsys.readouterr().out
    kept = json.loads((out2 / "_bundles.json").read_text())["bundles"]
    assert len(kept) == 1
    assert _count(out2) == next(iter(kept.values()))["rows"]


def test_the_dataset_is_private_whatever_the_umask(tmp_path: Path) -> None:
    import os

    study = Study(tmp_path, "a")
    f = tmp_path / study.bundle(tmp_path, "p1", ["s1"]).filename
    out = tmp_path / "dataset"
    old = os.umask(0)
    try:
        assert _open(study, out, f) == 0
    finally:
        os.umask(old)
    paths = [out, *out.rglob("*")]
    assert {_mode(p) for p in paths if p.is_dir()} == {0o700}
    assert {_mode(p) for p in paths if p.is_file()} == {0o600}
    assert _mode(out / "_bundles.json") == 0o600
