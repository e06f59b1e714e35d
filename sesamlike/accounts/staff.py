"""Blueprints of staff pages: patients and guardians use the portal instead."""

from flask import Blueprint, abort
from flask_login import current_user

from sesamlike.accounts.models import Role

# Patients and guardians use the portal; these staff pages are not theirs even
# for their own data (found by tests/functional/test_authorization_matrix.py).
PORTAL_ROLES = frozenset({Role.PATIENT, Role.GUARDIAN})


def staff_pages_only() -> None:
    if current_user.is_authenticated and current_user.role in PORTAL_ROLES:
        abort(403)


def prescribers_only() -> None:
    """Pages of the patient record kept by the care: prescribers only.

    The aids centre works on orders in its own pages; managers and the region
    follow up costs; admins keep the system (domain.md, need to know).
    """
    if current_user.is_authenticated and current_user.role != Role.PRESCRIBER:
        abort(403)


def staff_blueprint(name: str, import_name: str, **options) -> Blueprint:
    """A blueprint whose every page answers 403 to patients and guardians."""
    bp = Blueprint(name, import_name, **options)
    bp.before_request(staff_pages_only)
    return bp
