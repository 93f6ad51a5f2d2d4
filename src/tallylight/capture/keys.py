"""Turning a pynput key into what each privacy mode may keep.

Works on duck-typed key objects (pynput ``Key`` members have ``.name`` and a
``.value`` KeyCode; ``KeyCode`` has ``.char`` and ``.vk``), so the rules can be
tested without a display and pynput is never imported here.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from typing import Any

from tallylight.events import KeyClass

MODIFIERS = {
    "alt",
    "alt_l",
    "alt_r",
    "alt_gr",
    "cmd",
    "cmd_l",
    "cmd_r",
    "ctrl",
    "ctrl_l",
    "ctrl_r",
    "shift",
    "shift_l",
    "shift_r",
    "caps_lock",
    "num_lock",
    "scroll_lock",
}
NAVIGATION = {"up", "down", "left", "right", "home", "end", "page_up", "page_down", "tab", "insert"}
ENTER = {"enter"}
SPACE = {"space"}
DELETE = {"backspace", "delete"}


def key_name(key: Any) -> str:
    """The character a key produced, or its name (``shift``, ``f5``); '' if unknown."""
    if key is None:
        return ""
    name = getattr(key, "name", None)
    if isinstance(name, str) and not hasattr(key, "char"):
        return name  # a pynput Key enum member
    char = getattr(key, "char", None)
    if char:
        return str(char)
    vk = getattr(key, "vk", None)
    return f"<{vk}>" if vk is not None else ""


def canonical_name(key: Any) -> str:
    """A name that ignores left/right and shift state: ``ctrl_r`` → ``ctrl``, ``'P'`` → ``p``.

    Matches how hotkeys are written (``<ctrl>+<alt>+p``).
    """
    if key is None:
        return ""
    name = getattr(key, "name", None)
    if isinstance(name, str) and not hasattr(key, "char"):
        for suffix in ("_l", "_r"):
            if name.endswith(suffix):
                return name[: -len(suffix)]
        return name
    char = getattr(key, "char", None)
    if char:
        return str(char).lower()
    vk = getattr(key, "vk", None)
    return f"<{vk}>" if vk is not None else ""


def classify(key: Any) -> KeyClass:
    """The key's role; the only key information ``class`` mode keeps."""
    if key is None:
        return KeyClass.UNKNOWN
    name = getattr(key, "name", None)
    if isinstance(name, str) and not hasattr(key, "char"):
        return _classify_name(name)
    char = getattr(key, "char", None)
    if not char:
        return KeyClass.OTHER
    return _classify_char(str(char))


def _classify_name(name: str) -> KeyClass:
    if name in MODIFIERS:
        return KeyClass.MODIFIER
    if name in NAVIGATION:
        return KeyClass.NAVIGATION
    if name in ENTER:
        return KeyClass.ENTER
    if name in SPACE:
        return KeyClass.SPACE
    if name in DELETE:
        return KeyClass.BACKSPACE_DELETE
    if name.startswith("f") and name[1:].isdigit():
        return KeyClass.FUNCTION
    return KeyClass.OTHER


def _classify_char(char: str) -> KeyClass:
    if char == " ":
        return KeyClass.SPACE
    if char in "\r\n":
        return KeyClass.ENTER
    if char in "\b\x7f":
        return KeyClass.BACKSPACE_DELETE
    if len(char) != 1:
        return KeyClass.OTHER
    category = unicodedata.category(char)
    if category.startswith("L"):
        return KeyClass.LETTER
    if category == "Nd":
        return KeyClass.DIGIT
    if category.startswith(("P", "S")):
        return KeyClass.PUNCTUATION
    return KeyClass.OTHER


def physical_id(key: Any, keycode: int | None) -> int:
    """A stable number for the physical key, so downs and ups pair up.

    The X keycode (or Windows scan code) names the physical key; a KeyCode's
    character does not (``'H'`` goes down, ``'h'`` comes up). Without a hardware
    code we fall back to the virtual key or the lower-cased character.
    """
    if keycode:
        return int(keycode)
    scan = getattr(key, "_scan", None)
    if scan:
        return 0x10000 | int(scan)
    name = getattr(key, "name", None)
    if isinstance(name, str) and not hasattr(key, "char"):
        value = getattr(key, "value", None)
        vk = getattr(value, "vk", None)
        if vk is not None:
            return 0x20000 | (int(vk) & 0xFFFF)
        return 0x30000 | (int.from_bytes(hashlib.blake2s(name.encode()).digest()[:2], "big"))
    char = getattr(key, "char", None)
    if char:
        return 0x40000 | (ord(str(char).lower()[0]) & 0xFFFF)
    vk = getattr(key, "vk", None)
    return 0x50000 | (int(vk) & 0xFFFF) if vk is not None else 0


def keyed_hash(session_key: bytes, phys: int) -> int:
    """``hashed`` mode's per-session code: equal keys match within one session only.

    The key is random per session and never stored, so a dictionary of all
    ~100 keys cannot be replayed against the data afterwards.
    """
    digest = hmac.new(session_key, phys.to_bytes(8, "big"), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") or 1
