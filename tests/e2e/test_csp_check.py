"""The browser tests' content security policy check hears every page of a
context: a popup or a second tab breaking the policy fails the test too."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import watch_csp

pytestmark = pytest.mark.e2e

INLINE_STYLE = '<!doctype html><p style="color: red">Inline</p>'


def test_the_csp_check_hears_a_second_tab_of_the_context(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    try:
        context.route(
            "**/csp-probe",
            lambda route: route.fulfill(
                body=INLINE_STYLE,
                content_type="text/html",
                headers={"Content-Security-Policy": "style-src 'self'"},
            ),
        )
        seen = watch_csp(context)
        context.new_page().goto(live_server("/login"))
        second = context.new_page()
        second.goto(live_server("/csp-probe"))
        second.wait_for_timeout(200)
    finally:
        context.close()
    assert len(seen) == 1
    assert seen[0].startswith(live_server("/csp-probe"))
    assert "Content Security Policy" in seen[0]
