"""WTForms' attribute writer, the same HTML for a fraction of the CPU.

Every input WTForms renders goes through `wtforms.widgets.core.html_params`, which
formats each attribute through a `Markup` template (an escaping formatter per
attribute): the reorder form and its summary render thirty fields, and that
was a tenth of a whole reorder's CPU. This one escapes the same way and joins
plain strings, marking the result safe once. `install` puts it everywhere
WTForms looks it up; tests compare both on every kind of value and render
inputs and labels through it.
"""

from __future__ import annotations

from markupsafe import Markup, escape
from wtforms.widgets import core

WTFORMS_HTML_PARAMS = core.html_params  # the original, for the test to compare


def html_params(**kwargs) -> Markup:
    """`wtforms.widgets.core.html_params`: sorted by key, `class_` and `for_`
    without their underscore, `data_`/`aria_` with hyphens, True as a bare
    attribute, False left out, values escaped (quotes as &quot; in markup)."""
    params = []
    clean_key = core.clean_key
    for key, value in sorted(kwargs.items()):
        if value is True:
            params.append(clean_key(key))
        elif value is not False:
            text = str(escape(value)).replace('"', "&quot;")
            params.append(f'{escape(clean_key(key))}="{text}"')
    return Markup(" ".join(params))


def install() -> None:
    """Where WTForms looks it up: the module (most widgets), the package (labels)
    and the input classes, which keep their own reference."""
    import wtforms.widgets

    core.html_params = html_params
    wtforms.widgets.html_params = html_params
    for widget in vars(core).values():
        if isinstance(widget, type) and "html_params" in vars(widget):
            widget.html_params = staticmethod(html_params)
