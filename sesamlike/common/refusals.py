"""A service's refusal shown on the page that asked for it."""

from __future__ import annotations

from typing import Protocol

from flask import flash

from sesamlike.common.errors import DomainError
from sesamlike.common.i18n import _
from sesamlike.common.transaction_ends import rollback_keeping_reads


class ShowsFieldErrors(Protocol):
    def add_errors(self, fields: dict[str, list[str]]) -> bool: ...


def show_refusal(error: DomainError, form: ShowsFieldErrors | None = None) -> None:
    """Its field errors beside the form's fields and its message at the top;
    nothing the request began is kept but the record of what it read. 403 and
    404 go to the error page."""
    if error.status in (403, 404):
        raise error
    rollback_keeping_reads()
    if form is not None:
        form.add_errors(error.fields)
    flash(_(error.message, **error.params), "error")
