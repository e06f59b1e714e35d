"""Every refusal carries a stable code of its own, documented in docs/error-codes.md.

`python -m tests.unit.test_error_codes` writes the document again after a change.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import sesamlike
from sesamlike.common.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotVisible,
)

PACKAGE = Path(sesamlike.__file__).resolve().parent
DOCUMENT = PACKAGE.parent / "docs" / "error-codes.md"
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
BASES = (Invalid, NotVisible, Forbidden, Conflict)


def domain_errors() -> list[type[DomainError]]:
    """Every DomainError class of the app, its modules all imported first."""
    for module in pkgutil.walk_packages(sesamlike.__path__, "sesamlike."):
        importlib.import_module(module.name)
    found, todo = [], [DomainError]
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("sesamlike."):
            found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: (cls.code, cls.__module__, cls.__name__))


def test_each_code_is_snake_case_and_declared_by_one_class_only():
    declared: dict[str, list[str]] = {}
    for cls in domain_errors():
        if cls is not DomainError and "code" in vars(cls):
            declared.setdefault(cls.code, []).append(cls.__qualname__)
    assert all(SNAKE_CASE.match(code) for code in declared), sorted(declared)
    twice = {code: names for code, names in declared.items() if len(names) > 1}
    assert not twice, f"codes declared by more than one class: {twice}"


def test_each_refusal_has_an_http_status_of_the_contract_and_a_message():
    for cls in domain_errors():
        assert cls.status in (403, 404, 409, 422), cls
        assert isinstance(cls.message, str) and cls.message.strip(), cls


def _calls_with_free_text() -> list[str]:
    """Calls that hand a refusal its message instead of raising a class of its own."""
    # A class with an __init__ of its own (e.g. a file's problems) takes other args.
    takes_text = {
        cls.__name__ for cls in domain_errors() if cls.__init__ is DomainError.__init__
    }
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            given = node.args or any(k.arg == "message" for k in node.keywords)
            if name in takes_text and given:
                where = path.relative_to(PACKAGE.parent)
                found.append(f"{where}:{node.lineno} {name}(...)")
    return found


def test_no_refusal_is_raised_with_a_message_of_its_own():
    assert not _calls_with_free_text(), (
        "Give each refusal a class with its code and message in the area's "
        "errors.py:\n" + "\n".join(_calls_with_free_text())
    )


def test_the_scan_finds_a_bare_invalid_with_free_text(tmp_path, monkeypatch):
    (tmp_path / "bad.py").write_text(
        'raise Invalid("Fel.")\nraise Conflict(message="Fel.")\nraise Invalid()\n'
    )
    monkeypatch.setattr(f"{__name__}.PACKAGE", tmp_path)
    found = [line.rsplit("/", 1)[-1] for line in _calls_with_free_text()]
    assert found == ["bad.py:1 Invalid(...)", "bad.py:2 Conflict(...)"]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _english_catalogue() -> dict[str, str]:
    """msgid -> English msgstr from the .po catalogue (no app, no compiled .mo)."""
    from babel.messages.pofile import read_po

    path = Path(sesamlike.__file__).parent / "translations/en/LC_MESSAGES/messages.po"
    with path.open("rb") as po:
        catalogue = read_po(po)
    english = {}
    for m in catalogue:
        if isinstance(m.id, str) and m.id and m.string:
            english[m.id] = m.string
        elif isinstance(m.id, tuple) and m.string and m.string[-1]:
            english[m.id[0]] = m.string[-1]  # a count's message: the plural
    return english


def render_document() -> str:
    from sesamlike.api.errors import DEFAULT_ERRORS

    EN = _english_catalogue()

    lines = [
        "# Error codes",
        "",
        "<!-- Written by `python -m tests.unit.test_error_codes`; "
        "tests/unit/test_error_codes.py fails when it is out of date. -->",
        "",
        "Every refused API request answers "
        '`{"error": {"code": "...", "message": "...", "fields": {...}}}`. The '
        "`code` is stable: act on it. The `message` is for people, in the language "
        "of `Accept-Language` (`sv` by default, `en`); `{name}` stands for a value "
        "of the request. `fields` names the input fields that are wrong, each with "
        "its messages. Pages show the same messages.",
        "",
        "## Answers of the HTTP layer",
        "",
        "| Code | Status | Message (sv) | Message (en) |",
        "|---|---|---|---|",
    ]
    for status, (code, message) in sorted(DEFAULT_ERRORS.items()):
        lines.append(
            f"| `{code}` | {status} | {_cell(message)} | {_cell(EN.get(message, ''))} |"
        )
    lines += [
        "",
        "`invalid` is also the code of input whose fields are wrong (`fields` says "
        "which and why), `forbidden` of a role that may never do the request, and "
        "`not_found` of something absent or not visible to the user: both answer "
        "the same, so nothing leaks.",
        "",
        "## Refusals",
        "",
        "A code on several rows is one refusal worded for the case.",
        "",
        "| Code | Status | Message (sv) | Message (en) |",
        "|---|---|---|---|",
    ]
    for cls in domain_errors():
        if cls is DomainError or cls in BASES:
            continue
        sv = cls.message
        lines.append(
            f"| `{cls.code}` | {cls.status} | {_cell(sv)} | {_cell(EN.get(sv, ''))} |"
        )
    return "\n".join(lines) + "\n"


def test_the_document_of_error_codes_is_up_to_date():
    assert DOCUMENT.read_text() == render_document(), (
        "docs/error-codes.md is out of date: "
        "run `python -m tests.unit.test_error_codes`"
    )


if __name__ == "__main__":
    DOCUMENT.write_text(render_document())
    print(f"wrote {DOCUMENT}")
