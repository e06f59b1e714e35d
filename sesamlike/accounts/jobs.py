"""Housekeeping: accounts unused for 12 months are deactivated (VGR webSesam);
ended web sessions and old failed logins are removed."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from sesamlike.accounts import audit, kept_forms, logins, sessions
from sesamlike.accounts.models import ApiToken, User
from sesamlike.extensions import db


def deactivate_unused(now: datetime) -> dict[str, int]:
    """Deactivate accounts whose last login (or creation, if never used) is too old."""
    cutoff = now - timedelta(days=current_app.config["ACCOUNT_UNUSED_DAYS"])
    last_seen = sa.func.coalesce(User.last_login_at, User.created_at)
    stale = sa.select(User.id).where(User.active.is_(True), last_seen < cutoff)
    ids = list(db.session.scalars(stale))
    if ids:
        # In the log as an admin's deactivation is: a patient's or guardian's
        # login on each patient it acts for (their access log), by the system.
        for login in db.session.scalars(sa.select(User).where(User.id.in_(ids))):
            audit.record_on_login(
                "user_deactivate", login, user=None, detail=login.username
            )
        db.session.execute(
            sa.update(User)
            .where(User.id.in_(ids))
            .values(active=False)
            .execution_options(synchronize_session=False)
        )
        # Their sessions and tokens end with them, should they be reactivated.
        for user_id in ids:
            sessions.end_all(user_id, now)
        db.session.execute(
            sa.update(ApiToken)
            .where(ApiToken.user_id.in_(ids), ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return {"deactivated": len(ids)}


def purge_sessions(now: datetime) -> dict[str, int]:
    """Remove sessions ended a month ago, failed logins a day old and forms
    kept across a login that were not filled in again within minutes."""
    counts = {
        "sessions": sessions.purge_ended(now),
        "login_failures": logins.purge_failures(now),
        "kept_forms": kept_forms.purge(now),
    }
    db.session.commit()
    return counts
