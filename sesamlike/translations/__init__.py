"""English for the Swedish interface text, one module per area.

Each module defines `EN: dict[str, str]` keyed by the Swedish source string.
tests/unit/test_translations.py fails when a string in a template, a form label,
a navigation entry or a domain error has no entry in any of them.
"""

import importlib
import pkgutil

EN: dict[str, str] = {}
for _module in pkgutil.iter_modules(__path__):
    EN.update(importlib.import_module(f"{__name__}.{_module.name}").EN)
