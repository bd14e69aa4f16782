"""Listings Items API 2021-08-01: getListingsItem, putListingsItem, patchListingsItem,
searchListingsItems; and ``POST /_sim/listings/issues`` (an issue Amazon finds on a listing, e.g.
a suppression: ``{"sellerId", "marketplaceId", "sku", "code", "message", "severity",
"attributeNames", "enforcementActions"}``).

putListingsItem and patchListingsItem validate against the product type (publishing.py): a patch
checks only the attributes it names that the product type defines (Amazon's partial validation).
"""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from .context import CallContext, Simulator, operation, simulator_of
from .errors import SpApiError, invalid_input, json_response, not_found
from .listings import Issue, interpret_patches
from .product_types import PRODUCT_TYPES
from .publishing import publisher
from .selling import csv_param, services
from .selling import install as _install
from .world import Offer

__all__ = ["install", "router"]

router = APIRouter()
_BASE = "/listings/2021-08-01/items/{sellerId}"
_INCLUDED = ("summaries", "attributes", "issues", "offers", "fulfillmentAvailability",
             "procurement", "relationships", "productTypes")
_submissions = itertools.count(1)


def install(sim: Simulator) -> None:
    publisher(_install(sim))  # feeds create listings through it from the first feed on


def _check_seller(ctx: CallContext, seller_id: str) -> None:
    if seller_id != ctx.seller_id:
        raise SpApiError(403, "Unauthorized", "Access to requested resource is denied.",
                         f"sellerId {seller_id} is not the seller this token was issued for")


def _marketplaces(ctx: CallContext) -> list[str]:
    mids = csv_param(ctx.query, "marketplaceIds")
    if not mids:
        raise invalid_input("marketplaceIds", "is required")
    for mid in mids:
        if ctx.seller is None or mid not in ctx.seller.marketplace_ids:
            raise invalid_input("marketplaceIds", f"contains {mid}, where the seller does not sell")
    return mids


def _included(ctx: CallContext, allowed: tuple[str, ...], default: list[str]) -> list[str]:
    inc = csv_param(ctx.query, "includedData") or default
    for name in inc:
        if name not in allowed:
            raise invalid_input("includedData", f"value {name} is not one of {', '.join(allowed)}")
    return inc


def _live_offers(ctx: CallContext, sku: str, mids: list[str]) -> list[Offer]:
    offers = [o for o in (ctx.world.offer(ctx.seller_id, m, sku) for m in mids)
              if o is not None and o.status != "DELETED"]
    return offers


@router.get(_BASE + "/{sku}")
async def get_listings_item(
        sellerId: str, sku: str,
        ctx: CallContext = Depends(operation("listingsItems_2021-08-01:getListingsItem")),
) -> Response:
    _check_seller(ctx, sellerId)
    mids = _marketplaces(ctx)
    included = _included(ctx, _INCLUDED, ["summaries"])
    svc = services(ctx.world)
    offers = _live_offers(ctx, sku, mids)
    if not offers:
        raise not_found(f"SKU '{sku}' not found in marketplace {','.join(mids)}")
    return ctx.ok(svc.item_json(offers, included))


async def _submission(ctx: CallContext, seller_id: str) -> tuple[list[str], list[str], str | None, Any]:
    """What a put or a patch gives: its marketplaces, the data to include, the mode, the JSON body."""
    _check_seller(ctx, seller_id)
    mids = _marketplaces(ctx)
    included = _included(ctx, ("identifiers", "issues"), ["issues"])
    mode = ctx.query.get("mode")
    if mode not in (None, "VALIDATION_PREVIEW"):
        raise invalid_input("mode", "must be VALIDATION_PREVIEW when given")
    try:
        body: Any = await ctx.request.json()
    except ValueError as exc:
        raise invalid_input("body", "is not valid JSON") from exc
    return mids, included, mode, body


@router.patch(_BASE + "/{sku}")
async def patch_listings_item(
        sellerId: str, sku: str,
        ctx: CallContext = Depends(operation("listingsItems_2021-08-01:patchListingsItem")),
) -> Response:
    mids, included, mode, body = await _submission(ctx, sellerId)
    if not isinstance(body, dict) or not isinstance(body.get("productType"), str) \
            or not isinstance(body.get("patches"), list) or not body["patches"]:
        raise invalid_input("body", "must have productType and at least one patch")
    svc = services(ctx.world)
    currency = ctx.world.offer(ctx.seller_id, mids[0], sku)
    change, issues = interpret_patches(body["patches"],
                                       currency=currency.currency if currency else None)
    named = {p["path"][12:] for p in body["patches"] if isinstance(p, dict)
             and isinstance(p.get("path"), str) and p["path"].startswith("/attributes/")}
    if not issues and body["productType"] in PRODUCT_TYPES:
        given = {p["path"][12:]: p["value"] for p in body["patches"]
                 if p.get("op") in ("add", "replace", "merge") and "value" in p}
        issues = publisher(svc).validate(body["productType"], "LISTING", given, mids, partial=True)
    if not issues:
        if mode == "VALIDATION_PREVIEW":  # checked, not applied
            if len(_live_offers(ctx, sku, mids)) < len(mids):
                issues = [_missing(sku, mids)]
        else:
            issues = svc.apply(seller_id=ctx.seller_id, sku=sku, marketplace_ids=mids,
                               operation="PATCH", change=change)
            if not issues:
                for mid in mids:
                    publisher(svc).resolve(ctx.seller_id, mid, sku, named)
    errors = [i for i in issues if i.severity == "ERROR"]
    status = "INVALID" if errors else ("VALID" if mode == "VALIDATION_PREVIEW" else "ACCEPTED")
    result: dict[str, Any] = {"sku": sku, "status": status,
                              "submissionId": f"sim-{next(_submissions):012x}"}
    if "issues" in included:
        result["issues"] = [dict(i.to_json(), marketplaceIds=mids) for i in issues]
    if "identifiers" in included:
        result["identifiers"] = [{"marketplaceId": o.marketplace_id, "asin": o.asin}
                                 for o in _live_offers(ctx, sku, mids)]
    return ctx.ok(result)


