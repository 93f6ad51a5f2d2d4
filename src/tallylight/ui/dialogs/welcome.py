"""First run: what Tallylight does and does not do, then the passphrase."""

from __future__ import annotations

import math
import string
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from tallylight.ui.tasks import TaskRunner

MIN_LENGTH = 10
COMMON = ("password", "passwort", "123456", "qwerty", "azerty", "letmein", "iloveyou", "tallylight", "abc123")

WHAT_IT_DOES = """
<p><b>Tallylight records how you type and use the mouse, for a research study you agreed to.</b></p>
<p><b>What it does</b></p>
<ul>
<li>Records only in sessions <i>you</i> start, and only until you pause or stop them.</li>
<li>Shows a light (this icon in the tray, or a small window) the whole time it records.</li>
<li>By default records the <i>timing</i> of keys and the kind of key (letter, space, backspace…),
    never which letter; plus mouse movements, clicks and scrolling.</li>
<li>Keeps everything encrypted on this computer.</li>
</ul>
<p><b>What it does not do</b></p>
<ul>
<li>It never records when no session runs, and never in secret.</li>
<li>It does not record what you type (unless you choose “exact keys” for a study that needs it),
    no screenshots, no window contents, no web pages.</li>
<li>It sends nothing anywhere. Sharing happens only when you choose to, after you have seen what is shared.</li>
</ul>
"""


