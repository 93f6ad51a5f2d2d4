"""First run: what Tallylight does and does not do, then the passphrase."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from tallylight.i18n import N_, _
from tallylight.ui import icons
from tallylight.ui.fit import fit_on_show, fit_to_screen, scroll_body
from tallylight.ui.tasks import TaskRunner, quietly
from tallylight.words import AppState, app_state_words

STRENGTH_WORDS = (N_("Very weak"), N_("Weak"), N_("Fair"), N_("Good"), N_("Strong"))
MIN_SCORE = 2  # "Fair" or better is accepted

WHAT_IT_DOES = N_("""
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
<li>It sends nothing anywhere. Sharing happens only when you choose to,
    after you have seen what is shared.</li>
</ul>
""")


def strength(passphrase: str, user_words: tuple[str, ...] = ("tallylight",)) -> tuple[int, str]:
    """zxcvbn's rating (0..4) and plain words for it: a hint, not a guarantee.

    The time is for an attacker guessing offline against a slow hash (Argon2id here),
    10,000 guesses a second.
    """
    if not passphrase:
        return 0, _("Enter a passphrase.")
    from zxcvbn import zxcvbn

    result = zxcvbn(passphrase[:100], user_inputs=list(user_words))  # long inputs are slow to rate
    score = int(result["score"])
    time = result["crack_times_display"]["offline_slow_hashing_1e4_per_second"]
    warning = str(result["feedback"].get("warning") or "")
    text = _("{strength}: guessing it would take {time}.").format(
        strength=_(STRENGTH_WORDS[score]), time=time
    )
    if warning:
        text += f" {warning}"
    elif score < MIN_SCORE:
        text += _(" Add another word or two.")
    return score, text


NEXT_STEP_TRAY = N_(
    "To start a session, click the ring in the tray and choose <b>Start session…</b>, "
    "or open Tallylight again from your applications and press <b>Ctrl+R</b>. "
    "Nothing is recorded until you do."
)
NEXT_STEP_WINDOW = N_(
    "To start a session, choose <b>Start session…</b> in the Tallylight window "
    "(or press <b>Ctrl+R</b> there). Nothing is recorded until you do."
)


def keychain_answers() -> bool:
    """True if a keychain the vault would use (one the OS protects) answers within a few seconds.

    KeychainRefused (a sentence) when the only keychain is a file: offering it and then dropping
    the choice silently, as the vault refuses it, told the participant something untrue.
    """
    try:
        import keyring
        from keyring.backends import fail
    except Exception:  # noqa: BLE001 - keyring is optional
        return False
    from tallylight.store import vault

    try:
        found = keyring.get_keyring()
        if isinstance(found, fail.Keyring) or getattr(found, "priority", 1) <= 0:
            return False
    except Exception:  # noqa: BLE001 - a keyring that cannot even say what it is: no keychain
        return False
    backend = vault.os_protected_backend(found)  # KeychainRefused for a file keyring
    if backend is None:
        return False
    import threading

    answered: list[bool] = []

    def ask() -> None:
        try:
            backend.get_password("tallylight", "probe")
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
        self.setWindowTitle(_("Welcome to Tallylight"))
        self.setAccessibleName(_("Welcome"))
        self.stack = QStackedWidget()

        self._build_intro_page()
        self._build_passphrase_fields()
        self._build_passphrase_page()
        self._build_next_step_page()
        self._build_buttons()

        layout = QVBoxLayout(self)
        self.body = scroll_body(self.stack)
        layout.addWidget(self.body, 1)  # scrolls on a small screen; the buttons never do
        layout.addWidget(self.buttons)
        fit_on_show(self)
        self.stack.currentChanged.connect(self._refit)  # pages differ in height
        self.passphrase.textChanged.connect(self._update)
        self.confirm.textChanged.connect(self._update)
        self._vault_exists = False
        self._keychain_ok = False
        self.tasks.run(_vault_exists, self._on_vault_checked, quietly("looking for an existing vault"))
        self.tasks.run(keychain_answers, self._on_keychain_checked, self._on_keychain_failed)
        self._update()
        self.resize(self.sizeHint().expandedTo(self.minimumSizeHint()))

    def _build_intro_page(self) -> None:
        """Page 1: what Tallylight does, beside the light it speaks of."""
        intro = QLabel(_(WHAT_IT_DOES))
        intro.setObjectName("welcomeText")
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        intro.setAccessibleDescription(_("What Tallylight does and does not do"))
        intro.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        intro.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)  # no band above it
        self.intro = intro
        # the icon the text speaks of, as the tray shows it: at rest, and while recording
        lights = QHBoxLayout()
        self.lights: list[QLabel] = []
        for state in (AppState.IDLE, AppState.RECORDING):
            light = QLabel()
            light.setPixmap(icons.light_pixmap(state, 32))
            light.setAccessibleName(_("Tallylight's light: {state}").format(state=app_state_words(state)))
            caption = QLabel(app_state_words(state))
            lights.addWidget(light)
            lights.addWidget(caption)
            lights.addSpacing(16)
            self.lights.append(light)
        lights.addStretch(1)
        first = QWidget()
        fl1 = QVBoxLayout(first)
        fl1.setContentsMargins(0, 0, 0, 0)
        fl1.addWidget(intro)
        fl1.addLayout(lights)
        fl1.addStretch(1)
        self.stack.addWidget(first)

    def _build_passphrase_fields(self) -> None:
        """Page 2's fields, with the warning that a lost passphrase is lost data."""
        self.pass_intro = QLabel(
            _(
                "Choose a passphrase. You need it to look at or share your recordings (recording "
                "itself does not need it).<br><br><b>There is no way to reset or recover this "
                "passphrase.</b> If you forget it, nobody — not the researchers, not the makers "
                "of Tallylight — can open your recordings again. Write it down and keep it "
                "somewhere safe.<br><br>Tip: four or five random words make a strong passphrase "
                "that is easy to type."
            )
        )
        self.pass_intro.setWordWrap(True)
        self.pass_intro.setTextFormat(Qt.TextFormat.RichText)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName(_("Passphrase"))
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm.setAccessibleName(_("Repeat passphrase"))
        self.show_pass = QCheckBox(_("S&how passphrase"))
        self.show_pass.setAccessibleName(_("Show passphrase"))
        self.show_pass.toggled.connect(self._toggle_echo)
        self.strength = QLabel()
        self.strength.setObjectName("strengthLabel")
        self.strength.setWordWrap(True)
        self.understood = QCheckBox(
            _("I understand: if I lose this passphrase, my recordings cannot be opened again")
        )
        self.understood.setAccessibleName(_("I understand that a lost passphrase cannot be recovered"))
        self.understood.toggled.connect(self._update)
        self.keychain = QCheckBox(
            _("Also keep the key in this computer's &keychain, so I am not asked every time")
        )
        self.keychain.setAccessibleName(_("Use the OS keychain"))
        self.keychain.hide()
        self.keychain_note = QLabel(_("Looking for the computer's keychain…"))
        self.keychain_note.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("statusLabel")
        self.status.setWordWrap(True)
        self.status.setAccessibleDescription(_("Status"))

    def _build_passphrase_page(self) -> None:
        """Page 2 laid out: the keychain's choice shows only once it answers."""
        page = QWidget()
        form = QFormLayout()
        l1 = QLabel(_("&Passphrase:"))
        l1.setBuddy(self.passphrase)
        l2 = QLabel(_("&Repeat it:"))
        l2.setBuddy(self.confirm)
        form.addRow(l1, self.passphrase)
        form.addRow(l2, self.confirm)
        form.addRow("", self.show_pass)
        form.addRow(_("Strength:"), self.strength)
        form.addRow("", self.understood)
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

    def _build_next_step_page(self) -> None:
        """Page 3: the next step, so the welcome never just vanishes."""
        self.next_step = QLabel()
        self.next_step.setObjectName("nextStep")
        self.next_step.setWordWrap(True)
        self.next_step.setTextFormat(Qt.TextFormat.RichText)
        self.next_step.setAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        )  # no band above it
        self.stack.addWidget(self.next_step)
        self.start_requested = False

    def _build_buttons(self) -> None:
        """One row for all pages; which buttons show depends on the page."""
        self.buttons = QDialogButtonBox()
        self.next_button = self.buttons.addButton(_("&Next"), QDialogButtonBox.ButtonRole.ActionRole)
        self.finish_button = self.buttons.addButton(
            _("&Create passphrase"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.start_now_button = self.buttons.addButton(
            _("&Start a session now"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.start_now_button.hide()
        self.start_now_button.clicked.connect(self._start_now)
        self.close_button = self.buttons.addButton(_("&Close"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button.hide()
        self.close_button.clicked.connect(self.accept)
        self.later_button = self.buttons.addButton(_("&Later"), QDialogButtonBox.ButtonRole.RejectRole)
        self.later_button.setToolTip(_("Close this; you will be asked again next time"))
        self.finish_button.hide()
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self.next_page)
        self.finish_button.clicked.connect(self.finish)
        self.later_button.clicked.connect(self.reject)

    def use_keychain(self) -> bool:
        return self._keychain_ok and self.keychain.isChecked()

    # ---- background results ----------------------------------------------
    def _on_vault_checked(self, exists: Any) -> None:
        self._vault_exists = bool(exists)
        try:
            if self._vault_exists:
                self.finish_button.setText(_("&Done"))
            if self.stack.currentIndex() == 1:
                self._setup_passphrase_page()
            self._update()
        except RuntimeError:  # the dialog is gone
            pass

    def _on_keychain_failed(self, exc: BaseException) -> None:
        from tallylight.store.vault import KeychainRefused

        self._on_keychain_checked(False, str(exc) if isinstance(exc, KeychainRefused) else "")

    def _on_keychain_checked(self, ok: Any, refused: str = "") -> None:
        self._keychain_ok = bool(ok)
        try:
            self.keychain.setVisible(self._keychain_ok)
            self.keychain_note.setText(
                ""
                if self._keychain_ok
                else refused
                or _(
                    "No OS keychain answered, so you will type the passphrase when you open your recordings."
                )
            )
            self._refit()  # the page grew or shrank after the window was fitted
        except RuntimeError:
            pass

    # ---- UI ------------------------------------------------------------
    def _refit(self, *_args: object) -> None:
        if self.isVisible():
            self.body.updateGeometry()  # its size hint follows the page shown
            fit_to_screen(self)

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
                _("Your passphrase is already set up on this computer. You are ready to record.")
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
        self.strength.setText(words)
        match = self.passphrase.text() == self.confirm.text()
        if self.confirm.text() and not match:
            self.status.setText(_("The two passphrases differ."))
        elif self.status.text() == "The two passphrases differ.":
            self.status.setText("")
        self.finish_button.setEnabled(
            self._vault_exists or (score >= MIN_SCORE and match and self.understood.isChecked())
        )

    @Slot()
    def finish(self) -> None:
        if self._vault_exists:
            self.show_next_step()
            return
        passphrase = self.passphrase.text()
        if (
            passphrase != self.confirm.text()
            or strength(passphrase)[0] < MIN_SCORE
            or not self.understood.isChecked()
        ):
            return
        keep = self.use_keychain()
        self.finish_button.setEnabled(False)
        self.status.setText(_("Creating your key…"))

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
            self.show_next_step()

        def failed(exc: BaseException) -> None:
            self.status.setText(_("Could not create the key: {exc}").format(exc=exc))
            self.finish_button.setEnabled(True)

        self.tasks.run(work, done, failed)

    def set_next_step(self, text: str) -> None:
        """How to start a session in this app (tray or window), said on the last page."""
        self._next_step_text = text

    def show_next_step(self) -> None:
        """The last page: the passphrase is set up; here is how to start a session."""
        how = getattr(self, "_next_step_text", "") or NEXT_STEP_TRAY
        self.next_step.setText(_("<p><b>You are ready.</b></p><p>{how}</p>").format(how=_(how)))
        self.stack.setCurrentIndex(2)
        for button in (self.next_button, self.finish_button, self.later_button):
            button.hide()
        self.start_now_button.show()
        self.close_button.show()
        self.start_now_button.setDefault(True)
        self.start_now_button.setFocus()

    @Slot()
    def _start_now(self) -> None:
        self.start_requested = True
        self.accept()
