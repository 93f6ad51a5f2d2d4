"""The participant's language: choosing it, the catalogs being complete, nothing escaping them."""

from __future__ import annotations

import ast
import io
import re
import string
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

import sources
from tallylight import i18n, words

SRC = Path(i18n.__file__).parent
LOCALES = SRC / "locale"
TRANSLATED = ["de"]  # languages shipped complete (the pseudo-locale is generated)
GETTEXT_CALLS = {"_", "N_", "ngettext", "pgettext", "npgettext"}
#: calls whose text goes to the log, never to the participant (tallylight.ui.tasks.quietly)
LOG_CALLS = {"quietly", "log_failure"}


def _po(lang: str) -> Catalog:
    with (LOCALES / lang / "LC_MESSAGES" / "tallylight.po").open("rb") as fp:
        return read_po(fp, locale=lang.split("@")[0])


def _placeholders(text: str) -> list[str]:
    """The ``str.format`` fields and %-style conversions a translation must keep."""
    fields = sorted(f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f is not None)
    return fields + sorted(re.findall(r"%\(\w+\)[a-z]|%[a-z]", text))


def _forms(message) -> list[str]:
    return list(message.string) if message.pluralizable else [message.string]


# ---------------------------------------------------------------- choosing the language


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANGUAGE": "de:en", "LANG": "en_US.UTF-8"}, ["de", "en"]),
        ({"LC_ALL": "de_DE.UTF-8", "LANG": "en_US.UTF-8"}, ["de_DE.UTF-8"]),
        ({"LC_MESSAGES": "de_AT.UTF-8", "LANG": "fr_FR.UTF-8"}, ["de_AT.UTF-8"]),
        ({"LANG": "de_CH.UTF-8"}, ["de_CH.UTF-8"]),
        ({"LANG": "C.UTF-8"}, []),
        ({"LC_ALL": "POSIX"}, []),
    ],
)
def test_desktop_languages_in_gettexts_order(env: dict[str, str], expected: list[str]) -> None:
    assert i18n.desktop_languages(env) == expected


@given(lang=st.from_regex(r"[a-z]{2,3}(_[A-Z]{2})?(\.[A-Za-z0-9-]{1,10})?(@[a-z]{1,8})?", fullmatch=True))
def test_candidates_go_from_specific_to_the_bare_language(lang: str) -> None:
    names = i18n.candidates(lang)
    assert names[-1] == lang.split("_")[0].split(".")[0].split("@")[0]
    assert all("." not in n and n for n in names)
    assert len(names) == len(set(names))


@pytest.mark.parametrize("var", ["LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"])
def test_the_app_follows_the_desktop_language(var: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(var, "de_DE.UTF-8")
    i18n.use_languages(None)
    assert words.AppState.IDLE.words == "Nimmt nicht auf"
    assert i18n.language() == "de"


def test_a_language_without_a_catalog_falls_back_to_the_next_then_english(
    language: Callable[[str], None],
) -> None:
    i18n.use_languages(["xx_YY", "de"])
    assert words.AppState.RECORDING.words == "Nimmt auf"
    i18n.use_languages(["xx", "en", "de"])
    assert words.AppState.RECORDING.words == "Recording"


def test_plurals_come_from_the_catalog(language: Callable[[str], None]) -> None:
    language("de")
    assert words.count(1, "session") == "1 Sitzung"
    assert words.count(3, "session") == "3 Sitzungen"
    assert words.counts_summary({"key_down": 1, "button_down": 2}) == (
        "1 Tastendruck, 0 Mausbewegungen, 2 Klicks, 0 Scrollvorgänge"
    )


def test_the_pseudo_locale_lengthens_and_mirrors(language: Callable[[str], None]) -> None:
    assert not i18n.is_rtl()
    language(i18n.PSEUDO)
    assert i18n.is_rtl()
    shown = words.AppState.IDLE.words
    assert len(shown) >= 1.4 * len("Not recording")
    assert not re.search(r"[A-Za-z]{2}", shown)


# ---------------------------------------------------------------- the catalogs


@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalog_is_complete_with_placeholders_and_plural_forms(lang: str) -> None:
    cat = _po(lang)
    problems = []
    for m in cat:
        if not m.id:
            continue
        forms = _forms(m)
        if m.fuzzy or not all(forms):
            problems.append(f"untranslated: {m.id!r}")
            continue
        if m.pluralizable and len(forms) != cat.num_plurals:
            problems.append(f"{len(forms)} plural forms, {cat.num_plurals} needed: {m.id!r}")
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        wanted = _placeholders(ids[-1])
        for form in forms:
            # a singular form may say "one" instead of {n}; every other placeholder must stay
            have = _placeholders(form)
            if have != wanted and not (m.pluralizable and [p for p in wanted if p != "n"] == have):
                problems.append(f"placeholders {have} != {wanted}: {m.id!r}")
    assert not problems, "\n".join(problems)


def test_every_string_in_the_source_is_in_the_catalogs() -> None:
    """A new ``_("…")`` needs ``make catalogs`` and its German (the lines this prints)."""
    in_source = {
        (ctx, msg if isinstance(msg, str) else msg[0])
        for _f, _l, msg, _c, ctx in extract_from_dir(str(SRC), keywords=DEFAULT_KEYWORDS)
    }
    for lang in [*TRANSLATED, i18n.PSEUDO]:
        cat = _po(lang)
        in_catalog = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in cat if m.id}
        assert sorted(in_source - in_catalog, key=str) == [], f"run `make catalogs`, then translate ({lang})"
        assert sorted(in_catalog - in_source, key=str) == [], f"run `make catalogs` ({lang})"


