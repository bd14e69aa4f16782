"""Odoo templates and variants → listings: offer-only by identifier, full otherwise, variation
families, variants added and removed, validated against the product type before anything is sent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from amazon_odoo_sync.mapping.listing_schema import ListingSchema, compile_schema
from amazon_odoo_sync.mapping.listings import (
    ListingRules,
    OdooTemplate,
    OdooValue,
    OdooVariant,
    PublishedListing,
    identifier_type,
    plan_listings,
)
from amazon_odoo_sync.mapping.prices import PriceUpdate
from amazon_odoo_sync.marketplaces import by_code
from amazon_odoo_sync.sandbox.spapi.product_types import product_type_schema

DE, FR, UK = by_code("DE").id, by_code("FR").id, by_code("UK").id
EAN = "4006381333931"
UPC = "036000291452"


def schemas(*product_types: str, mids: tuple[str, ...] = (DE, FR, UK)) -> dict[tuple[str, str, str], ListingSchema]:
    out = {}
    for pt in product_types:
        for mid in mids:
            for req in ("LISTING", "LISTING_OFFER_ONLY"):
                out[(pt, mid, req)] = compile_schema(product_type_schema(pt, mid, requirements=req),
                                                     product_type=pt, marketplace_id=mid, requirements=req)
    return out


KITCHEN = schemas("KITCHEN", mids=(DE,))
SHIRT = schemas("SHIRT")


def mug(barcode: str | None = EAN, code: str | None = "MUG-1") -> OdooTemplate:
    return OdooTemplate(template_id=1, name="Mug", default_code=code, description="A mug",
                        name_translations={"de_DE": "Becher"},
                        variants=(OdooVariant(product_id=11, default_code=code, barcode=barcode,
                                              weight_kg=Decimal("0.35")),))


MUG_RULES = ListingRules(product_type="KITCHEN", marketplace_ids=(DE,),
                         constants={"brand": "Acme", "material": "Porzellan"})


def price(sku: str, mid: str, amount: str) -> PriceUpdate:
    return PriceUpdate(sku=sku, marketplace_id=mid, currency=by_code("UK").currency if mid == UK else "EUR",
                       price=Decimal(amount))


def test_identifier_types_and_check_digits() -> None:
    assert identifier_type(EAN) == "ean" and identifier_type(UPC) == "upc"
    assert identifier_type("96385074") == "ean" and identifier_type("10036000291459") == "gtin"
    assert identifier_type("4006381333932") is None  # check digit
    assert identifier_type("40063813339") is None and identifier_type("４００６３８１３３３９３１") is None


def test_a_product_without_asin_is_a_full_listing_in_the_marketplace_language() -> None:
    plan = plan_listings(mug(), MUG_RULES, asins={}, prices={("MUG-1", DE): price("MUG-1", DE, "12.50")},
                         schemas=KITCHEN)
    assert plan.problems == ()
    (draft,) = plan.publish
    assert (draft.sku, draft.role, draft.requirements, draft.offer_only) == ("MUG-1", "standalone", "LISTING",
                                                                            False)
    a = draft.attributes
    assert a["item_name"] == [{"value": "Becher", "language_tag": "de_DE", "marketplace_id": DE}]
    assert a["brand"][0]["value"] == "Acme"
    assert a["externally_assigned_product_identifier"] == [{"type": "ean", "value": EAN, "marketplace_id": DE}]
    assert a["item_weight"] == [{"value": 0.35, "unit": "kilograms", "marketplace_id": DE}]
    assert a["purchasable_offer"][0]["our_price"] == [{"schedule": [{"value_with_tax": 12.5}]}]
    assert "fulfillment_availability" not in a  # quantities are the stock flow's
    assert draft.body() == {"productType": "KITCHEN", "requirements": "LISTING", "attributes": dict(a)}


def test_a_known_asin_makes_an_offer_only_listing() -> None:
    plan = plan_listings(mug(), MUG_RULES, asins={(EAN, DE): "B000FBM001"},
                         prices={("MUG-1", DE): price("MUG-1", DE, "12.50")}, schemas=KITCHEN)
    (draft,) = plan.publish
    assert draft.offer_only and draft.asin == "B000FBM001" and draft.requirements == "LISTING_OFFER_ONLY"
    assert set(draft.attributes) == {"condition_type", "merchant_suggested_asin", "purchasable_offer"}
    assert draft.attributes["merchant_suggested_asin"] == [{"value": "B000FBM001", "marketplace_id": DE}]
    # a UPC is found under its EAN-13 (leading zero) as well
    plan = plan_listings(mug(barcode=UPC), MUG_RULES, asins={("0" + UPC, DE): "B000UPC001"}, prices={},
                         schemas=KITCHEN)
    assert plan.publish[0].asin == "B000UPC001"


def test_a_missing_required_attribute_is_refused_locally_with_the_field_named() -> None:
    rules = ListingRules(product_type="KITCHEN", marketplace_ids=(DE,), constants={"material": "Porzellan"})
    plan = plan_listings(mug(), rules, asins={}, prices={}, schemas=KITCHEN)
    assert plan.publish == ()
    assert [(p.sku, p.marketplace_id, p.message, p.attributes) for p in plan.problems] == [
        ("MUG-1", DE, "MUG-1 on Amazon.de: Brand Name (brand) is required", ("brand",))]


def test_problems_of_the_odoo_data_in_words() -> None:
    plan = plan_listings(mug(code=None), MUG_RULES, asins={}, prices={})
    assert [p.message for p in plan.problems] == [
        "variant 11 of 'Mug' has no internal reference (the SKU): set one in Odoo"]
    plan = plan_listings(mug(barcode="4006381333932"), MUG_RULES, asins={}, prices={})
    assert plan.publish == () and plan.problems[0].message == (
        "MUG-1: barcode '4006381333932' is not a valid EAN, UPC or GTIN (length or check digit)")


# -- variation families ---------------------------------------------------------------------

COLORS = {"Blue": {"de_DE": "Blau", "fr_FR": "Bleu"}, "Red": {"de_DE": "Rot", "fr_FR": "Rouge"},
          "Green": {"de_DE": "Grün", "fr_FR": "Vert"}}
SHIRT_RULES = ListingRules(product_type="SHIRT", marketplace_ids=(DE, FR, UK), variation_theme="SIZE/COLOR",
                           attribute_map={"Color": "color", "Size": "size"},
                           constants={"brand": "Acme"})


def _gtin(n: int) -> str:
    body = f"400638100{n:03d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def tee(*, drop: str | None = None, add: bool = False) -> OdooTemplate:
    variants = []
    n = 0
    for color, names in COLORS.items():
        for size in ("M", "L"):
            n += 1
            sku = f"TEE-{color[0]}{size}"
            variants.append(OdooVariant(product_id=100 + n, default_code=sku, barcode=_gtin(n),
                                        values=(OdooValue(attribute="Color", name=color, translations=names),
                                                OdooValue(attribute="Size", name=size)),
                                        active=sku != drop))
    if add:
        variants.append(OdooVariant(product_id=200, default_code="TEE-BXL", barcode=_gtin(99),
                                    values=(OdooValue(attribute="Color", name="Blue", translations=COLORS["Blue"]),
                                            OdooValue(attribute="Size", name="XL"))))
    return OdooTemplate(template_id=7, name="T-Shirt", default_code="TEE", name_translations={"fr_FR": "Tee-shirt"},
                        variants=tuple(variants))


def tee_prices(t: OdooTemplate) -> dict[tuple[str, str], PriceUpdate]:
    return {(v.default_code or "", mid): price(v.default_code or "", mid, "19.99" if mid != UK else "17.50")
            for v in t.variants for mid in (DE, FR, UK)}


def test_six_variants_three_marketplaces_two_currencies() -> None:
    t = tee()
    plan = plan_listings(t, SHIRT_RULES, asins={}, prices=tee_prices(t), schemas=SHIRT)
    assert plan.problems == ()
    assert len(plan.publish) == 3 * 7
    parents = [d for d in plan.publish if d.role == "parent"]
    assert [(d.sku, d.marketplace_id) for d in parents] == [("TEE", DE), ("TEE", FR), ("TEE", UK)]
    for p in parents:
        assert "purchasable_offer" not in p.attributes and "externally_assigned_product_identifier" not in p.attributes
        assert p.attributes["parentage_level"][0]["value"] == "parent"
        assert p.attributes["variation_theme"] == [{"name": "SIZE/COLOR"}]
    child = next(d for d in plan.publish if d.sku == "TEE-BM" and d.marketplace_id == FR)
    assert child.role == "child" and child.parent_sku == "TEE"
    assert child.attributes["item_name"][0]["value"] == "Tee-shirt - Bleu, M"
    assert child.attributes["color"] == [{"value": "Bleu", "language_tag": "fr_FR", "marketplace_id": FR}]
    assert child.attributes["child_parent_sku_relationship"] == [
        {"child_relationship_type": "variation", "parent_sku": "TEE", "marketplace_id": FR}]
    uk = next(d for d in plan.publish if d.sku == "TEE-BM" and d.marketplace_id == UK)
    assert uk.attributes["purchasable_offer"][0]["currency"] == "GBP"
    assert uk.attributes["color"][0] == {"value": "Blue", "language_tag": "en_GB", "marketplace_id": UK}


def _published(plan_publish: tuple) -> list[PublishedListing]:  # type: ignore[type-arg]
    return [PublishedListing(sku=d.sku, marketplace_id=d.marketplace_id, role=d.role, fingerprint=d.fingerprint)
            for d in plan_publish]


def test_adding_and_removing_a_variant_adds_and_retires_the_child() -> None:
    first = plan_listings(tee(), SHIRT_RULES, asins={}, prices=tee_prices(tee()), schemas=SHIRT)
    published = _published(first.publish)
    again = plan_listings(tee(), SHIRT_RULES, asins={}, prices=tee_prices(tee()), published=published,
                          schemas=SHIRT)
    assert again.publish == () and again.retire == () and len(again.unchanged) == 21

    grown = tee(add=True)
    plan = plan_listings(grown, SHIRT_RULES, asins={}, prices=tee_prices(grown), published=published, schemas=SHIRT)
    assert [(d.sku, d.marketplace_id) for d in plan.publish] == [("TEE-BXL", DE), ("TEE-BXL", FR), ("TEE-BXL", UK)]
    assert plan.retire == ()

    shrunk = tee(drop="TEE-RL")
    plan = plan_listings(shrunk, SHIRT_RULES, asins={}, prices=tee_prices(shrunk), published=published,
                         schemas=SHIRT)
    assert plan.publish == ()
    assert [(r.sku, r.marketplace_id) for r in plan.retire] == [("TEE-RL", mid) for mid in sorted((DE, FR, UK))]
    assert plan.retire[0].reason == "the variant TEE-RL of 'T-Shirt' was archived or removed in Odoo"

    fewer = ListingRules(**{**SHIRT_RULES.__dict__, "marketplace_ids": (DE, FR)})
    plan = plan_listings(tee(), fewer, asins={}, prices=tee_prices(tee()), published=published, schemas=SHIRT)
    assert {r.marketplace_id for r in plan.retire} == {UK} and len(plan.retire) == 7


def test_a_price_change_republishes_only_that_child() -> None:
    first = plan_listings(tee(), SHIRT_RULES, asins={}, prices=tee_prices(tee()), schemas=SHIRT)
    prices = tee_prices(tee())
    prices[("TEE-GL", DE)] = price("TEE-GL", DE, "24.99")
    plan = plan_listings(tee(), SHIRT_RULES, asins={}, prices=prices, published=_published(first.publish))
    assert [(d.sku, d.marketplace_id) for d in plan.publish] == [("TEE-GL", DE)]


def test_variants_with_asins_join_amazons_family_without_a_parent_of_ours() -> None:
    t = tee()
    asins = {(v.barcode or "", mid): f"B0ASIN{n:04d}" for n, v in enumerate(t.variants) for mid in (DE, FR, UK)}
    plan = plan_listings(t, SHIRT_RULES, asins=asins, prices=tee_prices(t), schemas=SHIRT)
    assert plan.problems == () and len(plan.publish) == 18
    assert all(d.offer_only and d.role == "child" for d in plan.publish)
    asins.pop((t.variants[0].barcode or "", DE))
    plan = plan_listings(t, SHIRT_RULES, asins=asins, prices=tee_prices(t), schemas=SHIRT)
    de = [d for d in plan.publish if d.marketplace_id == DE]
    assert [(d.sku, d.role, d.offer_only) for d in de[:2]] == [("TEE", "parent", False), ("TEE-BM", "child", False)]


def test_family_problems() -> None:
    no_theme = ListingRules(product_type="SHIRT", marketplace_ids=(DE,))
    assert plan_listings(tee(), no_theme, asins={}, prices={}).problems[0].message == (
        "'T-Shirt' has 6 variants but no variation theme is configured for it")
    unmapped = ListingRules(product_type="SHIRT", marketplace_ids=(DE,), variation_theme="SIZE/COLOR",
                            attribute_map={"Size": "size"}, constants={"brand": "Acme"})
    plan = plan_listings(tee(), unmapped, asins={}, prices={})
    assert plan.publish == () and plan.problems[0].message == (
        "TEE-BM: no value for color of the variation theme SIZE/COLOR (map an Odoo attribute to it)")
    t = tee()
    twin = OdooVariant(product_id=300, default_code="TEE-TWIN", values=t.variants[0].values)
    plan = plan_listings(OdooTemplate(**{**t.__dict__, "variants": (*t.variants, twin)}), SHIRT_RULES,
                         asins={}, prices={})
    assert [p.message for p in plan.problems] == ["TEE-TWIN: the same SIZE/COLOR (M, Blue) as TEE-BM"]
    orphan = OdooTemplate(**{**t.__dict__, "default_code": None})
    assert "the variation family's parent SKU is the template's internal reference" in plan_listings(
        orphan, SHIRT_RULES, asins={}, prices={}).problems[0].message


def test_a_child_failing_a_check_is_held_not_retired() -> None:
    first = plan_listings(tee(), SHIRT_RULES, asins={}, prices=tee_prices(tee()), schemas=SHIRT)
    broken = tee()
    v0 = broken.variants[0]
    bad = OdooVariant(**{**v0.__dict__, "barcode": "4006381333932"})
    broken = OdooTemplate(**{**broken.__dict__, "variants": (bad, *broken.variants[1:])})
    plan = plan_listings(broken, SHIRT_RULES, asins={}, prices=tee_prices(broken),
                         published=_published(first.publish), schemas=SHIRT)
    assert plan.retire == () and plan.publish == ()
    assert [p.sku for p in plan.problems] == ["TEE-BM"]


def test_unknown_marketplace_is_a_configuration_error() -> None:
    with pytest.raises(KeyError, match="unknown Amazon marketplace id"):
        plan_listings(mug(), ListingRules(product_type="KITCHEN", marketplace_ids=("NOPE",)), asins={}, prices={})


def test_values_mapped_to_what_amazon_expects_per_marketplace() -> None:
    rules = ListingRules(**{**SHIRT_RULES.__dict__, "value_map": {"size": {"M": "Medium"}},
                            "value_map_by_marketplace": {FR: {"size": {"M": "Moyen"}}}})
    plan = plan_listings(tee(), rules, asins={}, prices={}, schemas=SHIRT)
    sizes = {(d.marketplace_id, d.attributes["size"][0]["value"]) for d in plan.publish if d.sku == "TEE-BM"}
    assert sizes == {(DE, "Medium"), (FR, "Moyen"), (UK, "Medium")}
