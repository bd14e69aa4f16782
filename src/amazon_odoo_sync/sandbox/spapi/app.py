"""The simulator's HTTP app: ``create_app(world, ...) -> FastAPI``.

Adding a part (listings, feeds, reports, FBA inventory, notifications): write a module in this
package with ``router: fastapi.APIRouter`` (routes use ``context.operation``) and optionally
``install(sim: Simulator) -> None`` (called once per app: register ``sim.world.listeners``,
keep state in ``sim.extensions``), then add its name to :data:`EXTRA_ROUTERS`, or call
:func:`register_router` before ``create_app``.

Every response carries ``x-amzn-RequestId``; errors use Amazon's shapes (``errors.py``); an
unknown path is SP-API's 404, a request FastAPI cannot parse a 400 InvalidInput naming the
parameter.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import itertools
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import Auth, LwaApp, LwaError
from .context import Simulator
from .errors import SpApiError, error_body, json_response
from .faults import FaultInjector, Faults
from .ratelimit import RateLimiter
from .world import World, WorldError

__all__ = ["CORE_ROUTERS", "EXTRA_ROUTERS", "create_app", "register_router"]

#: Modules (relative to this package) whose ``router`` every app includes.
CORE_ROUTERS: list[str] = [".routes_orders", ".routes_admin"]

#: The other parts of the simulator: add ".routes_<name>" here (one line per module).
EXTRA_ROUTERS: list[str] = [
    ".routes_listings",
    ".routes_definitions",
    ".routes_catalog",
    ".routes_feeds",
    ".routes_reports",
    ".routes_fba_inventory",
    ".routes_notifications",
    ".routes_finances",
]

_registered: list[Any] = []


def register_router(module_or_router: Any) -> None:
    """Include a router (or a module with ``router`` and optional ``install``) in apps created
    from now on."""
    _registered.append(module_or_router)


class _RequestIdMiddleware:
    """Pure ASGI (BaseHTTPMiddleware costs ~10x more per call): adds ``x-amzn-RequestId``."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix
        self.counter = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        n = next(self.counter)
        request_id = f"{self.prefix}-{n >> 48:04x}-{(n >> 32) & 0xFFFF:04x}-{n & 0xFFFFFFFFFFFF:012x}"
        raw = request_id.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-amzn-requestid", raw)]
            await send(message)

        await self.app(scope, receive, send_with_id)


def create_app(world: World, *, auth: Auth | None = None, limiter: RateLimiter | None = None,
               faults: Faults | FaultInjector | None = None, scenario: Any = None,
               apps: list[LwaApp] | None = None, tick_seconds: float | None = None) -> FastAPI:
    """An SP-API simulator serving ``world``.

    ``auth`` defaults to an :class:`Auth` with ``apps``; ``limiter`` to Amazon's default usage
    plans; ``faults`` to none. The :class:`Simulator` is ``app.state.sim``.

    ``tick_seconds``: when served by uvicorn, bring the world up to the clock every that many
    real seconds even without requests (so notifications flow). In-process tests leave it None:
    the world then moves on each request and on ``/_sim/advance``.
    """
    injector = faults if isinstance(faults, FaultInjector) else FaultInjector(faults,
                                                                              seed=world.seed)
    sim = Simulator(world=world, auth=auth or Auth(world, apps), limiter=limiter or RateLimiter(),
                    faults=injector, scenario=scenario)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async def tick() -> None:
            while True:
                await asyncio.sleep(tick_seconds or 1.0)
                sim.world.sync()

        task = asyncio.create_task(tick()) if tick_seconds else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(title="SP-API simulator", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state.sim = sim

    @app.exception_handler(SpApiError)
    async def _spapi_error(request: Request, exc: SpApiError) -> Response:
        return json_response(exc.status, exc.body(), exc.headers)

    @app.exception_handler(WorldError)
    async def _world_error(request: Request, exc: WorldError) -> Response:
        return json_response(exc.status, error_body(exc.code, exc.message, exc.parameter or ""))

    @app.exception_handler(LwaError)
    async def _lwa_error(request: Request, exc: LwaError) -> Response:
        return json_response(exc.status, exc.body())

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body")]
        name = ".".join(loc) or "request"
        return json_response(400, error_body("InvalidInput",
                                             f"Invalid Input: {name} {first.get('msg', '')}".strip(),
                                             name))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return json_response(404, error_body("NotFound", "Resource not found."))
        if exc.status_code == 405:
            return json_response(405, error_body("MethodNotAllowed", "Method not allowed."))
        return json_response(exc.status_code, error_body("InvalidInput", str(exc.detail)))

    @app.post("/auth/o2/token")
    async def lwa_token(request: Request) -> Response:
        """LWA token endpoint (form-encoded like LWA; JSON accepted too)."""
        if request.headers.get("content-type", "").startswith("application/json"):
            data = {k: str(v) for k, v in (await request.json()).items()}
        else:
            form = await request.form()
            data = {k: str(v) for k, v in form.items()}
        return json_response(200, sim.auth.token(data))

    for entry in [*CORE_ROUTERS, *EXTRA_ROUTERS, *_registered]:
        module = importlib.import_module(entry, __package__) if isinstance(entry, str) else entry
        router = module if isinstance(module, APIRouter) else module.router
        app.include_router(router)
        install = getattr(module, "install", None)
        if callable(install):
            install(sim)

    app.add_middleware(_RequestIdMiddleware, prefix=f"{world.seed & 0xFFFFFFFF:08x}")
    return app
