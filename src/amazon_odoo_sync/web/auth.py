"""Who is asking: dashboard sign-in, sessions, roles and CSRF protection.

Every dashboard route depends on :meth:`Auth.viewer` (set on the router, so a route added later
is protected without thinking of it); routes that change something depend on
:meth:`Auth.operator` or :meth:`Auth.admin` as well. A request without a valid session gets the
login page (a browser), ``HX-Redirect`` to it (htmx) or 401; a user without the role gets 403.

* **Sessions.** A random 256-bit token in an HTTP-only, ``SameSite=Lax`` cookie (``Secure``
  unless ``[web] cookie_secure = false``); the database keeps its SHA-256 and an expiry.
* **CSRF.** Every request other than GET/HEAD must carry the session's CSRF token (derived from
  the session token: :func:`amazon_odoo_sync.passwords.csrf_token`) in the ``X-CSRF-Token``
  header (htmx sends it from ``hx-headers`` on ``<body>``) or a ``csrf_token`` form field, and,
  when the browser says where it comes from (``Origin``), come from the dashboard's own origin.
* **Login throttling.** After ``login_max_failures`` failures of one user name from one address
  within the window, the password is not even checked until the window has passed; counted in
  PostgreSQL so every ``serve`` process sees the same count.
* **Reverse proxy.** With ``[web] trusted_user_header``, a request from a ``trusted_proxies``
  address carrying that header is the named user (who must exist; their role applies): the
  dashboard then gives that browser a session of its own, for the CSRF token. Client addresses
  come from ``X-Forwarded-For`` only on requests from those addresses, too.

The audit log names the user: ``web:<name>`` (:attr:`Principal.actor`).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import HTTPException, Request
from fastapi.responses import Response
from psycopg_pool import AsyncConnectionPool

from ..config import WebConfig
from ..logs import get_logger
from ..passwords import csrf_token, new_token, token_digest, verify_password
from ..store.unit import PgStore, PgUnitOfWork
from ..store.users import Role, User

__all__ = ["COOKIE", "CSRF_FIELD", "CSRF_HEADER", "Auth", "LoginOutcome", "Principal", "signed_in"]

COOKIE = "aos_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_log = get_logger(__name__)


@dataclass(frozen=True)
class Principal:
    """The signed-in user of a request, and the CSRF token its pages carry."""

    user: User
    csrf: str
    #: Set when this request made the session (proxy sign-in): the response must set the cookie.
    new_token: str | None = None

    @property
    def actor(self) -> str:
        return f"web:{self.user.name}"

    def may(self, role: Role) -> bool:
        return self.user.may(role)


@dataclass(frozen=True)
class LoginOutcome:
    """``token`` when signed in; else why not (``throttled``: seconds until the next try)."""

    token: str | None = None
    user: User | None = None
    throttled: float | None = None


def signed_in(request: Request) -> Principal:
    """A route parameter's dependency: the user that :meth:`Auth.require` (a dependency of the
    router, solved first) let through."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):  # a route outside a protected router
        raise HTTPException(status_code=401, detail="sign in first")
    return principal


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))


