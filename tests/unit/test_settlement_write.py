"""The settlements writer on the in-memory store and the in-process Odoo emulator, with a closed
settlement of the SP-API simulator: posted balanced, payout reconciled (clearing residual 0),
a second run writes nothing; a held settlement writes nothing."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from amazon_odoo_sync.config import Settings
from amazon_odoo_sync.demo.wiring import prepare_odoo
from amazon_odoo_sync.exceptions import ConfigurationError
from amazon_odoo_sync.flows.settlements import write_settlement
from amazon_odoo_sync.mapping.settlement_accounts import SettlementMapping
from amazon_odoo_sync.mapping.settlement_posting import Held, SettlementPlan, plan_report
from amazon_odoo_sync.mapping.settlement_report import date_order_for
from amazon_odoo_sync.marketplaces import by_id
from amazon_odoo_sync.odoo.client import OdooClient
from amazon_odoo_sync.sandbox.odoo.app import create_app
from amazon_odoo_sync.sandbox.odoo.seed import DEMO_API_KEY, DEMO_DATABASE, DEMO_LOGIN
from amazon_odoo_sync.sandbox.spapi import make_simulator
from amazon_odoo_sync.sandbox.spapi.finances import FinanceEngine, settlement_report
from amazon_odoo_sync.sandbox.spapi.routes_finances import finances
from amazon_odoo_sync.settlement_config import (
    AccountRole,
    SettlementAccount,
    SettlementBooksConfig,
    SettlementsConfig,
)
from amazon_odoo_sync.store.memory import MemoryStore

URL = "http://odoo.test"
DAY = 86400
BOOKS = SettlementBooksConfig()
WRITES = {"create", "write", "unlink", "action_post", "reconcile"}


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts the ORM methods called (JSON-RPC execute_kw or JSON-2)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.methods: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = request.content.decode("utf-8", "replace")
        path = request.url.path
        if path.startswith("/json/2/"):
            self.methods.append(path.rsplit("/", 1)[-1])
        elif '"execute_kw"' in body:
            args = json.loads(body)["params"]["args"]
            self.methods.append(args[4])
        return await self.inner.handle_async_request(request)

    def writes(self) -> list[str]:
        return [m for m in self.methods if m in WRITES]


@dataclass
class World:
    store: MemoryStore
    odoo: OdooClient
    transport: CountingTransport


@pytest.fixture(scope="module")
def engine() -> FinanceEngine:
    _app, world = make_simulator("demo", seed=5, speed=0, rate_limits=False, faults=False)
    for _ in range(29):
        world.clock.advance(DAY)
        world.sync()
    engine = finances(world)
    engine.catch_up()
    return engine


@pytest.fixture
async def world() -> AsyncIterator[World]:
    settings = Settings(database={"url": "postgresql://unused/x"}, secrets={"key": Fernet.generate_key().decode()},
                        odoo={"url": URL, "database": DEMO_DATABASE, "user": DEMO_LOGIN},
                        accounts=[{"name": "acme", "region": "NA", "seller_id": "A1SELLER", "marketplaces": ["US"]}])
    transport = CountingTransport(httpx.ASGITransport(app=create_app(latency_scale=0.0)))
    odoo = OdooClient(URL, DEMO_DATABASE, DEMO_LOGIN, DEMO_API_KEY, transport=transport)
    try:
        assert (await prepare_odoo(odoo, settings)).ok
        # Bank statement lines need "Technical / Basic" (implied here), which `odoo setup` does not grant yet.
        [basic] = await odoo.search("res.groups", [["name", "=", "Show Full Accounting Features"]], limit=1)
        await odoo.write("res.users", [await odoo.authenticate()], {"groups_id": [[4, basic]]})
        yield World(store=MemoryStore(), odoo=odoo, transport=transport)
    finally:
        await odoo.aclose()


def _closed_plan(engine: FinanceEngine, currency: str) -> SettlementPlan:
    truths = {t.group_id: t for t in engine.truth()}
    for group in engine.groups.values():
        truth = truths[group.group_id]
        if truth.status == "Closed" and group.currency == currency == truth.payout_currency:
            text = settlement_report(group).decode("utf-8")
            plan = plan_report(io.StringIO(text), report_key=group.group_id, mapping=SettlementMapping(),
                               partners={}, config=SettlementsConfig(chunk_lines=10),
                               date_order=date_order_for(by_id(group.marketplace_id).code))
            assert isinstance(plan, SettlementPlan), plan
            assert plan.payout is not None and plan.payout.amount == truth.converted_total
            return plan
    raise AssertionError(f"no closed {currency} settlement in the simulator")


async def _clearing_lines(odoo: OdooClient, moves: list[int]) -> list[dict[str, Any]]:
    [clearing] = await odoo.search("account.account", [["code", "=", BOOKS.accounts[AccountRole.CLEARING].code]])
    return await odoo.search_read("account.move.line", [["move_id", "in", moves], ["account_id", "=", clearing]],
                                  ["balance", "amount_residual", "reconciled"])


async def test_a_closed_settlement_is_posted_balanced_reconciled_once(engine: FinanceEngine, world: World) -> None:
    plan = _closed_plan(engine, "USD")
    assert len(plan.chunks) > 1
    first = await write_settlement(world.store, world.odoo, account="acme", plan=plan, books=BOOKS)
    assert first.outcome == "posted" and first.payout_created
    assert len(first.created_moves) == len(plan.chunks) and first.record.state == "posted"
    moves = await world.odoo.read("account.move", list(first.record.move_ids), ["ref", "state", "line_ids"])
    assert [m["ref"] for m in moves] == [c.ref for c in plan.chunks] and {m["state"] for m in moves} == {"posted"}
    lines = await world.odoo.search_read("account.move.line", [["move_id", "in", list(first.record.move_ids)]],
                                         ["debit", "credit", "move_id"])
    for move in moves:
        mine = [ln for ln in lines if ln["move_id"][0] == move["id"]]
        assert len(mine) == len(next(c for c in plan.chunks if c.ref == move["ref"]).lines)
        assert round(sum(Decimal(str(ln["debit"])) - Decimal(str(ln["credit"])) for ln in mine), 2) == 0

    [bank_line] = await world.odoo.read("account.bank.statement.line", [first.record.payout_line_id],
                                        ["amount", "payment_ref", "move_id"])
    assert plan.payout is not None and Decimal(str(bank_line["amount"])) == plan.payout.amount
    assert bank_line["payment_ref"] == f"AMZ-PAYOUT:{plan.key}"
    clearing = await _clearing_lines(world.odoo, [*first.record.move_ids, bank_line["move_id"][0]])
    assert len(clearing) == len(plan.chunks) + 1 and all(ln["reconciled"] for ln in clearing)
    assert sum(Decimal(str(ln["amount_residual"])) for ln in clearing) == 0
    assert round(sum(Decimal(str(ln["balance"])) for ln in clearing), 2) == 0

    world.transport.methods.clear()
    again = await write_settlement(world.store, world.odoo, account="acme", plan=plan, books=BOOKS)
    assert again.outcome == "unchanged" and world.transport.writes() == []
    # Even when the store forgets it, Odoo is looked up first: nothing written twice.
    world.store.state.section("settlements", dict).clear()
    third = await write_settlement(world.store, world.odoo, account="acme", plan=plan, books=BOOKS)
    assert third.outcome == "unchanged" and world.transport.writes() == []
    assert third.record.move_ids == first.record.move_ids
    assert third.record.payout_line_id == first.record.payout_line_id


async def test_a_draft_left_by_an_interrupted_run_is_rebuilt(engine: FinanceEngine, world: World) -> None:
    plan = _closed_plan(engine, "USD")
    first = await write_settlement(world.store, world.odoo, account="acme", plan=plan, books=BOOKS)
    # Back to draft (what a crash between create and post leaves), forgotten by the store.
    await world.odoo.call_method("account.move", "button_draft", [first.record.move_ids[0]])
    world.store.state.section("settlements", dict).clear()
    rebuilt = await write_settlement(world.store, world.odoo, account="acme", plan=plan, books=BOOKS)
    assert rebuilt.deleted_drafts == (first.record.move_ids[0],) and len(rebuilt.created_moves) == 1
    assert not await world.odoo.search("account.move", [["id", "=", first.record.move_ids[0]]])
    [bank_line] = await world.odoo.read("account.bank.statement.line", [rebuilt.record.payout_line_id], ["move_id"])
    clearing = await _clearing_lines(world.odoo, [*rebuilt.record.move_ids, bank_line["move_id"][0]])
    assert all(ln["reconciled"] for ln in clearing) and sum(Decimal(str(ln["amount_residual"])) for ln in clearing) == 0


async def test_a_held_settlement_writes_nothing(world: World) -> None:
    held = Held(key="S-HELD", reason="the events add up to 99.95 USD, Amazon's total is 100.00 USD",
                expected=Decimal("100.00"), actual=Decimal("99.95"), difference=Decimal("0.05"), unmapped=(),
                events=3)
    world.transport.methods.clear()
    result = await write_settlement(world.store, world.odoo, account="acme", plan=held, books=BOOKS)
    assert result.outcome == "held" and world.transport.methods == []
    assert (result.record.state, result.record.difference) == ("held", Decimal("0.05"))
    assert not await world.odoo.search("account.move", [["ref", "=like", "AMZ-SETTLE:S-HELD/%"]])
    async with world.store.session() as tx:
        assert [r.key for r in await tx.settlements.list("acme", state="held")] == ["S-HELD"]


async def test_a_receivable_account_that_does_not_exist_names_its_role(engine: FinanceEngine, world: World) -> None:
    books = SettlementBooksConfig(accounts={AccountRole.RECEIVABLE: SettlementAccount(code="NOPE99")})
    world.transport.methods.clear()
    with pytest.raises(ConfigurationError, match="'receivable'"):
        await write_settlement(world.store, world.odoo, account="acme", plan=_closed_plan(engine, "USD"), books=books)
    assert world.transport.writes() == []
