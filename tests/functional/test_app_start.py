"""The app starts with every area, the API included, or it does not start at all."""

from __future__ import annotations

import re
import sys

import pytest

from sesamlike import BLUEPRINTS, COMMAND_MODULES, config, create_app


def test_the_app_serves_the_api_and_every_area(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert {"/api/v1/orders", "/api/v1/patients", "/api/v1/openapi.json"} <= rules
    assert "/fhir/r5/metadata" in rules
    assert set(BLUEPRINTS) | {"api", "fhir"} <= set(app.blueprints)
    assert {"users", "catalogue", "deliveries", "followup", "scheduler"} <= set(
        app.cli.commands
    )


@pytest.mark.parametrize(
    "module",
    ["sesamlike.api", "sesamlike.api.fhir", "sesamlike.orders.views"]
    + ["sesamlike.health.views"]
    + [COMMAND_MODULES[0], "sesamlike.jobs"],
)
def test_an_area_that_fails_to_import_stops_the_app_from_starting(
    monkeypatch, database_url, module
):
    monkeypatch.setitem(sys.modules, module, None)  # its import raises ImportError
    with pytest.raises(ImportError, match=re.escape(module)):
        create_app(config.TestConfig(database_url))
