"""Finances API v0: listFinancialEventGroups, listFinancialEventsByGroupId; and the money's ground
truth at ``GET /_sim/finances`` (``?sellerId=``: per group, totals by kind and per order, its
settlement reports and the line spoiled in the first one if any); ``POST /_sim/finances/republish``
``{"settlementId"}`` publishes a settlement's report again, correct.

The engine (``finances.FinanceEngine``) is bound to the world when the app is created, so every
shipment is seen; closed groups publish their settlement report V2 through the Reports engine
(listed by getReports, downloaded with getReportDocument).
"""

from __future__ import annotations

import weakref

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from .context import CallContext, Simulator, operation, simulator_of
from .errors import invalid_input, json_response
from .finances import (
    SETTLEMENT_REPORT_TYPE,
    FinanceEngine,
    FinanceSettings,
    Group,
    events_json,
    group_json,
)
from .routes_processing import refusals
from .selling import install as _install_selling
from .selling import services
from .world import World

__all__ = ["attach", "finances", "install", "router"]

router = APIRouter()
_BASE = "/finances/v0"
_ENGINES: weakref.WeakKeyDictionary[World, FinanceEngine] = weakref.WeakKeyDictionary()


def attach(world: World, settings: FinanceSettings | None = None) -> FinanceEngine:
    """Create (or replace) the money engine of ``world``; settlement reports go to its Reports
    engine."""
    old = _ENGINES.get(world)
    if old is not None and old.on_event in world.listeners:
        world.listeners.remove(old.on_event)
    svc = services(world)

    def publish(group: Group, content: bytes) -> str:
        report = svc.reports.publish(
            seller_id=group.seller_id, report_type=SETTLEMENT_REPORT_TYPE,
            marketplace_ids=[group.marketplace_id], data_start=group.start, data_end=group.end,
            content=content, at=group.end)
        return report.report_id

    engine = FinanceEngine(world, settings, publish_report=publish)
    _ENGINES[world] = engine
    return engine


def finances(world: World) -> FinanceEngine:
    """The money engine of ``world`` (defaults attached on first use)."""
    engine = _ENGINES.get(world)
    return engine if engine is not None else attach(world)


def install(sim: Simulator) -> None:
    _install_selling(sim)
    engine = _ENGINES.get(sim.world)
    if engine is None:
        settings = getattr(sim.scenario, "finances", None)
        engine = attach(sim.world, settings if isinstance(settings, FinanceSettings) else None)
    sim.extensions["finances"] = engine


def _page_size(ctx: CallContext, default: int) -> int:
    try:
        return int(ctx.query.get("MaxResultsPerPage", default))
    except ValueError as exc:
        raise invalid_input("MaxResultsPerPage", "must be an integer") from exc


@router.get(_BASE + "/financialEventGroups")
async def list_financial_event_groups(
        ctx: CallContext = Depends(operation("financesV0:listFinancialEventGroups")),
) -> Response:
    engine = finances(ctx.world)
    with refusals():
        groups, token = engine.list_groups(
            ctx.seller_id, started_after=ctx.query_time("FinancialEventGroupStartedAfter"),
            started_before=ctx.query_time("FinancialEventGroupStartedBefore"),
            page_size=_page_size(ctx, 10), next_token=ctx.query.get("NextToken"))
    payload: dict[str, object] = {"FinancialEventGroupList": [group_json(g) for g in groups]}
    if token:
        payload["NextToken"] = token
    return ctx.ok({"payload": payload})


@router.get(_BASE + "/financialEventGroups/{eventGroupId}/financialEvents")
async def list_financial_events_by_group_id(
        eventGroupId: str,
        ctx: CallContext = Depends(operation("financesV0:listFinancialEventsByGroupId")),
) -> Response:
    engine = finances(ctx.world)
    with refusals():
        events, token = engine.list_events(
            ctx.seller_id, eventGroupId, posted_after=ctx.query_time("PostedAfter"),
            posted_before=ctx.query_time("PostedBefore"), page_size=_page_size(ctx, 100),
            next_token=ctx.query.get("NextToken"))
    payload: dict[str, object] = {"FinancialEvents": events_json(events)}
    if token:
        payload["NextToken"] = token
    return ctx.ok({"payload": payload})


@router.post("/_sim/finances/republish")
async def republish_settlement(request: Request) -> Response:
    """``{"settlementId": "..."}``: the settlement's report published again, correct."""
    sim = simulator_of(request)
    try:
        body = await request.json()
        settlement_id = str(body["settlementId"])
    except (ValueError, KeyError, TypeError) as exc:
        raise invalid_input("settlementId", "is required") from exc
    sim.world.sync()
    with refusals():
        group = finances(sim.world).republish(settlement_id)
    return json_response(200, {"settlementId": settlement_id, "reportId": group.report_id})


@router.get("/_sim/finances")
async def finance_truth(request: Request) -> Response:
    sim = simulator_of(request)
    sim.world.sync()
    seller = request.query_params.get("sellerId")
    groups = finances(sim.world).truth(seller)
    return json_response(200, {"groups": [g.as_json() for g in groups]})
