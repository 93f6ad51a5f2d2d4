#!/usr/bin/env python3
"""Build the message catalogs (``make catalogs``): extract, update, pseudo-translate, compile.

1. Extracts every string marked with ``_``, ``N_``, ``ngettext``, ``pgettext``
   from ``src/tallylight`` (Babel's Python extractor).
2. Updates each language's ``.po`` under ``src/tallylight/locale`` (new strings
   come in untranslated; strings no longer in the source are dropped; no fuzzy
   guesses, which would show a wrong sentence).
3. Writes the pseudo-locale's ``.po``: every string accented and 40 % longer,
   placeholders and mnemonics kept, and the layout direction RTL.
4. Compiles every ``.po`` to the ``.mo`` the app reads (both are committed, so a
   checkout, a wheel and a frozen build need no build step).

Locations are left out and entries sorted, so parallel edits of the source do
not conflict in the catalogs.
"""

from __future__ import annotations

import datetime
import math
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "tallylight"
LOCALE_DIR = SOURCE / "locale"
DOMAIN = "tallylight"
PSEUDO = "en@pseudo"
#: a fixed date: the catalogs change only when their messages do
DATE = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)

_PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ACCENTED = "áƀçđéƒĝĥíĵķĺɱñóþǫŕšŧúṽŵẋýžÅƁÇĐÉƑĜĤÍĴĶĹṀÑÓÞǪŔŠŦÚṼŴẊÝŽ"
_ACCENT = str.maketrans(_PLAIN, _ACCENTED)
#: what a translation must keep as it is: placeholders, markup, entities, mnemonics, line breaks
KEEP = re.compile(r"\{[^{}]*\}|%\([^)]*\)[a-z]|%[a-z%]|<[^>]*>|&[a-z]+;|&.|\n")


def pseudo(text: str) -> str:
    """``text`` accented, in brackets, padded to 140 % of its length; placeholders kept."""
    out, pos = [], 0
    for m in KEEP.finditer(text):
        out.append(text[pos : m.start()].translate(_ACCENT))
        out.append(m.group(0))
        pos = m.end()
    out.append(text[pos:].translate(_ACCENT))
    pad = max(2, math.ceil(len(text) * 0.4))
    filler = ("~~~~ " * pad)[: pad - 2]  # breakable, as real words are
    return "[" + "".join(out) + filler + "]"


HEADER = "# Tallylight's messages ({lang}). Made by `make catalogs`; translate the msgstr lines.\n#"


def _catalog(lang: str | None) -> Catalog:
    return Catalog(
        locale=lang,
        domain=DOMAIN,
        header_comment=HEADER.format(lang=lang or "template"),
        project="Tallylight",
        version="",
        copyright_holder="the Tallylight authors",
        msgid_bugs_address="",
        creation_date=DATE,
        revision_date=DATE,
        last_translator="the Tallylight authors",
        language_team=lang or "",
        charset="utf-8",
        fuzzy=False,
    )


def template() -> Catalog:
    cat = _catalog(None)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(SOURCE),
        method_map=[("**.py", "python")],
        keywords=DEFAULT_KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    ):
        cat.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return cat


def _write(cat: Catalog, po: Path) -> None:
    po.parent.mkdir(parents=True, exist_ok=True)
    with po.open("wb") as fp:
        write_po(fp, cat, width=100, no_location=True, sort_output=True, ignore_obsolete=True)
    with po.with_suffix(".mo").open("wb") as fp:
        write_mo(fp, cat, use_fuzzy=False)


def update(lang: str, tmpl: Catalog) -> Catalog:
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if po.exists():
        with po.open("rb") as fp:
            cat = read_po(fp, locale=lang.split("@")[0], domain=DOMAIN)
    else:
        cat = _catalog(lang)
    cat.update(tmpl, no_fuzzy_matching=True, update_creation_date=False)
    cat.revision_date = DATE
    cat.creation_date = DATE
    cat.fuzzy = False
    _write(cat, po)
    return cat


def pseudo_catalog(tmpl: Catalog) -> Catalog:
    cat = _catalog("en")
    cat.language_team = "pseudo-locale: 40 % longer, right to left (generated, never edit)"
    for msg in tmpl:
        if not msg.id:
            continue
        if msg.context == "layout direction":
            string: str | tuple[str, ...] = "RTL"
        elif msg.pluralizable:
            string = tuple(pseudo(form) for form in msg.id)
        else:
            string = pseudo(msg.id)
        cat.add(msg.id, string, context=msg.context)
    _write(cat, LOCALE_DIR / PSEUDO / "LC_MESSAGES" / f"{DOMAIN}.po")
    return cat


def main(argv: list[str]) -> int:
    tmpl = template()
    langs = (
        [p.name for p in LOCALE_DIR.iterdir() if p.is_dir() and p.name != PSEUDO]
        if LOCALE_DIR.exists()
        else []
    )
    for lang in argv or langs:
        cat = update(lang, tmpl)
        missing = sum(1 for m in cat if m.id and not (all(m.string) if m.pluralizable else m.string))
        print(f"{lang}: {len(cat)} messages, {missing} untranslated")
    pseudo_catalog(tmpl)
    print(f"{PSEUDO}: {len(tmpl)} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
