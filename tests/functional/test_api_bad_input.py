"""Regressions found by the schemathesis run (test_api_schemathesis.py)."""

from __future__ import annotations

from tests.factories import make_article, make_clinic, make_depot, make_user
from tests.functional.test_api_basics import assert_error_format, bearer

HUGE = 10**20


def test_an_id_too_large_for_the_database_is_not_found(client):
    prescriber = make_user("prescriber", clinics=[make_clinic()])
    for method, path in [
        ("GET", f"/api/v1/orders/{HUGE}"),
        ("POST", f"/api/v1/orders/{2**31}/cancel"),
        ("GET", f"/api/v1/patients/{HUGE}/prescriptions"),
    ]:
        response = client.open(path, method=method, headers=bearer(prescriber))
        assert_error_format(response, 404, "not_found")


def test_a_number_too_large_for_the_database_is_refused_by_field(client):
    clerk = make_user("depot")
    make_depot("HMC")
    make_article("INF-1")
    response = client.post(
        "/api/v1/stock/receipts",
        json={"depot_code": "HMC", "article_no": "INF-1", "packs": 2**31},
        headers=bearer(clerk),
    )
    assert_error_format(response, 422, "invalid")
    assert response.get_json()["error"]["fields"] == {"packs": ["Talet är för stort."]}
    response = client.post(
        "/api/v1/orders/1/deliver",
        json={"delivered_on": "2025-01-01", "line_ids": [1, -HUGE]},
        headers=bearer(clerk),
    )
    assert_error_format(response, 422, "invalid")
    assert list(response.get_json()["error"]["fields"]) == ["line_ids.1"]
