"""The simulator's money: event groups, their events, settlement reports V2 and the ground truth."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from amazon_odoo_sync.marketplaces import by_code
from amazon_odoo_sync.sandbox.spapi import make_simulator
from amazon_odoo_sync.sandbox.spapi.finances import (
    FX_RATES,
    LOCALES,
    SETTLEMENT_COLUMNS,
    SETTLEMENT_REPORT_TYPE,
    FinanceEngine,
    FinanceSettings,
)
from amazon_odoo_sync.sandbox.spapi.routes_finances import attach, finances
from amazon_odoo_sync.sandbox.spapi.scenario import ScenarioError, load_scenario
from amazon_odoo_sync.sandbox.spapi.selling import services
from amazon_odoo_sync.sandbox.spapi.testing import simulator_client
from amazon_odoo_sync.sandbox.spapi.world import World, money

DAY = 86400


def _world(days: int = 29, seed: int = 5) -> tuple[World, FinanceEngine]:
    _app, world = make_simulator("demo", seed=seed, speed=0, rate_limits=False, faults=False)
    for _ in range(days):  # day by day, as a running simulator syncs
        world.clock.advance(DAY)
        world.sync()
    engine = finances(world)
    engine.catch_up()
    return world, engine


def _parse_amount(text: str, code: str) -> Decimal:
    if LOCALES[code].decimal == ",":
        text = text.replace(".", "").replace(",", ".")
    return Decimal(text)


def _report(world: World, settlement_id: str) -> tuple[str, list[dict[str, str]]]:
    svc = services(world)
    for report in svc.reports.reports.values():
        if report.report_type != SETTLEMENT_REPORT_TYPE or report.document_id is None:
            continue
        doc = svc.documents.get(report.document_id)
        assert doc is not None
        rows = list(csv.DictReader(io.StringIO(doc.text()), delimiter="\t"))
        if rows and rows[0]["settlement-id"] == settlement_id:
            return report.marketplace_ids[0], rows
    raise AssertionError(f"no settlement report {settlement_id}")


def test_groups_close_every_14_days_with_a_transfer_and_a_report_matching_the_events() -> None:
    world, engine = _world()
    truths = engine.truth()
    closed = [t for t in truths if t.status == "Closed"]
    # 2 sellers, 4 marketplaces, 29 days: two closed periods each, the third open
    assert len(closed) == 8 and len([t for t in truths if t.status == "Open"]) == 4
    for t in closed:
        assert (t.end - t.start).days == 14 and t.transfer_date == t.end
        assert t.total == sum(t.by_kind.values()) and t.converted_total == t.total
        mid, rows = _report(world, t.settlement_id)
        assert mid == t.marketplace_id
        code = by_code_of(mid)
        summary, body = rows[0], rows[1:]
        assert list(rows[0].keys()) == list(SETTLEMENT_COLUMNS)
        assert summary["transaction-type"] == "" and summary["currency"] == t.currency
        assert _parse_amount(summary["total-amount"], code) == t.total
        assert len(body) == t.rows
        assert sum(_parse_amount(r["amount"], code) for r in body) == t.total
        per_order: dict[str, Decimal] = defaultdict(Decimal)
        for r in body:
            if r["order-id"]:
                per_order[r["order-id"]] += _parse_amount(r["amount"], code)
        assert per_order == {o: sum(k.values()) for o, k in t.by_order.items()}


def by_code_of(marketplace_id: str) -> str:
    return next(code for code in LOCALES if by_code(code).id == marketplace_id)


def test_money_events_cover_the_worlds_money_and_one_settlement_is_negative() -> None:
    world, engine = _world()
    kinds: set[str] = set()
    for t in engine.truth():
        kinds |= set(t.by_kind)
    assert {"sales.principal", "sales.promotion", "sales.tax", "sales.tax_withheld", "fees.commission",
            "fees.fba", "refunds.principal", "refunds.commission", "fees.refund_commission",
            "fees.subscription", "fees.storage", "ads", "reimbursements", "reserve.held",
            "reserve.released"} <= kinds
    assert any(t.total < 0 for t in engine.truth() if t.status == "Closed")
    # MF tax nets to zero; the reserve held in a group is released in the next one
    for t in engine.truth():
        assert t.by_kind.get("sales.tax", Decimal(0)) + t.by_kind.get("sales.tax_withheld", Decimal(0)) == 0
    by_market: dict[str, list[Any]] = defaultdict(list)
    for t in engine.truth():
        by_market[t.seller_id + t.marketplace_id].append(t)
    for groups in by_market.values():
        for first, second in zip(groups, groups[1:], strict=False):
            held = -first.by_kind.get("reserve.held", Decimal(0))
            assert second.by_kind.get("reserve.released", Decimal(0)) == held


def test_shipped_orders_are_settled_for_their_order_total() -> None:
    world, engine = _world()
    sales: dict[str, Decimal] = defaultdict(Decimal)
    for t in engine.truth():
        for order_id, kinds in t.by_order.items():
            # what the buyer paid (the invoice); the withheld MF tax goes to the tax authority
            sales[order_id] += sum((v for k, v in kinds.items()
                                    if k.startswith("sales.") and k != "sales.tax_withheld"), Decimal(0))
    shipped = [o for o in world.orders() if o.status == "Shipped"]
    assert shipped
    for order in shipped:
        assert sales[order.amazon_order_id] == order.total, order.amazon_order_id
    assert all(o.amazon_order_id not in sales for o in world.orders() if o.units_shipped == 0)


def test_same_seed_same_money_whatever_the_call_pattern() -> None:
    _w1, e1 = _world(days=20, seed=9)
    _app, w2 = make_simulator("demo", seed=9, speed=0, rate_limits=False, faults=False)
    w2.clock.advance(20 * DAY)
    w2.sync()
    e2 = finances(w2)
    e2.catch_up()
    assert [t.as_json() for t in e1.truth()] == [t.as_json() for t in e2.truth()]


def test_locales_write_amounts_and_dates_as_the_marketplace_does() -> None:
    moment = datetime(2026, 9, 1, 7, 8, 16, tzinfo=UTC)
    de, us, uk = LOCALES["DE"], LOCALES["US"], LOCALES["UK"]
    assert de.amount(Decimal("1234.56")) == "1.234,56" and de.amount(Decimal("-0.5")) == "-0,50"
    assert de.moment(moment) == "01.09.2026 07:08:16 UTC" and de.day(moment) == "01.09.2026"
    assert us.amount(Decimal("-1234.56")) == "-1234.56" and us.moment(moment) == "2026-09-01 07:08:16 UTC"
    assert uk.amount(Decimal("1234.56")) == "1234.56" and uk.moment(moment) == "01.09.2026 07:08:16 UTC"


def test_payout_in_another_currency_is_converted() -> None:
    _app, world = make_simulator("demo", seed=2, speed=0, rate_limits=False, faults=False)
    engine = attach(world, FinanceSettings(payout_currencies={"UK": "EUR"}))
    world.clock.advance(15 * DAY)
    world.sync()
    uk = by_code("UK").id
    [t] = [t for t in engine.truth() if t.marketplace_id == uk and t.status == "Closed"]
    assert t.payout_currency == "EUR" and t.currency == "GBP"
    assert t.converted_total == money(t.total * FX_RATES[("GBP", "EUR")], "EUR")


async def test_event_pages_add_up_to_the_group_total_and_quotas_apply() -> None:
    async with simulator_client("demo", seed=4) as sim:
        sim.sim.limiter.scale = 1.0  # Amazon's default plan, not the demo's generous one
        sim.world.clock.advance(15 * DAY)
        h = sim.headers("A3SIMDEMOUS01")
        r = await sim.client.get("/finances/v0/financialEventGroups", headers=h)
        [closed] = [g for g in r.json()["payload"]["FinancialEventGroupList"]
                    if g["ProcessingStatus"] == "Closed"]
        assert r.headers["x-amzn-RateLimit-Limit"] == "0.5"
        total, token = Decimal(0), None
        url = f"/finances/v0/financialEventGroups/{closed['FinancialEventGroupId']}/financialEvents"
        while True:
            r = await sim.client.get(url, headers=h, params={"NextToken": token} if token else
                                     {"MaxResultsPerPage": 10})
            assert r.status_code == 200, r.text
            total += _events_total(r.json()["payload"]["FinancialEvents"])
            token = r.json()["payload"].get("NextToken")
            if not token:
                break
        assert total == Decimal(str(closed["OriginalTotal"]["CurrencyAmount"]))
        statuses = [(await sim.client.get(url, headers=h)).status_code for _ in range(31)]
        assert 429 in statuses  # burst 30, 0.5/s


def _events_total(events: dict[str, list[dict[str, Any]]]) -> Decimal:
    total = Decimal(0)

    def add(amount: dict[str, Any]) -> None:
        nonlocal total
        total += Decimal(str(amount["CurrencyAmount"]))

    for key in ("ShipmentEventList", "RefundEventList"):
        for event in events[key]:
            for item in event.get("ShipmentItemList", []) + event.get("ShipmentItemAdjustmentList", []):
                for name, amount_key in (("ItemCharge", "ChargeAmount"), ("ItemFee", "FeeAmount"),
                                         ("Promotion", "PromotionAmount")):
                    for suffix in ("List", "AdjustmentList"):
                        for c in item.get(name + suffix, []):
                            add(c[amount_key])
                for w in item.get("ItemTaxWithheldList", []):
                    for c in w["TaxesWithheld"]:
                        add(c["ChargeAmount"])
    for event in events["ServiceFeeEventList"]:
        for fee in event["FeeList"]:
            add(fee["FeeAmount"])
    for event in events["ProductAdsPaymentEventList"]:
        add(event["transactionValue"])
    for event in events["AdjustmentEventList"]:
        add(event["AdjustmentAmount"])
    return total


async def test_a_spoiled_settlement_report_and_its_corrected_copy() -> None:
    scenario = load_scenario("demo")
    scenario = replace(scenario, finances=replace(scenario.finances, malformed_reports=frozenset({1})))
    async with simulator_client(scenario, seed=6, rate_limits=False) as sim:
        sim.world.clock.advance(15 * DAY)
        truth = (await sim.client.get("/_sim/finances", params={"sellerId": "A3SIMDEMOUS01"})).json()
        [group] = [g for g in truth["groups"] if g["status"] == "Closed"]
        line = group["malformedLine"]
        assert isinstance(line, int) and line > 2 and len(group["reportIds"]) == 1
        text = _document(sim.world, group["reportIds"][0])
        bad = text.split("\n")[line - 1].split("\t")[SETTLEMENT_COLUMNS.index("amount")]
        assert bad.endswith("O")
        r = await sim.client.post("/_sim/finances/republish", json={"settlementId": group["settlementId"]})
        assert r.status_code == 200, r.text
        truth = (await sim.client.get("/_sim/finances", params={"sellerId": "A3SIMDEMOUS01"})).json()
        [group] = [g for g in truth["groups"] if g["status"] == "Closed"]
        assert len(group["reportIds"]) == 2
        rows = list(csv.DictReader(io.StringIO(_document(sim.world, group["reportIds"][1])), delimiter="\t"))
        assert sum(Decimal(r["amount"]) for r in rows[1:]) == Decimal(group["total"])
        listed = await sim.client.get("/reports/2021-06-30/reports", headers=sim.headers("A3SIMDEMOUS01"),
                                      params={"reportTypes": SETTLEMENT_REPORT_TYPE})
        assert {r["reportId"] for r in listed.json()["reports"]} == set(group["reportIds"])
        r = await sim.client.post("/_sim/finances/republish", json={"settlementId": "0"})
        assert r.status_code == 404


def _document(world: World, report_id: str) -> str:
    svc = services(world)
    report = svc.reports.reports[report_id]
    assert report.document_id is not None
    doc = svc.documents.get(report.document_id)
    assert doc is not None
    return doc.text()


def test_scenario_finances_table(tmp_path: Path) -> None:
    path = tmp_path / "money.toml"
    head = '[scenario]\nname = "money"\n[[sellers]]\nseller_id = "A1"\nrefresh_token = "r"\n'
    path.write_text(head + 'marketplaces = ["DE", "UK"]\n'
                    '[finances]\nperiod_days = 7\nrefund_rate = 0.5\npayout_currencies = { UK = "EUR" }\n'
                    'malformed_reports = [2]\nads_range = ["1.00", "2.00"]\n')
    scenario = load_scenario(path)
    assert scenario.finances == FinanceSettings(
        period_days=7, refund_rate=0.5, payout_currencies={"UK": "EUR"}, malformed_reports=frozenset({2}),
        ads_range=(Decimal("1.00"), Decimal("2.00")))
    path.write_text(head + 'marketplaces = ["DE"]\n[finances]\nperiod = 7\n')
    with pytest.raises(ScenarioError, match="period"):
        load_scenario(path)
