"""FBA Inventory API v1: getInventorySummaries (details, sellerSkus, startDateTime, nextToken)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from starlette.responses import Response

from .clock import iso, parse_iso
from .context import CallContext, Simulator, operation
from .errors import json_response
from .fba_inventory import FbaInventoryError, summary_json
from .selling import csv_param, services
from .selling import install as _install

__all__ = ["install", "router"]

router = APIRouter()


def install(sim: Simulator) -> None:
    _install(sim)


def _error(exc: FbaInventoryError) -> Response:
    return json_response(exc.status, exc.body())


@router.get("/fba/inventory/v1/summaries")
async def get_inventory_summaries(
        ctx: CallContext = Depends(operation("fbaInventory:getInventorySummaries")),
) -> Response:
    q = ctx.query
    svc = services(ctx.world)
    mids = csv_param(q, "marketplaceIds")
    for mid in mids:
        if ctx.seller is None or mid not in ctx.seller.marketplace_ids:
            return _error(FbaInventoryError(400, "InvalidInput",
                                            f"marketplaceIds contains {mid}, where the seller "
                                            "does not sell"))
    details = str(q.get("details", "false")).lower() == "true"
    try:
        start = parse_iso(q["startDateTime"]) if "startDateTime" in q else None
    except ValueError:
        return _error(FbaInventoryError(400, "InvalidInput",
                                        "startDateTime is not an ISO 8601 date-time"))
    try:
        rows, details, token = svc.fba.query(
            ctx.seller_id, granularity_type=q.get("granularityType"),
            granularity_id=q.get("granularityId"), marketplace_ids=mids, details=details,
            start=start, seller_skus=csv_param(q, "sellerSkus"), seller_sku=q.get("sellerSku"),
            next_token=q.get("nextToken"))
    except FbaInventoryError as exc:
        return _error(exc)
    body: dict[str, Any] = {
        "payload": {
            "granularity": {"granularityType": "Marketplace", "granularityId": mids[0]},
            "inventorySummaries": [summary_json(r, details=details, iso=iso) for r in rows],
        }
    }
    if token:
        body["pagination"] = {"nextToken": token}
    return ctx.ok(body)
