"""Login with Amazon: exchange an account's refresh token for a short-lived access token.

One access token per account is shared by every worker: :class:`SharedTokenCache` keeps it in a
:class:`TokenStore` (``store.lwa_tokens.PgLwaTokens``: ``spapi_lwa_tokens``, injected) and
refreshes under a lock held for the account (a PostgreSQL advisory lock there), so N
processes that all need a token at once make one LWA call (the others wait for the lock, then
read the fresh token). Within a process an asyncio lock per account keeps concurrent tasks from
even queueing on the database. A token is used until 60 s before it expires.

Credentials are handed in (stored encrypted elsewhere, see ``store.secrets``); they never go into
an exception, a log line or a repr. Access tokens are encrypted at rest when a cipher (anything
with ``encrypt(str) -> str`` / ``decrypt(str) -> str``, e.g. ``store.secrets.Cipher``) is given.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx

from ..clock import Clock, SystemClock
from ..exceptions import AuthorizationError, ThrottledError, TransientError
from ..store.lwa_tokens import StoredToken
from .http import USER_AGENT

__all__ = ["EXPIRY_MARGIN", "AccessToken", "Cipher", "InMemoryTokenCache", "LockedToken", "LwaClient",
           "LwaCredentials", "SharedTokenCache", "TokenCache", "TokenStore"]

#: A token is not handed out when it expires within this margin.
EXPIRY_MARGIN = timedelta(seconds=60)
_PERMANENT_LWA_ERRORS = {"invalid_client", "invalid_grant", "unauthorized_client", "invalid_request",
                         "unsupported_grant_type", "invalid_scope"}


@dataclass(frozen=True, kw_only=True)
class LwaCredentials:
    """An app's LWA client and a seller's refresh token. The repr hides the secrets."""

    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)

    def __repr__(self) -> str:
        return f"LwaCredentials(client_id={self.client_id!r}, client_secret='***', refresh_token='***')"

    def scrub(self, text: str) -> str:
        """``text`` with our secrets masked, in case a remote message echoes them."""
        for secret in (self.client_secret, self.refresh_token):
            if secret:
                text = text.replace(secret, "***")
        return text


@dataclass(frozen=True, kw_only=True)
class AccessToken:
    value: str = field(repr=False)
    expires_at: datetime

    def usable(self, now: datetime) -> bool:
        return now < self.expires_at - EXPIRY_MARGIN


class Cipher(Protocol):
    """What we need of ``store.secrets.Cipher``."""

    def encrypt(self, plaintext: str) -> str: ...

    def decrypt(self, token: str) -> str: ...


class LwaClient:
    """The HTTP side: one refresh-token grant per call, errors translated."""

    def __init__(self, *, token_url: str, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: float = 30.0, clock: Clock | None = None) -> None:
        self.token_url = token_url
        self._clock = clock or SystemClock()
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout,
                                       headers={"user-agent": USER_AGENT})
        self.calls = 0

    async def aclose(self) -> None:
        await self._http.aclose()

    async def refresh(self, account: str, credentials: LwaCredentials, scope: str | None = None
                      ) -> AccessToken:
        """Refresh-token grant; with ``scope``, the client-credentials grant (grantless calls)."""
        self.calls += 1
        form = {"grant_type": "refresh_token", "refresh_token": credentials.refresh_token,
                "client_id": credentials.client_id, "client_secret": credentials.client_secret}
        if scope is not None:
            form = {"grant_type": "client_credentials", "scope": scope,
                    "client_id": credentials.client_id, "client_secret": credentials.client_secret}
        try:
            response = await self._http.post(self.token_url, data=form)
        except httpx.HTTPError as exc:
            raise TransientError(f"LWA token request for account {account} failed: "
                                 f"{type(exc).__name__}", system="lwa", account=account,
                                 operation="refresh_token") from exc
        try:
            body: Any = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        status = response.status_code
        if status == 200 and isinstance(body.get("access_token"), str):
            expires_in = float(body.get("expires_in") or 3600)
            return AccessToken(value=body["access_token"],
                               expires_at=self._clock.now() + timedelta(seconds=expires_in))
        error = str(body.get("error") or "")
        description = credentials.scrub(str(body.get("error_description") or ""))
        context: dict[str, Any] = {"system": "lwa", "account": account, "operation": "refresh_token",
                                   "status_code": status, "remote_message": description or error or None}
        if status == 429:
            raise ThrottledError(f"LWA throttled the token request for account {account}", **context)
        if status >= 500 or status == 200:
            raise TransientError(f"LWA answered {status} for account {account}", **context)
        if error in _PERMANENT_LWA_ERRORS or status in (400, 401, 403):
            raise AuthorizationError(
                f"Login with Amazon refused the credentials of account {account} ({error or status}); "
                "re-authorise the account (`accounts add`)", **context)
        raise TransientError(f"LWA answered {status} for account {account}", **context)


def _cache_key(account: str, scope: str | None) -> str:
    """Row key in ``spapi_lwa_tokens``: the account, or account#scope for grantless tokens."""
    return account if scope is None else f"{account}#{scope}"


