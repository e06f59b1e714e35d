"""Prescriber pages for prescriptions: list, new, renew, cancel (makulera)."""

from sesamlike.orders.views import bp  # noqa: F401
