"""Catalog Items API 2022-04-01: searchCatalogItems by identifiers (ASIN, EAN, UPC, GTIN) and
getCatalogItem, over the world's products (identifiers: catalog.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from starlette.responses import Response

from .catalog import normalise, valid_gs1
from .context import CallContext, operation
from .errors import invalid_input, not_found
from .publishing import publisher
from .selling import csv_param, services

__all__ = ["router"]

router = APIRouter()
_BASE = "/catalog/2022-04-01/items"
_INCLUDED = ("attributes", "classifications", "dimensions", "identifiers", "images", "productTypes",
             "relationships", "salesRanks", "summaries", "vendorDetails")
_ID_TYPES = ("ASIN", "EAN", "GTIN", "UPC")
_MAX_IDENTIFIERS = 20


def _mids(ctx: CallContext) -> list[str]:
    mids = csv_param(ctx.query, "marketplaceIds")
    if not mids:
        raise invalid_input("marketplaceIds", "is required")
    return mids


def _included(ctx: CallContext) -> set[str]:
    inc = csv_param(ctx.query, "includedData") or ["summaries"]
    for name in inc:
        if name not in _INCLUDED:
            raise invalid_input("includedData", f"value {name} is not one of {', '.join(_INCLUDED)}")
    return set(inc)


@router.get(_BASE)
async def search_catalog_items(
        ctx: CallContext = Depends(operation("catalogItems_2022-04-01:searchCatalogItems")),
) -> Response:
    mids = _mids(ctx)
    included = _included(ctx)
    identifiers = csv_param(ctx.query, "identifiers")
    if not identifiers:
        raise invalid_input("identifiers", "is required: the simulator searches by identifier only")
    if len(identifiers) > _MAX_IDENTIFIERS:
        raise invalid_input("identifiers", f"accepts at most {_MAX_IDENTIFIERS} values")
    id_type = ctx.query.get("identifiersType")
    if id_type not in _ID_TYPES:
        raise invalid_input("identifiersType", f"must be one of {', '.join(_ID_TYPES)} here")
    catalog = publisher(services(ctx.world)).catalog
    asins: list[str] = []
    for code in identifiers:
        if id_type == "ASIN":
            asin = code if code in ctx.world.products else None
        elif not valid_gs1(code) or (id_type == "UPC" and len(code) != 12):
            asin = None
        else:
            asin = catalog.find(normalise(code))
        if asin and asin not in asins:
            asins.append(asin)
    items: list[dict[str, Any]] = [catalog.item_json(ctx.world.products[a], mids, included) for a in asins]
    return ctx.ok({"numberOfResults": len(items), "items": items})


@router.get(_BASE + "/{asin}")
async def get_catalog_item(
        asin: str,
        ctx: CallContext = Depends(operation("catalogItems_2022-04-01:getCatalogItem")),
) -> Response:
    mids = _mids(ctx)
    product = ctx.world.products.get(asin)
    if product is None:
        raise not_found(f"Requested item '{asin}' not found in marketplace {','.join(mids)}")
    return ctx.ok(publisher(services(ctx.world)).catalog.item_json(product, mids, _included(ctx)))
