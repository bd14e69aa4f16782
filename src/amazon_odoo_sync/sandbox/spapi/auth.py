"""Login with Amazon as the simulator plays it: ``POST /auth/o2/token`` and access-token checks.

Apps (``client_id``/``client_secret``) are declared by the scenario; ``pii=True`` marks an app
holding the restricted roles (Direct-to-Consumer Shipping): its tokens see buyer names and
addresses. A seller's ``refresh_token`` is exchanged for an access token that lives ``ttl``
real seconds (default 3600, as LWA's). Grantless tokens (``client_credentials`` with a scope,
for notifications destinations) carry no seller.

LWA errors keep LWA's OAuth shape (``{"error", "error_description"}``): a wrong client id or
secret is 401 ``invalid_client``; an unknown refresh token 400 ``invalid_grant``. API calls
with a missing, unknown or expired token get SP-API's 403 ``Unauthorized``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import access_denied
from .world import World

__all__ = ["Auth", "Grant", "LwaApp", "LwaError"]

GRANTLESS_SCOPES = ("sellingpartnerapi::notifications", "sellingpartnerapi::client_credential:rotation")


@dataclass(frozen=True, kw_only=True)
class LwaApp:
    client_id: str
    client_secret: str
    pii: bool = False


@dataclass(frozen=True, kw_only=True)
class Grant:
    """What an access token stands for."""

    client_id: str
    seller_id: str | None  # None for grantless tokens
    pii: bool
    scope: str | None
    expires_at: float  # on the real monotonic clock


class LwaError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


class Auth:
    def __init__(self, world: World, apps: list[LwaApp] | None = None, *, ttl: float = 3600.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.world = world
        self.apps: dict[str, LwaApp] = {a.client_id: a for a in apps or []}
        self.ttl = ttl
        self.monotonic = monotonic
        self._tokens: dict[str, Grant] = {}
        self.issued = 0

    def add_app(self, app: LwaApp) -> None:
        self.apps[app.client_id] = app

    def token(self, form: Mapping[str, str]) -> dict[str, Any]:
        """Answer a token request (form fields as LWA takes them); raises :class:`LwaError`."""
        grant_type = form.get("grant_type")
        if not grant_type:
            raise LwaError(400, "invalid_request",
                           "The request is missing a required parameter : grant_type")
        for name in ("client_id", "client_secret"):
            if not form.get(name):
                raise LwaError(400, "invalid_request",
                               f"The request is missing a required parameter : {name}")
        app = self.apps.get(form["client_id"])
        if app is None or not secrets.compare_digest(app.client_secret, form["client_secret"]):
            raise LwaError(401, "invalid_client", "Client authentication failed")
        if grant_type == "refresh_token":
            refresh = form.get("refresh_token")
            if not refresh:
                raise LwaError(400, "invalid_request",
                               "The request is missing a required parameter : refresh_token")
            seller = next((s for s in self.world.sellers.values() if s.refresh_token == refresh),
                          None)
            if seller is None:
                raise LwaError(400, "invalid_grant",
                               "The request has an invalid grant parameter : refresh_token")
            access = self._issue(app, seller.seller_id, None)
            return {"access_token": access, "refresh_token": refresh, "token_type": "bearer",
                    "expires_in": int(self.ttl)}
        if grant_type == "client_credentials":
            scope = form.get("scope")
            if not scope:
                raise LwaError(400, "invalid_request",
                               "The request is missing a required parameter : scope")
            if scope not in GRANTLESS_SCOPES:
                raise LwaError(400, "invalid_scope", "An unknown scope was requested")
            access = self._issue(app, None, scope)
            return {"access_token": access, "scope": scope, "token_type": "bearer",
                    "expires_in": int(self.ttl)}
        raise LwaError(400, "unsupported_grant_type",
                       f"The authorization grant type is not supported : {grant_type}")

    def _issue(self, app: LwaApp, seller_id: str | None, scope: str | None) -> str:
        access = "Atza|" + secrets.token_urlsafe(32)
        self._tokens[access] = Grant(client_id=app.client_id, seller_id=seller_id, pii=app.pii,
                                     scope=scope, expires_at=self.monotonic() + self.ttl)
        self.issued += 1
        return access

    def issue(self, seller_id: str | None, *, client_id: str | None = None,
              scope: str | None = None) -> str:
        """An access token without the HTTP round trip (tests, bench)."""
        app = self.apps[client_id] if client_id else next(iter(self.apps.values()))
        return self._issue(app, seller_id, scope)

    def check(self, access_token: str | None) -> Grant:
        """The grant behind an API call's ``x-amz-access-token``; SpApiError 403 otherwise."""
        if not access_token:
            raise access_denied("Access token is missing in the request header.")
        grant = self._tokens.get(access_token)
        if grant is None:
            raise access_denied("The access token you provided is revoked, malformed or invalid.")
        if self.monotonic() >= grant.expires_at:
            raise access_denied("The access token you provided has expired.")
        return grant

    def expire_all(self) -> int:
        """Make every issued access token expired (tests of the refresh path)."""
        now = self.monotonic()
        for token, grant in list(self._tokens.items()):
            self._tokens[token] = Grant(client_id=grant.client_id, seller_id=grant.seller_id,
                                        pii=grant.pii, scope=grant.scope, expires_at=now)
        return len(self._tokens)
