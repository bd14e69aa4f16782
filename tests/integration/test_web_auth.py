"""Dashboard sign-in on real PostgreSQL: every route refuses strangers, roles, CSRF, sessions,
login throttling, the reverse-proxy header, and the service's /metrics token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from psycopg_pool import AsyncConnectionPool
from starlette.routing import Route

from amazon_odoo_sync.config import DatabaseConfig, NotificationsConfig, Settings, WebConfig
from amazon_odoo_sync.store import audit, quarantine, users
from amazon_odoo_sync.web.dashboard import dashboard_router

from .web_login import PASSWORD, add_user, csrf_of, sign_in

pytestmark = pytest.mark.db

#: What a stranger may open.
OPEN = {"/healthz", "/login", "/static/{name}"}
BROWSER = ("203.0.113.7", 50000)


@pytest.fixture
async def conn(db_url: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as connection:
        yield connection


def dashboard(pool: AsyncConnectionPool[Any], db_url: str, **web: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(dashboard_router(pool, Settings(database=DatabaseConfig(url=db_url), web=WebConfig(**web))))
    return app


def browser(app: FastAPI, *, client: tuple[str, int] = BROWSER, scheme: str = "https") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=client), base_url=f"{scheme}://dash")


def routes_of(routes: Iterable[Any]) -> Iterator[Route]:
    """Every route, also those of included routers (FastAPI keeps those apart, unflattened)."""
    for route in routes:
        if isinstance(route, Route):
            yield route
        elif hasattr(route, "original_router"):
            yield from routes_of(route.original_router.routes)
        else:
            raise AssertionError(f"a route of an unknown kind: {route!r}")


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


# -- every route -------------------------------------------------------------------------------------

async def test_every_route_of_the_service_refuses_anonymous_requests(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole ``serve`` app, every route and method, as a stranger: only /healthz, /login
    and the static files answer; a route added later without protection fails here."""
    from amazon_odoo_sync.cli.serve import service_app

    monkeypatch.setenv("AOS_METRICS_TOKEN", "metrics-token-123")
    monkeypatch.setenv("AOS_NOTIFICATIONS_SECRET", "notifications-secret-123")
    settings = Settings(database=DatabaseConfig(url=db_url), notifications=NotificationsConfig(http_endpoint=True))
    app = service_app(settings)
    routes = [(route.path, method) for route in routes_of(app.routes) for method in sorted(route.methods or ())]
    assert len(routes) >= 17 and ("/notifications/spapi", "POST") in routes
    async with app.router.lifespan_context(app), browser(app) as client:
        for path, method in routes:
            for htmx in (False, True):
                response = await client.request(method, concrete(path), headers={"HX-Request": "true"} if htmx else {})
                if path in OPEN:  # the login form posted empty: 400
                    assert response.status_code in (200, 400, 404), (method, path)
                    assert "set-cookie" not in response.headers
                    continue
                assert response.status_code in (303, 401), (method, path, response.status_code)
                if response.status_code == 303:
                    assert method == "GET" and not htmx
                    assert response.headers["location"].startswith("/login?next=%2F"), path
                elif path.startswith(("/notifications", "/metrics")):
                    assert "/login" not in response.headers.get("hx-redirect", "")
                else:
                    assert response.headers["hx-redirect"] == "/login"
                assert "<table" not in response.text


async def test_a_viewer_reads_every_page_but_cannot_press_any_action(
        pool: AsyncConnectionPool[Any], db_url: str, conn: psycopg.AsyncConnection[Any]) -> None:
    app = dashboard(pool, db_url)
    item = await quarantine.put(conn, flow="orders", key="k-1", account=None, reason="bad")
    await add_user(conn, "vera", "viewer")
    posts = [route.path for route in routes_of(app.routes) if isinstance(route, APIRoute)
             and "POST" in route.methods and route.path not in ("/login", "/logout")]
    assert posts == ["/quarantine/{item_id}/resolve", "/jobs/{job_id}/retry"]
    async with browser(app) as client:
        await sign_in(client, "vera")
        page = await client.get("/quarantine")
        assert page.status_code == 200 and "k-1" in page.text and "hx-post" not in page.text  # no buttons
        assert "vera" in page.text and "viewer" in page.text
        for path in posts:
            response = await client.post(concrete(path).replace("/1/", f"/{item.id}/"), headers={"HX-Request": "true"})
            assert response.status_code == 403 and "operator role" in response.text
    assert await quarantine.is_open(conn, "orders", "k-1") is not None
    assert await audit.recent(conn, 5, object_type="quarantine") == []


