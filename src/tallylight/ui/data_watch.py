"""One source of change notifications for every window that shows stored data.

The Sessions, Studies and Share windows (and the main window's link to the last
session) show what is on disk: sessions, studies joined, the outbox, the share
log. That data changes under them from many places: a recording ending, a cut or
delete in another window, ``tallylight sessions delete`` or ``study withdraw`` in
a terminal, the recorder of ``tallylight record``. Rather than each window
polling, one :class:`DataWatch` per app asks the kernel (inotify through
``QFileSystemWatcher``) to say when anything under the data folder changes, waits
until the changes settle, and emits :attr:`DataWatch.changed` once; each window
reloads itself from it (in a worker, as it already does when it opens).

It watches the data folder and the folders in it down to a session's or a
study's own folder (``store.layout`` and ``study.enrolment`` own their names;
this only walks what is there). Listing them is I/O, so it runs in a worker, and
the kernel watches are added back on the GUI thread. Only names change here:
nothing is read, nothing is decrypted.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal, Slot

from tallylight.store import layout
from tallylight.ui.tasks import TaskRunner, quietly

#: how deep under the data folder to watch: data/ → sessions/ → <id>/ → a study's sessions/
DEPTH = 3
#: wait this long after the last change before saying so (a cut or a recording's
#: start is a burst of file operations; windows reload once per burst)
SETTLE_MS = 150

_shared: DataWatch | None = None
#: watches of a data folder no longer in use, stopped but kept (never deleted under a running
#: event loop that may still hold one of their queued events)
_retired: list[DataWatch] = []


def shared() -> DataWatch:
    """The app's one watcher (made on first use, on the GUI thread; anew if the data folder moved)."""
    global _shared
    if _shared is not None and _shared.root() != _shared.started_at:
        _shared.shutdown()  # TALLYLIGHT_HOME changed (tests): watch the new folder
        _retired.append(_shared)
        _shared = None
    if _shared is None:
        _shared = DataWatch()
    return _shared


#: what a walk saw: each path with its modification time and size (a folder's changes when
#: an entry is added, removed or renamed in it)
Fingerprint = tuple[tuple[str, int, int], ...]


def _watchable(root: Path, depth: int = DEPTH) -> tuple[list[str], Fingerprint]:
    """Folders (and the data folder's own files) to watch, and what they looked like.

    The nearest existing parent stands in for a missing data folder. Runs in a
    worker. A folder that appears or vanishes while this walks is simply seen
    on the next walk.
    """
    if not root.is_dir():
        parent = root.parent
        while not parent.is_dir() and parent != parent.parent:
            parent = parent.parent
        return [str(parent)], ()
    # plain strings, no Path per entry: pathlib interns every part of every path it parses,
    # and the interpreter's table of interned strings never shrinks, so walking a data folder
    # of 500 sessions a few times a session grew it by 2 MiB (the soak, bench_soak.py)
    out = [str(root)]
    level = [str(root)]
    for d in range(depth):
        deeper: list[str] = []
        for folder in level:
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        if entry.is_dir(follow_symlinks=False):
                            deeper.append(entry.path)
                        elif d == 0 and entry.is_file(follow_symlinks=False):
                            out.append(entry.path)  # the vault, the share log
            except OSError:
                continue
        out.extend(deeper)
        level = deeper
    seen = []
    for path in out:
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError:
            continue
        seen.append((path, st.st_mtime_ns, st.st_size))
    return out, tuple(sorted(seen))


class DataWatch(QObject):
    """Emits :attr:`changed` once after anything under the data folder changed.

    A change made while a walk runs, before the kernel watches its new folders,
    is not lost: a walk that added watches is followed by another, and a walk
    that finds the folders other than the last one saw says so.
    """

    #: something under the data folder changed (sessions, studies, outbox, share log)
    changed = Signal()

    def __init__(self, data_dir: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._data_dir = data_dir
        self._tasks = TaskRunner(self, workers=1)
        self._fs = QFileSystemWatcher(self)
        self._fs.directoryChanged.connect(self._poke)
        self._fs.fileChanged.connect(self._poke)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._rescan)
        self._scanning = False
        self._again = False
        self._announce = False
        self._stopped = False
        self._seen: Fingerprint | None = None
        #: the kernel watches cover every folder there is (the last walk added none)
        self.live = False
        #: how many times :attr:`changed` was emitted (tests wait on it)
        self.changes = 0
        self.started_at = self.root()
        self._rescan(announce=False)

    def root(self) -> Path:
        return layout.data_root(self._data_dir)

    def watched(self) -> list[str]:
        return sorted(self._fs.directories() + self._fs.files())

    @Slot(str)
    def _poke(self, _path: str) -> None:
        self._settle.start()  # restarts: one notice per burst

    @Slot()
    def _rescan(self, announce: bool = True) -> None:
        if self._stopped:
            return
        self._announce = self._announce or announce
        if self._scanning:
            self._again = True  # a change during the walk: walk once more after it
            return
        self._scanning = True
        root = self.root()
        self._tasks.run(
            lambda: _watchable(root), self._watch, quietly("watching the data folder", self._failed)
        )

    def _watch(self, found: tuple[list[str], Fingerprint]) -> None:
        if self._stopped:
            return
        paths, seen = found
        now = set(self._fs.directories() + self._fs.files())
        wanted = set(paths)
        gone = sorted(now - wanted)
        new = sorted(wanted - now)
        if gone:
            self._fs.removePaths(gone)
        if new:
            self._fs.addPaths(new)  # a path that vanished meanwhile is skipped (and seen next time)
        differs = self._seen is not None and seen != self._seen
        self._seen = seen
        self._scanning = False
        self.live = not new
        if self._announce or differs:
            self._announce = False
            self.changes += 1
            self.changed.emit()
        if new or self._again:
            # what changed between this walk and its new watches is seen by the next walk
            self._again = False
            self._rescan(announce=False)

    def _failed(self) -> None:
        self._scanning = False

    def shutdown(self) -> None:
        """Stop watching for good: no more kernel watches, walks or notices."""
        self._settle.stop()
        self._stopped = True
        self._tasks.shutdown()
        self._fs.directoryChanged.disconnect(self._poke)
        self._fs.fileChanged.disconnect(self._poke)
        watched = self._fs.directories() + self._fs.files()
        if watched:
            self._fs.removePaths(watched)
