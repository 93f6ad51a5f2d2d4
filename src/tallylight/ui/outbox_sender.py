"""Send what waits in the outbox, one bundle after another; the share log records each answer.

Withdrawal requests whose study has an upload address (tallylight.share.withdrawal)
go the same way, as ``<request id>.tallylight-withdrawal.age`` (signed by the
participant, encrypted to the study's researchers; it holds ids and dates, no
captured data); the study module records the server's answer.

Used by the share dialog (right after the participant confirms), by the app at
start (bundles left by a crash or a dead network), and by ``tallylight share
--upload`` through ``python -m tallylight.ui.outbox_sender`` (the CLI itself never
imports Qt). A bundle leaves the outbox only after the server accepted it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from tallylight.errors import TallylightError
from tallylight.i18n import _
from tallylight.share import outbox, transfer, withdrawal_request
from tallylight.ui.upload import Upload

WITHDRAWAL_SUFFIX = withdrawal_request.SUFFIX


def current_address(p: outbox.Pending, data_dir: Path | None = None) -> str | None:
    """Where a waiting bundle goes now: the joined study's current upload address (a researcher
    replaces an expired link with a new manifest version), else the one it was confirmed with."""
    from tallylight.study import enrolment

    try:
        url = enrolment.load(p.study_id, data_dir).manifest.upload_url
    except TallylightError:
        url = None
    return url or p.url


class OutboxSender(QObject):
    """Sends ``bundles`` (default: everything pending), then ``requests`` (withdrawal requests), in order.

    Emits ``bundle_done`` per item (a bundle id or a request id), then ``all_done``.
    """

    progress = Signal(str, int, int)  # bundle id, bytes sent, total
    bundle_done = Signal(str, bool, str)  # bundle id, sent?, message
    all_done = Signal(int, int)  # sent, failed

    def __init__(
        self,
        bundles: Sequence[outbox.Pending] | None = None,
        data_dir: Path | None = None,
        requests: Sequence[Any] = (),
        parent: QObject | None = None,
        **upload_options: object,
    ) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.queue: list[Any] = [*(outbox.pending(data_dir) if bundles is None else bundles), *requests]
        self.upload_options = upload_options
        self.current: Upload | None = None
        self.current_pending: outbox.Pending | None = None
        self.sent = 0
        self.failed = 0
        self.cancelled = False

    def start(self) -> None:
        self._next()

    def cancel(self) -> None:
        self.cancelled = True
        self.queue.clear()
        if self.current is not None:
            self.current.cancel()

    def _next(self) -> None:
        if not self.queue:
            self.current = self.current_pending = None
            self.all_done.emit(self.sent, self.failed)
            return
        p = self.queue.pop(0)
        if not isinstance(p, outbox.Pending):
            self._send_request(p)
            return
        self.current_pending = p
        try:
            address = current_address(p, self.data_dir)
            if not address:
                raise TallylightError(_("This study has no upload address; use “Save bundle…” instead."))
            url = transfer.resolve_url(address, p.bundle_id)
            data = outbox.read_bundle(p, self.data_dir)
        except TallylightError as exc:
            self._done(p, False, str(exc), p.url or "")
            return
        up = Upload(url, data, parent=self, **self.upload_options)  # type: ignore[arg-type]  # tests' knobs
        self.current = up
        up.progress.connect(lambda sent, total, bid=p.bundle_id: self.progress.emit(bid, sent, total))
        up.finished.connect(lambda ok, msg, p=p, up=up: self._done(p, ok, msg, up.final_url))
        up.start()

    def _send_request(self, r: Any) -> None:
        """A withdrawal request (share.withdrawal.PendingRequest)."""
        from tallylight.share import withdrawal

        def done(ok: bool, message: str) -> None:
            if ok:
                try:
                    withdrawal.mark_sent(r.request_id, message, self.data_dir)
                except TallylightError as exc:
                    message = f"{message} ({exc})"
                self.sent += 1
            else:
                self.failed += 1
            self.bundle_done.emit(r.request_id, ok, message)
            self._next()

        try:
            url = transfer.resolve_url(r.url, r.request_id, WITHDRAWAL_SUFFIX)
            data = r.path.read_bytes()
        except (TallylightError, OSError) as exc:
            done(False, str(exc))
            return
        up = Upload(url, data, parent=self, **self.upload_options)  # type: ignore[arg-type]  # tests' knobs
        self.current = up
        up.finished.connect(done)
        up.start()

    def _done(self, p: outbox.Pending, ok: bool, message: str, where: str) -> None:
        """``where``: the address the bytes went to (after any same-origin redirect)."""
        p.attempts += 1
        p.last_answer = message
        try:
            if ok:
                outbox.log("sent", p, p.study_id, p.sessions, where, message, self.data_dir)
                outbox.remove(p, self.data_dir)
                self.sent += 1
            else:
                outbox.update(p, self.data_dir)
                action = "cancelled" if self.cancelled else "failed"
                outbox.log(action, p, p.study_id, p.sessions, where, message, self.data_dir)
                self.failed += 1
        except TallylightError as exc:
            ok, message = False, f"{message} ({exc})"
        self.bundle_done.emit(p.bundle_id, ok, message)
        self._next()


def main(argv: Sequence[str] | None = None) -> int:
    """Send pending bundles from a terminal; one line per event on stdout (used by ``tallylight share``)."""
    from PySide6.QtCore import QCoreApplication, QTimer

    parser = argparse.ArgumentParser(prog="python -m tallylight.ui.outbox_sender")
    parser.add_argument("--bundle", action="append", default=[], help="only these bundle ids")
    parser.add_argument(
        "--withdrawal", action="append", default=[], help="only these withdrawal requests (no bundles)"
    )
    args = parser.parse_args(argv)
    app = QCoreApplication.instance() or QCoreApplication([])
    from tallylight.share import withdrawal

    if args.withdrawal:
        pending: list[outbox.Pending] = []
        requests = [r for r in withdrawal.pending_uploads() if r.request_id in args.withdrawal]
    else:
        pending = [p for p in outbox.pending() if not args.bundle or p.bundle_id in args.bundle]
        requests = []
    sender = OutboxSender(pending, requests=requests)
    last: dict[str, int] = {}

    def on_progress(bid: str, sent: int, total: int) -> None:
        if total <= 0:  # no size yet: nothing honest to say
            return
        pct = int(100 * sent / total)
        if pct // 10 != last.get(bid, -1):
            last[bid] = pct // 10
            print(f"progress {bid} {sent} {total}", flush=True)

    sender.progress.connect(on_progress)
    sender.bundle_done.connect(
        lambda bid, ok, msg: print(f"{'sent' if ok else 'failed'} {bid} {msg}", flush=True)
    )
    sender.all_done.connect(lambda _sent, failed: app.exit(0 if failed == 0 else 9))
    QTimer.singleShot(0, sender.start)  # after exec() starts, so an empty outbox still exits
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
