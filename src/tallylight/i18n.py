"""The participant's language: every word shown to people goes through here.

Catalogs are GNU gettext ``.mo`` files inside the package
(``tallylight/locale/<lang>/LC_MESSAGES/tallylight.mo``), compiled from the
``.po`` files beside them by ``make catalogs`` and kept in the repository, so a
checkout, a wheel and a frozen build all carry them with no build step.

The language is chosen lazily, on the first lookup, the way the desktop says:
``LANGUAGE`` (a colon list), then ``LC_ALL``, ``LC_MESSAGES``, ``LANG``; where
none is set (Windows, macOS apps started from the Dock) the OS's UI language
(the GUI passes Qt's via :func:`use_languages`). A language with no catalog
falls back to the next one, and finally to the English in the source.

Strings in module-level tables are marked with :func:`N_` and translated where
they are shown, so a table built at import still follows a later choice.
Placeholders are ``str.format`` names (``_("{n} sessions").format(n=n)``), never
f-strings, so translators can move them.
"""

from __future__ import annotations

import gettext
import os
import sys
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

DOMAIN = "tallylight"
#: where the catalogs live (inside the package: a wheel and a frozen build carry them)
LOCALE_DIR = Path(__file__).with_name("locale")
#: the pseudo-locale: every string 40 % longer, accented, and the layout right to left
PSEUDO = "en@pseudo"
_ENV_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_lock = threading.Lock()
_translation: gettext.NullTranslations | None = None
_chosen: list[str] | None = None  # set by use_languages(); None: follow the environment


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark ``message`` for the catalog without translating it (module-level tables)."""
    return message


def _(message: str) -> str:
    """``message`` in the participant's language."""
    return _current().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted phrase for ``n``, with the plural rule from the catalog."""
    return _current().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the participant's language, for one ``context`` (same English, other sense)."""
    return _current().pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    """:func:`ngettext` within one ``context``."""
    return _current().npgettext(context, singular, plural, n)


def use_languages(languages: Iterable[str] | None) -> None:
    """Choose the languages (first found wins); ``None`` follows the environment again.

    The GUI calls this with the OS's UI languages where no environment variable
    names one; tests call it to switch language within one process.
    """
    global _translation, _chosen
    with _lock:
        _chosen = None if languages is None else [str(lang) for lang in languages]
        _translation = None


def language() -> str:
    """The language whose catalog is in use (``en`` when none is: the source text)."""
    info = _current().info()
    return info.get("language", "en") or "en"


def is_rtl() -> bool:
    """Whether the language is written right to left (its catalog says so; the pseudo-locale does)."""
    # Translators: "RTL" for a language written right to left, else "LTR" as it is
    return pgettext("layout direction", "LTR") == "RTL"


def available() -> list[str]:
    """The languages that have a catalog."""
    if not LOCALE_DIR.is_dir():
        return []
    return sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))


def desktop_languages(environ: dict[str, str] | None = None) -> list[str]:
    """The desktop's languages, most preferred first (gettext's order of variables)."""
    env = os.environ if environ is None else environ
    for var in _ENV_VARS:
        value = env.get(var, "")
        if value:
            langs = [v for v in value.split(":") if v] if var == "LANGUAGE" else [value]
            # "C" and "POSIX" mean untranslated; LANGUAGE may still name languages after them
            return [lang for lang in langs if lang.split(".")[0] not in ("C", "POSIX")]
    return _os_languages()


def _os_languages() -> list[str]:
    """The OS's UI language where no variable names one (Windows; macOS gets it from Qt)."""
    if sys.platform == "win32":  # pragma: no cover - nothing runs Windows here
        import ctypes
        import locale

        lang_id = ctypes.windll.kernel32.GetUserDefaultUILanguage()  # type: ignore[attr-defined]
        name = locale.windows_locale.get(int(lang_id))
        return [name] if name else []
    return []


def candidates(lang: str) -> list[str]:
    """Catalog names to try for a locale name: ``de_AT.UTF-8@euro`` → ``de_AT@euro, de@euro, de_AT, de``."""
    lang = lang.replace("-", "_")
    base, _sep, modifier = lang.partition("@")
    base = base.split(".")[0]
    short = base.split("_")[0]
    names = []
    for name in (base, short):
        if modifier:
            names.append(f"{name}@{modifier}")
    names += [base, short]
    return list(dict.fromkeys(n for n in names if n))


def _find(languages: Sequence[str]) -> Path | None:
    for lang in languages:
        if lang.split("_")[0] == "en" and "@" not in lang:
            return None  # English is the source text
        for name in candidates(lang):
            path = LOCALE_DIR / name / "LC_MESSAGES" / f"{DOMAIN}.mo"
            if path.is_file():
                return path
    return None


def _current() -> gettext.NullTranslations:
    global _translation
    translation = _translation
    if translation is not None:
        return translation
    with _lock:
        if _translation is None:
            path = _find(desktop_languages() if _chosen is None else _chosen)
            if path is None:
                _translation = gettext.NullTranslations()
            else:
                with path.open("rb") as fp:
                    _translation = gettext.GNUTranslations(fp)
        return _translation
