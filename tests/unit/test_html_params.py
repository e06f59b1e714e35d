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


def test_installed_where_the_widgets_look(monkeypatch):
    import wtforms.widgets
    from wtforms.fields.core import Label
    from wtforms.widgets import core

    calls = []

    def counted(**kwargs):
        calls.append(kwargs)
        return html_params(**kwargs)

    monkeypatch.setattr("sesamlike.common.html_params.html_params", counted)
    for widget in (core.Input, core.SubmitInput, core.TextInput, core.CheckboxInput):
        monkeypatch.setattr(widget, "html_params", widget.html_params)
    monkeypatch.setattr(core, "html_params", core.html_params)
    monkeypatch.setattr(wtforms.widgets, "html_params", wtforms.widgets.html_params)
    install()  # what create_app does
    assert str(core.TextInput()(_Field())) == (
        '<input id="f" name="f" type="text" value="a&#34;b">'
    )
    assert str(core.CheckboxInput()(_Field(), checked=True)) == (
        '<input checked id="f" name="f" type="checkbox" value="a&#34;b">'
    )
    assert str(Label("f", "Ort")(class_="x")) == '<label class="x" for="f">Ort</label>'
    assert len(calls) == 3  # the text input, the checkbox and the label


class _Field:
    id = name = "f"
    data = 'a"b'

    def _value(self):
        return self.data
