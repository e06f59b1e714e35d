"""Every Swedish interface string has an English translation."""

import ast
import re
from pathlib import Path

from sesamlike.translations import EN

ROOT = Path(__file__).resolve().parents[2] / "sesamlike"
TEMPLATE_STRING = re.compile(r"""_\(\s*(["'])(.+?)\1""", re.S)
ERROR_CALLS = {"_", "gettext", "Invalid", "Conflict", "NotVisible", "Forbidden"}


def template_strings():
    for path in ROOT.glob("templates/**/*.html"):
        for match in TEMPLATE_STRING.finditer(path.read_text()):
            yield path.name, match.group(2)


def python_strings():
    """Strings passed to _() or to a domain error, and `message =` on error classes."""
    for path in ROOT.rglob("*.py"):
        if "translations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(
                    node.func, "attr", None
                )
                if (
                    name in ERROR_CALLS or (name or "").endswith("Error")
                ) and node.args:
                    first = node.args[0]
                    if isinstance(first, ast.Constant) and isinstance(first.value, str):
                        yield path.name, first.value
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if (
                        isinstance(stmt, ast.Assign)
                        and [getattr(t, "id", None) for t in stmt.targets]
                        == ["message"]
                        and isinstance(stmt.value, ast.Constant)
                    ):
                        yield path.name, stmt.value.value


def navigation_strings():
    from sesamlike.accounts.navigation import NAVIGATION, ROLE_NAMES

    for entries in NAVIGATION.values():
        for _endpoint, label, description in entries:
            yield "navigation.py", label
            yield "navigation.py", description
    for name in ROLE_NAMES.values():
        yield "navigation.py", name


def form_labels():
    import importlib

    from wtforms import Form

    for path in ROOT.rglob("forms.py"):
        module = importlib.import_module(
            ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
        )
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Form):
                for attr in dir(obj):
                    unbound = getattr(obj, attr)
                    label = getattr(unbound, "args", None)
                    if label and isinstance(label[0], str):
                        yield path.name, label[0]


def test_every_interface_string_has_english():
    missing = sorted(
        {
            f"{where}: {text}"
            for source in (
                template_strings,
                python_strings,
                navigation_strings,
                form_labels,
            )
            for where, text in source()
            if text not in EN
        }
    )
    assert not missing, "No English for:\n" + "\n".join(missing)