@pytest.mark.parametrize("lang", [*TRANSLATED, i18n.PSEUDO])
def test_compiled_catalog_is_the_po_compiled(lang: str) -> None:
    out = io.BytesIO()
    write_mo(out, _po(lang), use_fuzzy=False)
    assert (LOCALES / lang / "LC_MESSAGES" / "tallylight.mo").read_bytes() == out.getvalue(), "make catalogs"


def test_pseudo_catalog_is_longer_and_keeps_placeholders() -> None:
    for m in _po(i18n.PSEUDO):
        if not m.id or m.context == "layout direction":
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        for source, form in zip(ids, _forms(m), strict=True):
            assert len(form) >= 1.4 * len(source), form
            assert _placeholders(form) == _placeholders(source), form


def test_catalogs_are_in_the_wheel_and_found_beside_the_package() -> None:
    assert set(i18n.available()) >= {"de", i18n.PSEUDO}
    setup = (SRC.parent.parent / "setup.py").read_text()
    assert '"locale/*/LC_MESSAGES/*.mo"' in setup


# ---------------------------------------------------------------- nothing escapes gettext


def _prose_outside_gettext(path: Path) -> list[str]:
    """String constants that read as words to people but are not an argument of a gettext call."""
    tree = sources.tree(path)
    inside: set[int] = set()
    exempt: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT_CALLS:
            inside.update(id(n) for arg in node.args for n in ast.walk(arg))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in LOG_CALLS:
            exempt.update(id(n) for arg in node.args[:1] for n in ast.walk(arg))
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                exempt.add(id(first.value))  # docstrings
        if isinstance(node, ast.Dict):
            exempt.update(id(k) for k in node.keys if k is not None)  # lookup keys
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.search(r"[A-Za-z]{2,} [A-Za-z]{2,}", node.value)
        and id(node) not in inside | exempt
    ]


@pytest.mark.parametrize(
    "module",
    [
        "words.py",
        # what a participant reads before anything leaves (promise 5), in the CLI and the app
        "share/preview.py",
        "share/contents.py",
        "cli/share_cmd.py",
        "ui/dialogs/share.py",
        # where it goes and why sending failed, in the preview and the dialog's status line
        "share/outbox.py",
        "share/transfer.py",
    ],
)
def test_nothing_in_the_words_module_or_the_share_preview_escapes_gettext(module: str) -> None:
    assert _prose_outside_gettext(SRC / module) == []


def _error_classes() -> set[str]:
    """The names of every TallylightError class (and the reader's private one that becomes a verdict)."""
    from tallylight import errors

    names = {
        n for n, c in vars(errors).items() if isinstance(c, type) and issubclass(c, errors.TallylightError)
    }
    return names | {"_Corrupt"}


def _untranslated_error_texts(path: Path, classes: set[str]) -> list[str]:
    """Literal messages handed to an error class (or to ``storage_error``) without gettext."""
    tree = sources.tree(path)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        fn = node.func
        name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
        if name in classes and node.args:
            arg = node.args[0]
        elif name == "storage_error" and len(node.args) == 2:
            arg = node.args[1]  # "while {what}": a phrase shown inside the sentence
        else:
            continue
        literal = isinstance(arg, ast.JoinedStr) or (
            isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        )
        if literal:
            found.append(f"{path.relative_to(SRC)}:{node.lineno}: {ast.unparse(arg)[:70]}")
    return found


