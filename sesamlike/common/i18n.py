"""Swedish-first interface text with an English translation, through Flask-Babel.

Source strings are Swedish; the gettext catalogues in `sesamlike/translations/`
(`make translations` extracts and updates them, `make install` compiles them) hold
the English. Placeholders are braces: `_("Order {id} skickad", id=order.id)`.
A string without an English entry shows in Swedish, and a test keeps the catalogue
complete.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import flask_babel
from flask import current_app, has_request_context, request, session
from flask.globals import _cv_app

LOCALES = ("sv", "en")


def select_locale() -> str:
    """Pages follow the session's choice; API clients say what they read."""
    default = current_app.config["DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    if request.path.startswith(("/api/", "/fhir/")):
        chosen = request.accept_languages.best_match(LOCALES)
    else:
        chosen = session.get("locale")
    return chosen if chosen in LOCALES else default


def get_locale() -> str:
    """The language of this request ("sv" or "en"); Swedish outside the app."""
    locale = _babel_locale()
    return locale.language if locale is not None else "sv"


# What a mail or text message is written in for a recipient who has chosen no
# language (no login, or never switched): Swedish, whatever the request's.
RECIPIENT_DEFAULT_LOCALE = "sv"


def recipients_locale(chosen: str | None) -> str:
    """The language to write to someone in: the one their login chose, else Swedish."""
    return chosen if chosen in LOCALES else RECIPIENT_DEFAULT_LOCALE


@contextlib.contextmanager
def written_in(locale: str | None) -> Iterator[None]:
    """Text made inside is in `locale` (`recipients_locale`), not the request's:
    a mail to an English-reading guardian queued by a Swedish prescriber's click.
    Flask-Babel's `force_locale`, which `_translations`' cache obeys; dates and
    numbers follow, as they ask `get_locale`."""
    with flask_babel.force_locale(recipients_locale(locale)):
        yield


def _chosen_locale():
    """Flask-Babel's per-context namespace and the locale it has chosen there
    (None, None outside a context or before it has chosen)."""
    # The app context itself rather than `g` and has_app_context(): a page asks
    # this for every string it shows (a hundred times), and each proxy costs.
    app_ctx = _cv_app.get(None)
    ctx = app_ctx.g.get("_flask_babel") if app_ctx is not None else None
    return ctx, getattr(ctx, "babel_locale", None)


def _babel_locale():
    """Flask-Babel's locale of this context, once it has chosen it (else asks)."""
    locale = _chosen_locale()[1]
    return locale if locale is not None else flask_babel.get_locale()


def _translations():
    """The catalogue of the context's locale, looked up once per locale and context.

    Flask-Babel finds it anew on every call (the context, the locale, the domain:
    a page of 150 strings spent a fifth of its time there). The cache lives in
    Flask-Babel's own per-context namespace and is keyed on the locale object,
    so `force_locale` and `refresh` (which replace that object) are obeyed.
    """
    ctx, locale = _chosen_locale()
    cached = getattr(ctx, "sesamlike_translations", None)
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    translations = flask_babel.get_translations()
    ctx, locale = _chosen_locale()  # the first lookup creates them
    if ctx is not None and locale is not None:
        ctx.sesamlike_translations = (locale, translations)
    return translations


class Plural(str):
    """Source text with a plural form, for text kept to translate later (a domain
    error's message): `_()` picks the form by the count named `count` in its params.
    """

    plural: str
    count: str

    def __new__(cls, singular: str, plural: str, count: str = "n") -> Plural:
        text = super().__new__(cls, singular)
        text.plural, text.count = plural, count
        return text


def gettext(text: str, **params: Any) -> str:
    """Translate Swedish source text to the user's language and fill in params."""
    if isinstance(text, Plural) and text.count in params:
        return ngettext(text, text.plural, params[text.count], **params)
    translated = _translations().ugettext(str(text))
    return translated.format(**params) if params else translated


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    """Like gettext, choosing the form for the count `n` (also `{n}` in the text)."""
    translated = _translations().ungettext(str(singular), plural, n)
    # A plural entry compiled without its msgstr (the Swedish catalogue) is empty.
    translated = translated or (str(singular) if n == 1 else plural)
    return translated.format(**{"n": _count(n), **params})


def _count(n: int):
    """`{n}` as the reader's language groups digits: 12 500 (12,500)."""
    # Imported here: formatting imports this module.
    from sesamlike.common.formatting import ReadersNumber, format_number

    return ReadersNumber(n) if isinstance(n, int) else format_number(n)


def swedish(text: str, **params: Any) -> str:
    """The Swedish source text with params filled in, whatever the user's language."""
    if isinstance(text, Plural) and params.get(text.count, 1) != 1:
        text = text.plural
    return str(text).format(**params) if params else str(text)


def N_(text: str) -> str:  # noqa: N802  (the gettext convention)
    """Mark Swedish source text for the catalogue; it is translated where shown."""
    return text


_ = gettext


@functools.cache
def _wtforms_catalogue(locale: str):
    from babel import support
    from wtforms.i18n import messages_path

    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def _wtforms_translations():
    """WTForms' own messages in the request's language. Flask-WTF reads its
    catalogue from disk on every request that shows one (each form page); the
    same catalogue, read once per locale."""
    if not has_request_context():
        return None
    return _wtforms_catalogue(str(_babel_locale()))


def init_app(app) -> None:
    import flask_wtf.i18n

    from sesamlike.common import formatting
    from sesamlike.extensions import babel

    flask_wtf.i18n._get_translations = _wtforms_translations

    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(
        _=gettext, gettext=gettext, ngettext=ngettext, N_=N_, get_locale=get_locale
    )
    formatting.init_app(app)