async def test_an_operator_acts_under_their_own_name(pool: AsyncConnectionPool[Any], db_url: str,
                                                     conn: psycopg.AsyncConnection[Any]) -> None:
    item = await quarantine.put(conn, flow="orders", key="k-2", account=None, reason="bad")
    await add_user(conn, "otto", "operator")
    await add_user(conn, "ada", "admin")
    async with browser(dashboard(pool, db_url)) as otto, browser(dashboard(pool, db_url)) as ada:
        await sign_in(otto, "otto")
        await sign_in(ada, "ada")
        assert 'hx-post="/quarantine/' in (await ada.get("/quarantine")).text  # admin may act too
        response = await otto.post(f"/quarantine/{item.id}/resolve", headers={"HX-Request": "true"})
        assert response.status_code == 200 and "resolved orders k-2" in response.text
    entries = await audit.recent(conn, 10)
    assert [(e.actor, e.action) for e in entries if e.action != "user.login"] == [("web:otto", "quarantine.resolve")]
    assert {e.actor for e in entries if e.action == "user.login"} == {"web:otto", "web:ada"}


async def test_only_admins_see_the_users_page(pool: AsyncConnectionPool[Any], db_url: str,
                                             conn: psycopg.AsyncConnection[Any]) -> None:
    await add_user(conn, "ada", "admin")
    await add_user(conn, "otto", "operator")
    app = dashboard(pool, db_url)
    async with browser(app) as ada, browser(app) as otto:
        await sign_in(ada, "ada")
        page = await ada.get("/users")
        assert page.status_code == 200
        assert re.search(r"<td>otto</td><td>operator</td><td>[^<]+</td><td>—</td>", page.text)  # never signed in
        assert "<td>ada</td><td>admin</td>" in page.text and "scrypt" not in page.text
        assert '<a href="/users"' in (await ada.get("/")).text
        await sign_in(otto, "otto")
        assert (await otto.get("/users")).status_code == 403
        assert '<a href="/users"' not in (await otto.get("/")).text


# -- sessions and CSRF --------------------------------------------------------------------------------

async def test_session_cookie_is_http_only_same_site_and_secure_unless_configured_off(
        pool: AsyncConnectionPool[Any], db_url: str, conn: psycopg.AsyncConnection[Any]) -> None:
    await add_user(conn, "sam", "viewer")
    for secure in (True, False):
        async with browser(dashboard(pool, db_url, cookie_secure=secure), scheme="https" if secure else "http") as c:
            response = await c.post("/login", data={"username": "Sam ", "password": PASSWORD, "next": "/jobs"})
            assert response.status_code == 303 and response.headers["location"] == "/jobs"
            cookie = response.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
            assert ("secure" in cookie) is secure
    digests = [row[0] for row in await (await conn.execute("SELECT token_hash FROM web_sessions")).fetchall()]
    token = response.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    assert len(digests) == 2 and all(len(d) == 32 for d in digests)
    assert token.encode() not in b"".join(digests)  # only the token's hash is stored


async def test_login_page_warns_when_secure_cookies_meet_plain_http(pool: AsyncConnectionPool[Any],
                                                                    db_url: str) -> None:
    async with browser(dashboard(pool, db_url), scheme="http") as plain, browser(dashboard(pool, db_url)) as tls:
        assert "cookie_secure = false" in (await plain.get("/login")).text
        assert "cookie_secure" not in (await tls.get("/login")).text


