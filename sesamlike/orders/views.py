"""Prescriber pages for prescriptions and orders; routes live in two modules."""

from flask import Blueprint, abort
from flask_login import current_user

from sesamlike.accounts.models import Role

bp = Blueprint("orders", __name__)

# Patients and guardians use the portal; these staff pages are not theirs even
# for their own data (found by tests/functional/test_authorization_matrix.py).
PORTAL_ROLES = frozenset({Role.PATIENT, Role.GUARDIAN})


@bp.before_request
def staff_pages_only():
    if current_user.is_authenticated and current_user.role in PORTAL_ROLES:
        abort(403)


from sesamlike.orders import order_views, prescription_views  # noqa: E402,F401
