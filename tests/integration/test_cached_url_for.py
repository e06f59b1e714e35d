"""Templates' url_for remembers in-site addresses and gives Flask's answer."""

from __future__ import annotations

import flask
import pytest


@pytest.mark.parametrize(
    ("endpoint", "values"),
    [
        ("static", {"filename": "app.css"}),
        ("accounts.home", {}),
        ("portal.order", {"order_id": 7}),
        ("portal.reorder", {"rx": 12}),  # a query string
        ("portal.my_aids", {"_anchor": "orders"}),  # an option: never remembered
        ("accounts.login", {"next": "/portal/?a=1&b=<2>"}),
    ],
)
def test_the_same_url_as_flask_also_the_second_time(app, endpoint, values):
    cached = app.jinja_env.globals["url_for"]
    with app.test_request_context("/"):
        expected = flask.url_for(endpoint, **values)
        assert cached(endpoint, **values) == expected
        assert cached(endpoint, **values) == expected


def test_each_script_root_has_its_own_addresses(app):
    cached = app.jinja_env.globals["url_for"]
    with app.test_request_context("/"):
        plain = cached("portal.order", order_id=3)
    with app.test_request_context("/", base_url="http://localhost/sesam/"):
        mounted = cached("portal.order", order_id=3)
        assert mounted == flask.url_for("portal.order", order_id=3)
    assert (plain, mounted) == ("/portal/orders/3", "/sesam/portal/orders/3")


def test_outside_a_request_flask_decides(app):
    cached = app.jinja_env.globals["url_for"]
    with app.app_context(), pytest.raises(RuntimeError):
        cached("portal.order", order_id=3)  # no SERVER_NAME: Flask refuses
