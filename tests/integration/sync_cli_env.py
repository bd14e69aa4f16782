"""The real CLI (in-process ``cli.main.run``) on the in-process SP-API simulator and Odoo
emulator of :mod:`.orders_env`: accounts, Odoo key and ``odoo setup`` done as a seller would,
the commands' runtime talking to the simulator, and their retries waiting on a fake clock."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from amazon_odoo_sync.cli.main import run
from amazon_odoo_sync.clock import FakeClock
from amazon_odoo_sync.flows import runtime as runtime_module
from amazon_odoo_sync.sandbox.spapi.faults import Faults

from .orders_env import OrdersEnv, orders_env


@dataclass
class SyncCli:
    env: OrdersEnv
    clock: FakeClock
    capsys: pytest.CaptureFixture[str]

    @property
    def sim(self) -> Any:
        return self.env.sim_app.state.sim

    def faults(self, *operations: str, **rates: float) -> None:
        self.sim.faults.set(Faults(operations=operations, **rates))

    def __call__(self, *args: str) -> tuple[int, str, str]:
        code = run(list(args))
        captured = self.capsys.readouterr()
        return code, captured.out, " ".join(captured.err.split())


@pytest.fixture
def sync_cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> Iterator[SyncCli]:
    async def build() -> OrdersEnv:
        async with orders_env(db_url, scenario="demo") as env:
            return env

    env = asyncio.run(build())
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("AOS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr("amazon_odoo_sync.cli.common.load_settings", lambda _path=None: env.settings)
    real_open_runtime = runtime_module.open_runtime

    def open_runtime(settings: Any, **options: Any) -> Any:
        return real_open_runtime(settings, spapi_transport=httpx.ASGITransport(app=env.sim_app),
                                 odoo_transport=httpx.ASGITransport(app=env.emulator), **options)

    monkeypatch.setattr(runtime_module, "open_runtime", open_runtime)
    clock = FakeClock()
    monkeypatch.setattr("amazon_odoo_sync.cli.foreground.retry_clock", clock)
    yield SyncCli(env=env, clock=clock, capsys=capsys)
