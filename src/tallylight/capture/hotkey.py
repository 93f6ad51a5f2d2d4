"""The global pause hotkey: detected by its own listener, removed from the recording.

Two parts that agree on what the hotkey is:

- :class:`HotkeyFilter` (pure, runs on the writer thread) takes the raw key
  stream in time order and removes the hotkey's own presses and releases, so the
  data never shows the participant pausing. It holds back presses of the
  hotkey's modifiers until it knows whether the hotkey follows.
- :class:`tallylight.capture.listeners.HotkeyListener` (pynput ``GlobalHotKeys``)
  fires the pause/resume. It records nothing, and runs for the whole session,
  so the hotkey also resumes.
"""

from __future__ import annotations

import sys
from typing import Any, NamedTuple

from tallylight.capture.keys import canonical_name
from tallylight.errors import UsageError
from tallylight.events import GapReason, Kind, Marker, RawEvent
from tallylight.i18n import _

HOLD_LIMIT_NS = 1_000_000_000  # a modifier held longer than this is passed on (bounded crash loss)

#: modifiers, in the order the human form names them
MODIFIERS = ("ctrl", "alt", "alt_gr", "shift", "cmd")
MODIFIER_NAMES = frozenset(MODIFIERS)
#: named keys that can end a hotkey: pynput ``Key`` members present on Linux, Windows and macOS
NAMED_KEYS = frozenset(
    {f"f{i}" for i in range(1, 13)}
    | {"space", "tab", "esc", "enter", "backspace", "delete", "home", "end", "page_up", "page_down"}
    | {"up", "down", "left", "right"}
)
#: other spellings people (and Qt's key sequences) use for the same keys
ALIASES = {
    "control": "ctrl",
    "ctl": "ctrl",
    "option": "alt",
    "altgr": "alt_gr",
    "alt_graph": "alt_gr",
    "super": "cmd",
    "meta": "cmd",
    "win": "cmd",
    "windows": "cmd",
    "command": "cmd",
    "escape": "esc",
    "return": "enter",
    "del": "delete",
    "pgup": "page_up",
    "pgdown": "page_down",
    "pgdn": "page_down",
    "pageup": "page_up",
    "pagedown": "page_down",
    "bksp": "backspace",
}
_HUMAN = {
    "ctrl": "Ctrl",
    "alt": "Alt",
    "alt_gr": "AltGr",
    "shift": "Shift",
    "esc": "Esc",
    "page_up": "Page Up",
    "page_down": "Page Down",
}
EXAMPLE = "Ctrl+Alt+P"


class Hotkey(NamedTuple):
    """A pause hotkey: one or more modifiers and one other key.

    ``parse_hotkey`` is the only reader of hotkeys (settings, recorder, CLI); ``human()``
    is how it is shown to people everywhere, ``pynput()`` what the listener is given.
    """

    modifiers: frozenset[str]
    trigger: str

    def pynput(self) -> str:
        """``<ctrl>+<alt>+p``: the form pynput's ``GlobalHotKeys`` takes (and settings store)."""
        mods = [f"<{m}>" for m in MODIFIERS if m in self.modifiers]
        key = f"<{self.trigger}>" if len(self.trigger) > 1 else self.trigger
        return "+".join([*mods, key])

    def human(self, platform: str | None = None) -> str:
        """``Ctrl+Alt+P``: the form shown to people (``Cmd`` on macOS, ``Super`` elsewhere)."""
        platform = platform or sys.platform
        names = dict(_HUMAN, cmd="Cmd" if platform == "darwin" else "Super")
        mods = [names[m] for m in MODIFIERS if m in self.modifiers]
        key = names.get(self.trigger) or (
            self.trigger.upper() if len(self.trigger) == 1 else self.trigger.title()
        )
        return "+".join([*mods, key])


def _name(part: str) -> str:
    """One key of a hotkey, in pynput's spelling: ``<Ctrl>``/``Ctrl`` → ctrl, ``Page Up`` → page_up."""
    if len(part) == 1:
        return part.lower()
    if part.startswith("<") and part.endswith(">"):
        part = part[1:-1]
    name = "_".join(part.strip().lower().replace("-", " ").split())
    return ALIASES.get(name, name)


