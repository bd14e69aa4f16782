"""Route pieces the Feeds and Reports APIs share (not a router): error translation, the JSON
body, the marketplace check on create, and the list / cancel / document answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request
from starlette.responses import Response

from .context import CallContext
from .documents import DocumentStore
from .errors import EngineError, SpApiError, invalid_input

__all__ = ["cancelled", "check_marketplaces", "document", "engine_error", "json_body", "listing",
           "refusals"]


def engine_error(exc: EngineError) -> SpApiError:
    return SpApiError(exc.status, exc.code, exc.message)


@contextmanager
def refusals() -> Iterator[None]:
    """An engine's refusal becomes Amazon's error response (``engine_error``), chained."""
    try:
        yield
    except EngineError as exc:
        raise engine_error(exc) from exc


async def json_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError as exc:
        raise invalid_input("body", "is not valid JSON") from exc


def check_marketplaces(ctx: CallContext, body: Any) -> None:
    """A feed or report may only name marketplaces the seller sells in."""
    if isinstance(body, dict):
        for mid in body.get("marketplaceIds") or []:
            if ctx.seller is None or mid not in ctx.seller.marketplace_ids:
                raise invalid_input("marketplaceIds", f"contains {mid}, where the seller does not sell")


def listing(ctx: CallContext, key: str, items: list[dict[str, Any]], token: str | None) -> Response:
    """getFeeds / getReports: ``{key: [...], "nextToken"?}``."""
    body: dict[str, Any] = {key: items}
    if token:
        body["nextToken"] = token
    return ctx.ok(body)


def cancelled(ctx: CallContext) -> Response:
    """cancelFeed / cancelReport: 200, no body."""
    return Response(status_code=200, headers={
        "x-amzn-RateLimit-Limit": ctx.sim.limiter.header(ctx.operation)})


def document(ctx: CallContext, id_key: str, document_id: str,
             compression: str | None) -> Response:
    """getFeedDocument / getReportDocument: the id, a download URL and the compression if any."""
    body: dict[str, Any] = {id_key: document_id,
                            "url": DocumentStore.url(str(ctx.request.base_url), document_id)}
    if compression:
        body["compressionAlgorithm"] = compression
    return ctx.ok(body)
