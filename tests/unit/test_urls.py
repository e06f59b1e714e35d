"""Where a form may send the browser next, and which ids an address may carry."""

from __future__ import annotations

import pytest
from werkzeug.routing import Map, ValidationError

from sesamlike.common.urls import INT_MAX, IdConverter, same_site_path


@pytest.mark.parametrize(
    "target",
    [
        "/\\evil.example",  # browsers read a backslash as a slash
        "//evil.example",  # scheme-relative: another host
        "https://evil.example/orders",
        "http:/evil.example",
        "/\tevil.example",  # control characters are dropped by browsers
        "/\x7fevil.example",
        "orders",  # not a path from the root
        "",
        None,
    ],
)
def test_a_path_elsewhere_or_no_path_is_refused(target):
    assert same_site_path(target) is None


@pytest.mark.parametrize(
    "target", ["/", "/orders?list=at_clinic&channel=central", "/stock/orders/7/pack"]
)
def test_a_path_on_this_site_is_kept_as_it_is(target):
    assert same_site_path(target) == target


def test_an_id_the_database_can_hold_is_an_id_and_a_larger_one_no_match():
    converter = IdConverter(Map())
    assert converter.to_python(str(INT_MAX)) == INT_MAX
    for too_large in (str(INT_MAX + 1), "99999999999999999999"):
        with pytest.raises(ValidationError):
            converter.to_python(too_large)


def test_a_mailed_link_never_takes_the_host_a_request_names():
    """Host-header poisoning: a portal user's or API client's forged Host must
    not reach the links in other people's mails."""
    from flask import Flask

    from sesamlike.common.urls import DEVELOPMENT_URL, public_url

    app = Flask(__name__)
    with app.test_request_context("/", base_url="http://evil.example/"):
        assert (
            public_url("/portal/order?rx=1") == DEVELOPMENT_URL + "/portal/order?rx=1"
        )
        app.config["PUBLIC_URL"] = "https://hjalpmedel.region.se/"
        assert public_url("/x") == "https://hjalpmedel.region.se/x"
