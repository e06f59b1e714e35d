"""The cheaper attribute writer writes exactly what WTForms' own does."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from sesamlike.common.html_params import WTFORMS_HTML_PARAMS, html_params, install

CASES = [
    {},
    {"name": "text1", "id": "f", "class_": "text"},
    {"checked": True, "readonly": False, "name": "text1", "abc": "hello"},
    {"data_attr": "user.name", "aria_labeledby": "name", "aria_described_by": "x"},
    {"value": "a \"quoted\" <b>&amp; 'apostrophe'"},
    {"value": Markup('already "safe" <i>')},
    {"min": 1, "max": 12, "step": 0.5, "value": None},
    {"for_": "lines-0-selected", "type": "checkbox", "value": "y", "checked": True},
    {"aria_invalid": "true", "aria_describedby": False, "inputmode": "numeric"},
]


@pytest.mark.parametrize("params", CASES)
def test_the_same_markup_as_wtforms(params):
    ours, theirs = html_params(**params), WTFORMS_HTML_PARAMS(**params)
    assert ours == theirs
    assert isinstance(ours, Markup)


def test_installed_where_the_widgets_look():
    from wtforms.widgets import core

    install()  # what create_app does
    assert core.html_params is html_params
    assert str(core.TextInput()(_Field())) == (
        '<input id="f" name="f" type="text" value="a&#34;b">'
    )


class _Field:
    id = name = "f"
    data = 'a"b'

    def _value(self):
        return self.data