def test_every_error_the_participant_reads_goes_through_gettext() -> None:
    """A ``TallylightError`` is a sentence someone reads: in their language, from the catalog.

    The researcher's ``lab`` is left out (its readers work in the project's language).
    """
    classes = _error_classes()
    files = [p for p in sources.files(SRC) if "lab" not in p.relative_to(SRC).parts]
    assert [hit for p in files for hit in _untranslated_error_texts(p, classes)] == []


def test_no_sentence_in_the_app_is_built_outside_gettext() -> None:
    """An f-string that starts a sentence ("Label: …", "Recording stopped…") is a text someone
    reads; in the app (outside logging) each goes through the catalog."""
    found = []
    for path in sources.files(SRC / "ui"):
        if path.name == "selftest.py":  # the frozen self-test's diagnostics, for developers
            continue
        tree = sources.tree(path)
        skip: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
                if name in GETTEXT_CALLS or name in {"debug", "info", "warning", "error", "exception"}:
                    skip.update(id(a) for a in ast.walk(node))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.JoinedStr)
                and id(node) not in skip
                and node.values
                and isinstance(node.values[0], ast.Constant)
                and re.match(r"[A-Z][a-z]+[ :]", str(node.values[0].value))
            ):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}: {ast.unparse(node)[:60]}")
    assert found == []


# ---------------------------------------------------------------- the command line


@pytest.mark.parametrize("args", [["--help"], ["study", "add", "--help"], ["sessions", "--help"]])
def test_cli_help_is_german_under_language_de(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """In this process (``main(argv)``); tests/test_cli_smoke.py asks a new process for German help."""
    from helpers import run_cli_in_process

    monkeypatch.setenv("LANGUAGE", "de")
    i18n.use_languages(None)
    done = run_cli_in_process(args)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("Aufruf: tallylight")
    assert "Optionen:" in out
    assert "diese Hilfe zeigen und beenden" in out
    english = [line for line in out.splitlines() if re.search(r"\b(the|and|with|you|your|this|of)\b", line)]
    assert english == []


def test_cli_errors_are_german(monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers import run_cli_in_process

    monkeypatch.setenv("LANGUAGE", "de")
    i18n.use_languages(None)
    for args, said in [
        (["record", "--for", "soon"], "Die Dauer 'soon' ist nicht lesbar"),
        (["record", "--until", "soon"], "Fehler: unbekannte Argumente: --until soon"),
        # errors raised in the core, below the command line: the study, the store
        (["study", "add", "/no/such/manifest.toml"], "/no/such/manifest.toml gibt es nicht."),
        (["sessions", "delete", "../up"], "ist keine gültige Sitzungskennung"),
    ]:
        proc = run_cli_in_process(args)
        assert proc.returncode != 0
        assert said in proc.stderr, proc.stderr


# ---------------------------------------------------------------- a manifest's own languages


def test_manifest_texts_follow_the_participants_language(language: Callable[[str], None]) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "study"))
    from study_helpers import TODAY, body, signed

    from tallylight.study import manifest, presentation

    raw = body(
        **{
            'title = "Typing rhythm and fatigue"': (
                'title = { en = "Typing rhythm and fatigue", de = "Tipprhythmus und Ermüdung" }'
            ),
            'summary = "How typing rhythm changes over a working day."': (
                'summary = { en = "How typing rhythm changes.", de = "Wie sich der Tipprhythmus ändert." }'
            ),
        }
    )
    offer = manifest.load(signed(raw), today=TODAY)
    language("de")
    pages = presentation.consent_pages(offer)
    assert [p.key for p in pages] == ["about", "who", "recorded", "where", "risks", "purposes", "consent"]
    assert pages[0].title == "Über die Studie"
    assert pages[0].sections[0].body.startswith("Wie sich der Tipprhythmus ändert.")
    assert presentation.localise(offer.manifest.title) == "Tipprhythmus und Ermüdung"
    language("en")
    assert presentation.localise(offer.manifest.title) == "Typing rhythm and fatigue"
    language("fr")  # no French in the manifest nor the app: the manifest's first language
    assert presentation.consent_pages(offer)[0].sections[0].body.startswith("How typing rhythm changes.")
