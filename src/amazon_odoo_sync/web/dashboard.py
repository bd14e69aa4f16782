"""The operator dashboard: server-rendered pages (Jinja2) that refresh their tables with htmx.

Pages: ``/`` overview, ``/quarantine``, ``/jobs``, ``/orders``, ``/audit`` (and ``/users``, the
list of dashboard users, for admins). Each page wraps its tables in a container that re-fetches
``/partials/<page>`` every few seconds and swaps the fragment in; the page itself renders the
same fragment, so it works without JavaScript too (minus the refresh and the buttons).

Every page needs a signed-in user (``/login``; users are added with ``amazon-odoo-sync users
add``); see :mod:`amazon_odoo_sync.web.auth` for sessions, roles and CSRF. Read-only except two
actions for operators and admins, both audited under the user's name: resolving a quarantine
item and retrying a failed job (the latter through
:func:`amazon_odoo_sync.jobs.admin.retry_failed_jobs`). Viewers see no buttons.

Secrets never reach a template: everything shown is read through
:mod:`amazon_odoo_sync.store.dashboard` (accounts say whether credentials are set, never their
values), and nothing reads the Odoo credentials or LWA tokens. Jinja2 autoescaping is on for
every template: payloads are shown as text, never as markup.

htmx is served from this package (``static/htmx.min.js``) by the router itself (``/static/<name>``,
a fixed list of files): no CDN, the demo runs offline, and no separate mount step is needed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from psycopg_pool import AsyncConnectionPool

from ..clock import utcnow
from ..config import Settings
from ..exceptions import SyncError
from ..jobs.admin import STATES, PgJobAdmin, retry_failed_jobs
from ..jobs.queues import QUEUES
from ..store.dashboard import DashboardReads, PgDashboard
from ..store.unit import PgStore, UnitOfWork
from .auth import Auth, Principal, signed_in

__all__ = ["RESOLUTION", "STATIC_DIR", "TEMPLATES_DIR", "dashboard_router",
           "template_environment"]

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
#: The files ``/static/<name>`` serves; nothing else in the directory is reachable.
STATIC_FILES = {"htmx.min.js": "text/javascript", "dashboard.css": "text/css",
                "htmx.LICENSE.txt": "text/plain"}

RESOLUTION = "resolved in dashboard"
#: htmx trigger of the table refresh.
REFRESH = "every 3s"

# Row limits: pages stay fast with any amount of history.
QUARANTINE_LIMIT = 200
JOBS_LIMIT = 200
ORDERS_LIMIT = 200
AUDIT_LIMIT = 200

Reads = DashboardReads
#: The user of a request that passed the router's sign-in dependency.
SignedIn = Annotated[Principal, Depends(signed_in)]


class _Unavailable(Exception):
    """The database could not be read; the page says so instead of failing with a trace."""


class _Rollback(Exception):
    """Leave a transaction without writing."""


# -- templates ---------------------------------------------------------------------------------

def _ts(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def _age(value: datetime | None) -> str:
    return "—" if value is None else _duration((utcnow() - value).total_seconds())


def _pretty(value: Any) -> str:
    # A plain string: autoescaping turns any markup in a payload into visible text.
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str, separators=(", ", ": "))


def template_environment() -> jinja2.Environment:
    """The dashboard's Jinja2 environment: autoescape on for every template, strict undefined."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(ts=_ts, age=_age, duration=_duration, pretty=_pretty, compact=_compact)
    env.globals.update(refresh=REFRESH)
    return env


# -- what each page shows ------------------------------------------------------------------------

