"""A form sent after its login ran out, filled in again after the next login.

A nurse back from a patient sends the new-prescription or order form after 30
idle minutes: the login has run out and nothing is saved. Instead of making
her type it all again, the form's fields (not its CSRF token, nor the ticks
confirming a quantity, a start or a second prescription: those are asked
again) are kept on the server, tied to the session that ran out:

- kept only for the pages that ask for it (`keep_across_login`), only when
  the form's CSRF token matched that session, and only a form of modest size;
- at the same user's next login in the same browser (the cookie still names
  the session that ran out) it moves to the new session; another user logging
  in there, or the same user elsewhere, never gets it;
- the page (the same path: the same patient) takes it once, deleting it, and
  only within KEEP_MINUTES of sending; older ones are purged with the sessions.

Nothing is put in a URL or the cookie.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, request, session
from werkzeug.datastructures import MultiDict

from sesamlike.accounts.models import KeptForm, User, UserSession
from sesamlike.common.i18n import N_
from sesamlike.common.time import utcnow
from sesamlike.extensions import db

KEEP_MINUTES = 15
# What the page says when it fills a kept form in again.
KEPT_MESSAGE = N_(
    "Det du fyllde i innan inloggningen gick ut är ifyllt igen. Kontrollera "
    "uppgifterna och spara."
)
MAX_CHARACTERS = 20_000  # a prescription or order form is well under this
# The pages whose forms are kept ("area.view" endpoints, named by their areas).
_KEEPABLE: set[str] = set()
# Ticks that confirm what a rule asked about: asked again, never carried over.
_NOT_KEPT_SUFFIX = "_confirmed"
# The page a form was carried over to this login for, in the session: every
# other showing of a keeping page (nearly all) asks the database nothing.
_WAITING = "kept_form_path"


def keep_across_login(endpoint: str) -> None:
    """Keep a form sent to `endpoint` after its login ran out (`keep`)."""
    _KEEPABLE.add(endpoint)


def keep() -> bool:
    """Keep this request's form, sent in the session that ran out, for the same
    user's next login; whether it was kept (the login page says so)."""
    session_id = g.get("ran_out_session_id")
    if (
        session_id is None
        or request.method != "POST"
        or request.endpoint not in _KEEPABLE
        or not _token_matched()
    ):
        return False
    fields = [
        [name, value]
        for name, values in request.form.lists()
        if name != "csrf_token" and not name.endswith(_NOT_KEPT_SUFFIX)
        for value in values
    ]
    text = json.dumps(fields, ensure_ascii=False)
    if len(text) > MAX_CHARACTERS or len(request.path) > 200:
        return False
    db.session.execute(sa.delete(KeptForm).where(KeptForm.session_id == session_id))
    db.session.add(KeptForm(session_id=session_id, path=request.path, fields=text))
    db.session.commit()
    return True


def _token_matched() -> bool:
    """The form's CSRF token was checked against the session's and matched
    (CSRFProtect, before any view): the form came from this browser's page."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True  # tests without CSRF
    return bool(g.get("csrf_valid"))


def carry_over(user: User, old_session_id: int | None, new: UserSession) -> None:
    """At login: what the session that ran out kept (`sessions.ended_session_id`:
    the same user's only) goes to the new one (not committed)."""
    if old_session_id is None:
        return
    db.session.flush()  # the new session's id
    paths = db.session.scalars(
        sa.update(KeptForm)
        .where(KeptForm.session_id == old_session_id, KeptForm.kept_at >= _oldest())
        .values(session_id=new.id)
        .returning(KeptForm.path)
        .execution_options(synchronize_session=False)
    ).all()
    if paths:
        session[_WAITING] = paths[-1]  # one form a session (`keep`)


def take() -> MultiDict | None:
    """The form kept for this page in this login, once: deleted as it is read."""
    session_id = g.get("user_session_id")
    if session_id is None or request.method != "GET":
        return None
    if session.get(_WAITING) != request.path:
        return None
    del session[_WAITING]
    kept = db.session.scalar(
        sa.select(KeptForm)
        .where(
            KeptForm.session_id == session_id,
            KeptForm.path == request.path,
            KeptForm.kept_at >= _oldest(),
        )
        .order_by(KeptForm.id.desc())
        .limit(1)
    )
    if kept is None:
        return None
    fields = json.loads(kept.fields)
    db.session.delete(kept)
    db.session.commit()
    return MultiDict([(name, value) for name, value in fields])


def purge(now: datetime) -> int:
    """Remove kept forms older than KEEP_MINUTES (not committed); how many."""
    return db.session.execute(
        sa.delete(KeptForm)
        .where(KeptForm.kept_at < now - timedelta(minutes=KEEP_MINUTES))
        .execution_options(synchronize_session=False)
    ).rowcount


def _oldest() -> datetime:
    return utcnow() - timedelta(minutes=KEEP_MINUTES)