class TokenCache(Protocol):
    async def access_token(self, account: str, credentials: LwaCredentials, *,
                           reject: str | None = None, scope: str | None = None) -> str:
        """A usable access token; ``reject``: a token the API refused (forces a refresh unless
        another caller already replaced it); ``scope``: a grantless token for that scope."""


class InMemoryTokenCache:
    """Per-process cache (unit tests, single process)."""

    def __init__(self, lwa: LwaClient, *, clock: Clock | None = None) -> None:
        self._lwa = lwa
        self._clock = clock or SystemClock()
        self._tokens: dict[str, AccessToken] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def access_token(self, account: str, credentials: LwaCredentials, *,
                           reject: str | None = None, scope: str | None = None) -> str:
        key = _cache_key(account, scope)
        async with self._locks.setdefault(key, asyncio.Lock()):
            token = self._tokens.get(key)
            if token is None or not token.usable(self._clock.now()) or token.value == reject:
                token = await self._lwa.refresh(account, credentials, scope)
                self._tokens[key] = token
            return token.value


class LockedToken(Protocol):
    """The stored token of one key while this caller holds its lock."""

    async def read(self) -> StoredToken | None: ...

    async def write(self, sealed: bytes, *, expires_at: datetime, refreshed_at: datetime) -> None: ...


class TokenStore(Protocol):
    """Where the tokens every worker shares live (``store.lwa_tokens.PgLwaTokens``)."""

    def locked(self, key: str, *, account: str) -> AbstractAsyncContextManager[LockedToken]:
        """``key``'s token, locked against every other process until the block ends."""


class SharedTokenCache:
    """Tokens shared through a store; one LWA refresh per account at a time, cluster-wide."""

    def __init__(self, store: TokenStore, lwa: LwaClient, *, clock: Clock | None = None,
                 cipher: Cipher | None = None) -> None:
        self._store = store
        self._lwa = lwa
        self._clock = clock or SystemClock()
        self._cipher = cipher
        self._local: dict[str, AccessToken] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _seal(self, value: str) -> bytes:
        return (self._cipher.encrypt(value) if self._cipher else value).encode()

    def _open(self, data: bytes) -> str:
        text = bytes(data).decode()
        return self._cipher.decrypt(text) if self._cipher else text

    def _fresh(self, token: AccessToken | None, reject: str | None) -> bool:
        return token is not None and token.usable(self._clock.now()) and token.value != reject

    async def access_token(self, account: str, credentials: LwaCredentials, *,
                           reject: str | None = None, scope: str | None = None) -> str:
        key = _cache_key(account, scope)
        local = self._local.get(key)
        if self._fresh(local, reject):
            assert local is not None
            return local.value
        async with self._locks.setdefault(key, asyncio.Lock()):
            local = self._local.get(key)
            if self._fresh(local, reject):
                assert local is not None
                return local.value
            token = await self._shared_token(account, key, credentials, reject, scope)
            self._local[key] = token
            return token.value

    async def _shared_token(self, account: str, key: str, credentials: LwaCredentials,
                            reject: str | None, scope: str | None) -> AccessToken:
        async with self._store.locked(key, account=account) as slot:
            row = await slot.read()
            if row is not None:
                try:
                    stored: AccessToken | None = AccessToken(value=self._open(row.sealed),
                                                             expires_at=row.expires_at)
                except Exception:  # undecryptable (key rotated away): just refresh
                    stored = None
                if self._fresh(stored, reject):
                    assert stored is not None
                    return stored
            # Still holding the lock: everyone else for this account waits for our result.
            token = await self._lwa.refresh(account, credentials, scope)
            await slot.write(self._seal(token.value), expires_at=token.expires_at,
                             refreshed_at=self._clock.now())
            return token
