"""Product Type Definitions API 2020-09-01: searchDefinitionsProductTypes,
getDefinitionsProductType, and the schema documents they link to.

As Amazon does, the definition links its JSON Schema (``schema.link.resource``, a presigned S3
URL there) with a checksum; here the link is ``/_sim/definitions/schemas/...`` on the simulator,
served without authentication like a presigned URL.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from amazon_odoo_sync.marketplaces import by_id, language_tag

from .context import CallContext, operation
from .errors import invalid_input, json_response, not_found
from .product_types import META_SCHEMA_ID, PRODUCT_TYPES, REQUIREMENTS, checksum, product_type_schema
from .selling import csv_param

__all__ = ["router"]

router = APIRouter()
_BASE = "/definitions/2020-09-01/productTypes"
_VERSION = "SIM-2026-1"
_SCHEMAS = "/_sim/definitions/schemas"


def _marketplace(ctx: CallContext) -> str:
    mids = csv_param(ctx.query, "marketplaceIds")
    if len(mids) != 1:
        raise invalid_input("marketplaceIds", "must name exactly one marketplace")
    try:
        by_id(mids[0])
    except KeyError as exc:
        raise invalid_input("marketplaceIds", f"contains {mids[0]}, which is not a marketplace") from exc
    return mids[0]


@router.get(_BASE)
async def search_definitions_product_types(
        ctx: CallContext = Depends(operation(
            "definitionsProductTypes_2020-09-01:searchDefinitionsProductTypes", grantless=True)),
) -> Response:
    mids = csv_param(ctx.query, "marketplaceIds")
    if not mids:
        raise invalid_input("marketplaceIds", "is required")
    words = [w.lower() for w in csv_param(ctx.query, "keywords")]
    item_name = (ctx.query.get("itemName") or "").lower()
    if words and item_name:
        raise invalid_input("keywords", "cannot be used with itemName")
    found = [{"name": name, "displayName": display, "marketplaceIds": mids}
             for name, display in PRODUCT_TYPES.items()
             if (not words or any(w in name.lower() or w in display.lower() for w in words))
             and (not item_name or name.lower() in item_name or display.lower() in item_name)]
    return ctx.ok({"productTypes": found, "productTypeVersion": _VERSION})


@router.get(_BASE + "/{productType}")
async def get_definitions_product_type(
        productType: str,
        ctx: CallContext = Depends(operation(
            "definitionsProductTypes_2020-09-01:getDefinitionsProductType", grantless=True)),
) -> Response:
    mid = _marketplace(ctx)
    if productType not in PRODUCT_TYPES:
        raise not_found(f"Product type {productType} is not available in marketplace {mid}")
    requirements = ctx.query.get("requirements") or "LISTING"
    if requirements not in REQUIREMENTS:
        raise invalid_input("requirements", f"must be one of {', '.join(REQUIREMENTS)}")
    enforced = ctx.query.get("requirementsEnforced") or "ENFORCED"
    if enforced not in ("ENFORCED", "NOT_ENFORCED"):
        raise invalid_input("requirementsEnforced", "must be ENFORCED or NOT_ENFORCED")
    schema = product_type_schema(productType, mid, requirements=requirements,
                                 enforced=enforced == "ENFORCED")
    base = str(ctx.request.base_url).rstrip("/")
    link = (f"{base}{_SCHEMAS}/{productType}?marketplaceId={mid}&requirements={requirements}"
            f"&requirementsEnforced={enforced}")
    display = PRODUCT_TYPES[productType]
    names = list(schema["properties"])
    body: dict[str, Any] = {
        "metaSchema": {"link": {"resource": f"{base}{_SCHEMAS}/meta-schema", "verb": "GET"},
                       "checksum": checksum({"$id": META_SCHEMA_ID})},
        "schema": {"link": {"resource": link, "verb": "GET"}, "checksum": checksum(schema)},
        "requirements": requirements,
        "requirementsEnforced": enforced,
        "propertyGroups": {
            "offer": {"title": "Offer", "description": "What the buyer pays and how it is shipped",
                      "propertyNames": [n for n in names if n in (
                          "condition_type", "purchasable_offer", "fulfillment_availability",
                          "merchant_suggested_asin")]},
            "product_identity": {"title": "Product Identity", "description": "Identify the product",
                                 "propertyNames": [n for n in names if n not in (
                                     "condition_type", "purchasable_offer", "fulfillment_availability",
                                     "merchant_suggested_asin")]},
        },
        "locale": language_tag(mid),
        "marketplaceIds": [mid],
        "productType": productType,
        "displayName": display,
        "productTypeVersion": {"version": _VERSION, "latest": True, "releaseCandidate": False},
    }
    return ctx.ok(body)


@router.get(_SCHEMAS + "/meta-schema")
async def meta_schema() -> Response:
    """A stand-in for Amazon's meta-schema document: its id and the 2019-09 base it extends."""
    return json_response(200, {"$schema": "https://json-schema.org/draft/2019-09/schema",
                               "$id": META_SCHEMA_ID, "$comment": "Simulator stand-in"})


@router.get(_SCHEMAS + "/{productType}")
async def schema_document(productType: str, request: Request) -> Response:
    q = request.query_params
    mid = q.get("marketplaceId") or ""
    try:
        by_id(mid)
    except KeyError:
        return json_response(404, {"errors": [{"code": "NotFound", "message": "no such schema"}]})
    if productType not in PRODUCT_TYPES or q.get("requirements", "LISTING") not in REQUIREMENTS:
        return json_response(404, {"errors": [{"code": "NotFound", "message": "no such schema"}]})
    return json_response(200, product_type_schema(
        productType, mid, requirements=q.get("requirements", "LISTING"),
        enforced=q.get("requirementsEnforced", "ENFORCED") == "ENFORCED"))
