"""Swedish-first interface text with an English translation.

Source strings are Swedish; `translations.EN` maps each to English. A string without an
English entry shows in Swedish, and a test keeps the table complete.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, has_request_context, request, session

from sesamlike.translations import EN

LOCALES = ("sv", "en")


def get_locale() -> str:
    if not has_request_context():
        return "sv"
    if "locale" not in g:
        if request.path.startswith(("/api/", "/fhir/")):
            # API clients say what they read; pages are Swedish until switched.
            chosen = request.accept_languages.best_match(LOCALES)
        else:
            chosen = session.get("locale")
        g.locale = chosen if chosen in LOCALES else current_app.config["DEFAULT_LOCALE"]
    return g.locale


def gettext(text: str, **params: Any) -> str:
    """Translate Swedish source text to the user's language and fill in params."""
    if get_locale() == "en":
        text = EN.get(text, text)
    return text.format(**params) if params else text


_ = gettext


def init_app(app) -> None:
    app.jinja_env.globals.update(_=gettext, get_locale=get_locale)
