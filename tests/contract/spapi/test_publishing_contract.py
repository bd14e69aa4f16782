"""Product Type Definitions, Catalog Items and putListingsItem answers of the simulator, and the
listings notifications it sends, validate against Amazon's models and schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from amazon_odoo_sync.sandbox.spapi.catalog import derived_ean
from tests.contract.spapi.schema import MODELS_DIR, validate_request_body, validate_response
from tests.unit.sim_selling_fixtures import DE, SELLER, make_sim
from tests.unit.test_sim_publishing import mug_attributes, published, subscribe

pytestmark = pytest.mark.contract
D = "definitionsProductTypes_2020-09-01.json"
C = "catalogItems_2022-04-01.json"
L = "listingsItems_2021-08-01.json"
URL = f"/listings/2021-08-01/items/{SELLER}"
STATUS_SCHEMA = MODELS_DIR.parent / "schemas" / "notifications" / "ListingsItemStatusChangeNotification.json"


def _status_schema() -> dict[str, Any]:
    if not Path(STATUS_SCHEMA).is_file():
        pytest.skip(f"{STATUS_SCHEMA} missing: notification schema checks skipped")
    schema: dict[str, Any] = json.loads(STATUS_SCHEMA.read_text())
    return schema


async def test_definitions_match_model() -> None:
    s = make_sim()
    async with s.client:
        r = await s.client.get("/definitions/2020-09-01/productTypes", headers=s.h(),
                               params={"marketplaceIds": DE})
        validate_response(D, "searchDefinitionsProductTypes", r.json())
        for pt in ("PRODUCT", "KITCHEN", "SHIRT"):
            for req in ("LISTING", "LISTING_OFFER_ONLY"):
                r = await s.client.get(f"/definitions/2020-09-01/productTypes/{pt}", headers=s.h(),
                                       params={"marketplaceIds": DE, "requirements": req})
                validate_response(D, "getDefinitionsProductType", r.json())
        r = await s.client.get("/definitions/2020-09-01/productTypes/NOPE", headers=s.h(),
                               params={"marketplaceIds": DE})
        validate_response(D, "getDefinitionsProductType", r.json(), status=404)


async def test_catalog_items_match_model() -> None:
    s = make_sim()
    async with s.client:
        everything = "identifiers,summaries,productTypes,relationships"
        r = await s.client.get("/catalog/2022-04-01/items", headers=s.h(), params={
            "marketplaceIds": DE, "identifiers": derived_ean("B000FBM001"), "identifiersType": "EAN",
            "includedData": everything})
        assert r.json()["numberOfResults"] == 1
        validate_response(C, "searchCatalogItems", r.json())
        r = await s.client.get("/catalog/2022-04-01/items/B000FBM001", headers=s.h(),
                               params={"marketplaceIds": DE, "includedData": everything})
        validate_response(C, "getCatalogItem", r.json())
        r = await s.client.get("/catalog/2022-04-01/items/B0NOTTHERE", headers=s.h(), params={"marketplaceIds": DE})
        validate_response(C, "getCatalogItem", r.json(), status=404)


async def test_put_listings_item_and_issues_match_model() -> None:
    s = make_sim()
    subscribe(s, "LISTINGS_ITEM_STATUS_CHANGE", "LISTINGS_ITEM_ISSUES_CHANGE")
    async with s.client:
        for attrs, mode in ((mug_attributes(brand=None), None), (mug_attributes(), "VALIDATION_PREVIEW"),
                            (mug_attributes(), None)):
            body = {"productType": "KITCHEN", "requirements": "LISTING", "attributes": attrs}
            validate_request_body(L, "putListingsItem", body)
            params = {"marketplaceIds": DE, "includedData": "issues,identifiers", **({"mode": mode} if mode else {})}
            r = await s.client.put(f"{URL}/NEW-1", params=params, headers=s.h(), json=body)
            validate_response(L, "putListingsItem", r.json())
        await s.client.post("/_sim/listings/issues", json={"sellerId": SELLER, "marketplaceId": DE, "sku": "NEW-1",
                                                           "attributeNames": ["main_product_image_locator"]})
        r = await s.client.get(f"{URL}/NEW-1", headers=s.h(), params={"marketplaceIds": DE,
                                                                       "includedData": "summaries,issues,offers"})
        assert r.json()["issues"]
        validate_response(L, "getListingsItem", r.json())
    schema = _status_schema()
    schema["properties"]["NotificationType"]["enum"].append("LISTINGS_ITEM_STATUS_CHANGE")  # see notifications test
    statuses = [n for n in s.svc.hub.published if n["NotificationType"] == "LISTINGS_ITEM_STATUS_CHANGE"]
    assert statuses
    for n in statuses:
        jsonschema.validate(n, schema)
    # Amazon's LISTINGS_ITEM_ISSUES_CHANGE schema is not among the shared models: its documented
    # shape (payload version 1.0) is checked field by field.
    assert published(s, "LISTINGS_ITEM_ISSUES_CHANGE")
    for payload in published(s, "LISTINGS_ITEM_ISSUES_CHANGE"):
        assert {"SellerId", "MarketplaceId", "Sku", "Severities", "EnforcementActions"} <= set(payload)
        assert set(payload) <= {"SellerId", "MarketplaceId", "Asin", "Sku", "Severities", "EnforcementActions"}
        assert all(s in ("ERROR", "WARNING", "INFO") for s in payload["Severities"])
