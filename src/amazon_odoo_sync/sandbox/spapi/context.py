"""What every SP-API route shares: the :class:`Simulator` and the per-call :class:`CallContext`.

A route declares its operation once and gets auth, usage-plan throttling, fault injection and
a world brought up to the simulated "now", in Amazon's order (auth → quota → faults)::

    router = APIRouter()

    @router.get("/fba/inventory/v1/summaries")
    async def get_inventory_summaries(
            ctx: CallContext = Depends(operation("fbaInventory:getInventorySummaries"))
    ) -> Response:
        ...  # ctx.world, ctx.seller, ctx.pii, ctx.query ...
        return ctx.ok({"payload": ...})        # 200 + x-amzn-RateLimit-Limit
        # or: raise invalid_input("granularityType", "is required")  (errors.py)

``x-amzn-RequestId`` is added to every response by the app's middleware; ``ctx.ok`` and
``ctx.no_content`` add ``x-amzn-RateLimit-Limit`` (success only, as Amazon does).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Request
from starlette.responses import Response

from .auth import Auth, Grant
from .clock import parse_iso
from .errors import (
    SpApiError,
    internal_failure,
    invalid_input,
    json_response,
    quota_exceeded,
    service_unavailable,
)
from .faults import FaultInjector
from .ratelimit import RateLimiter
from .world import Seller, World

__all__ = ["CallContext", "Simulator", "operation", "simulator_of"]


@dataclass(kw_only=True)
class Simulator:
    """Everything behind one simulator app (``app.state.sim``)."""

    world: World
    auth: Auth
    limiter: RateLimiter
    faults: FaultInjector
    scenario: Any = None  # scenario.Scenario, when built from one
    #: free slots for the other parts (feeds, reports, notifications keep their state here)
    extensions: dict[str, Any] = field(default_factory=dict)


def simulator_of(request: Request) -> Simulator:
    sim: Simulator = request.app.state.sim
    return sim


@dataclass(kw_only=True)
class CallContext:
    sim: Simulator
    request: Request
    operation: str
    grant: Grant
    seller: Seller | None  # None for grantless calls

    @property
    def world(self) -> World:
        return self.sim.world

    @property
    def pii(self) -> bool:
        """True when the caller holds the restricted roles (buyer name, address, ...)."""
        return self.grant.pii

    @property
    def seller_id(self) -> str:
        if self.seller is None:
            raise SpApiError(403, "Unauthorized", "Access to requested resource is denied.",
                             "This operation needs a seller authorisation, not a grantless token.")
        return self.seller.seller_id

    @property
    def query(self) -> Any:
        return self.request.query_params

    def query_time(self, name: str) -> datetime | None:
        """The query parameter ``name`` as a date-time (None when absent); 400 InvalidInput otherwise."""
        raw = self.query.get(name)
        if raw is None:
            return None
        try:
            return parse_iso(raw)
        except ValueError as exc:
            raise invalid_input(name, "is not an ISO 8601 date-time") from exc

    def _headers(self) -> dict[str, str]:
        return {"x-amzn-RateLimit-Limit": self.sim.limiter.header(self.operation)}

    def ok(self, body: Any, status: int = 200) -> Response:
        return json_response(status, body, self._headers())

    def no_content(self) -> Response:
        return Response(status_code=204, headers=self._headers())


def operation(name: str, *, grantless: bool = False) -> Callable[[Request], Awaitable[CallContext]]:
    """FastAPI dependency for the SP-API operation ``name`` (``"<model>:<operationId>"``, a key of
    ``ratelimit.USAGE_PLANS``). ``grantless`` accepts tokens without a seller."""
    # Fail at import time, not at the first call, when a name is misspelt.
    from .ratelimit import USAGE_PLANS

    if name not in USAGE_PLANS:
        raise KeyError(f"no usage plan for operation {name!r}")

    async def dependency(request: Request) -> CallContext:
        sim = simulator_of(request)
        grant = sim.auth.check(request.headers.get("x-amz-access-token"))
        seller = sim.world.sellers.get(grant.seller_id) if grant.seller_id else None
        if seller is None and not grantless:
            raise SpApiError(403, "Unauthorized", "Access to requested resource is denied.",
                             "This operation needs a seller authorisation.")
        if not sim.limiter.acquire(grant.seller_id or grant.client_id, name):
            raise quota_exceeded()
        decision = sim.faults.decide(name)
        if decision.delay:
            await asyncio.sleep(decision.delay)
        if decision.fault == "throttle":
            raise quota_exceeded()
        if decision.fault == "internal":
            raise internal_failure()
        if decision.fault in ("unavailable", "timeout"):
            raise service_unavailable()
        sim.world.sync()
        return CallContext(sim=sim, request=request, operation=name, grant=grant, seller=seller)

    return dependency
