"""What a signal connection leaves behind in PySide6 after its sender is deleted.

    python benchmarks/bench_connection_residue.py [--connections 3000]

Every session the app's controller makes a RecorderProcess and connects its signals. With
PySide6 6.11, a connection to a plain Python object's method (the session model's) or to
another signal's ``emit`` keeps memory after the sender is deleted; a connection to a method
of the receiving QObject does not. The controller therefore connects the recorder only to its
own methods. This prints the Python memory still allocated (tracemalloc) per connection for
each kind, with senders made, connected, emitted and deleted as the controller's are.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tracemalloc

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal, Slot


class Sender(QObject):
    error = Signal(str, bool)
    preview = Signal(object)


class Model:  # a plain Python object, as the session model is
    def on_error(self, message: str, fatal: bool) -> None:
        pass


class Receiver(QObject):
    relay = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.model = Model()

    @Slot(str, bool)
    def on_error(self, message: str, fatal: bool) -> None:
        self.model.on_error(message, fatal)

    @Slot(object)
    def on_preview(self, preview: object) -> None:
        self.relay.emit(preview)


def residue(receiver: Receiver, kind: str, n: int) -> float:
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for _ in range(n):
        sender = Sender(receiver)
        if kind == "a plain object's method":
            sender.error.connect(receiver.model.on_error)
        elif kind == "another signal's emit":
            sender.preview.connect(receiver.relay.emit)
        elif kind == "the receiver's own slot":
            sender.error.connect(receiver.on_error)
        elif kind == "the receiver's own slot, relaying":
            sender.preview.connect(receiver.on_preview)
        sender.error.emit("x", False)
        sender.preview.emit({})
        sender.deleteLater()
        del sender
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return kept / n


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--connections", type=int, default=3000)
    args = ap.parse_args()
    app = QCoreApplication(sys.argv[:1])
    receiver = Receiver()
    kinds = (
        "a plain object's method",
        "another signal's emit",
        "the receiver's own slot",
        "the receiver's own slot, relaying",
    )
    import PySide6

    print(f"PySide6 {PySide6.__version__}, {args.connections} senders per kind")
    for kind in kinds:
        print(f"  {kind:36s} {residue(receiver, kind, args.connections):7.1f} B kept per connection")
    print(f"load average {os.getloadavg()[0]:.2f}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
