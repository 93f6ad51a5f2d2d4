"""Sending a bundle: HTTP PUT with Qt's QNetworkAccessManager (S3 presigned URLs, WebDAV drops).

The body is one QByteArray, so Qt sends a known Content-Length (S3 and MinIO
refuse chunked uploads). The policy — which answers to retry, how long to wait,
where the bundle goes — is tallylight.share.transfer's; this class only runs it
on the Qt event loop: no threads, signals on the main thread.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from PySide6.QtCore import QByteArray, QObject, QTimer, QUrl, Signal, Slot
from PySide6.QtNetwork import QNetworkAccessManager, QNetworkReply, QNetworkRequest

from tallylight import __version__
from tallylight.i18n import _
from tallylight.share import transfer

USER_AGENT = f"Tallylight/{__version__}".encode("ascii")


class Upload(QObject):
    """One bundle's PUT with retries. Emits ``progress(sent, total)`` and ``finished(ok, message)``."""

    progress = Signal(int, int)
    attempt_failed = Signal(int, str)  # attempt number, why (it will be retried)
    finished = Signal(bool, str)

    def __init__(
        self,
        url: str,
        data: bytes,
        *,
        nam: QNetworkAccessManager | None = None,
        max_attempts: int = transfer.MAX_ATTEMPTS,
        base_delay_s: float = transfer.BASE_DELAY_S,
        rng: Callable[[], float] = random.random,
        timeout_s: float = transfer.TRANSFER_TIMEOUT_S,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.url = url  # already resolved and checked (transfer.resolve_url)
        self.final_url = url  # where the bytes went (a same-origin redirect moves it)
        self._body = QByteArray(data)
        self._nam = nam or QNetworkAccessManager(self)
        self._max = max_attempts
        self._base = base_delay_s
        self._rng = rng
        self._timeout_ms = int(timeout_s * 1000)
        self._reply: QNetworkReply | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._attempt)
        self.attempts = 0
        self.done = False
        self.ok = False
        self.message = ""

    def start(self) -> None:
        self._attempt()

    @Slot()
    def cancel(self) -> None:
        if self.done:
            return
        self._timer.stop()
        reply, self._reply = self._reply, None
        if reply is not None:
            reply.finished.disconnect()
            reply.abort()
            reply.deleteLater()
        self._finish(False, _("Cancelled; the bundle is kept and can be sent later or saved."))

    @Slot()
    def _attempt(self) -> None:
        if self.done:
            return
        self.attempts += 1
        req = QNetworkRequest(QUrl(self.url))
        req.setHeader(QNetworkRequest.KnownHeaders.ContentTypeHeader, "application/octet-stream")
        req.setHeader(QNetworkRequest.KnownHeaders.ContentLengthHeader, self._body.size())
        req.setTransferTimeout(self._timeout_ms)
        req.setAttribute(
            QNetworkRequest.Attribute.RedirectPolicyAttribute,
            QNetworkRequest.RedirectPolicy.UserVerifiedRedirectPolicy,
        )
        # fixed, neutral headers: nothing about this desktop (its language, Qt's version)
        req.setRawHeader(b"User-Agent", USER_AGENT)
        req.setRawHeader(b"Accept-Language", b"*")
        self.final_url = self.url
        reply = self._nam.put(req, self._body)
        self._reply = reply
        reply.redirected.connect(self._on_redirected)
        reply.uploadProgress.connect(self._on_progress)
        reply.finished.connect(self._on_finished)

    @Slot(QUrl)
    def _on_redirected(self, target: QUrl) -> None:
        reply = self._reply
        if reply is None or self.done:
            return
        location = target.toString()
        if transfer.redirect_allowed(self.final_url, location):
            self.final_url = location
            reply.redirectAllowed.emit()
            return
        self._reply = None
        reply.finished.disconnect()
        reply.abort()
        reply.deleteLater()
        self._finish(False, _(transfer.REDIRECT_REFUSED))

    @Slot(int, int)
    def _on_progress(self, sent: int, total: int) -> None:
        self.progress.emit(int(sent), int(total if total > 0 else self._body.size()))

    @Slot()
    def _on_finished(self) -> None:
        reply, self._reply = self._reply, None
        if reply is None or self.done:
            return
        status = reply.attribute(QNetworkRequest.Attribute.HttpStatusCodeAttribute)
        error = reply.error()
        timed_out = error == QNetworkReply.NetworkError.OperationCanceledError
        retry_after = _retry_after(reply)
        answer = transfer.judge(int(status) if status is not None else None, reply.errorString(), timed_out)
        reply.deleteLater()
        if answer.action == "done":
            self.progress.emit(self._body.size(), self._body.size())
            self._finish(True, answer.message)
        elif answer.action == "retry" and self.attempts < self._max:
            self.attempt_failed.emit(self.attempts, answer.message)
            wait = transfer.delay_s(self.attempts, self._rng, self._base, retry_after=retry_after)
            self._timer.start(int(wait * 1000))
        elif answer.action == "retry":
            self._finish(
                False,
                _(
                    "Sending failed after {attempts} attempts ({message}); "
                    "the bundle is kept and will be sent again when Tallylight next starts."
                ).format(attempts=self.attempts, message=answer.message),
            )
        else:
            self._finish(False, answer.message)

    def _finish(self, ok: bool, message: str) -> None:
        self.done, self.ok, self.message = True, ok, message
        self.finished.emit(ok, message)


def _retry_after(reply: QNetworkReply) -> float | None:
    if not reply.hasRawHeader("Retry-After"):
        return None
    raw = bytes(reply.rawHeader("Retry-After").data()).strip()
    try:
        return float(raw) if raw else None
    except ValueError:
        return None