async def test_csrf_token_is_the_sessions_own_and_origin_must_match(
        pool: AsyncConnectionPool[Any], db_url: str, conn: psycopg.AsyncConnection[Any]) -> None:
    await add_user(conn, "otto", "operator")
    app = dashboard(pool, db_url)
    async with browser(app) as first, browser(app) as second:
        token_1 = await sign_in(first, "otto")
        token_2 = await sign_in(second, "otto")
        assert token_1 != token_2
        first.headers["X-CSRF-Token"] = token_2  # another session's token
        assert (await first.post("/jobs/1/retry")).status_code == 403
        first.headers["X-CSRF-Token"] = token_1
        assert (await first.post("/jobs/1/retry", headers={"Origin": "https://evil.example"})).status_code == 403
        ok = await first.post("/jobs/1/retry", headers={"Origin": "https://dash", "HX-Request": "true"})
        assert ok.status_code == 200 and "no failed job with this id" in ok.text
        # Sign out is a form post: its token comes as a field.
        del first.headers["X-CSRF-Token"]
        assert (await first.post("/logout")).status_code == 403
        out = await first.post("/logout", data={"csrf_token": token_1})
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert (await first.get("/")).status_code == 303
        assert (await second.get("/")).status_code == 200  # the other session lives on


async def test_a_login_from_another_origin_is_refused(pool: AsyncConnectionPool[Any], db_url: str,
                                                      conn: psycopg.AsyncConnection[Any]) -> None:
    await add_user(conn, "otto", "operator")
    async with browser(dashboard(pool, db_url)) as client:
        response = await client.post("/login", data={"username": "otto", "password": PASSWORD},
                                     headers={"Origin": "https://evil.example"})
        assert response.status_code == 403 and "set-cookie" not in response.headers


async def test_expired_removed_or_repassworded_sessions_end(pool: AsyncConnectionPool[Any], db_url: str,
                                                            conn: psycopg.AsyncConnection[Any]) -> None:
    await add_user(conn, "eve", "viewer")
    app = dashboard(pool, db_url)
    async with browser(app) as client:
        await sign_in(client, "eve")
        await conn.execute("UPDATE web_sessions SET expires_at = now() - interval '1 second'")
        assert (await client.get("/")).status_code == 303
        await sign_in(client, "eve")
        await users.set_password_hash(conn, "eve", "scrypt$x")
        assert (await client.get("/")).status_code == 303
    await users.remove(conn, "eve")
    await add_user(conn, "eve", "viewer")
    async with browser(app) as client:
        await sign_in(client, "eve")
        assert await users.remove(conn, "eve")
        assert (await client.get("/")).status_code == 303


async def test_next_after_login_stays_on_this_site(pool: AsyncConnectionPool[Any], db_url: str,
                                                   conn: psycopg.AsyncConnection[Any]) -> None:
    await add_user(conn, "otto", "operator")
    async with browser(dashboard(pool, db_url)) as client:
        first = await client.get("/orders?q=302")
        assert first.headers["location"] == "/login?next=%2Forders%3Fq%3D302"
        form = (await client.get(first.headers["location"])).text
        assert 'name="next" value="/orders?q=302"' in form
        for target, landed in (("//evil.example/x", "/"), ("https://evil.example", "/"),
                               ("/orders?q=302", "/orders?q=302")):
            response = await client.post("/login", data={"username": "otto", "password": PASSWORD, "next": target})
            assert response.headers["location"] == landed


# -- throttling ---------------------------------------------------------------------------------------

async def test_failed_logins_are_throttled_per_user_and_address(
        pool: AsyncConnectionPool[Any], db_url: str, conn: psycopg.AsyncConnection[Any]) -> None:
    await add_user(conn, "otto", "operator")
    app = dashboard(pool, db_url, login_max_failures=3, login_window_minutes=10)
    wrong = {"username": "otto", "password": "not the password"}
    right = {"username": "otto", "password": PASSWORD}
    async with browser(app) as attacker, browser(app, client=("198.51.100.1", 1)) as colleague:
        for _ in range(3):
            response = await attacker.post("/login", data=wrong)
            assert response.status_code == 401 and "Wrong user name or password" in response.text
            assert "set-cookie" not in response.headers
        throttled = await attacker.post("/login", data=right)  # even the right password
        assert throttled.status_code == 429 and "try again in 10 minutes" in throttled.text
        assert (await colleague.post("/login", data=right)).status_code == 303  # another address
        await conn.execute("UPDATE login_failures SET at = at - interval '11 minutes'")
        assert (await attacker.post("/login", data=right)).status_code == 303  # the window has passed
    cur = await conn.execute("SELECT count(*) FROM login_failures")
    assert await cur.fetchone() == (0,)  # a success clears that user's and address's failures


