"""The gettext catalogues hold every Swedish interface string, with its English.

"Used" is what `make translations` extracts (babel.cfg: the gettext calls, domain
errors, form labels, validator messages and `N_()` marks in code and templates),
plus every form label and navigation entry as the running app has them.
"""

import functools
import importlib
import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from sesamlike.common.i18n_extract import KEYWORDS

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "sesamlike"
CATALOGUES = PACKAGE / "translations"
LOCALES = ("en", "sv")
PLACEHOLDER = re.compile(r"(?<!\{)\{(\w*)[^{}]*\}")


@functools.cache
def extracted() -> dict[str, tuple[str | tuple[str, str], str]]:
    """msgid -> (message, where) for everything `make translations` extracts."""
    keywords = dict(DEFAULT_KEYWORDS)
    keywords.update(parse_keywords(list(KEYWORDS)))
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE), method_map, options_map, keywords=keywords
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, (message, f"{filename}:{lineno}"))
    return found


def runtime_labels():
    """Form labels and navigation as the app has them: a label written through
    a helper that extraction cannot see shows up here (mark it with N_())."""
    from wtforms import Form

    from sesamlike.accounts.navigation import NAVIGATION, ROLE_NAMES

    for entries in NAVIGATION.values():
        for _endpoint, label, description in entries:
            yield "navigation.py", label
            yield "navigation.py", description
    for name in ROLE_NAMES.values():
        yield "navigation.py", name
    for path in PACKAGE.rglob("forms.py"):
        module = importlib.import_module(
            ".".join(path.relative_to(ROOT).with_suffix("").parts)
        )
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Form):
                for attr in dir(obj):
                    label = getattr(getattr(obj, attr), "args", None)
                    if label and isinstance(label[0], str):
                        yield path.name, label[0]


def catalogue(locale: str):
    with open(CATALOGUES / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=locale)


def _key(value):
    return tuple(value) if isinstance(value, list | tuple) else value


def _forms(string) -> tuple[str, ...]:
    return string if isinstance(string, tuple) else (string,)


def test_every_used_string_is_in_every_catalogue():
    used = {msgid: where for msgid, (_m, where) in extracted().items()}
    for where, text in runtime_labels():
        used.setdefault(text, where)
    for locale in LOCALES:
        entries = catalogue(locale)
        missing = sorted(f"{where}: {msgid}" for msgid, where in used.items()
                         if entries.get(msgid) is None)  # fmt: skip
        assert not missing, (
            f"Not in translations/{locale}/LC_MESSAGES/messages.po "
            "(run `make translations`, then fill in the English):\n"
            + "\n".join(missing)
        )


def test_every_used_string_has_english():
    entries = catalogue("en")
    untranslated = sorted(
        f"{where}: {msgid}"
        for msgid, (_m, where) in extracted().items()
        if (entry := entries.get(msgid)) is not None
        and (entry.fuzzy or not all(_forms(entry.string)))
    )
    assert not untranslated, "No English (or only a fuzzy guess) for:\n" + "\n".join(
        untranslated
    )


def test_plural_strings_are_plural_in_the_catalogue():
    entries = catalogue("en")
    for msgid, (message, where) in extracted().items():
        entry = entries.get(msgid)
        if entry is not None:
            assert isinstance(message, tuple) == entry.pluralizable, (
                f"{where}: {msgid}: plural in the code but not in the catalogue, "
                "or the other way round (run `make translations`)"
            )


# A count followed by a plural noun: "{n} dagar" reads "1 dagar" / "1 days" for one.
# (A range's bound, "1–{max} dagar", is no count.)
COUNTED_PLURAL = re.compile(r"(?<!–)\{\w+\} (dagar|förpackningar|förp\.)")
# Plural forms marked N_() on their own, inside ngettext(...) or Plural(...).
MARKED_PLURAL_FORMS = {
    "Du kan beställa högst {n} förpackningar åt gången.",
    "E-receptet {id} har bara {left} förpackningar kvar.",
}


def test_counts_are_written_with_ngettext():
    plurals = {m[1] for m, _where in extracted().values() if isinstance(m, tuple)}
    counted = sorted(
        f"{where}: {msgid}"
        for msgid, (message, where) in extracted().items()
        if not isinstance(message, tuple)
        and msgid not in plurals | MARKED_PLURAL_FORMS
        and COUNTED_PLURAL.search(msgid)
    )
    assert not counted, (
        "A count with a hand-made plural (use ngettext or Plural):\n"
        + "\n".join(counted)
    )


def test_english_keeps_the_placeholders():
    wrong = []
    for entry in catalogue("en"):
        if not entry.id or not entry.string:
            continue
        source = set().union(*(PLACEHOLDER.findall(s) for s in _forms(entry.id)))
        for form in _forms(entry.string):
            names = set(PLACEHOLDER.findall(form))
            # A plural form may leave out the count ("one pack").
            if not names <= source or (not entry.pluralizable and names != source):
                wrong.append(f"{entry.id!r}: {form!r}")
    assert not wrong, "Placeholders differ from the Swedish:\n" + "\n".join(wrong)


def test_catalogues_hold_only_used_strings():
    """So `make translations`, which drops unused strings, loses no English."""
    used = set(extracted())
    for locale in LOCALES:
        stale = sorted(e.id if isinstance(e.id, str) else e.id[0]
                       for e in catalogue(locale) if e.id)  # fmt: skip
        stale = [msgid for msgid in stale if msgid not in used]
        assert not stale, (
            f"translations/{locale} has strings no code or template uses "
            "(run `make translations`):\n" + "\n".join(stale)
        )


def test_compiled_catalogues_match_the_po_files():
    for locale in LOCALES:
        mo_path = CATALOGUES / locale / "LC_MESSAGES" / "messages.mo"
        assert mo_path.exists(), f"{mo_path} is missing: run `make install`"
        with open(mo_path, "rb") as mo:
            compiled = {_key(m.id): m.string for m in read_mo(mo) if m.id}
        written = {  # what `pybabel compile` writes
            _key(m.id): m.string
            for m in catalogue(locale)
            if m.id and m.string and not m.fuzzy
        }
        stale = f"{mo_path} is out of date: run `make install`"
        assert compiled.keys() == written.keys(), stale
        if locale == "en":
            assert {k: _key(v) for k, v in compiled.items()} == {
                k: _key(v) for k, v in written.items()
            }, stale


def test_every_plural_is_written_out_for_extraction():
    """`ngettext(singular, plural, n)` is extracted as one plural entry only
    when both are string literals: with the plural wrapped in N_(), the
    catalogue got it as a singular of its own, and the English page showed
    the Swedish plural ("Du kan beställa högst 3 förpackningar åt gången.")."""
    import ast

    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "func", None)
            name = getattr(name, "id", getattr(name, "attr", None))
            if not isinstance(node, ast.Call) or name not in (
                "ngettext",
                "lazy_ngettext",
            ):
                continue
            if path.name == "i18n.py":
                continue  # the function itself, passing a marked Plural on
            first_two = node.args[:2]
            if not all(isinstance(arg, ast.Constant) for arg in first_two):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, found
