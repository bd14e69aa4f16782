"""Listings Items API 2021-08-01: getListingsItem, patchListingsItem, searchListingsItems."""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

from fastapi import APIRouter, Depends
from starlette.responses import Response

from .context import CallContext, Simulator, operation
from .errors import SpApiError, invalid_input, not_found
from .listings import Issue, interpret_patches
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
    _install(sim)


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


@router.patch(_BASE + "/{sku}")
async def patch_listings_item(
        sellerId: str, sku: str,
        ctx: CallContext = Depends(operation("listingsItems_2021-08-01:patchListingsItem")),
) -> Response:
    _check_seller(ctx, sellerId)
    mids = _marketplaces(ctx)
    included = _included(ctx, ("identifiers", "issues"), ["issues"])
    mode = ctx.query.get("mode")
    if mode not in (None, "VALIDATION_PREVIEW"):
        raise invalid_input("mode", "must be VALIDATION_PREVIEW when given")
    try:
        body: Any = await ctx.request.json()
    except ValueError as exc:
        raise invalid_input("body", "is not valid JSON") from exc
    if not isinstance(body, dict) or not isinstance(body.get("productType"), str) \
            or not isinstance(body.get("patches"), list) or not body["patches"]:
        raise invalid_input("body", "must have productType and at least one patch")
    svc = services(ctx.world)
    currency = ctx.world.offer(ctx.seller_id, mids[0], sku)
    change, issues = interpret_patches(body["patches"],
                                       currency=currency.currency if currency else None)
    if not issues:
        if mode == "VALIDATION_PREVIEW":  # checked, not applied
            if len(_live_offers(ctx, sku, mids)) < len(mids):
                issues = [_missing(sku, mids)]
        else:
            issues = svc.apply(seller_id=ctx.seller_id, sku=sku, marketplace_ids=mids,
                               operation="PATCH", change=change)
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