@router.put(_BASE + "/{sku}")
async def put_listings_item(
        sellerId: str, sku: str,
        ctx: CallContext = Depends(operation("listingsItems_2021-08-01:putListingsItem")),
) -> Response:
    mids, included, mode, body = await _submission(ctx, sellerId)
    if not isinstance(body, dict) or not isinstance(body.get("productType"), str) \
            or not isinstance(body.get("attributes"), dict):
        raise invalid_input("body", "must have productType and attributes")
    status, issues = publisher(services(ctx.world)).put(
        seller_id=ctx.seller_id, sku=sku, marketplace_ids=mids, body=body,
        preview=mode == "VALIDATION_PREVIEW")
    result: dict[str, Any] = {"sku": sku, "status": status,
                              "submissionId": f"sim-{next(_submissions):012x}"}
    if "issues" in included:
        result["issues"] = [dict(i.to_json(), marketplaceIds=mids) for i in issues]
    if "identifiers" in included and status == "ACCEPTED":
        result["identifiers"] = [{"marketplaceId": o.marketplace_id, "asin": o.asin}
                                 for o in _live_offers(ctx, sku, mids)]
    return ctx.ok(result)


@router.post("/_sim/listings/issues")
async def add_listing_issue(request: Request) -> Response:
    """An issue Amazon found on a listing (suppression and the like)."""
    sim = simulator_of(request)
    body: Any = await request.json()
    if not isinstance(body, dict) or not all(isinstance(body.get(k), str)
                                             for k in ("sellerId", "marketplaceId", "sku")):
        raise invalid_input("body", "needs sellerId, marketplaceId and sku")
    issue = Issue(code=str(body.get("code", "18027")),
                  message=str(body.get("message", "The listing was suppressed.")),
                  severity=str(body.get("severity", "ERROR")),
                  attribute_names=tuple(body.get("attributeNames", ())),
                  categories=tuple(body.get("categories", ("INVALID_ATTRIBUTE",))),
                  enforcement_actions=tuple(body.get("enforcementActions", ("LISTING_SUPPRESSED",))))
    try:
        publisher(services(sim.world)).add_issue(body["sellerId"], body["marketplaceId"], body["sku"], issue)
    except KeyError as exc:
        raise not_found(str(exc)) from exc
    return json_response(200, {"issue": issue.to_json()})


def _missing(sku: str, mids: list[str]) -> Issue:
    return Issue(code="4000003", message=f"The SKU '{sku}' does not exist in marketplace "
                 f"{','.join(mids)}; creating listings is not simulated.",
                 categories=("INVALID_ATTRIBUTE",))


@router.get(_BASE)
async def search_listings_items(
        sellerId: str,
        ctx: CallContext = Depends(operation("listingsItems_2021-08-01:searchListingsItems")),
) -> Response:
    _check_seller(ctx, sellerId)
    mids = _marketplaces(ctx)
    included = _included(ctx, _INCLUDED, ["summaries"])
    q = ctx.query
    try:
        page_size = int(q.get("pageSize", "10"))
    except ValueError as exc:
        raise invalid_input("pageSize", "must be an integer") from exc
    if not 1 <= page_size <= 20:
        raise invalid_input("pageSize", "must be between 1 and 20")
    identifiers = csv_param(q, "identifiers")
    id_type = q.get("identifiersType")
    if identifiers and id_type not in ("SKU", "ASIN"):
        raise invalid_input("identifiersType", "SKU or ASIN is what the simulator supports")
    sort_by = q.get("sortBy", "lastUpdatedDate")
    sort_order = q.get("sortOrder", "DESC")
    svc = services(ctx.world)
    by_sku: dict[str, list[Offer]] = {}
    for mid in mids:
        for o in ctx.world.offers(ctx.seller_id, mid):
            if o.status == "DELETED":
                continue
            if identifiers and (o.sku if id_type == "SKU" else o.asin) not in identifiers:
                continue
            by_sku.setdefault(o.sku, []).append(o)

    def key(offers: list[Offer]) -> Any:
        if sort_by == "sku":
            return offers[0].sku
        if sort_by == "createdDate":
            return (svc.listing(offers[0]).created, offers[0].sku)
        return (max(o.updated or svc.listing(o).created for o in offers), offers[0].sku)

    groups = sorted(by_sku.values(), key=key, reverse=sort_order == "DESC")
    offset = 0
    token = q.get("pageToken")
    if token:
        try:
            offset = int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
        except (ValueError, KeyError, TypeError) as exc:
            raise invalid_input("pageToken", "is invalid") from exc
    page = groups[offset:offset + page_size]
    body: dict[str, Any] = {"numberOfResults": len(groups),
                            "items": [svc.item_json(g, included) for g in page]}
    pagination: dict[str, str] = {}
    if offset + page_size < len(groups):
        pagination["nextToken"] = base64.urlsafe_b64encode(
            json.dumps({"offset": offset + page_size}).encode()).decode()
    if offset > 0:
        pagination["previousToken"] = base64.urlsafe_b64encode(
            json.dumps({"offset": max(0, offset - page_size)}).encode()).decode()
    if pagination:
        body["pagination"] = pagination
    return ctx.ok(body)
