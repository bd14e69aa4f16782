"""Reports API 2021-06-30: createReport, getReports, getReport, cancelReport, getReportDocument.

Report types: GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL, ..._BY_ORDER_DATE_GENERAL,
GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA, GET_MERCHANT_LISTINGS_ALL_DATA (see ``selling``).
Schedules are not simulated.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from .clock import iso, parse_iso
from .context import CallContext, Simulator, operation
from .errors import invalid_input
from .routes_processing import cancelled, check_marketplaces, document, json_body, listing, refusals
from .selling import csv_param, services
from .selling import install as _install

__all__ = ["install", "router"]

router = APIRouter()
_BASE = "/reports/2021-06-30"


def install(sim: Simulator) -> None:
    _install(sim)


@router.post(_BASE + "/reports")
async def create_report(
        ctx: CallContext = Depends(operation("reports_2021-06-30:createReport")),
) -> Response:
    svc = services(ctx.world)
    body = await json_body(ctx.request)
    check_marketplaces(ctx, body)
    with refusals():
        report = svc.reports.create_report(ctx.seller_id, body, parse_iso)
    return ctx.ok({"reportId": report.report_id}, status=202)


@router.get(_BASE + "/reports")
async def get_reports(
        ctx: CallContext = Depends(operation("reports_2021-06-30:getReports")),
) -> Response:
    svc = services(ctx.world)
    q = ctx.query
    try:
        page_size = int(q.get("pageSize", "10"))
        since = parse_iso(q["createdSince"]) if "createdSince" in q else None
        until = parse_iso(q["createdUntil"]) if "createdUntil" in q else None
    except ValueError as exc:
        raise invalid_input("request", f"has an invalid value: {exc}") from exc
    with refusals():
        reports, token = svc.reports.list_reports(
            ctx.seller_id, report_types=csv_param(q, "reportTypes"),
            statuses=csv_param(q, "processingStatuses"),
            marketplace_ids=csv_param(q, "marketplaceIds"), page_size=page_size,
            created_since=since, created_until=until, next_token=q.get("nextToken"))
    return listing(ctx, "reports", [r.to_json(iso) for r in reports], token)


@router.get(_BASE + "/reports/{reportId}")
async def get_report(
        reportId: str,
        ctx: CallContext = Depends(operation("reports_2021-06-30:getReport")),
) -> Response:
    svc = services(ctx.world)
    with refusals():
        report = svc.reports.get_report(ctx.seller_id, reportId)
    return ctx.ok(report.to_json(iso))


@router.delete(_BASE + "/reports/{reportId}")
async def cancel_report(
        reportId: str,
        ctx: CallContext = Depends(operation("reports_2021-06-30:cancelReport")),
) -> Response:
    svc = services(ctx.world)
    with refusals():
        svc.reports.cancel_report(ctx.seller_id, reportId)
    return cancelled(ctx)


@router.get(_BASE + "/documents/{reportDocumentId}")
async def get_report_document(
        reportDocumentId: str,
        ctx: CallContext = Depends(operation("reports_2021-06-30:getReportDocument")),
) -> Response:
    svc = services(ctx.world)
    with refusals():
        doc_id, compression = svc.reports.get_document(ctx.seller_id, reportDocumentId)
    return document(ctx, "reportDocumentId", doc_id, compression)
