"""The whole "my aids" page kept for the session that saw it (portal.kept): the
frame (menu, the forms with the session's token, messages) as well as the body.

Kept or built, the page a session gets is the one it would have been built
for it: its own form token, the user's name as it is now, the language chosen,
a message waiting for it; and every view is checked and audited.
"""

from __future__ import annotations

import re

from flask import template_rendered

from sesamlike.extensions import db
from tests.conftest import PASSWORD, csrf_token_from
from tests.functional.test_portal import choose
from tests.functional.test_portal_kept import read_my_aids_rows
from tests.portal_data import make_region


def rendered_templates(app, client, path: str = "/portal/") -> tuple[list[str], str]:
    """The templates a request rendered, and the page it answered."""
    names: list[str] = []

    def note(_sender, template, context, **_extra):
        names.append(template.name)

    with template_rendered.connected_to(note, app):
        response = client.get(path)
    assert response.status_code == 200
    return names, response.get_data(as_text=True)


def form_tokens(html: str) -> set[str]:
    """The form tokens of the page's frame (the language and logout forms)."""
    return set(re.findall(r'name="csrf_token" value="([^"]+)"', html))


def log_in(client, username: str) -> None:
    """Log in through the form, with its token (CSRF on)."""
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={"csrf_token": token, "username": username, "password": PASSWORD},
    )
    assert response.status_code == 302


def test_my_aids_seen_again_in_the_same_session_is_not_rendered_again(
    app, client, auth
):
    region = make_region()
    auth.login("ella")
    first, first_html = rendered_templates(app, client)
    again, again_html = rendered_templates(app, client)

    assert "portal/my_aids.html" in first
    assert again == []  # neither the body nor the frame around it
    assert again_html == first_html
    assert read_my_aids_rows(region.patient_user) == 2  # each view audited


def test_a_message_waiting_is_shown_once_and_not_kept(app, client, auth):
    make_region()
    auth.login("ella")
    client.get("/portal/")
    client.get("/portal/")  # the page is kept now
    with client.session_transaction() as stored:
        stored["_flashes"] = [("success", "Tack! Vi har tagit emot din beställning.")]

    _names, shown = rendered_templates(app, client)
    _names, after = rendered_templates(app, client)

    assert "Tack! Vi har tagit emot din beställning." in shown
    assert "Tack! Vi har tagit emot din beställning." not in after


def test_each_session_gets_the_page_with_its_own_form_token(app, csrf_on):
    make_region()
    first, second = app.test_client(), app.test_client()
    log_in(first, "ella")
    log_in(second, "ella")  # the same patient on another phone
    first_html = first.get("/portal/").get_data(as_text=True)
    assert first.get("/portal/").get_data(as_text=True) == first_html  # kept
    second.get("/portal/")
    _names, second_html = rendered_templates(app, second)

    _names, first_again = rendered_templates(app, first)

    assert form_tokens(first_html) and form_tokens(second_html)
    assert form_tokens(first_html).isdisjoint(form_tokens(second_html))
    assert form_tokens(first_again) == form_tokens(first_html)  # its own still
    # The kept page's logout form works for its own session, and only there.
    (token,) = form_tokens(second_html)
    assert first.post("/logout", data={"csrf_token": token}).status_code == 400
    response = second.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert second.get("/portal/").status_code == 302  # logged out: to the login


def test_the_menu_shows_the_users_name_as_it_is_now(app, client, auth):
    region = make_region()
    auth.login("ella")
    client.get("/portal/")
    client.get("/portal/")
    region.patient_user.display_name = "Ella Nyström"
    db.session.commit()

    _names, html = rendered_templates(app, client)

    assert "Ella Nyström" in html


def test_choosing_english_gives_the_page_in_english(app, client, auth):
    make_region()
    auth.login("ella")
    client.get("/portal/")
    client.get("/portal/")
    client.post("/language", data={"locale": "en", "next": "/portal/"})

    _names, html = rendered_templates(app, client)

    assert "<h1>My aids</h1>" in html
    assert 'lang="en"' in html


def test_the_language_switch_returns_to_the_address_the_page_was_asked_by(
    app, client, auth
):
    make_region()
    auth.login("ella")
    client.get("/portal/")
    client.get("/portal/")  # kept for /portal/

    _names, html = rendered_templates(app, client, "/portal/?from=reminder")

    assert 'name="next" value="/portal/?from=reminder"' in html


def test_a_guardian_sees_the_childs_name_as_it_is_now(app, client, auth):
    region = make_region()
    auth.login("anna")
    choose(client, region.child)
    client.get("/portal/")
    client.get("/portal/")  # kept
    # A name is no aid: the data versions do not move with it.
    region.child.first_name = "Olof"
    db.session.commit()

    _names, html = rendered_templates(app, client)

    assert "Hjälpmedel för Olof" in html and "Olof Ek" in html
    assert "Olle" not in html


def test_a_head_request_neither_takes_nor_leaves_a_kept_page(app, client, auth):
    make_region()
    auth.login("ella")
    client.get("/portal/orders")  # the session has its form token
    assert client.head("/portal/").status_code == 200

    names, html = rendered_templates(app, client)

    assert "portal/my_aids.html" in names
    assert 'name="next" value="/portal/?"' in html  # back here after switching


def test_no_page_is_kept_when_form_tokens_expire(app, client, auth, monkeypatch):
    make_region()
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", 3600)
    auth.login("ella")
    client.get("/portal/")

    names, _html = rendered_templates(app, client)

    assert "portal/my_aids.html" in names  # built again, with a fresh token