async def test_unknown_users_fail_like_wrong_passwords(pool: AsyncConnectionPool[Any], db_url: str) -> None:
    async with browser(dashboard(pool, db_url)) as client:
        response = await client.post("/login", data={"username": "nobody", "password": PASSWORD})
        assert response.status_code == 401 and "Wrong user name or password" in response.text


# -- reverse proxy -------------------------------------------------------------------------------------

async def test_a_trusted_proxys_user_header_signs_in_that_user(
        pool: AsyncConnectionPool[Any], db_url: str, conn: psycopg.AsyncConnection[Any]) -> None:
    await add_user(conn, "otto", "operator")
    app = dashboard(pool, db_url, trusted_user_header="X-Remote-User", trusted_proxies=["10.0.0.2"])
    proxied = {"X-Remote-User": "Otto", "X-Forwarded-For": "203.0.113.50", "X-Forwarded-Proto": "https"}
    async with browser(app, client=("10.0.0.2", 1)) as proxy:
        page = await proxy.get("/quarantine", headers=proxied)
        assert page.status_code == 200 and "otto" in page.text and "set-cookie" in page.headers
        proxy.headers["X-CSRF-Token"] = csrf_of(page.text)
        assert (await proxy.post("/jobs/1/retry", headers=proxied)).status_code == 200
        assert (await proxy.get("/", headers={**proxied, "X-Remote-User": "mallory"})).status_code == 403
    async with browser(app) as direct:  # not from the proxy: the header means nothing
        assert (await direct.get("/", headers=proxied)).status_code == 303
    sessions = await (await conn.execute("SELECT client FROM web_sessions")).fetchall()
    assert sessions == [("203.0.113.50",)]  # the browser's address, as the proxy forwarded it


# -- /metrics -----------------------------------------------------------------------------------------

async def test_metrics_ask_for_the_bearer_token_when_one_is_set(db_url: str) -> None:
    from amazon_odoo_sync.web.app import create_app

    app = create_app(Settings(database=DatabaseConfig(url=db_url)), url=db_url, metrics_token="s3cret-token")
    async with app.router.lifespan_context(app), browser(app) as client:
        assert (await client.get("/metrics")).status_code == 401
        assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        ok = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200 and "aos_jobs" in ok.text
        assert (await client.get("/healthz")).status_code == 200


# -- the service's wiring ------------------------------------------------------------------------------

def test_the_notification_endpoint_is_off_by_default_and_needs_a_secret_when_on(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from amazon_odoo_sync.cli.serve import service_app
    from amazon_odoo_sync.exceptions import ConfigurationError

    monkeypatch.delenv("AOS_NOTIFICATIONS_SECRET", raising=False)
    default = service_app(Settings(database=DatabaseConfig(url=db_url)))
    assert "/notifications/spapi" not in {route.path for route in routes_of(default.routes)}
    on = Settings(database=DatabaseConfig(url=db_url), notifications=NotificationsConfig(http_endpoint=True))
    with pytest.raises(ConfigurationError, match="AOS_NOTIFICATIONS_SECRET"):
        service_app(on)
    monkeypatch.setenv("AOS_NOTIFICATIONS_SECRET", "too-short")
    with pytest.raises(ConfigurationError, match="at least 16"):
        service_app(on)


async def test_the_sign_in_page_says_when_the_database_cannot_be_read(
        pool: AsyncConnectionPool[Any], db_url: str, conn: psycopg.AsyncConnection[Any]) -> None:
    # A driver error comes out of the store as our SyncError: a readable page, not a 500.
    await conn.execute("ALTER TABLE login_failures RENAME TO login_failures_away")
    async with browser(dashboard(pool, db_url)) as client:
        response = await client.post("/login", data={"username": "olga", "password": "x", "next": "/"})
    assert response.status_code == 503
    assert "the database could not be read (UndefinedTable)" in response.text
