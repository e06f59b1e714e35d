"""Domain errors with stable codes, shared by pages, API and jobs."""

from __future__ import annotations

from typing import Any

from sesamlike.common.i18n import swedish


class DomainError(Exception):
    """A refused use case. `message` is Swedish source text, translated at display."""

    code = "invalid"
    status = 422
    message = "Ogiltig uppgift."

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: dict[str, list[str]] | None = None,
        **params: Any,
    ) -> None:
        self.message = message or self.message
        self.fields = fields or {}
        self.params = params
        super().__init__(swedish(self.message, **params))


class Invalid(DomainError):
    code = "invalid"
    status = 422


class NotVisible(DomainError):
    """Absent or not visible to this user: both answer 404, so nothing leaks."""

    code = "not_found"
    status = 404
    message = "Hittades inte."


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    message = "Din roll får inte göra detta."


class Conflict(DomainError):
    code = "conflict"
    status = 409
    message = "Går inte i nuvarande läge."


class ControlCharacterInSearch(Invalid):
    """A page's query string (a search, a filter, a link) or a search that
    holds a control character (`common.text`), where no field can be named."""

    code = "control_character_in_search"
    message = "Sökningen får inte innehålla styrtecken (osynliga tecken som NUL)."
