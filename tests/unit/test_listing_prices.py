"""Prices per SKU and marketplace: guards (currency, floor, jump, sanity), patches and feeds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amazon_odoo_sync.mapping.prices import (
    PriceInput,
    PriceRules,
    PriceUpdate,
    RefusalRule,
    SalePrice,
    SentPrice,
    build_price_feeds,
    plan_prices,
    price_patches,
)
from amazon_odoo_sync.marketplaces import by_code

DE, UK, JP = by_code("DE").id, by_code("UK").id, by_code("JP").id
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
RULES = PriceRules(margin_percent=Decimal(20), max_change_percent=Decimal(30), feed_min_messages=3)


def item(price: str, *, sku: str = "MUG-1", mid: str = DE, currency: str = "EUR", cost: str | None = "5",
         **kw: object) -> PriceInput:
    return PriceInput(sku=sku, marketplace_id=mid, currency=currency, price=Decimal(price),
                      cost=None if cost is None else Decimal(cost), **kw)  # type: ignore[arg-type]


def one(price: PriceInput, last: SentPrice | None = None, **kw: object):  # type: ignore[no-untyped-def]
    return plan_prices([price], {(price.sku, price.marketplace_id): last} if last else {},
                       rules=kw.pop("rules", RULES), now=NOW, **kw)  # type: ignore[arg-type]


def test_a_new_price_is_sent_rounded_to_the_currency() -> None:
    plan = one(item("12.499"))
    assert plan.refused == () and plan.delivery == "patch"
    assert plan.updates == (PriceUpdate(sku="MUG-1", marketplace_id=DE, currency="EUR",
                                        price=Decimal("12.50")),)
    assert one(item("1999.5", mid=JP, currency="JPY", cost="100")).updates[0].price == Decimal(2000)


def test_below_the_floor_is_refused_in_words() -> None:
    plan = one(item("5.99"))  # floor: 5 × 1.2 = 6.00
    assert plan.updates == ()
    (refused,) = plan.refused
    assert refused.rule is RefusalRule.FLOOR
    assert refused.message == ("MUG-1 on Amazon.de: the price 5.99 EUR is below the floor 6.00 EUR "
                               "(cost 5.00 EUR + 20 %)")
    assert one(item("6.00")).updates[0].price == Decimal("6.00")
    rules = PriceRules(margin_percent=Decimal(10), margin_amount=Decimal("1.50"))
    assert one(item("6.99"), rules=rules).refused[0].message.endswith(
        "below the floor 7.00 EUR (cost 5.00 EUR + 10 % + 1.50 EUR)")


def test_sale_and_business_prices_meet_the_floor_too() -> None:
    sale = SalePrice(amount=Decimal("5.50"), start=NOW, end=NOW + timedelta(days=3))
    assert "the sale price 5.50 EUR is below the floor 6.00 EUR" in one(item("9", sale=sale)).refused[0].message
    assert "the business price 5.00 EUR is below" in one(
        item("9", business_price=Decimal(5))).refused[0].message


def test_no_cost_means_no_floor_check_means_refused() -> None:
    refused = one(item("9", cost=None)).refused[0]
    assert refused.rule is RefusalRule.NO_COST and "set the product's cost in Odoo" in refused.message
    assert one(item("9", cost=None), rules=PriceRules(margin_percent=None)).updates  # no floor set


def test_a_jump_beyond_the_limit_is_refused_unless_approved() -> None:
    last = SentPrice(currency="EUR", price=Decimal("10.00"))
    assert one(item("13.00"), last).updates  # +30 %: allowed
    refused = one(item("13.01"), last).refused[0]
    assert refused.rule is RefusalRule.JUMP
    assert refused.message == ("MUG-1 on Amazon.de: the price 13.01 EUR is 30.1 % above the last price "
                               "sent 10.00 EUR (at most 30 % allowed); approve it to send it")
    assert "40 % below" in one(item("6.00"), last).refused[0].message
    assert one(item("13.01"), last, approved={("MUG-1", DE): Decimal("13.01")}).updates
    assert one(item("13.02"), last, approved={("MUG-1", DE): Decimal("13.01")}).refused


def test_currency_of_the_marketplace_only() -> None:
    refused = one(item("9", mid=UK)).refused[0]
    assert refused.rule is RefusalRule.CURRENCY
    assert refused.message == ("MUG-1 on Amazon.co.uk: the price is in EUR, the marketplace sells in "
                               "GBP; use a pricelist in GBP")
    assert one(item("9", cost_currency="USD")).refused[0].rule is RefusalRule.CURRENCY


def test_sale_sanity_and_expiry() -> None:
    ended = SalePrice(amount=Decimal(8), start=NOW - timedelta(days=5), end=NOW - timedelta(days=1))
    plan = one(item("9", sale=ended))
    assert plan.updates[0].sale is None and plan.expired_sales == (("MUG-1", DE),)
    backwards = SalePrice(amount=Decimal(8), start=NOW, end=NOW - timedelta(days=1))
    assert "ends" in one(item("9", sale=backwards)).refused[0].message
    above = SalePrice(amount=Decimal(10), start=NOW, end=NOW + timedelta(days=1))
    assert "is not below the price" in one(item("9", sale=above)).refused[0].message
    assert one(item("0")).refused[0].rule is RefusalRule.INVALID


def test_unchanged_prices_are_not_sent_and_many_go_as_a_feed() -> None:
    last = {("A", DE): SentPrice(currency="EUR", price=Decimal("9.00"))}
    plan = plan_prices([item("9", sku="A"), item("9.5", sku="B")], last, rules=RULES, now=NOW)
    assert plan.unchanged == (("A", DE),) and [u.sku for u in plan.updates] == ["B"]
    plan = plan_prices([item("9", sku=f"S{i}") for i in range(3)], {}, rules=RULES, now=NOW)
    assert plan.delivery == "feed"
    with pytest.raises(ValueError, match="priced twice"):
        plan_prices([item("9"), item("9")], {}, rules=RULES, now=NOW)


def test_patches_carry_sale_dates_business_price_and_its_removal() -> None:
    sale = SalePrice(amount=Decimal("7.50"), start=NOW, end=NOW + timedelta(days=2))
    update = PriceUpdate(sku="A", marketplace_id=DE, currency="EUR", price=Decimal("9.99"), sale=sale,
                         business_price=Decimal("8.40"))
    (patch,) = price_patches(update)
    assert patch["op"] == "replace" and patch["path"] == "/attributes/purchasable_offer"
    consumer, business = patch["value"]
    assert consumer == {"marketplace_id": DE, "currency": "EUR", "audience": "ALL",
                        "our_price": [{"schedule": [{"value_with_tax": 9.99}]}],
                        "discounted_price": [{"schedule": [{"value_with_tax": 7.5,
                                                            "start_at": "2026-11-20T12:00:00Z",
                                                            "end_at": "2026-11-22T12:00:00Z"}]}]}
    assert business["audience"] == "B2B" and business["our_price"][0]["schedule"][0]["value_with_tax"] == 8.4
    last = {("A", DE): SentPrice(currency="EUR", price=Decimal("9.99"), business_price=Decimal("8.40"))}
    plan = plan_prices([item("9.99", sku="A")], last, rules=RULES, now=NOW)
    assert plan.updates[0].remove_business_price
    assert price_patches(plan.updates[0])[1] == {"op": "delete", "path": "/attributes/purchasable_offer",
                                                 "value": [{"marketplace_id": DE, "currency": "EUR",
                                                            "audience": "B2B"}]}


def test_price_feeds_per_marketplace() -> None:
    updates = [PriceUpdate(sku=f"S{i}", marketplace_id=DE, currency="EUR", price=Decimal(10 + i))
               for i in range(5)]
    feeds = build_price_feeds("SELLER", updates, product_types={"S1": "KITCHEN"}, max_messages=2)
    assert [len(f.messages) for f in feeds] == [2, 2, 1]
    body = json.loads(feeds[0].content)
    assert body["messages"][1] == {"messageId": 2, "sku": "S1", "operationType": "PATCH",
                                   "productType": "KITCHEN", "patches": price_patches(updates[1])}
    with pytest.raises(ValueError, match="one price feed per marketplace"):
        build_price_feeds("SELLER", [*updates, PriceUpdate(sku="X", marketplace_id=UK, currency="GBP",
                                                           price=Decimal(1))], product_types={})


# -- properties ------------------------------------------------------------------------------

_amounts = st.decimals(min_value=Decimal("-1"), max_value=Decimal("5000"), places=3, allow_nan=False)
_MIDS = [DE, UK, JP, by_code("US").id, by_code("FR").id]


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[PriceInput], dict[tuple[str, str], SentPrice], PriceRules,
                                    dict[tuple[str, str], Decimal]]:
    inputs, last, approved = [], {}, {}
    for n in range(draw(st.integers(1, 8))):
        mid = draw(st.sampled_from(_MIDS))
        currency = draw(st.sampled_from(["EUR", "GBP", "JPY", "USD"]))
        sale = None
        if draw(st.booleans()):
            start = NOW + timedelta(hours=draw(st.integers(-100, 100)))
            sale = SalePrice(amount=draw(_amounts), start=start,
                             end=start + timedelta(hours=draw(st.integers(-5, 200))))
        inputs.append(PriceInput(
            sku=f"S{n}", marketplace_id=mid, currency=currency, price=draw(_amounts), sale=sale,
            business_price=draw(st.none() | _amounts), cost=draw(st.none() | _amounts),
            cost_currency=draw(st.none() | st.sampled_from(["EUR", "GBP", "JPY", "USD"]))))
        if draw(st.booleans()):
            last[(f"S{n}", mid)] = SentPrice(currency=draw(st.sampled_from(["EUR", "GBP", "JPY", "USD"])),
                                             price=draw(_amounts.filter(lambda a: a > 0)))
        if draw(st.booleans()):
            approved[(f"S{n}", mid)] = draw(_amounts)
    rules = PriceRules(margin_percent=draw(st.none() | st.decimals(0, 100, places=1)),
                       margin_amount=draw(st.decimals(0, 10, places=2)),
                       max_change_percent=draw(st.none() | st.decimals("0.1", 200, places=1)))
    return inputs, last, rules, approved


@settings(max_examples=300, deadline=None)
@given(cases())
def test_a_guarded_price_is_never_sent(case: tuple[list[PriceInput], dict[tuple[str, str], SentPrice],
                                                    PriceRules, dict[tuple[str, str], Decimal]]) -> None:
    inputs, last, rules, approved = case
    plan = plan_prices(inputs, last, rules=rules, now=NOW, approved=approved)
    by_key = {(i.sku, i.marketplace_id): i for i in inputs}
    decided = ([(u.sku, u.marketplace_id) for u in plan.updates] + list(plan.unchanged)
               + [(r.sku, r.marketplace_id) for r in plan.refused])
    assert sorted(decided) == sorted(by_key)  # every price decided exactly once
    for u in plan.updates:
        source = by_key[(u.sku, u.marketplace_id)]
        amounts = [u.price] + ([u.sale.amount] if u.sale else []) + (
            [u.business_price] if u.business_price is not None else [])
        assert all(a > 0 for a in amounts)
        if rules.margin_percent is not None:
            assert source.cost is not None
            floor = rules.floor(source.cost)
            assert all(a >= floor for a in amounts)  # the exact floor, not a rounded one
        previous = last.get((u.sku, u.marketplace_id))
        if (rules.max_change_percent is not None and previous is not None and previous.currency == u.currency
                and u.price != approved.get((u.sku, u.marketplace_id))):
            assert abs(u.price - previous.price) / previous.price * 100 <= rules.max_change_percent
        if u.sale is not None:
            assert u.sale.amount < u.price and u.sale.end > NOW


@settings(max_examples=300, deadline=None)
@given(cases())
def test_currency_is_never_mixed(case: tuple[list[PriceInput], dict[tuple[str, str], SentPrice],
                                             PriceRules, dict[tuple[str, str], Decimal]]) -> None:
    inputs, last, rules, approved = case
    plan = plan_prices(inputs, last, rules=rules, now=NOW, approved=approved)
    by_key = {(i.sku, i.marketplace_id): i for i in inputs}
    for u in plan.updates:
        source = by_key[(u.sku, u.marketplace_id)]
        marketplace_currency = next(m.currency for m in [by_code(c) for c in ("DE", "UK", "JP", "US", "FR")]
                                    if m.id == u.marketplace_id)
        assert u.currency == source.currency == marketplace_currency
        if rules.margin_percent is not None:
            assert (source.cost_currency or source.currency) == u.currency
        for patch in price_patches(u):
            for offer in patch["value"]:
                assert offer["currency"] == u.currency and offer["marketplace_id"] == u.marketplace_id
        for amount in [u.price] + ([u.sale.amount] if u.sale else []):
            assert amount == amount.quantize(Decimal(1).scaleb(-(0 if u.currency == "JPY" else 2)))
