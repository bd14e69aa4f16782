"""Local validation of listings against Product Type Definitions: problems in words, Amazon's
vocabulary, and the fast check agreeing with jsonschema."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amazon_odoo_sync.exceptions import DataError
from amazon_odoo_sync.mapping.listing_schema import ListingSchema, compile_schema
from amazon_odoo_sync.mapping.schema_check import compile_check
from amazon_odoo_sync.sandbox.spapi.product_types import PRODUCT_TYPES, product_type_schema

DE = "A1PA6795UKMFR9"
FR = "A13V1IB3VIYZZH"


def _text(value: str, mid: str = DE, tag: str = "de_DE") -> list[dict[str, Any]]:
    return [{"value": value, "language_tag": tag, "marketplace_id": mid}]


def kitchen() -> dict[str, Any]:
    return {
        "item_name": _text("Becher"), "brand": _text("Acme"), "material": _text("Porzellan"),
        "bullet_point": [{"value": f"Punkt {i}", "language_tag": "de_DE", "marketplace_id": DE}
                         for i in range(5)],
        "externally_assigned_product_identifier": [{"type": "ean", "value": "4006381333931",
                                                    "marketplace_id": DE}],
        "condition_type": [{"value": "new_new", "marketplace_id": DE}],
        "item_weight": [{"value": 0.35, "unit": "kilograms", "marketplace_id": DE}],
        "purchasable_offer": [{"currency": "EUR", "marketplace_id": DE, "audience": "ALL",
                               "our_price": [{"schedule": [{"value_with_tax": 12.5}]}],
                               "discounted_price": [{"schedule": [{
                                   "value_with_tax": 9.99, "start_at": "2026-11-27T00:00:00Z",
                                   "end_at": "2026-12-01T00:00:00Z"}]}]}],
        "fulfillment_availability": [{"fulfillment_channel_code": "DEFAULT", "quantity": 5}],
    }


def schema(product_type: str = "KITCHEN", requirements: str = "LISTING") -> ListingSchema:
    return compile_schema(product_type_schema(product_type, DE, requirements=requirements),
                          product_type=product_type, marketplace_id=DE, requirements=requirements)


def messages(s: ListingSchema, attrs: dict[str, Any], **kw: Any) -> list[str]:
    return [p.message for p in s.validate(attrs, **kw)]


def test_a_complete_listing_is_valid() -> None:
    assert schema().validate(kitchen()) == ()
    assert schema().is_valid(kitchen())


def test_a_missing_required_attribute_is_named_by_its_title() -> None:
    attrs = kitchen()
    del attrs["brand"], attrs["material"]
    problems = schema().validate(attrs)
    assert [p.message for p in problems] == ["Brand Name (brand) is required",
                                             "Material (material) is required"]
    assert [(p.attribute, p.title, p.keyword) for p in problems] == [
        ("brand", "Brand Name", "required"), ("material", "Material", "required")]


def test_values_out_of_bounds_in_words() -> None:
    attrs = kitchen()
    attrs["item_weight"][0]["value"] = 0
    attrs["item_weight"][0]["unit"] = "stone"
    attrs["item_name"][0]["value"] = "x" * 201
    attrs["purchasable_offer"][0]["our_price"][0]["schedule"][0]["value_with_tax"] = "12"
    attrs["externally_assigned_product_identifier"][0]["value"] = "12AB"
    got = messages(schema(), attrs)
    assert "Item Weight: 0 is below the minimum 0.01" in got
    assert ("Item Weight, Item Weight Unit: 'stone' is not one of Grams (grams), Kilograms "
            "(kilograms), Ounces (ounces), Pounds (pounds)") in got
    assert any(m.startswith("Item Name: 'xxx") and m.endswith("is 201 characters long, at most 200 "
                                                              "allowed") for m in got), got
    assert "Purchasable Offer, Price: '12' is not a number" in got
    assert "External Product ID: '12AB' does not have the expected format" in got
    assert len(got) == 5
    for m in got:
        assert "{" not in m and "properties" not in m  # words, never a schema dump


def test_a_missing_field_inside_an_attribute() -> None:
    attrs = kitchen()
    del attrs["item_weight"][0]["unit"]
    assert messages(schema(), attrs) == ["Item Weight: Item Weight Unit (unit) is required"]


def test_sale_dates_must_be_date_times_with_an_offset() -> None:
    attrs = kitchen()
    sale = attrs["purchasable_offer"][0]["discounted_price"][0]["schedule"][0]
    sale["start_at"] = "2026-11-27"
    sale["end_at"] = "2026-12-01T00:00:00"
    assert messages(schema(), attrs) == [
        "Purchasable Offer, Start date: '2026-11-27' is not a valid date time",
        "Purchasable Offer, End date: '2026-12-01T00:00:00' is not a valid date time"]


def test_currency_must_be_the_marketplace_one() -> None:
    attrs = kitchen()
    attrs["purchasable_offer"][0]["currency"] = "USD"
    assert messages(schema(), attrs) == ["Purchasable Offer, Currency: 'USD' is not one of EUR"]


def test_max_unique_items_counts_per_selector_combination() -> None:
    s = schema()
    attrs = kitchen()
    attrs["brand"] = _text("Acme") + _text("Other")
    assert messages(s, attrs) == ["Brand Name: at most 1 distinct value(s) per marketplace and "
                                  "language, 2 given"]
    attrs["brand"] = _text("Acme") + _text("Acme")  # the same value twice is one value
    assert s.validate(attrs) == ()
    attrs["brand"] = _text("Acme") + _text("Acme", tag="en_GB")  # another language
    assert s.validate(attrs) == ()
    attrs["bullet_point"].append({"value": "sechs", "language_tag": "de_DE", "marketplace_id": DE})
    assert messages(s, attrs) == ["Bullet Point: at most 5 distinct value(s) per marketplace and "
                                  "language, 6 given"]


def test_utf8_byte_length_is_amazons_count() -> None:
    attrs = kitchen()
    attrs["brand"][0]["value"] = "€" * 100  # 100 characters (allowed), 300 bytes (200 allowed)
    assert messages(schema(), attrs) == [
        "Brand Name: '€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€...' is 300 bytes long, at most 200 allowed"]


def test_unknown_language_tag_is_worded() -> None:
    attrs = kitchen()
    attrs["item_name"][0]["language_tag"] = "xx_XX"
    assert messages(schema(), attrs) == ["Item Name, Language: 'xx_XX' is not one of de_DE, en_GB"]


def test_partial_checks_only_what_is_given() -> None:
    s = schema()
    assert s.validate({"item_weight": [{"value": 2, "unit": "kilograms"}]}, partial=True) == ()
    assert messages(s, {"item_weight": [{"value": -1, "unit": "kilograms"}]}, partial=True) == [
        "Item Weight: -1 is below the minimum 0.01"]
    assert "Brand Name (brand) is required" in messages(s, {"item_weight": [{"value": 2,
                                                                              "unit": "grams"}]})


def shirt(level: str | None) -> dict[str, Any]:
    attrs = kitchen()
    del attrs["material"], attrs["item_weight"]
    attrs["color"], attrs["size"] = _text("Blau"), _text("M")
    if level:
        attrs["parentage_level"] = [{"value": level, "marketplace_id": DE}]
        attrs["variation_theme"] = [{"name": "SIZE/COLOR"}]
    if level == "child":
        attrs["child_parent_sku_relationship"] = [{"child_relationship_type": "variation",
                                                   "parent_sku": "TEE", "marketplace_id": DE}]
    return attrs


def test_variation_family_rules() -> None:
    s = schema("SHIRT")
    assert s.validate(shirt(None)) == ()
    assert s.validate(shirt("child")) == ()
    child = shirt("child")
    del child["child_parent_sku_relationship"], child["size"]
    assert messages(s, child) == ["Size (size) is required",
                                  "Child Parent SKU Relationship (child_parent_sku_relationship) is "
                                  "required"]
    parent = shirt("parent")
    for name in ("color", "size", "externally_assigned_product_identifier", "fulfillment_availability"):
        del parent[name]
    assert messages(s, parent) == ["Purchasable Offer (purchasable_offer) is not allowed here "
                                   "(e.g. on a variation parent)"]
    del parent["purchasable_offer"]
    assert s.validate(parent) == ()
    parent["variation_theme"] = [{"name": "FLAVOR"}]
    assert messages(s, parent) == ["Variation Theme, Variation Theme Name: 'FLAVOR' is not one of "
                                   "SIZE, COLOR, SIZE/COLOR"]


def test_offer_only_requirements() -> None:
    s = schema("PRODUCT", "LISTING_OFFER_ONLY")
    offer = {"condition_type": [{"value": "new_new", "marketplace_id": DE}],
             "merchant_suggested_asin": [{"value": "B000FBM001", "marketplace_id": DE}],
             "purchasable_offer": kitchen()["purchasable_offer"]}
    assert s.validate(offer) == ()
    del offer["merchant_suggested_asin"]
    assert messages(s, offer) == ["Merchant Suggested ASIN (merchant_suggested_asin) is required"]


def test_a_damaged_schema_is_refused() -> None:
    with pytest.raises(DataError, match="KITCHEN: the schema has no properties"):
        compile_schema({"type": "object"}, product_type="KITCHEN")
    broken = product_type_schema("KITCHEN", DE)
    broken["properties"]["brand"]["minItems"] = "one"
    with pytest.raises(DataError, match="not valid JSON Schema"):
        compile_schema(broken, product_type="KITCHEN")


def test_a_keyword_the_fast_check_does_not_know_falls_back_to_jsonschema() -> None:
    raw = product_type_schema("KITCHEN", DE)
    raw["properties"]["brand"]["unevaluatedItems"] = False
    assert compile_check(raw) is None
    s = compile_schema(raw, product_type="KITCHEN")
    assert s.validate(kitchen()) == ()
    attrs = kitchen()
    del attrs["brand"]
    assert messages(s, attrs) == ["Brand Name (brand) is required"]


# -- the fast check says what jsonschema says ------------------------------------------------

_ODD_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-1, 1e7, allow_nan=False),
                        st.text(max_size=3), st.just("x" * 201), st.just("x" * 250),
                        st.just("€" * 120), st.just(0.001), st.just(31),
                        st.just([]), st.just({}), st.just("2026-11-27"), st.just("2026-11-27T00:00:00Z"),
                        st.sampled_from(["new_new", "ean", "kilograms", "parent", "child", "EUR", "USD",
                                         "de_DE", DE, FR, "SIZE/COLOR", "B000FBM001"]))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    product_type = draw(st.sampled_from(sorted(PRODUCT_TYPES)))
    requirements = draw(st.sampled_from(["LISTING", "LISTING_OFFER_ONLY"]))
    base = draw(st.sampled_from(["kitchen", "child", "parent", "plain"]))
    attrs = {"kitchen": kitchen, "child": lambda: shirt("child"), "parent": lambda: shirt("parent"),
             "plain": lambda: shirt(None)}[base]()
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["delete", "replace", "replace", "duplicate"]))
        paths = [p for p in _paths(attrs) if p]
        leaves = [p for p in paths if p and not isinstance(_at(attrs, p), dict | list)]
        path = draw(st.sampled_from(leaves if action == "replace" and leaves else paths))
        parent: Any = _at(attrs, path[:-1])
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = draw(_ODD_VALUES)
        elif isinstance(parent[path[-1]], list) and parent[path[-1]]:
            item = copy.deepcopy(parent[path[-1]][0])
            if isinstance(item, dict) and "value" in item:
                item["value"] = draw(_ODD_VALUES)
            parent[path[-1]].append(item)
    return product_type, requirements, attrs


_SCHEMAS: dict[tuple[str, str], ListingSchema] = {}


@settings(max_examples=200, deadline=None)
@given(mutated(), st.booleans())
def test_fast_check_agrees_with_jsonschema(case: tuple[str, str, dict[str, Any]], partial: bool) -> None:
    product_type, requirements, attrs = case
    key = (product_type, requirements)
    if key not in _SCHEMAS:
        _SCHEMAS[key] = schema(product_type, requirements)
    s = _SCHEMAS[key]
    reference = (s._partial if partial else s._full).is_valid(attrs)
    assert s.is_valid(attrs, partial=partial) is reference
    problems = s.validate(attrs, partial=partial)
    assert (problems == ()) is reference
    for p in problems:  # every problem in words, named by a title
        assert "{" not in p.message and "$ref" not in p.message, p.message
        assert p.message.startswith((p.title, "This listing", p.attribute)), p.message


_EDGE_VALUES: list[Any] = [None, True, 0, -1, 0.001, 0.01, 31, 1.5, "", "x", "x" * 41, "x" * 51, "x" * 101,
                           "x" * 201, "€" * 70, "€" * 120, [], {}, "2026-11-27", "2026-11-27T00:00:00Z",
                           "USD", "en_GB", FR, "parent", "12345678", "B000FBM00"]


@pytest.mark.parametrize("base", ["kitchen", "child", "parent", "plain"])
def test_fast_check_agrees_on_every_leaf_and_edge_value(base: str) -> None:
    attrs = {"kitchen": kitchen, "child": lambda: shirt("child"), "parent": lambda: shirt("parent"),
             "plain": lambda: shirt(None)}[base]()
    s = schema("KITCHEN" if base == "kitchen" else "SHIRT")
    leaves = [p for p in _paths(attrs) if p and not isinstance(_at(attrs, p), dict | list)]
    disagreements = []
    for path in leaves:
        for value in _EDGE_VALUES:
            changed = copy.deepcopy(attrs)
            _at(changed, path[:-1])[path[-1]] = value
            if s.is_valid(changed) is not s._full.is_valid(changed):
                disagreements.append((path, value))
    assert disagreements == []
