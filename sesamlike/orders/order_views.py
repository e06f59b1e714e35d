"""Prescriber pages for orders: new order, confirmation, detail, cancel."""

from sesamlike.orders.views import bp  # noqa: F401