async def _overview(reads: Reads, settings: Settings) -> dict[str, Any]:
    account_list = await reads.accounts()
    added = {a.name for a in account_list}
    not_added = [a.name for a in settings.accounts if a.name not in added]

    # Orders: one row per account and marketplace (every known marketplace, even without
    # orders), one column per external-id state seen.
    counts = await reads.order_counts()
    order_states = sorted({c.state for c in counts})
    keys: dict[tuple[str, str], dict[str, int]] = {}
    for account in account_list:
        for marketplace in account.marketplaces:
            keys.setdefault((account.name, marketplace), {})
    for count in counts:
        keys.setdefault((count.account, count.marketplace), {})[count.state] = count.orders
    order_rows = [{"account": account, "marketplace": marketplace, "states": by_state,
                   "total": sum(by_state.values())}
                  for (account, marketplace), by_state in sorted(keys.items())]

    depths = await reads.queue_depths()
    by_queue: dict[str, dict[str, int]] = {queue: {} for queue in QUEUES}
    oldest: dict[str, float | None] = {}
    for depth in depths:
        by_queue.setdefault(depth.queue, {})[depth.state] = depth.jobs
        if depth.state == "todo":
            oldest[depth.queue] = depth.oldest_ready_seconds
    ready_ages = [age for age in oldest.values() if age is not None]

    circuits = await reads.spapi_circuits()
    return {
        "accounts": account_list,
        "not_added": not_added,
        "order_states": order_states,
        "order_rows": order_rows,
        "inbox": await reads.inbox_backlog(),
        "quarantine": await reads.open_quarantine_counts(),
        "job_states": STATES,
        "job_rows": [{"queue": queue, "states": states, "oldest_ready": oldest.get(queue)}
                     for queue, states in by_queue.items()],
        "failed_jobs": sum(d.jobs for d in depths if d.state == "failed"),
        "waiting_jobs": sum(d.jobs for d in depths if d.state == "todo"),
        "oldest_waiting": max(ready_ages) if ready_ages else None,
        "quota": await reads.quota_rows(),
        "open_circuits": [c for c in circuits if c["state"] != "closed"],
        "circuits": len(circuits),
        "odoo_circuits": await reads.odoo_circuits(),
    }


async def _quarantine(reads: Reads) -> dict[str, Any]:
    return {"items": await reads.open_quarantine(QUARANTINE_LIMIT),
            "total": await reads.open_quarantine_total(), "limit": QUARANTINE_LIMIT}


async def _jobs(reads: Reads) -> dict[str, Any]:
    return {"doing": await reads.list_jobs(state="doing", limit=JOBS_LIMIT),
            "todo": await reads.list_jobs(state="todo", limit=JOBS_LIMIT),
            "failed": await reads.failed_jobs(limit=JOBS_LIMIT), "limit": JOBS_LIMIT}


async def _orders(reads: Reads, search: str) -> dict[str, Any]:
    return {"orders": await reads.latest_orders(search=search, limit=ORDERS_LIMIT),
            "q": search, "limit": ORDERS_LIMIT}


async def _users(reads: Reads) -> dict[str, Any]:
    return {"users": await reads.users()}


async def _audit(reads: Reads) -> dict[str, Any]:
    return {"entries": await reads.audit(AUDIT_LIMIT), "limit": AUDIT_LIMIT}


async def _resolve(tx: UnitOfWork, item_id: int, actor: str) -> tuple[str, bool]:
    """Resolve quarantine item ``item_id`` and audit it, in ``tx``."""
    item = await tx.quarantine.get(item_id)
    if item is None:
        return f"quarantine item {item_id} does not exist", False
    if item.resolved_at is not None:
        return f"quarantine item {item_id} was already resolved", False
    done = await tx.quarantine.resolve(item.flow, item.key, RESOLUTION)
    if done is None or done.id != item.id:
        # Resolved (and maybe re-opened) in between: leave the new item alone.
        raise _Rollback
    await tx.audit.record(actor=actor, action="quarantine.resolve", object_type="quarantine",
                          object_key=f"{item.flow}:{item.key}",
                          details={"id": item.id, "flow": item.flow, "key": item.key, "account": item.account,
                                   "reason": item.reason, "attempts": item.attempts, "resolution": RESOLUTION})
    return f"resolved {item.flow} {item.key}", True


def _cause(exc: BaseException) -> str:
    """The name shown for a failure: the driver's (OperationalError, PoolTimeout...) when the
    store translated one, as operators know them."""
    return type(exc.__cause__ or exc).__name__


# -- the router ------------------------------------------------------------------------------------

