"""Pure FBM stock mapping: offered quantity, safety stock, urgency, sequencing, feeds, reports."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amazon_odoo_sync.config import SafetyStockRule, StockConfig
from amazon_odoo_sync.mapping.stock import (
    FeedDocument,
    OfferState,
    Outcome,
    QuantityUpdate,
    build_listings_feeds,
    interpret_patch_response,
    interpret_processing_report,
    is_urgent,
    offered_quantity,
    plan_update,
    safety_rule,
    safety_units,
    switch_updates,
)

free_st = st.decimals(min_value=-50, max_value=10_000, places=3, allow_nan=False, allow_infinity=False)
rule_st = st.builds(SafetyStockRule, fixed=st.integers(0, 100),
                    percent=st.decimals(min_value=0, max_value=100, places=1))


@given(free=free_st, rule=rule_st, reserved=st.integers(0, 500))
def test_offered_is_never_negative_and_never_offers_reserved_or_safety_units(
        free: Decimal, rule: SafetyStockRule, reserved: int) -> None:
    safety = safety_units(rule, free)
    offered = offered_quantity(free=free, safety=safety, reserved=reserved)
    assert offered >= 0
    # Offered + held back + reserved never exceeds what Odoo has free.
    if offered > 0:
        assert offered + safety + reserved <= free
    assert safety >= rule.fixed
    assert safety >= rule.percent * max(free, Decimal(0)) / 100


def test_offered_quantity_examples() -> None:
    assert offered_quantity(free=Decimal("10"), safety=2, reserved=3) == 5
    assert offered_quantity(free=Decimal("4.9"), safety=0, reserved=0) == 4
    assert offered_quantity(free=Decimal("3"), safety=2, reserved=3) == 0
    assert safety_units(SafetyStockRule(fixed=1, percent=Decimal(10)), Decimal(35)) == 4  # ceil(3.5)
    assert safety_units(SafetyStockRule(fixed=5, percent=Decimal(10)), Decimal(35)) == 5


def test_safety_rule_precedence() -> None:
    config = StockConfig(safety=SafetyStockRule(fixed=1),
                         safety_overrides={"MUG": SafetyStockRule(fixed=2),
                                           "MUG@DE": SafetyStockRule(percent=Decimal(50))})
    assert safety_rule(config, "MUG", "DE").percent == 50
    assert safety_rule(config, "MUG", "FR").fixed == 2
    assert safety_rule(config, "PEN", "DE").fixed == 1


@given(previous=st.one_of(st.none(), st.integers(0, 50)), new=st.integers(0, 50),
       threshold=st.integers(0, 10))
def test_urgency_is_for_decreases_to_the_threshold(previous: int | None, new: int, threshold: int) -> None:
    urgent = is_urgent(previous=previous, new=new, urgent_threshold=threshold)
    if previous is not None and new >= previous:
        assert not urgent
    elif new <= threshold:
        assert urgent
    else:
        assert not urgent


def test_plan_update_sends_deltas_only_against_what_amazon_has() -> None:
    state = OfferState(sku="A", computed_qty=5, computed_seq=3, accepted_qty=5, accepted_seq=3)
    assert plan_update(state, quantity=5, seq=4) is None
    update = plan_update(state, quantity=7, seq=4)
    assert update is not None and update.quantity == 7 and not update.urgent
    down = plan_update(state, quantity=0, seq=4)
    assert down is not None and down.urgent
    # In flight: compared with what is being sent, not with the accepted value.
    flying = OfferState(sku="A", computed_qty=2, computed_seq=4, submitted_qty=2, submitted_seq=4,
                        accepted_qty=5, accepted_seq=3)
    assert plan_update(flying, quantity=2, seq=5) is None


@given(seqs=st.lists(st.integers(1, 1000), min_size=1, max_size=30))
def test_stale_computation_never_planned(seqs: list[int]) -> None:
    state = OfferState(sku="A", computed_qty=1, computed_seq=500)
    for seq in seqs:
        planned = plan_update(state, quantity=seq % 7 + 2, seq=seq)
        if seq <= 500:
            assert planned is None
        else:
            assert planned is not None and planned.seq == seq


def test_switch_to_fba_sends_zero_first() -> None:
    fbm = OfferState(sku="A", accepted_qty=4, accepted_seq=1, fulfillment="FBM")
    [zero] = switch_updates(fbm, "FBA", seq=2)
    assert zero.quantity == 0 and zero.urgent and zero.closing
    assert switch_updates(OfferState(sku="A", accepted_qty=0, accepted_seq=1), "FBA", seq=2) == []
    assert switch_updates(OfferState(sku="A", fulfillment="FBA"), "FBM", seq=2) == []


def test_quantities_are_never_negative() -> None:
    with pytest.raises(ValueError):
        QuantityUpdate(sku="A", quantity=-1, seq=1)
    with pytest.raises(ValueError, match="only a 0 closes"):
        QuantityUpdate(sku="A", quantity=2, seq=1, closing=True)


def test_planned_zero_of_a_sku_now_fba_closes_its_offer() -> None:
    was_fbm = OfferState(sku="A", computed_qty=5, computed_seq=1, accepted_qty=5, accepted_seq=1, fulfillment="FBA")
    update = plan_update(was_fbm, quantity=0, seq=2)
    assert update is not None and update.closing and update.urgent
    fbm = OfferState(sku="A", computed_qty=5, computed_seq=1, accepted_qty=5, accepted_seq=1)
    update = plan_update(fbm, quantity=0, seq=2)
    assert update is not None and not update.closing


def test_feeds_split_at_the_limit_and_keep_the_newest_seq() -> None:
    updates = [QuantityUpdate(sku=f"S{i:05d}", quantity=i % 9, seq=1) for i in range(7)]
    updates.append(QuantityUpdate(sku="S00003", quantity=42, seq=9))
    updates.append(QuantityUpdate(sku="S00003", quantity=41, seq=8))
    docs = build_listings_feeds("SELLER", updates, max_messages=3)
    assert [len(d) for d in docs] == [3, 3, 1]
    bodies = [json.loads(d.content) for d in docs]
    assert all(b["header"] == {"sellerId": "SELLER", "version": "2.0"} for b in bodies)
    message = next(m for b in bodies for m in b["messages"] if m["sku"] == "S00003")
    assert message["operationType"] == "PATCH"
    assert message["patches"] == [{"op": "replace", "path": "/attributes/fulfillment_availability",
                                   "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 42}]}]
    for doc, body in zip(docs, bodies, strict=True):
        assert [m["messageId"] for m in body["messages"]] == sorted(doc.messages)
        assert {m["sku"] for m in body["messages"]} == {u.sku for u in doc.messages.values()}


def test_feed_messages_validate_against_amazons_schema(spapi_models_dir) -> None:  # type: ignore[no-untyped-def]
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((spapi_models_dir / "schemas" / "feeds" / "listings-feed-schema-v2.json").read_text())
    [doc] = build_listings_feeds("SELLER", [QuantityUpdate(sku="A", quantity=3, seq=1)])
    jsonschema.validate(json.loads(doc.content), schema)


def _feed(n: int) -> FeedDocument:
    return FeedDocument(content=b"", messages={i: QuantityUpdate(sku=f"S{i}", quantity=i, seq=10 + i)
                                               for i in range(1, n + 1)})


def test_processing_report_mix_of_good_bad_and_retryable() -> None:
    report = {"issues": [
        {"messageId": 2, "sku": "S2", "code": "90220", "severity": "ERROR", "message": "bad value"},
        {"messageId": 3, "sku": "S3", "code": "90000900", "severity": "ERROR",
         "message": "An internal error occurred. Try again."},
        {"messageId": 4, "sku": "S4", "code": "18027", "severity": "WARNING", "message": "just a warning"},
    ], "summary": {"messagesProcessed": 4}}
    outcomes = {o.update.sku: o for o in interpret_processing_report(_feed(4), processing_status="DONE",
                                                                     report=report)}
    assert {k: v.outcome for k, v in outcomes.items()} == {
        "S1": Outcome.ACCEPTED, "S2": Outcome.REJECTED, "S3": Outcome.RETRYABLE, "S4": Outcome.ACCEPTED}
    assert "bad value" in outcomes["S2"].reason


@pytest.mark.parametrize("status", ["FATAL", "CANCELLED"])
def test_failed_feed_makes_every_message_retryable(status: str) -> None:
    outcomes = interpret_processing_report(_feed(3), processing_status=status, report=None)
    assert [o.outcome for o in outcomes] == [Outcome.RETRYABLE] * 3


def test_patch_response() -> None:
    update = QuantityUpdate(sku="A", quantity=1, seq=1)
    assert interpret_patch_response(update, {"status": "ACCEPTED", "issues": []}).outcome is Outcome.ACCEPTED
    invalid = {"status": "INVALID", "issues": [{"code": "4000003", "severity": "ERROR", "message": "no SKU"}]}
    assert interpret_patch_response(update, invalid).outcome is Outcome.REJECTED


FBA_8560 = {"code": "8560", "severity": "ERROR",
            "message": "The SKU 'A' is fulfilled by Amazon in A1PA6795UKMFR9; its quantity is managed by Amazon."}


def test_8560_on_the_closing_zero_is_done_by_patch() -> None:
    closing = QuantityUpdate(sku="A", quantity=0, seq=3, urgent=True, closing=True)
    outcome = interpret_patch_response(closing, {"status": "INVALID", "issues": [FBA_8560]})
    assert outcome.outcome is Outcome.ACCEPTED and outcome.fba_managed and outcome.action is None
    # Another error beside it: not what a finished switch looks like.
    other = {"code": "90220", "severity": "ERROR", "message": "bad value"}
    mixed = interpret_patch_response(closing, {"status": "INVALID", "issues": [FBA_8560, other]})
    assert mixed.outcome is Outcome.REJECTED


def test_8560_for_a_quantity_is_a_rejection_with_the_action() -> None:
    for update in (QuantityUpdate(sku="A", quantity=4, seq=3), QuantityUpdate(sku="A", quantity=0, seq=3)):
        outcome = interpret_patch_response(update, {"status": "INVALID", "issues": [FBA_8560]})
        assert outcome.outcome is Outcome.REJECTED and outcome.fba_managed
        assert outcome.action == "SKU is FBA on Amazon: map it as FBA"
        assert outcome.reason.startswith("SKU is FBA on Amazon: map it as FBA (8560: The SKU 'A'")


def test_8560_in_a_feed_report() -> None:
    feed = FeedDocument(content=b"", messages={
        1: QuantityUpdate(sku="A", quantity=0, seq=5, closing=True),
        2: QuantityUpdate(sku="B", quantity=7, seq=5),
        3: QuantityUpdate(sku="C", quantity=0, seq=5, closing=True)})
    report = {"issues": [{**FBA_8560, "messageId": 1, "sku": "A"}, {**FBA_8560, "messageId": 2, "sku": "B"}]}
    outcomes = {o.update.sku: o for o in interpret_processing_report(feed, processing_status="DONE", report=report)}
    assert outcomes["A"].outcome is Outcome.ACCEPTED and outcomes["A"].fba_managed
    assert outcomes["B"].outcome is Outcome.REJECTED and outcomes["B"].action is not None
    assert outcomes["C"].outcome is Outcome.ACCEPTED and not outcomes["C"].fba_managed
