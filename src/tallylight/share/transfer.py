"""The upload policy, without Qt: where a bundle goes, which answers to retry, how long to wait.

The uploader itself (tallylight.ui.upload) uses Qt's network stack; everything
it decides comes from here, so the rules are tested without a network.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from tallylight.errors import ManifestError, ShareError
from tallylight.i18n import N_, _
from tallylight.share.bundle import SUFFIX
from tallylight.study.manifest import check_upload_url

REDIRECT_REFUSED = N_(
    "The server redirected the upload to another address (another host, or plain http); nothing was "
    "sent there, and the bundle is kept."
)
EXPIRED = N_("This upload link has expired — ask the researcher for a new one.")
MAX_ATTEMPTS = 6
BASE_DELAY_S = 1.0
MAX_DELAY_S = 60.0
TRANSFER_TIMEOUT_S = 120.0


def resolve_url(url: str, bundle_id: str, suffix: str = SUFFIX) -> str:
    """The address one bundle is PUT to (the same for every attempt: idempotent by bundle id).

    ``{bundle_id}`` in the URL is replaced; a URL ending in ``/`` (a WebDAV folder
    or file drop) gets ``<bundle id>.tallylight.age`` appended (``suffix``: another
    ending, e.g. for a withdrawal request); any other URL (an S3 presigned object
    URL) is used as it is. Only HTTPS, or HTTP to this machine.
    """
    try:
        check_upload_url(url, _("the upload address"))
    except ManifestError:
        raise ShareError(
            _(
                "The upload address must start with https:// (plain http is only allowed to this machine); "
                "nothing was sent."
            )
        ) from None
    if "{bundle_id}" in url:
        return url.replace("{bundle_id}", bundle_id)
    parts = urlsplit(url)
    if parts.path.endswith("/"):
        return urlunsplit(parts._replace(path=parts.path + bundle_id + suffix))
    return url


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def redirect_allowed(sent_to: str, location: str) -> bool:
    """Follow a redirect only within the same origin (scheme, host and port) to an allowed address.

    A bundle is encrypted, but where it lands is the participant's choice made in the
    preview: another host, or plain HTTP, is never where they agreed to send it.
    """
    try:
        check_upload_url(location, _("the redirect"))
        return _origin(location) == _origin(sent_to)
    except (ManifestError, ValueError):
        return False


@dataclass(frozen=True)
class Answer:
    """What to do after one attempt."""

    action: str  # done | retry | give_up
    message: str


def judge(status: int | None, network_error: str = "", timed_out: bool = False) -> Answer:
    """Decide from an HTTP status (None: no answer) and Qt's network error text."""
    if status is not None and 200 <= status < 300:
        return Answer("done", f"HTTP {status}")
    if status == 403:
        return Answer("give_up", _(EXPIRED))
    if status is not None and (status >= 500 or status in (408, 429)):
        return Answer("retry", _("the server is busy or failing (HTTP {status})").format(status=status))
    if status is not None:
        return Answer("give_up", _("The server refused the bundle (HTTP {status}).").format(status=status))
    if timed_out:
        return Answer("retry", _("the upload timed out"))
    return Answer("retry", _("the network failed ({error})").format(error=network_error or _("no answer")))


def delay_s(
    attempt: int,
    rng: Callable[[], float] = random.random,
    base: float = BASE_DELAY_S,
    cap: float = MAX_DELAY_S,
    retry_after: float | None = None,
) -> float:
    """Exponential backoff with full jitter before attempt ``attempt + 1`` (attempt counts from 1).

    A server's Retry-After is honoured, up to ``cap``.
    """
    ceiling: float = min(cap, base * 2 ** max(0, attempt - 1))
    wait = rng() * ceiling
    if retry_after is not None:
        wait = max(wait, min(cap, retry_after))
    return wait
