"""A full disk or a read-only folder: a clean error, and everything sealed stays readable."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_helpers import make_info, synthetic, write_session

from tallylight.errors import StorageFull, StoreError
from tallylight.events import Event, Kind, StopReason
from tallylight.store import reader, recovery, sessions, vault, writer
from tallylight.store.reader import Verdict

FILL = Path(__file__).with_name("fill_writer.py")
SRC = Path(__file__).resolve().parents[2] / "src"


def _expected(n: int) -> list[Event]:
    return [
        Event(i, Kind.KEY_DOWN, key_class=1, key=i * 2654435761 % (1 << 64), text=f"t{i}") for i in range(n)
    ]


def test_rlimit_fsize(data_dir: Path, unlocked: vault.UnlockedVault) -> None:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (30_000, 30_000))

    # no bytecode: CPython writes a .pyc cut short by the limit, which breaks later imports
    env = {**os.environ, "PYTHONPATH": str(SRC), "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run(
        [sys.executable, str(FILL), str(data_dir), "fsz"],
        capture_output=True,
        text=True,
        preexec_fn=limit,
        env=env,
        timeout=60,
    )
    lines = out.stdout.splitlines()
    assert out.returncode == 0, out.stderr
    assert lines[-3].startswith("error StorageFull")
    assert "full" in lines[-3]
    assert lines[-2:] == ["refused", "closed"]
    sealed = int([ln for ln in lines if ln.startswith("sealed")][-1].split()[1])
    assert sealed > 100
    assert recovery.find_unfinished(data_dir) == []  # the writer left its own closure note
    data = reader.read_session(data_dir / "sessions" / "fsz", unlocked)
    assert data.report.verdict is Verdict.RECOVERED
    assert "write error" in data.report.problem
    assert list(data.events()) == _expected(sealed)


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 192 KiB tmpfs (needs mount rights, i.e. root in a container)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=192k,mode=0700", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_small_filesystem_full(small_fs: Path) -> None:
    v = vault.create_vault("pw", small_fs, params=vault.KdfParams(1, 1, 64))
    done = write_session(small_fs, "first", [synthetic(2000, seed=1)])
    w = writer.open_session(make_info("fill"), small_fs, seal_interval_s=1e9)
    sealed: list[Event] = []
    i = 0
    with pytest.raises(StorageFull):  # noqa: PT012 - one loop: it writes until the disk is full
        while True:
            batch = synthetic(500, seed=i)
            i += 1
            w.write(batch)
            w.seal()
            sealed += batch
    w.close(StopReason.WRITE_ERROR)
    assert len(sealed) > 0
    data = sessions.read("fill", v, small_fs)
    assert data.report.verdict in (Verdict.RECOVERED, Verdict.INCOMPLETE)
    assert list(data.events()) == sealed
    assert list(sessions.iter_events("first", v, small_fs)) == synthetic(2000, seed=1)
    assert reader.read_session(done, v).report.verdict is Verdict.COMPLETE
    with pytest.raises(StoreError):  # a new session on the full disk: a clean error, nothing half-made
        writer.open_session(make_info("more"), small_fs)
    assert not (small_fs / "sessions" / "more").exists() or not any(
        (small_fs / "sessions" / "more").iterdir()
    )


def test_read_only_data_dir(small_fs: Path) -> None:
    v = vault.create_vault("pw", small_fs, params=vault.KdfParams(1, 1, 64))
    evs = synthetic(300)
    write_session(small_fs, "kept", [evs])
    write_session(small_fs, "open", [evs[:10]], close=False)
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    with pytest.raises(StoreError) as info:
        writer.open_session(make_info("new"), small_fs)
    assert not isinstance(info.value, StorageFull)
    assert "write" in str(info.value)
    assert list(sessions.iter_events("kept", v, small_fs)) == evs
    assert sessions.read("open", v, small_fs).report.verdict is Verdict.INCOMPLETE
    assert recovery.recover_unfinished(small_fs) == []  # cannot close it now; no crash either
    with pytest.raises(StoreError):
        sessions.delete("kept", small_fs)
    assert list(sessions.iter_events("kept", v, small_fs)) == evs


def test_reading_works_on_a_full_disk_and_recovery_closes_later(small_fs: Path) -> None:
    """A recording stopped by a full disk leaves an unfinished session; listing, showing and
    exporting must still work on that full disk (they used to fail on closing it)."""
    v = vault.create_vault("pw", small_fs, params=vault.KdfParams(1, 1, 64))
    evs = synthetic(300)
    write_session(small_fs, "open", [evs], close=False)
    filler = small_fs / "filler"
    with open(filler, "wb", buffering=0) as fh, pytest.raises(OSError, match="No space left"):  # noqa: PT012 - fills the disk
        while True:
            fh.write(b"\0" * 4096)
    assert recovery.recover_unfinished(small_fs) == []  # cannot close it now, and says nothing
    assert [s.session_id for s in sessions.list_sessions(None, small_fs)] == ["open"]
    assert list(sessions.iter_events("open", v, small_fs)) == evs
    filler.unlink()
    assert [r.session_id for r in recovery.recover_unfinished(small_fs)] == ["open"]
    assert recovery.find_unfinished(small_fs) == []