def parse_hotkey(text: str) -> Hotkey:
    """The one hotkey parser: ``"<ctrl>+<alt>+p"`` or ``"Ctrl+Alt+P"`` → Hotkey({"ctrl", "alt"}, "p").

    At least one modifier (Ctrl, Alt, AltGr, Shift, Super/Cmd) and then exactly one
    other key: a letter, digit or punctuation key, F1–F12, or a named key that every
    platform's listener knows. Anything else is a UsageError saying what is wrong,
    so a hotkey that settings accept always works in the recorder.
    """
    raw = str(text).strip()
    if not raw or len(raw) > 100:
        raise UsageError(
            _("Cannot read the hotkey {text!r}; write it like {EXAMPLE}.").format(text=text, EXAMPLE=EXAMPLE)
        )
    parts = [p.strip() for p in raw.split("+")]
    if any(not p for p in parts):
        raise UsageError(
            _("Cannot read the hotkey {raw!r}; write it like {EXAMPLE} (the + key cannot be used).").format(
                raw=raw, EXAMPLE=EXAMPLE
            )
        )
    names = [_name(p) for p in parts]
    *mods, trigger = names
    if not mods:
        raise UsageError(
            _("The hotkey {raw!r} needs a modifier (Ctrl, Alt, Shift or Super) and then one key.").format(
                raw=raw
            )
        )
    bad = [p for p, n in zip(parts[:-1], mods, strict=True) if n not in MODIFIER_NAMES]
    if bad:
        raise UsageError(
            _(
                "{value!r} in the hotkey {raw!r} is not a modifier; start it with Ctrl, Alt, AltGr, Shift "
                "or Super."
            ).format(value=bad[0], raw=raw)
        )
    if len(set(mods)) != len(mods):
        raise UsageError(_("The hotkey {raw!r} names a modifier twice.").format(raw=raw))
    if trigger in MODIFIER_NAMES:
        raise UsageError(
            _("The hotkey {raw!r} has only modifiers; end it with one more key, like {EXAMPLE}.").format(
                raw=raw, EXAMPLE=EXAMPLE
            )
        )
    if len(trigger) == 1:
        if not trigger.isprintable() or trigger.isspace():
            raise UsageError(
                _("The hotkey {raw!r} ends in a key that cannot be typed; use a letter or digit.").format(
                    raw=raw
                )
            )
    elif trigger not in NAMED_KEYS:
        raise UsageError(
            _(
                "Tallylight does not know the key {value!r} in the hotkey {raw!r}; end it with a letter, a "
                "digit, F1–F12 or a key such as Space or Page Up."
            ).format(value=parts[-1], raw=raw)
        )
    return Hotkey(frozenset(mods), trigger)


def hotkey_problem(text: str) -> str:
    """'' if ``text`` is empty (no hotkey) or a usable hotkey, else the sentence saying why not."""
    if not str(text).strip():
        return ""
    try:
        parse_hotkey(text)
    except UsageError as exc:
        return str(exc)
    return ""


def human_hotkey(text: str) -> str:
    """How a stored hotkey is shown (``Ctrl+Alt+P``); unreadable text is shown as it is."""
    try:
        return parse_hotkey(text).human()
    except UsageError:
        return str(text)


class HotkeyFilter:
    """Removes the hotkey's own key events from a time-ordered raw stream."""

    def __init__(self, modifiers: frozenset[str], trigger: str) -> None:
        self.modifiers = modifiers
        self.trigger = trigger
        self._held: list[RawEvent] = []  # modifier presses waiting for a decision
        self._down: dict[Any, str] = {}  # phys → canonical name of keys down (passed or held)
        self._swallow: set[Any] = set()  # phys whose release is dropped
        self._expect_release: set[str] = set()  # after a hotkey resume: keys still held from the press

    def __call__(self, raw: RawEvent, out: list[RawEvent]) -> None:
        kind = raw[1]
        if kind == Kind.KEY_DOWN:
            self._key_down(raw, out)
        elif kind == Kind.KEY_UP:
            self._key_up(raw, out)
        else:
            if kind == Kind.MARKER and raw[3] == GapReason.PAUSE_HOTKEY:
                if raw[2] == Marker.RESUME:
                    self._expect_release = set(self.modifiers) | {self.trigger}
                elif raw[2] == Marker.PAUSE:
                    # the hotkey listener may stamp the pause before our hook stamps the
                    # trigger: the modifiers held back so far belong to the hotkey
                    self._swallow_held()
            self.flush(out)
            out.append(raw)

    def flush(self, out: list[RawEvent], older_than: int | None = None) -> None:
        """Pass on held presses (all, or those stamped before ``older_than``)."""
        if older_than is not None and (not self._held or self._held[0][0] >= older_than):
            return
        out.extend(self._held)
        self._held.clear()

    def _key_down(self, raw: RawEvent, out: list[RawEvent]) -> None:
        name = canonical_name(raw[2])
        phys = _phys(raw)
        self._expect_release.discard(name)
        if name in self.modifiers:
            self._down[phys] = name
            self._held.append(raw)
            return
        if name == self.trigger and self.modifiers <= set(self._down.values()):
            # the hotkey: drop it and the modifier presses still held back
            self._swallow.add(phys)
            self._swallow_held()
            return
        self.flush(out)
        self._down[phys] = name
        out.append(raw)

    def _swallow_held(self) -> None:
        for held in self._held:
            self._swallow.add(_phys(held))
        self._held.clear()

    def _key_up(self, raw: RawEvent, out: list[RawEvent]) -> None:
        phys = _phys(raw)
        name = self._down.pop(phys, None)
        if phys in self._swallow:
            self._swallow.discard(phys)
            return
        if name is None:
            name = canonical_name(raw[2])
            if name in self._expect_release:
                self._expect_release.discard(name)
                return
        self.flush(out)
        out.append(raw)


def _phys(raw: RawEvent) -> Any:
    return raw[3] if raw[3] is not None else canonical_name(raw[2])


__all__ = ["HOLD_LIMIT_NS", "Hotkey", "HotkeyFilter", "hotkey_problem", "human_hotkey", "parse_hotkey"]
