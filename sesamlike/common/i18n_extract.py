"""Where `pybabel extract` finds the interface text in Python (named in babel.cfg).

Besides the gettext calls, Swedish source text reaches the user from domain errors
(`raise Invalid("...")`, `FieldError("...")`), their `message = "..."`, form field
labels (`StringField("...")`) and validators' `message="..."`: all of them are
translated where they are shown, so they are extracted without a marker. Text
translated elsewhere from a variable is marked with `N_("...")` where it is written
(`Plural("...", "...", count="n")` when it has a count).
tests/unit/test_translations.py extracts with this too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

SINGULAR = {"_", "gettext", "lazy_gettext", "N_"}
PLURAL = {"ngettext", "lazy_ngettext", "Plural"}
# Domain errors carry Swedish source text that the page or API translates.
ERRORS = {"Invalid", "Conflict", "NotVisible", "Forbidden", "DomainError"}
# Extra keywords for `pybabel extract -k`, for the templates (Jinja) side.
KEYWORDS = ("lazy_gettext", "lazy_ngettext:1,2", "N_")


def _name(node: ast.expr) -> str:
    return getattr(node, "id", None) or getattr(node, "attr", None) or ""


def _text(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
        return node.value
    return None


def _is_source_text_call(name: str) -> bool:
    return (
        name in SINGULAR
        or name in ERRORS
        or name.endswith(("Error", "Invalid", "Field"))
    )


def messages(source: str) -> Iterator[tuple[int, str | None, str | tuple, list]]:
    """(line, function, message or (singular, plural), comments) as Babel wants."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            first = _text(node.args[0]) if node.args else None
            if name in PLURAL and len(node.args) >= 2:
                second = _text(node.args[1])
                if first and second:
                    yield node.lineno, "ngettext", (first, second), []
            elif first and _is_source_text_call(name):
                yield node.lineno, None, first, []
            for keyword in node.keywords:
                if keyword.arg == "message" and (text := _text(keyword.value)):
                    yield keyword.value.lineno, None, text, []
        elif isinstance(node, ast.ClassDef):
            for statement in node.body:
                if (
                    isinstance(statement, ast.Assign)
                    and [_name(target) for target in statement.targets] == ["message"]
                    and (text := _text(statement.value))
                ):
                    yield statement.lineno, None, text, []


def extract(fileobj, keywords, comment_tags, options):  # noqa: ARG001
    """Babel's extraction method for the Python sources."""
    encoding = options.get("encoding", "utf-8")
    yield from messages(fileobj.read().decode(encoding))