def strength(passphrase: str) -> tuple[int, str]:
    """A rough, deliberately cautious strength estimate: (0..4, words). A hint, not a guarantee.

    Characters count by the alphabet they come from; a passphrase made of words
    counts about 11 bits per word (people choose words far from randomly), and
    the lower of the two estimates wins.
    """
    if not passphrase:
        return 0, "Enter a passphrase."
    if len(passphrase) < MIN_LENGTH:
        return 0, f"Too short: use at least {MIN_LENGTH} characters."
    pool = 0
    if any(c in string.ascii_lowercase for c in passphrase):
        pool += 26
    if any(c in string.ascii_uppercase for c in passphrase):
        pool += 26
    if any(c in string.digits for c in passphrase):
        pool += 10
    if any(not c.isalnum() for c in passphrase):
        pool += 33
    bits = len(set(passphrase)) * 1.0 + len(passphrase) * math.log2(max(pool, 2)) * 0.5
    words = [w for w in passphrase.replace("-", " ").replace("_", " ").split() if w]
    if len(words) >= 2:
        bits = min(bits, len(words) * 11.0)
    if len(set(passphrase)) <= 3:
        bits = min(bits, 20.0)
    low = passphrase.lower()
    repeated = any(
        len(low) % n == 0 and low == low[:n] * (len(low) // n) for n in range(1, len(low) // 2 + 1)
    )
    if repeated or any(common in low for common in COMMON):
        bits = min(bits, 30.0)
    if bits < 40:
        return 1, "Weak: add more words or characters."
    if bits < 55:
        return 2, "Fair: one or two more words would make it strong."
    if bits < 66:
        return 3, "Good."
    return 4, "Strong."


def keychain_answers() -> bool:
    """True if an OS keychain (via ``keyring``) answers within a few seconds."""
    try:
        import keyring
        from keyring.backends import fail
    except Exception:  # noqa: BLE001 - keyring is optional
        return False
    try:
        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
            return False
    except Exception:  # noqa: BLE001
        return False
    import threading

    answered: list[bool] = []

    def ask() -> None:
        try:
            keyring.get_password("tallylight", "probe")
            answered.append(True)
        except Exception:  # noqa: BLE001 - no answer
            pass

    t = threading.Thread(target=ask, daemon=True, name="tallylight-keychain-probe")
    t.start()
    t.join(3.0)
    return bool(answered)


def _vault_exists() -> bool:
    from tallylight.store import vault

    return vault.exists()


class WelcomeDialog(QDialog):
    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.setWindowTitle("Welcome to Tallylight")
        self.setAccessibleName("Welcome")
        self.stack = QStackedWidget()

        # page 1: what it does
        intro = QLabel(WHAT_IT_DOES)
        intro.setObjectName("welcomeText")
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        intro.setAccessibleName("What Tallylight does and does not do")
        intro.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.stack.addWidget(intro)

        # page 2: passphrase
        page = QWidget()
        self.pass_intro = QLabel(
            "Choose a passphrase. You need it to look at or share your recordings "
            "(recording itself does not need it).<br><br>"
            "<b>If you lose this passphrase, your recordings are lost.</b> Nobody — not the "
            "researchers, not the makers of Tallylight — can recover it. Write it down somewhere safe.<br><br>"
            "Tip: four or five random words make a strong passphrase that is easy to type."
        )
        self.pass_intro.setWordWrap(True)
        self.pass_intro.setTextFormat(Qt.TextFormat.RichText)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm.setAccessibleName("Repeat passphrase")
        self.show_pass = QCheckBox("S&how passphrase")
        self.show_pass.setAccessibleName("Show passphrase")
        self.show_pass.toggled.connect(self._toggle_echo)
        self.strength = QLabel()
        self.strength.setObjectName("strengthLabel")
        self.strength.setAccessibleName("Passphrase strength")
        self.keychain = QCheckBox(
            "Also keep the key in this computer's &keychain, so I am not asked every time"
        )
        self.keychain.setAccessibleName("Use the OS keychain")
        self.keychain.hide()
        self.keychain_note = QLabel("Looking for the computer's keychain…")
        self.keychain_note.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("statusLabel")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Status")
        form = QFormLayout()
        l1 = QLabel("&Passphrase:")
        l1.setBuddy(self.passphrase)
        l2 = QLabel("&Repeat it:")
        l2.setBuddy(self.confirm)
        form.addRow(l1, self.passphrase)
        form.addRow(l2, self.confirm)
        form.addRow("", self.show_pass)
        form.addRow("Strength:", self.strength)
        self.pass_form = QWidget()
        fl = QVBoxLayout(self.pass_form)
        fl.setContentsMargins(0, 0, 0, 0)
        fl.addLayout(form)
        fl.addWidget(self.keychain)
        fl.addWidget(self.keychain_note)
        pl = QVBoxLayout(page)
        pl.addWidget(self.pass_intro)
        pl.addWidget(self.pass_form)
        pl.addWidget(self.status)
        pl.addStretch(1)
        self.stack.addWidget(page)

        self.buttons = QDialogButtonBox()
        self.next_button = self.buttons.addButton("&Next", QDialogButtonBox.ButtonRole.ActionRole)
        self.finish_button = self.buttons.addButton(
            "&Create passphrase", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.later_button = self.buttons.addButton("&Later", QDialogButtonBox.ButtonRole.RejectRole)
        self.later_button.setToolTip("Close this; you will be asked again next time")
        self.finish_button.hide()
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self.next_page)
        self.finish_button.clicked.connect(self.create)
        self.later_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)
        layout.addWidget(self.buttons)
        self.passphrase.textChanged.connect(self._update)
        self.confirm.textChanged.connect(self._update)
        self._vault_exists = False
        self._keychain_ok = False
        self.tasks.run(_vault_exists, self._on_vault_checked, lambda exc: None)
        self.tasks.run(
            keychain_answers, self._on_keychain_checked, lambda exc: self._on_keychain_checked(False)
        )
        self._update()
        self.resize(self.sizeHint().expandedTo(self.minimumSizeHint()))

    def use_keychain(self) -> bool:
        return self._keychain_ok and self.keychain.isChecked()

    # ---- background results ----------------------------------------------
    def _on_vault_checked(self, exists: Any) -> None:
        self._vault_exists = bool(exists)
        try:
            if self._vault_exists:
                self.finish_button.setText("&Done")
            if self.stack.currentIndex() == 1:
                self._setup_passphrase_page()
            self._update()
        except RuntimeError:  # the dialog is gone
            pass

    def _on_keychain_checked(self, ok: Any) -> None:
        self._keychain_ok = bool(ok)
        try:
            self.keychain.setVisible(self._keychain_ok)
            self.keychain_note.setText(
                ""
                if self._keychain_ok
                else "No OS keychain answered, so you will type the passphrase when you open your recordings."
            )
        except RuntimeError:
            pass

    # ---- UI ------------------------------------------------------------
    @Slot()
    def next_page(self) -> None:
        self.stack.setCurrentIndex(1)
        self.next_button.hide()
        self.finish_button.show()
        self.finish_button.setDefault(True)
        self._setup_passphrase_page()
        self._update()

    def _setup_passphrase_page(self) -> None:
        if self._vault_exists:
            self.pass_intro.setText(
                "Your passphrase is already set up on this computer. You are ready to record."
            )
            self.pass_form.hide()
            self.finish_button.setEnabled(True)
            self.finish_button.setFocus()
        else:
            self.passphrase.setFocus()

    @Slot(bool)
    def _toggle_echo(self, on: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
        self.passphrase.setEchoMode(mode)
        self.confirm.setEchoMode(mode)

    @Slot()
    def _update(self) -> None:
        score, words = strength(self.passphrase.text())
        self.strength.setText(f"{'●' * score}{'○' * (4 - score)}  {words}")
        match = self.passphrase.text() == self.confirm.text()
        if self.confirm.text() and not match:
            self.status.setText("The two passphrases differ.")
        elif self.status.text() == "The two passphrases differ.":
            self.status.setText("")
        self.finish_button.setEnabled(self._vault_exists or (score >= 1 and match))

    @Slot()
    def create(self) -> None:
        if self._vault_exists:
            self.accept()
            return
        passphrase = self.passphrase.text()
        if passphrase != self.confirm.text() or strength(passphrase)[0] < 1:
            return
        keep = self.use_keychain()
        self.finish_button.setEnabled(False)
        self.status.setText("Creating your key…")

        def work() -> bool:
            from tallylight.store import vault

            v = vault.create_vault(passphrase)
            try:
                return vault.store_in_keychain(v) if keep else False
            except vault.KeychainRefused:  # only a file-based "keychain" here: the passphrase alone
                return False

        def done(in_keychain: Any) -> None:
            if keep and not in_keychain:
                self._keychain_ok = False
            self.passphrase.clear()
            self.confirm.clear()
            self.accept()

        def failed(exc: BaseException) -> None:
            self.status.setText(f"Could not create the key: {exc}")
            self.finish_button.setEnabled(True)

        self.tasks.run(work, done, failed)
