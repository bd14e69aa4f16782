"""SP-API simulator: a stateful, rate-limited HTTP stand-in for Amazon.

Modules: ``world`` (the state and its rules), ``clock`` (simulated time), ``scenario`` +
``scenarios/*.toml``, ``generator`` (catalog and order arrivals), ``auth`` (LWA), ``ratelimit``
(usage plans), ``faults``, ``errors`` (Amazon's error shapes), ``context`` (what routes share),
``app`` (``create_app``), ``routes_orders``, ``routes_admin`` (``/_sim``), ``orders_json``
(Amazon's order shapes).

In-process use (tests, bench)::

    app, world = make_simulator("demo", seed=1, speed=0)   # speed 0: manual clock
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://spapi.sim") as client: ...
    token = app.state.sim.auth.issue("A2SIMDEMOEU01")       # or POST /auth/o2/token
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from .scenario import Scenario
    from .world import World

__all__ = ["make_simulator"]


def make_simulator(scenario: str | Path | Scenario = "demo", seed: int | None = None,
                   speed: float | None = None, *, rate_limits: bool = True,
                   faults: bool = True, tick_seconds: float | None = None
                   ) -> tuple[FastAPI, World]:
    """A simulator app and its world, built from a scenario (name, path or object).

    ``seed``/``speed`` override the scenario's (``speed=0``: the clock moves only through
    ``world.clock.advance``/``/_sim/advance``). ``rate_limits=False`` disables usage plans,
    ``faults=False`` the scenario's fault injection (both handy in tests and benchmarks).
    ``tick_seconds`` (servers only): sync the world periodically without requests.
    """
    from .app import create_app
    from .auth import Auth
    from .faults import Faults
    from .generator import build_world
    from .ratelimit import RateLimiter
    from .scenario import Scenario, load_scenario

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    world = build_world(sc, seed=seed, speed=speed)
    auth = Auth(world, list(sc.apps), ttl=sc.token_ttl_seconds)
    limiter = RateLimiter(scale=sc.rate_limit_scale, enabled=rate_limits)
    app = create_app(world, auth=auth, limiter=limiter, faults=sc.faults if faults else Faults(),
                     scenario=sc, tick_seconds=tick_seconds)
    return app, world
