"""The login page asks the configured identity provider, never a password itself."""

from __future__ import annotations

import pytest

from sesamlike.accounts import identity
from tests.factories import make_clinic, make_patient, make_user


def test_password_provider_is_the_default_and_fits_the_protocol(app):
    provider = identity.provider()
    assert isinstance(provider, identity.PasswordProvider)
    assert isinstance(provider, identity.IdentityProvider)


def test_an_unknown_provider_name_fails_loudly(app, monkeypatch):
    monkeypatch.setitem(app.config, "IDENTITY_PROVIDER", "carrier-pigeon")
    with pytest.raises(RuntimeError, match="carrier-pigeon"):
        identity.provider()


def test_login_goes_through_the_configured_provider(app, client, monkeypatch):
    patient = make_patient(make_clinic())
    user = make_user("patient", patients=[patient], username="ella")
    seen = []

    class FakeBankId:
        name = "bankid"

        def authenticate(self, credentials):
            seen.append(credentials["username"])
            return user  # a proof of identity, not a password

    monkeypatch.setitem(identity.PROVIDERS, "bankid", FakeBankId)
    monkeypatch.setitem(app.config, "IDENTITY_PROVIDER", "bankid")
    response = client.post("/login", data={"username": "ella", "password": "x"})
    assert response.status_code == 302 and seen == ["ella"]
    assert client.get("/portal/").status_code == 200
