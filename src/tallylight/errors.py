"""One error hierarchy for the whole app.

Every error a participant or researcher can cause (bad input, missing display,
wrong passphrase, full disk) is a ``TallylightError``; each interface turns it
into a message in exactly one place (the CLI dispatcher, the GUI error dialog).
Anything else that escapes is a bug.
"""

from __future__ import annotations


class TallylightError(Exception):
    """Base of every expected failure; ``str(err)`` is a user-facing sentence."""

    #: process exit status the CLI uses for this kind of failure
    exit_code: int = 1


class UsageError(TallylightError):
    """The command line or a setting asks for something invalid."""

    exit_code = 2


class CaptureUnavailable(TallylightError):
    """Global input capture cannot work in this environment (no display, Wayland...)."""

    exit_code = 3


class RecorderError(TallylightError):
    """The recorder process failed, refused a command, or could not be reached."""

    exit_code = 4


class StoreError(TallylightError):
    """Reading or writing session data failed."""

    exit_code = 5


class StorageFull(StoreError):
    """The disk is full or a size limit was hit; what was sealed is kept."""


class AuthenticationError(StoreError):
    """Data did not authenticate: wrong key, tampering or corruption.

    Deliberately opaque (one error for every authentication failure, as in
    pyca's Fernet) so that a reader never hints at which byte was wrong.
    """


class VaultError(TallylightError):
    """The key vault is missing, locked or damaged."""

    exit_code = 6


class WrongPassphrase(VaultError):
    """The passphrase does not unlock the vault."""


class AppNotRunning(TallylightError):
    """A command for the tray app found no running app to receive it."""

    exit_code = 7


class StudyError(TallylightError):
    """A study cannot be joined, used or left as asked (not enrolled, ended, withdrawn...)."""

    exit_code = 8


class ManifestError(StudyError):
    """A study manifest is malformed, unsigned, wrongly signed, expired or changed.

    ``field`` names the offending field (dotted, e.g. ``study.end``) when there is one.
    """

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class TaskError(StudyError):
    """A study task cannot run as asked (it does not fit the screen, its consent was not given...)."""


class ShareError(TallylightError):
    """Building, sending or opening a bundle failed (nothing was lost: the sessions are untouched)."""

    exit_code = 9


class BundleError(ShareError):
    """A bundle does not decrypt, does not verify, or is not for this study."""


class ResourceMissing(TallylightError):
    """A file of the app's own (an icon, a licence text) is missing: the installation is incomplete."""

    exit_code = 70
