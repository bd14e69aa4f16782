"""Helpers for tests that talk to an in-process simulator over HTTP (httpx.ASGITransport).

    async with simulator_client("demo", seed=1) as sim:
        r = await sim.client.get("/orders/v0/orders/...", headers=sim.headers())
        sim.world.clock.advance(3600); ...

``sim.headers(seller_id=None, pii=True)`` returns ``x-amz-access-token`` for a fresh token of
the first (or the given) seller from an app with (or without) the restricted role.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI

from . import make_simulator
from .auth import LwaApp
from .context import Simulator
from .scenario import Scenario
from .world import World

__all__ = ["BASE_URL", "SimHandle", "simulator_client"]

BASE_URL = "http://spapi.sim"


@dataclass
class SimHandle:
    app: FastAPI
    world: World
    client: httpx.AsyncClient

    @property
    def sim(self) -> Simulator:
        sim: Simulator = self.app.state.sim
        return sim

    def token(self, seller_id: str | None = None, *, pii: bool = True) -> str:
        auth = self.sim.auth
        app = next((a for a in auth.apps.values() if a.pii == pii), None)
        if app is None:
            app = LwaApp(client_id=f"amzn1.application-oa2-client.test-{pii}",
                         client_secret="test-secret", pii=pii)
            auth.add_app(app)
        return auth.issue(seller_id or next(iter(self.world.sellers)), client_id=app.client_id)

    def headers(self, seller_id: str | None = None, *, pii: bool = True) -> dict[str, str]:
        return {"x-amz-access-token": self.token(seller_id, pii=pii)}


@asynccontextmanager
async def simulator_client(scenario: str | Path | Scenario = "demo", seed: int | None = None,
                           speed: float = 0.0, *, rate_limits: bool = True,
                           faults: bool = False) -> AsyncIterator[SimHandle]:
    """A simulator (manual clock by default, faults off) and an httpx client bound to it."""
    app, world = make_simulator(scenario, seed, speed, rate_limits=rate_limits, faults=faults)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url=BASE_URL) as client:
        yield SimHandle(app=app, world=world, client=client)
