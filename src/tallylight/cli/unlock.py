"""Getting the vault passphrase from the participant (or a script) and unlocking.

Order: ``--passphrase-file FILE``, then ``TALLYLIGHT_PASSPHRASE``, then the OS
keychain (unlock only), then an interactive prompt. Without a terminal and
without either option, we refuse rather than hang.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from tallylight import paths
from tallylight.errors import UsageError, VaultError
from tallylight.hardening import protect_process
from tallylight.i18n import N_, _
from tallylight.store import vault
from tallylight.store.vault import UnlockedVault

ENV_VAR = "TALLYLIGHT_PASSPHRASE"

LOST_WARNING = N_(
    "Tallylight keeps your sessions encrypted under a passphrase you choose now.\n"
    "If you lose this passphrase, your recorded sessions are lost for good: nobody,\n"
    "including the Tallylight developers or your researcher, can recover them."
)


def add_passphrase_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--passphrase-file",
        metavar="FILE",
        type=absolute_path,
        help=_("read the vault passphrase from FILE (first line) instead of asking; or set {ENV_VAR}").format(
            ENV_VAR=ENV_VAR
        ),
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--keychain",
        action="store_true",
        help=_("when creating the vault, also keep its key in the system keychain (if there is one)"),
    )
    group.add_argument(
        "--no-keychain",
        action="store_true",
        help=_("do not try the system keychain; always use the passphrase"),
    )


def absolute_path(text: str) -> Path:
    """A path argument made absolute at once (the process may chdir("/") before using it)."""
    return Path(os.path.abspath(text))


def _from_file(path: Path) -> str:
    """The first line (FORMAT.md 12.3): bytes up to the first LF, one trailing CR removed, UTF-8."""
    try:
        raw = path.read_bytes().split(b"\n", 1)[0]
    except OSError as exc:
        raise UsageError(
            _("Cannot read the passphrase file {path} ({strerror}).").format(path=path, strerror=exc.strerror)
        ) from None
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(
            _("The first line of the passphrase file {path} is not UTF-8 text.").format(path=path)
        ) from None
    if not line:
        raise UsageError(_("The passphrase file {path} is empty.").format(path=path))
    return line


def read_passphrase(args: argparse.Namespace, *, confirm: bool, prompt: str = "Vault passphrase: ") -> str:
    """The passphrase from --passphrase-file, the environment, or a prompt."""
    path = getattr(args, "passphrase_file", None)
    if path:
        return _from_file(Path(path))
    env = os.environ.get(ENV_VAR)
    if env:
        try:
            env.encode("utf-8")
        except UnicodeEncodeError:
            raise UsageError(
                _("{ENV_VAR} is not valid UTF-8 text; set it again, or use --passphrase-file.").format(
                    ENV_VAR=ENV_VAR
                )
            ) from None
        return env
    if not sys.stdin.isatty():
        raise UsageError(
            _(
                "A passphrase is needed: use --passphrase-file FILE or set {ENV_VAR} (no terminal to ask on)."
            ).format(ENV_VAR=ENV_VAR)
        )
    first = getpass.getpass(prompt)
    if not first:
        raise UsageError(_("The passphrase must not be empty."))
    if confirm and getpass.getpass(_("Repeat the passphrase: ")) != first:
        raise UsageError(_("The two passphrases differ; nothing was changed."))
    return first


def ensure_vault(args: argparse.Namespace) -> None:
    """Create the vault on first use, with a new passphrase and a plain warning."""
    if vault.exists():
        return
    protect_process()  # the passphrase and the new private key are in memory from here on
    print(_(LOST_WARNING), file=sys.stderr)
    passphrase = read_passphrase(args, confirm=True, prompt="Choose a vault passphrase: ")
    created = vault.create_vault(passphrase)
    if getattr(args, "keychain", False):
        try:
            kept = vault.store_in_keychain(created)
        except vault.KeychainRefused as exc:
            print(exc, file=sys.stderr)
        else:
            if kept:
                print(_("The vault key is also kept in your system keychain."), file=sys.stderr)
            else:
                print(
                    _("No system keychain answered; the passphrase alone unlocks the vault."), file=sys.stderr
                )
    print(_("Created the key vault in {vault_path}.").format(vault_path=vault.vault_path()), file=sys.stderr)


def require_data() -> None:
    """Reading commands never create anything: without a vault, say where we looked."""
    if not vault.exists():
        raise VaultError(
            _(
                "There is no Tallylight data in {data_dir} (no key vault). Check "
                "TALLYLIGHT_HOME, or record a session first (`tallylight record` creates the "
                "vault)."
            ).format(data_dir=paths.data_dir())
        )


def unlock_vault(args: argparse.Namespace) -> UnlockedVault:
    """The unlocked vault; WrongPassphrase if the passphrase does not match."""
    protect_process()  # the passphrase and the device private key are in memory from here on
    explicit = getattr(args, "passphrase_file", None) or os.environ.get(ENV_VAR)
    if not explicit and not getattr(args, "no_keychain", False):
        found = vault.unlock_with_keychain()
        if found is not None:
            return found
    return vault.unlock(read_passphrase(args, confirm=False))
