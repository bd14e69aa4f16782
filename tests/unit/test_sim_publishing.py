"""The simulator's listings creation: product type definitions, catalog search by identifier,
putListingsItem validated as Amazon reports it, offer-only, variation families, prices with
currency checks, suppression and the listings notifications; and the connector's listing plans
accepted by it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from amazon_odoo_sync.mapping.listings import ListingRules, OdooTemplate, OdooValue, OdooVariant, plan_listings
from amazon_odoo_sync.mapping.prices import PriceUpdate, SalePrice, price_patches
from amazon_odoo_sync.sandbox.spapi.catalog import derived_ean
from tests.unit.sim_selling_fixtures import DE, FR, SELLER, Sim, make_sim

URL = f"/listings/2021-08-01/items/{SELLER}"
ARN = "arn:aws:sqs:eu-west-1:123456789012:connector"
EAN = "4006381333931"


def _text(value: str, tag: str = "de_DE") -> list[dict[str, Any]]:
    return [{"value": value, "language_tag": tag, "marketplace_id": DE}]


def mug_attributes(**changes: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "item_name": _text("Becher"), "brand": _text("Acme"), "material": _text("Porzellan"),
        "externally_assigned_product_identifier": [{"type": "ean", "value": EAN, "marketplace_id": DE}],
        "condition_type": [{"value": "new_new", "marketplace_id": DE}],
        "item_weight": [{"value": 0.35, "unit": "kilograms", "marketplace_id": DE}],
        "purchasable_offer": [{"currency": "EUR", "marketplace_id": DE, "audience": "ALL",
                               "our_price": [{"schedule": [{"value_with_tax": 12.5}]}]},
                              {"currency": "EUR", "marketplace_id": DE, "audience": "B2B",
                               "our_price": [{"schedule": [{"value_with_tax": 10.5}]}]}],
        "fulfillment_availability": [{"fulfillment_channel_code": "DEFAULT", "quantity": 4}],
    }
    for k, v in changes.items():
        if v is None:
            attrs.pop(k, None)
        else:
            attrs[k] = v
    return attrs


def subscribe(s: Sim, *types: str) -> None:
    dest = s.svc.hub.create_destination({"name": "c", "resourceSpecification": {"sqs": {"arn": ARN}}})
    for t in types:
        s.svc.hub.create_subscription(t, SELLER, {"payloadVersion": "1.0", "destinationId": dest.destination_id})


def published(s: Sim, ntype: str) -> list[dict[str, Any]]:
    return [n["Payload"] for n in s.svc.hub.published if n.get("NotificationType") == ntype]


async def put(s: Sim, sku: str, attrs: dict[str, Any], *, product_type: str = "KITCHEN", mids: str = DE,
              requirements: str | None = None, **params: str) -> dict[str, Any]:
    body: dict[str, Any] = {"productType": product_type, "attributes": attrs}
    if requirements:
        body["requirements"] = requirements
    r = await s.client.put(f"{URL}/{sku}", params={"marketplaceIds": mids, "includedData": "issues,identifiers",
                                                   **params}, headers=s.h(), json=body)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


async def test_definitions_search_get_and_the_linked_schema() -> None:
    s = make_sim()
    async with s.client:
        r = await s.client.get("/definitions/2020-09-01/productTypes", headers=s.h(),
                               params={"marketplaceIds": DE, "keywords": "shirt"})
        assert [p["name"] for p in r.json()["productTypes"]] == ["SHIRT"]
        r = await s.client.get("/definitions/2020-09-01/productTypes/KITCHEN", headers=s.h(),
                               params={"marketplaceIds": DE, "requirements": "LISTING"})
        body = r.json()
        assert body["productType"] == "KITCHEN" and body["locale"] == "de_DE"
        link = body["schema"]["link"]["resource"]
        schema = (await s.client.get(link.replace("http://sim.test", ""))).json()
        assert "brand" in schema["required"] and schema["properties"]["brand"]["title"] == "Brand Name"
        r = await s.client.get("/definitions/2020-09-01/productTypes/LUGGAGE", headers=s.h(),
                               params={"marketplaceIds": DE})
        assert r.status_code == 404


async def test_catalog_search_by_ean_and_upc() -> None:
    s = make_sim()
    async with s.client:
        ean = derived_ean("B000FBM001")
        r = await s.client.get("/catalog/2022-04-01/items", headers=s.h(), params={
            "marketplaceIds": DE, "identifiers": f"{ean},4006381333931", "identifiersType": "EAN",
            "includedData": "identifiers,summaries"})
        body = r.json()
        assert body["numberOfResults"] == 1 and body["items"][0]["asin"] == "B000FBM001"
        assert body["items"][0]["identifiers"][0]["identifiers"] == [{"identifierType": "EAN", "identifier": ean}]
        assert (await put(s, "NEW-UPC", mug_attributes(externally_assigned_product_identifier=[
            {"type": "upc", "value": "036000291452", "marketplace_id": DE}])))["status"] == "ACCEPTED"
        r = await s.client.get("/catalog/2022-04-01/items", headers=s.h(), params={
            "marketplaceIds": DE, "identifiers": "036000291452", "identifiersType": "UPC"})
        assert r.json()["items"][0]["asin"] == s.world.offer(SELLER, DE, "NEW-UPC").asin  # type: ignore[union-attr]


async def test_put_missing_required_attribute_is_refused_as_amazon_reports_it() -> None:
    s = make_sim()
    async with s.client:
        body = await put(s, "NEW-1", mug_attributes(brand=None))
        assert body["status"] == "INVALID"
        assert body["issues"] == [{"code": "90220", "message": "'Brand Name' is required but not supplied.",
                                   "severity": "ERROR", "categories": ["MISSING_ATTRIBUTE"],
                                   "attributeNames": ["brand"], "marketplaceIds": [DE]}]
        assert s.world.offer(SELLER, DE, "NEW-1") is None
        weight = mug_attributes(item_weight=[{"value": 0, "unit": "kilograms", "marketplace_id": DE}])
        issue = (await put(s, "NEW-1", weight))["issues"][0]
        assert (issue["code"], issue["attributeNames"]) == ("99010", ["item_weight"])
        assert (await put(s, "NEW-1", {}, product_type="LUGGAGE"))["issues"][0]["code"] == "4000002"


async def test_put_checks_the_currency_of_the_marketplace() -> None:
    s = make_sim()
    async with s.client:
        offer = mug_attributes()["purchasable_offer"]
        offer[0]["currency"] = "USD"
        body = await put(s, "NEW-1", mug_attributes(purchasable_offer=offer))
        assert body["status"] == "INVALID"
        assert body["issues"][0]["attributeNames"] == ["purchasable_offer"]
        assert "'USD'" in body["issues"][0]["message"]


async def test_put_creates_a_buyable_listing_with_prices_and_a_status_notification() -> None:
    s = make_sim()
    subscribe(s, "LISTINGS_ITEM_STATUS_CHANGE")
    async with s.client:
        preview = await put(s, "NEW-1", mug_attributes(), mode="VALIDATION_PREVIEW")
        assert preview["status"] == "VALID" and s.world.offer(SELLER, DE, "NEW-1") is None
        body = await put(s, "NEW-1", mug_attributes())
        assert body["status"] == "ACCEPTED"
        offer = s.world.offer(SELLER, DE, "NEW-1")
        assert offer is not None and offer.asin == body["identifiers"][0]["asin"]
        assert (offer.price, offer.business_price, offer.quantity, offer.currency) == (
            Decimal("12.50"), Decimal("10.50"), 4, "EUR")
        assert s.world.products[offer.asin].title == "Becher"
        r = await s.client.get(f"{URL}/NEW-1", headers=s.h(), params={"marketplaceIds": DE,
                                                                       "includedData": "summaries,offers"})
        assert r.json()["summaries"][0]["status"] == ["BUYABLE", "DISCOVERABLE"]
        assert {o["offerType"] for o in r.json()["offers"]} == {"B2C", "B2B"}
        assert published(s, "LISTINGS_ITEM_STATUS_CHANGE")[-1]["Status"] == ["BUYABLE", "DISCOVERABLE"]
        # the same identifier from another SKU joins the same ASIN
        assert (await put(s, "NEW-2", mug_attributes()))["identifiers"][0]["asin"] == offer.asin


async def test_offer_only_needs_an_existing_asin() -> None:
    s = make_sim()
    async with s.client:
        attrs = {"condition_type": [{"value": "new_new", "marketplace_id": DE}],
                 "merchant_suggested_asin": [{"value": "B000FBM001", "marketplace_id": DE}],
                 "purchasable_offer": mug_attributes()["purchasable_offer"][:1]}
        body = await put(s, "MINE-1", attrs, product_type="PRODUCT", requirements="LISTING_OFFER_ONLY")
        assert body["status"] == "ACCEPTED" and body["identifiers"][0]["asin"] == "B000FBM001"
        attrs["merchant_suggested_asin"] = [{"value": "B0NOTTHERE", "marketplace_id": DE}]
        body = await put(s, "MINE-2", attrs, product_type="PRODUCT", requirements="LISTING_OFFER_ONLY")
        assert body["status"] == "INVALID" and body["issues"][0]["code"] == "4000004"


def _shirt(level: str, **extra: Any) -> dict[str, Any]:
    attrs = mug_attributes(material=None, item_weight=None, **extra)
    attrs["parentage_level"] = [{"value": level, "marketplace_id": DE}]
    attrs["variation_theme"] = [{"name": "SIZE/COLOR"}]
    if level == "parent":
        for name in ("purchasable_offer", "externally_assigned_product_identifier", "fulfillment_availability"):
            attrs.pop(name)
    else:
        attrs["color"], attrs["size"] = _text("Blau"), _text("M")
        attrs["child_parent_sku_relationship"] = [{"child_relationship_type": "variation",
                                                   "parent_sku": "TEE", "marketplace_id": DE}]
    return attrs


async def test_variation_family_parent_first_then_children() -> None:
    s = make_sim()
    async with s.client:
        body = await put(s, "TEE-BM", _shirt("child"), product_type="SHIRT")
        assert body["status"] == "INVALID" and body["issues"][0]["code"] == "4000005"
        assert (await put(s, "TEE", _shirt("parent"), product_type="SHIRT"))["status"] == "ACCEPTED"
        assert (await put(s, "TEE-BM", _shirt("child"), product_type="SHIRT"))["status"] == "ACCEPTED"
        parent, child = s.world.offer(SELLER, DE, "TEE"), s.world.offer(SELLER, DE, "TEE-BM")
        assert parent is not None and child is not None
        assert s.world.products[child.asin].parent_asin == parent.asin
        r = await s.client.get(f"{URL}/TEE", headers=s.h(), params={"marketplaceIds": DE})
        assert r.json()["summaries"][0]["status"] == ["DISCOVERABLE"]  # a parent is never buyable
        r = await s.client.get(f"/catalog/2022-04-01/items/{parent.asin}", headers=s.h(), params={
            "marketplaceIds": DE, "includedData": "relationships"})
        rel = r.json()["relationships"][0]["relationships"][0]
        assert rel["childAsins"] == [child.asin] and rel["variationTheme"]["theme"] == "SIZE/COLOR"
        priced = {**_shirt("parent"), "purchasable_offer": mug_attributes()["purchasable_offer"]}
        assert (await put(s, "TEE", priced, product_type="SHIRT"))["issues"][0]["attributeNames"] == [
            "purchasable_offer"]


async def test_suppression_issues_and_their_resolution() -> None:
    s = make_sim()
    subscribe(s, "LISTINGS_ITEM_STATUS_CHANGE", "LISTINGS_ITEM_ISSUES_CHANGE")
    async with s.client:
        assert (await put(s, "NEW-1", mug_attributes()))["status"] == "ACCEPTED"
        r = await s.client.post("/_sim/listings/issues", json={
            "sellerId": SELLER, "marketplaceId": DE, "sku": "NEW-1", "code": "18027",
            "message": "The main image is missing.", "attributeNames": ["main_product_image_locator"]})
        assert r.status_code == 200
        r = await s.client.get(f"{URL}/NEW-1", headers=s.h(), params={"marketplaceIds": DE,
                                                                       "includedData": "summaries,issues"})
        item = r.json()
        assert item["summaries"][0]["status"] == ["DISCOVERABLE"]
        assert item["issues"][0]["enforcements"] == {"actions": [{"action": "LISTING_SUPPRESSED"}],
                                                     "exemption": {"status": "NOT_EXEMPT"}}
        issues = published(s, "LISTINGS_ITEM_ISSUES_CHANGE")
        assert issues[-1] == {"SellerId": SELLER, "MarketplaceId": DE, "Sku": "NEW-1",
                              "Severities": ["ERROR"], "EnforcementActions": ["LISTING_SUPPRESSED"],
                              "Asin": s.world.offer(SELLER, DE, "NEW-1").asin}  # type: ignore[union-attr]
        assert published(s, "LISTINGS_ITEM_STATUS_CHANGE")[-1]["Status"] == ["DISCOVERABLE"]
        r = await s.client.patch(f"{URL}/NEW-1", params={"marketplaceIds": DE}, headers=s.h(), json={
            "productType": "KITCHEN", "patches": [{"op": "replace", "path": "/attributes/main_product_image_locator",
                                                   "value": [{"media_location": "https://x/y.jpg"}]}]})
        assert r.json()["status"] == "ACCEPTED"
        assert published(s, "LISTINGS_ITEM_ISSUES_CHANGE")[-1]["Severities"] == []
        assert published(s, "LISTINGS_ITEM_STATUS_CHANGE")[-1]["Status"] == ["BUYABLE", "DISCOVERABLE"]


async def test_patch_is_validated_against_the_product_type_for_the_attributes_it_names() -> None:
    s = make_sim()
    async with s.client:
        r = await s.client.patch(f"{URL}/MUG-1", params={"marketplaceIds": DE}, headers=s.h(), json={
            "productType": "KITCHEN", "patches": [{"op": "replace", "path": "/attributes/item_weight",
                                                   "value": [{"value": 0, "unit": "kilograms"}]}]})
        assert r.json()["status"] == "INVALID" and r.json()["issues"][0]["attributeNames"] == ["item_weight"]


async def test_the_connectors_listing_plan_is_accepted_by_the_simulator() -> None:
    s = make_sim()
    colors = {"Blue": {"de_DE": "Blau", "fr_FR": "Bleu"}, "Red": {"de_DE": "Rot", "fr_FR": "Rouge"},
              "Green": {"de_DE": "Grün", "fr_FR": "Vert"}}
    variants = []
    for n, (color, names) in enumerate((c for c in colors.items() for _ in (0, 1)), start=1):
        size = "M" if n % 2 else "L"
        body = f"4006381{n:05d}"
        total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
        variants.append(OdooVariant(product_id=n, default_code=f"TEE-{color[0]}{size}",
                                    barcode=body + str((10 - total % 10) % 10),
                                    values=(OdooValue(attribute="Color", name=color, translations=names),
                                            OdooValue(attribute="Size", name=size))))
    template = OdooTemplate(template_id=1, name="T-Shirt", default_code="TEE", variants=tuple(variants))
    rules = ListingRules(product_type="SHIRT", marketplace_ids=(DE, FR), variation_theme="SIZE/COLOR",
                         attribute_map={"Color": "color", "Size": "size"}, constants={"brand": "Acme"})
    prices = {(v.default_code or "", m): PriceUpdate(sku=v.default_code or "", marketplace_id=m, currency="EUR",
                                                     price=Decimal("19.99")) for v in variants for m in (DE, FR)}
    plan = plan_listings(template, rules, asins={}, prices=prices)
    assert plan.problems == () and len(plan.publish) == 14
    async with s.client:
        for draft in plan.publish:
            r = await s.client.put(f"{URL}/{draft.sku}", params={"marketplaceIds": draft.marketplace_id},
                                   headers=s.h(), json=draft.body())
            assert r.json()["status"] == "ACCEPTED", (draft.sku, r.json())
    child = s.world.offer(SELLER, FR, "TEE-BM")
    assert child is not None and child.price == Decimal("19.99")
    assert s.svc.listings[(SELLER, FR, "TEE-BM")].attributes["color"][0]["value"] == "Bleu"


async def test_a_listings_feed_creates_listings_as_put_does() -> None:
    s = make_sim()
    messages = [
        {"messageId": 1, "sku": "TEE", "operationType": "UPDATE", "productType": "SHIRT",
         "requirements": "LISTING", "attributes": _shirt("parent")},
        {"messageId": 2, "sku": "TEE-BM", "operationType": "UPDATE", "productType": "SHIRT",
         "attributes": _shirt("child")},
        {"messageId": 3, "sku": "NEW-1", "operationType": "UPDATE", "productType": "KITCHEN",
         "attributes": mug_attributes(brand=None)},
    ]
    doc = json.dumps({"header": {"sellerId": SELLER, "version": "2.0"}, "messages": messages}).encode()
    async with s.client:
        r = await s.client.post("/feeds/2021-06-30/documents", headers=s.h(), json={"contentType": "application/json"})
        await s.client.put(r.json()["url"], content=doc)
        r = await s.client.post("/feeds/2021-06-30/feeds", headers=s.h(), json={
            "feedType": "JSON_LISTINGS_FEED", "marketplaceIds": [DE],
            "inputFeedDocumentId": r.json()["feedDocumentId"]})
        fid = r.json()["feedId"]
        s.world.clock.advance(600)
        got = (await s.client.get(f"/feeds/2021-06-30/feeds/{fid}", headers=s.h())).json()
        assert got["processingStatus"] == "DONE"
        link = (await s.client.get(f"/feeds/2021-06-30/documents/{got['resultFeedDocumentId']}",
                                   headers=s.h())).json()["url"]
        report = (await s.client.get(link)).json()
    assert report["summary"]["messagesAccepted"] == 2 and report["summary"]["messagesInvalid"] == 1
    assert [(i["messageId"], i["code"], i["attributeName"]) for i in report["issues"]] == [(3, "90220", "brand")]
    child = s.world.offer(SELLER, DE, "TEE-BM")
    parent = s.world.offer(SELLER, DE, "TEE")
    assert child is not None and parent is not None
    assert s.world.products[child.asin].parent_asin == parent.asin
    assert s.world.offer(SELLER, DE, "NEW-1") is None


async def test_the_connectors_price_patches_set_and_remove_the_business_price() -> None:
    s = make_sim()
    start = datetime(2026, 3, 1, tzinfo=UTC)
    update = PriceUpdate(sku="MUG-1", marketplace_id=DE, currency="EUR", price=Decimal("14.90"),
                         sale=SalePrice(amount=Decimal("12.90"), start=start, end=start + timedelta(days=2)),
                         business_price=Decimal("13.50"))

    async def patch(patches: list[dict[str, Any]]) -> dict[str, Any]:
        r = await s.client.patch(f"{URL}/MUG-1", params={"marketplaceIds": DE}, headers=s.h(),
                                 json={"productType": "KITCHEN", "patches": patches})
        result: dict[str, Any] = r.json()
        return result

    async with s.client:
        assert (await patch(price_patches(update)))["status"] == "ACCEPTED"
        offer = s.world.offer(SELLER, DE, "MUG-1")
        assert offer is not None and (offer.price, offer.business_price) == (Decimal("14.90"), Decimal("13.50"))
        removal = PriceUpdate(sku="MUG-1", marketplace_id=DE, currency="EUR", price=Decimal("14.90"),
                              remove_business_price=True)
        assert (await patch(price_patches(removal)))["status"] == "ACCEPTED"
        assert offer.business_price is None and offer.price == Decimal("14.90")
        r = await s.client.get(f"{URL}/MUG-1", headers=s.h(), params={"marketplaceIds": DE})
        assert r.json()["summaries"][0]["status"] == ["BUYABLE", "DISCOVERABLE"]  # the price stays
        dollars = PriceUpdate(sku="MUG-1", marketplace_id=DE, currency="USD", price=Decimal("15.00"))
        body = await patch(price_patches(dollars))
        assert body["status"] == "INVALID" and offer.price == Decimal("14.90")
