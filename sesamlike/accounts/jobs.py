"""Housekeeping: accounts unused for 12 months are deactivated (VGR webSesam)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from sesamlike.accounts.models import User
from sesamlike.extensions import db


def deactivate_unused(now: datetime) -> dict[str, int]:
    """Deactivate accounts whose last login (or creation, if never used) is too old."""
    cutoff = now - timedelta(days=current_app.config["ACCOUNT_UNUSED_DAYS"])
    last_seen = sa.func.coalesce(User.last_login_at, User.created_at)
    result = db.session.execute(
        sa.update(User)
        .where(User.active.is_(True), last_seen < cutoff)
        .values(active=False)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return {"deactivated": result.rowcount}
