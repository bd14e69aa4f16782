"""The simulator's settlements (reports V2 in each marketplace's locale, Finances v0 groups and events)
read and planned by the connector's pure core: every closed group planned (nothing held, nothing
unmapped), its total and per-order money as the simulator's ground truth, both sources alike."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest

from amazon_odoo_sync.mapping.finances import money_events, parse_event_group
from amazon_odoo_sync.mapping.settlement_accounts import SettlementMapping
from amazon_odoo_sync.mapping.settlement_posting import SettlementPlan, plan_settlement
from amazon_odoo_sync.mapping.settlement_report import SettlementReportReader, date_order_for
from amazon_odoo_sync.marketplaces import by_id
from amazon_odoo_sync.sandbox.spapi import make_simulator
from amazon_odoo_sync.sandbox.spapi.finances import FinanceEngine, events_json, group_json, settlement_report
from amazon_odoo_sync.sandbox.spapi.routes_finances import finances
from amazon_odoo_sync.settlement_config import AccountRole

R = AccountRole
DAY = 86400


@pytest.fixture(scope="module")
def engine() -> FinanceEngine:
    _app, world = make_simulator("demo", seed=5, speed=0, rate_limits=False, faults=False)
    for _ in range(29):
        world.clock.advance(DAY)
        world.sync()
    engine = finances(world)
    engine.catch_up()
    return engine


def _by_role(plan: SettlementPlan) -> dict[AccountRole, Decimal]:
    sums: dict[AccountRole, Decimal] = defaultdict(Decimal)
    for chunk in plan.chunks:
        for line in chunk.lines:
            sums[line.role] += line.balance
    return dict(sums)


def _receivables(plan: SettlementPlan) -> dict[str, Decimal]:
    return {line.order_id or "": line.balance for chunk in plan.chunks for line in chunk.lines
            if line.role is R.RECEIVABLE}


def test_every_closed_simulated_settlement_plans_from_its_report_and_its_events(engine: FinanceEngine) -> None:
    truths = {t.group_id: t for t in engine.truth()}
    closed = [g for g in engine.groups.values() if truths[g.group_id].status == "Closed"]
    assert len(closed) >= 8
    currencies = set()
    for group in closed:
        truth = truths[group.group_id]
        market = by_id(group.marketplace_id)
        text = settlement_report(group).decode("utf-8")
        reader = SettlementReportReader(io.StringIO(text), date_order=date_order_for(market.code))
        from_report = plan_settlement(reader.summary.head(), reader, SettlementMapping(), {})
        assert isinstance(from_report, SettlementPlan), from_report
        assert from_report.unmapped == () and from_report.total == truth.total
        assert from_report.events == truth.rows

        page: dict[str, Any] = json.loads(json.dumps(events_json(sorted(group.events, key=lambda e: e.posted)),
                                                     default=str))
        head = parse_event_group(json.loads(json.dumps(group_json(group), default=str))).head()
        from_events = plan_settlement(head, money_events(page), SettlementMapping(), {})
        assert isinstance(from_events, SettlementPlan), from_events
        assert from_events.unmapped == () and from_events.total == truth.total
        assert from_events.payout is not None and from_events.payout.amount == truth.converted_total
        assert from_events.payout.currency == truth.payout_currency

        # Both sources book the same money on the same roles and the same receivable per order.
        assert _by_role(from_report) == _by_role(from_events)
        assert _receivables(from_report) == _receivables(from_events)
        # The facilitator tax nets to zero: no line left for it.
        assert R.MF_TAX not in _by_role(from_report)
        currencies.add(group.currency)
    assert currencies >= {"EUR", "GBP", "USD"}
