"""Who is logging in: the seam where BankID or a regional OIDC login plugs in.

The login page asks the configured `IdentityProvider` for the user behind the
submitted credentials; it never checks passwords itself. Today the provider is
`PasswordProvider` (username and password). A BankID or OIDC provider answers the
same question from its own proof of identity, so the portal and the staff pages
stay as they are when the region switches. Choose one with the config key
`IDENTITY_PROVIDER` (a name in `PROVIDERS`); the default is "password".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from flask import current_app

from sesamlike.accounts import logins
from sesamlike.accounts.models import User


@runtime_checkable
class IdentityProvider(Protocol):
    """Turns a login attempt into an active user, or None when it fails."""

    name: str

    def authenticate(self, credentials: Mapping[str, str]) -> User | None: ...


class PasswordProvider:
    """Username and password checked against the stored hash."""

    name = "password"

    def authenticate(self, credentials: Mapping[str, str]) -> User | None:
        return logins.authenticate(
            credentials.get("username") or "", credentials.get("password") or ""
        )


PROVIDERS: dict[str, type] = {"password": PasswordProvider}


def provider() -> IdentityProvider:
    """The identity provider this app is configured with."""
    name = current_app.config.get("IDENTITY_PROVIDER", "password")
    try:
        return PROVIDERS[name]()
    except KeyError:
        raise RuntimeError(f"unknown IDENTITY_PROVIDER {name!r}") from None