def _safe_next(target: str) -> str:
    """Where to go after signing in: a path of this site only (no ``//evil.example``)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def dashboard_router(pool: AsyncConnectionPool[Any], settings: Settings) -> APIRouter:
    """The dashboard's routes (login, pages, fragments, actions, ``/static/*``), to mount at the root.

    ``pool``: an open pool (autocommit or not: writes run in their own transaction); the pages
    read it through :class:`~amazon_odoo_sync.store.dashboard.PgDashboard`."""
    env = template_environment()
    auth = Auth(pool, settings.web)
    dashboard, store, jobs_admin = PgDashboard(pool), PgStore(pool), PgJobAdmin(pool)
    public = APIRouter(include_in_schema=False)
    # Every route of this router needs a signed-in user (and a CSRF token unless GET); actions
    # need the operator role on top.
    router = APIRouter(include_in_schema=False, dependencies=[Depends(auth.require("viewer"))])
    operator = [Depends(auth.require("operator"))]

    def render(template: str, context: Mapping[str, Any], principal: Principal | None, *,
               status_code: int = 200) -> HTMLResponse:
        html = env.get_template(template).render({
            **context, "now": utcnow(), "user": principal.user if principal else None,
            "csrf": principal.csrf if principal else "",
            "may_act": principal is not None and principal.may("operator")})
        response = HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})
        if principal is not None and principal.new_token is not None:
            auth.set_cookie(response, principal.new_token)
        return response

    async def load(loader: Callable[[Reads], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        try:
            async with dashboard.reading() as reads:
                return await loader(reads)
        except SyncError as exc:
            raise _Unavailable(f"the database could not be read ({_cause(exc)})") from exc

    async def page(name: str, loader: Callable[[Reads], Awaitable[dict[str, Any]]], principal: Principal,
                   *, partial: bool) -> HTMLResponse:
        try:
            context = await load(loader)
        except _Unavailable as exc:
            # htmx leaves the last good table in place on an error status.
            return render("_error.html" if partial else "error.html",
                          {"page": name, "message": str(exc)}, principal, status_code=503)
        return render(f"_{name}.html" if partial else f"{name}.html", {**context, "page": name}, principal)

    # Signing in and out.

    def login_page(request: Request, *, next_path: str, message: str | None = None, name: str = "",
                   status_code: int = 200) -> HTMLResponse:
        plain_http = settings.web.cookie_secure and not auth.is_https(request)
        return render("login.html", {"page": "login", "next": _safe_next(next_path), "message": message,
                                     "name": name, "plain_http": plain_http}, None, status_code=status_code)

    @public.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request, next: str = "/") -> Response:
        if await auth.principal(request) is not None:
            return RedirectResponse(_safe_next(next), status_code=303)
        return login_page(request, next_path=next)

    @public.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin is not None and not auth.same_origin(request, origin):
            raise HTTPException(status_code=403, detail="cross-origin request refused")
        form = await request.form()
        name, password, next_path = (str(form.get(key) or "") for key in ("username", "password", "next"))
        if not name.strip() or not password:
            return login_page(request, next_path=next_path, name=name, status_code=400,
                              message="Enter your user name and password.")
        try:
            outcome = await auth.login(request, name, password)
        except SyncError as exc:
            return login_page(request, next_path=next_path, name=name, status_code=503,
                              message=f"the database could not be read ({_cause(exc)})")
        if outcome.throttled is not None:
            minutes = max(1, math.ceil(outcome.throttled / 60))
            return login_page(request, next_path=next_path, name=name, status_code=429,
                              message=f"Too many failed sign-ins for this user from your address: try again "
                                      f"in {minutes} minute{'' if minutes == 1 else 's'}.")
        if outcome.token is None:
            return login_page(request, next_path=next_path, name=name, status_code=401,
                              message="Wrong user name or password.")
        response = RedirectResponse(_safe_next(next_path), status_code=303)
        auth.set_cookie(response, outcome.token)
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        await auth.logout(request)
        response = RedirectResponse("/login", status_code=303)
        auth.clear_cookie(response)
        return response

    # Pages and their fragments.

    @router.get("/", response_class=HTMLResponse)
    async def overview_page(principal: SignedIn) -> HTMLResponse:
        return await page("overview", lambda reads: _overview(reads, settings), principal, partial=False)

    @router.get("/partials/overview", response_class=HTMLResponse)
    async def overview_partial(principal: SignedIn) -> HTMLResponse:
        return await page("overview", lambda reads: _overview(reads, settings), principal, partial=True)

    @router.get("/quarantine", response_class=HTMLResponse)
    async def quarantine_page(principal: SignedIn) -> HTMLResponse:
        return await page("quarantine", _quarantine, principal, partial=False)

    @router.get("/partials/quarantine", response_class=HTMLResponse)
    async def quarantine_partial(principal: SignedIn) -> HTMLResponse:
        return await page("quarantine", _quarantine, principal, partial=True)

    @router.get("/jobs", response_class=HTMLResponse)
    async def jobs_page(principal: SignedIn) -> HTMLResponse:
        return await page("jobs", _jobs, principal, partial=False)

    @router.get("/partials/jobs", response_class=HTMLResponse)
    async def jobs_partial(principal: SignedIn) -> HTMLResponse:
        return await page("jobs", _jobs, principal, partial=True)

    @router.get("/orders", response_class=HTMLResponse)
    async def orders_page(principal: SignedIn, q: str = "") -> HTMLResponse:
        return await page("orders", lambda reads: _orders(reads, q[:100]), principal, partial=False)

    @router.get("/partials/orders", response_class=HTMLResponse)
    async def orders_partial(principal: SignedIn, q: str = "") -> HTMLResponse:
        return await page("orders", lambda reads: _orders(reads, q[:100]), principal, partial=True)

    @router.get("/audit", response_class=HTMLResponse)
    async def audit_page(principal: SignedIn) -> HTMLResponse:
        return await page("audit", _audit, principal, partial=False)

    @router.get("/partials/audit", response_class=HTMLResponse)
    async def audit_partial(principal: SignedIn) -> HTMLResponse:
        return await page("audit", _audit, principal, partial=True)

    @router.get("/users", response_class=HTMLResponse, dependencies=[Depends(auth.require("admin"))])
    async def users_page(principal: SignedIn) -> HTMLResponse:
        return await page("users", _users, principal, partial=False)

    # Actions (operators): answer with the refreshed fragment plus an out-of-band notice.

    async def action(name: str, act: Callable[[], Awaitable[tuple[str, bool]]],
                     loader: Callable[[Reads], Awaitable[dict[str, Any]]], principal: Principal) -> HTMLResponse:
        try:
            notice, ok = await act()
            async with dashboard.reading() as reads:
                context = await loader(reads)
        except SyncError as exc:
            return render("_error.html", {"page": name, "message": f"the action failed ({_cause(exc)})"},
                          principal, status_code=503)
        return render(f"_{name}.html", {**context, "page": name, "notice": notice, "notice_ok": ok}, principal)

    @router.post("/quarantine/{item_id}/resolve", response_class=HTMLResponse, dependencies=operator)
    async def resolve(item_id: int, principal: SignedIn) -> HTMLResponse:

        async def act() -> tuple[str, bool]:
            try:
                async with store.transaction() as tx:
                    return await _resolve(tx, item_id, principal.actor)
            except _Rollback:
                return f"quarantine item {item_id} changed meanwhile; nothing resolved", False

        return await action("quarantine", act, _quarantine, principal)

    @router.post("/jobs/{job_id}/retry", response_class=HTMLResponse, dependencies=operator)
    async def retry(job_id: int, principal: SignedIn) -> HTMLResponse:

        async def act() -> tuple[str, bool]:
            outcome = await retry_failed_jobs(jobs_admin, actor=principal.actor, job_id=job_id)
            if job_id in outcome.retried:
                return f"job {job_id} is queued again", True
            reasons = "; ".join(reason for _, reason in outcome.skipped) or "not retried"
            return f"job {job_id}: {reasons}", False

        return await action("jobs", act, _jobs, principal)

    @public.get("/static/{name}")
    async def static(name: str) -> Response:
        media_type = STATIC_FILES.get(name)
        if media_type is None:
            raise HTTPException(status_code=404)
        return FileResponse(STATIC_DIR / name, media_type=media_type,
                            headers={"Cache-Control": "public, max-age=3600"})

    public.include_router(router)
    return public
