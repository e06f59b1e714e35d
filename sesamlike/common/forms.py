"""The base of every page's form, and the check of a page's query string."""

from __future__ import annotations

from flask import Flask, has_request_context, request
from flask_wtf import FlaskForm
from wtforms import Field, FieldList, FormField
from wtforms.form import BaseForm

from sesamlike.common.errors import ControlCharacterInSearch
from sesamlike.common.text import (
    CONTROL_CHARACTER,
    FORM_CONTROL_CHARACTER,
    has_control_character,
)


class PageForm(FlaskForm):
    """A page's form (Flask-WTF: CSRF, the request's data). Besides each
    field's own checks, no text sent in any field may hold a control
    character (`common.text.CONTROL_CHARACTER`): it is said beside the field
    (above the form for a value the view reads itself, such as the pack
    page's serials), and the form is not valid, so the view writes nothing.
    Every form of the app derives from it (test_control_characters.py)."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not _without_control_characters(self):
            return False
        if _sent_control_characters():  # in a value the view reads by itself
            self.form_errors.append(FORM_CONTROL_CHARACTER)
            return False
        return valid


def _sent_control_characters() -> bool:
    return has_request_context() and any(
        has_control_character(value)
        for values in request.form.listvalues()
        for value in values
    )


def _without_control_characters(form: BaseForm) -> bool:
    return all([_field_without(field) for field in form])  # every field told


def _field_without(field: Field) -> bool:
    if isinstance(field, FormField):
        return _without_control_characters(field.form)
    if isinstance(field, FieldList):
        return all([_field_without(entry) for entry in field.entries])
    if any(
        isinstance(value, str) and has_control_character(value)
        for value in field.raw_data or ()
    ):
        field.errors = [*field.errors, CONTROL_CHARACTER]
        return False
    return True


def init_app(app: Flask) -> None:
    """A page's query string (a search, a filter, a link) holding a control
    character is refused before the page reads it: it has no form to say it
    beside a field, and PostgreSQL refuses NUL in a query. The API checks its
    own (api/routing.py); FHIR's parameters each have their pattern."""

    @app.before_request
    def query_without_control_characters():
        if (
            request.args
            and not request.path.startswith(("/api/", "/fhir/"))
            and any(has_control_character(v) for v in _query_values())
        ):
            raise ControlCharacterInSearch()


def _query_values():
    for values in request.args.listvalues():
        yield from values
