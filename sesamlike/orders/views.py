"""Prescriber pages for prescriptions and orders; routes live in two modules."""

from flask import Blueprint

bp = Blueprint("orders", __name__)

from sesamlike.orders import order_views, prescription_views  # noqa: E402,F401