class Auth:
    """The sign-in rules of one app (see the module docstring)."""

    def __init__(self, pool: AsyncConnectionPool[Any], config: WebConfig) -> None:
        self.pool = pool
        #: Every read and write goes through the store: driver errors come out as our SyncError.
        self.store = PgStore(pool)
        self.config = config
        self._trusted = set(config.trusted_proxies)

    # -- who is asking ------------------------------------------------------------------------

    def _from_proxy(self, request: Request) -> bool:
        return request.client is not None and request.client.host in self._trusted

    def client(self, request: Request) -> str:
        """The client's address: the proxy's ``X-Forwarded-For`` entry when it comes through one."""
        peer = request.client.host if request.client else "unknown"
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded and self._from_proxy(request):
            return forwarded.split(",")[-1].strip() or peer
        return peer

    def is_https(self, request: Request) -> bool:
        if self._from_proxy(request) and request.headers.get("x-forwarded-proto"):
            return request.headers["x-forwarded-proto"].split(",")[0].strip() == "https"
        return request.url.scheme == "https"

    async def _session(self, request: Request) -> Principal | None:
        token = request.cookies.get(COOKIE)
        if not token or len(token) > 100:
            return None
        async with self.store.session() as tx:
            user = await tx.users.session_user(token_digest(token))
        return None if user is None else Principal(user, csrf_token(token))

    async def _proxy_user(self, request: Request, current: Principal | None) -> Principal | None:
        header = self.config.trusted_user_header
        if not header or not self._from_proxy(request):
            return current
        name = request.headers.get(header, "").strip().lower()
        if not name:
            return current
        if current is not None and current.user.name == name:
            return current
        async with self.store.session() as tx:
            user = await tx.users.get(name)
            if user is None:
                _log.warning("proxy user unknown", user=name, client=self.client(request))
                raise HTTPException(status_code=403, detail=f"user {name!r} is not a dashboard user "
                                    "(amazon-odoo-sync users add)")
            token = await self._open_session(tx, user, request)
        return Principal(user, csrf_token(token), new_token=token)

    async def principal(self, request: Request) -> Principal | None:
        """The request's user (cached on the request), or None."""
        if hasattr(request.state, "principal"):
            found: Principal | None = request.state.principal
            return found
        principal = await self._proxy_user(request, await self._session(request))
        request.state.principal = principal
        return principal

    # -- route dependencies --------------------------------------------------------------------

    def _refuse_anonymous(self, request: Request) -> HTTPException:
        if request.method in SAFE_METHODS and request.headers.get("HX-Request") != "true":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return HTTPException(status_code=303, detail="sign in first",
                                 headers={"Location": f"/login?next={quote(target, safe='')}"})
        return HTTPException(status_code=401, detail="sign in first", headers={"HX-Redirect": "/login"})

    async def _check_csrf(self, request: Request, principal: Principal) -> None:
        origin = request.headers.get("origin")
        if origin is not None and not self.same_origin(request, origin):
            raise HTTPException(status_code=403, detail="cross-origin request refused")
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
        if not sent or not _same(sent, principal.csrf):
            raise HTTPException(status_code=403, detail="missing or wrong CSRF token; reload the page")

    def same_origin(self, request: Request, origin: str) -> bool:
        if self.config.public_origin:
            return origin.rstrip("/") == self.config.public_origin.rstrip("/")
        host = request.headers.get("host")
        return bool(host) and urlsplit(origin).netloc == host

    def require(self, role: Role) -> Callable[[Request], Awaitable[Principal]]:
        """A dependency: the request's user, who has ``role``; CSRF-checked unless GET/HEAD."""

        async def dependency(request: Request) -> Principal:
            principal = await self.principal(request)
            if principal is None:
                raise self._refuse_anonymous(request)
            if request.method not in SAFE_METHODS:
                await self._check_csrf(request, principal)
            if not principal.may(role):
                raise HTTPException(status_code=403, detail=f"this needs the {role} role; "
                                    f"{principal.user.name} is {principal.user.role}")
            return principal

        dependency.__name__ = f"require_{role}"
        return dependency

    # -- signing in and out --------------------------------------------------------------------

    async def _open_session(self, tx: PgUnitOfWork, user: User, request: Request) -> str:
        token = new_token()
        await tx.users.create_session(digest=token_digest(token), user_id=user.id,
                                      seconds=self.config.session_hours * 3600, client=self.client(request))
        await tx.users.record_login(user.id)
        await tx.audit.record(actor=f"web:{user.name}", action="user.login", object_type="user",
                              object_key=user.name, details={"client": self.client(request)})
        return token

    async def login(self, request: Request, name: str, password: str) -> LoginOutcome:
        name = name.strip().lower()[:100]
        client = self.client(request)
        window = self.config.login_window_minutes * 60
        async with self.store.session() as tx:
            failures, retry_after = await tx.users.recent_failures(name, client, window)
            if failures >= self.config.login_max_failures:
                _log.warning("login throttled", user=name, client=client, failures=failures)
                return LoginOutcome(throttled=retry_after)
            stored = await tx.users.password_hash(name)
        # scrypt takes tens of milliseconds: not on the event loop.
        if not await asyncio.to_thread(verify_password, password, stored):
            async with self.store.session() as tx:
                await tx.users.record_failure(name, client, window)
            _log.warning("login failed", user=name, client=client, failures=failures + 1)
            return LoginOutcome()
        async with self.store.transaction() as tx:
            user = await tx.users.get(name)
            if user is None:  # removed a moment ago
                return LoginOutcome()
            await tx.users.clear_failures(name, client)
            token = await self._open_session(tx, user, request)
        return LoginOutcome(token=token, user=user)

    async def logout(self, request: Request) -> None:
        token = request.cookies.get(COOKIE)
        if token:
            async with self.store.session() as tx:
                await tx.users.delete_session(token_digest(token))

    def set_cookie(self, response: Response, token: str) -> None:
        response.set_cookie(COOKIE, token, max_age=int(self.config.session_hours * 3600), path="/",
                            secure=self.config.cookie_secure, httponly=True, samesite="lax")

    def clear_cookie(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", secure=self.config.cookie_secure, httponly=True,
                               samesite="lax")
