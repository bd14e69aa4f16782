"""Feeds API 2021-06-30 and the document URLs (``/_documents/{id}``) feeds and reports use.

createFeedDocument returns an upload URL served here (``PUT``, any content type, as S3 takes
it); getFeedDocument / getReportDocument return a download URL served here (``GET``).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from .clock import iso
from .context import CallContext, Simulator, operation, simulator_of
from .documents import DOCUMENT_PATH, DocumentStore
from .errors import SpApiError, invalid_input
from .routes_processing import cancelled, check_marketplaces, document, json_body, listing, refusals
from .selling import csv_param, services
from .selling import install as _install

__all__ = ["install", "router"]

router = APIRouter()
_BASE = "/feeds/2021-06-30"


def install(sim: Simulator) -> None:
    _install(sim)


@router.post(_BASE + "/documents")
async def create_feed_document(
        ctx: CallContext = Depends(operation("feeds_2021-06-30:createFeedDocument")),
) -> Response:
    svc = services(ctx.world)
    with refusals():
        doc_id = svc.feeds.create_feed_document(await json_body(ctx.request))
    return ctx.ok({"feedDocumentId": doc_id,
                   "url": DocumentStore.url(str(ctx.request.base_url), doc_id)}, status=201)


@router.get(_BASE + "/documents/{feedDocumentId}")
async def get_feed_document(
        feedDocumentId: str,
        ctx: CallContext = Depends(operation("feeds_2021-06-30:getFeedDocument")),
) -> Response:
    svc = services(ctx.world)
    svc.tick()
    doc = svc.documents.get(feedDocumentId)
    owned = any(f.seller_id == ctx.seller_id and feedDocumentId in (f.input_document_id,
                                                                     f.result_document_id)
                for f in svc.feeds.feeds.values())
    if doc is None or not owned:
        raise SpApiError(404, "NotFound", f"Feed document {feedDocumentId} not found")
    return document(ctx, "feedDocumentId", doc.document_id, doc.compression)


@router.post(_BASE + "/feeds")
async def create_feed(
        ctx: CallContext = Depends(operation("feeds_2021-06-30:createFeed")),
) -> Response:
    svc = services(ctx.world)
    body = await json_body(ctx.request)
    check_marketplaces(ctx, body)
    with refusals():
        feed = svc.feeds.create_feed(ctx.seller_id, body)
    return ctx.ok({"feedId": feed.feed_id}, status=202)


@router.get(_BASE + "/feeds")
async def get_feeds(
        ctx: CallContext = Depends(operation("feeds_2021-06-30:getFeeds")),
) -> Response:
    svc = services(ctx.world)
    q = ctx.query
    try:
        page_size = int(q.get("pageSize", "10"))
    except ValueError as exc:
        raise invalid_input("pageSize", "must be an integer") from exc
    with refusals():
        feeds, token = svc.feeds.list_feeds(
            ctx.seller_id, feed_types=csv_param(q, "feedTypes"),
            marketplace_ids=csv_param(q, "marketplaceIds"),
            statuses=csv_param(q, "processingStatuses"), created_since=ctx.query_time("createdSince"),
            created_until=ctx.query_time("createdUntil"), page_size=page_size,
            next_token=q.get("nextToken"))
    return listing(ctx, "feeds", [f.to_json(iso) for f in feeds], token)


@router.get(_BASE + "/feeds/{feedId}")
async def get_feed(
        feedId: str,
        ctx: CallContext = Depends(operation("feeds_2021-06-30:getFeed")),
) -> Response:
    svc = services(ctx.world)
    with refusals():
        feed = svc.feeds.get_feed(ctx.seller_id, feedId)
    return ctx.ok(feed.to_json(iso))


@router.delete(_BASE + "/feeds/{feedId}")
async def cancel_feed(
        feedId: str,
        ctx: CallContext = Depends(operation("feeds_2021-06-30:cancelFeed")),
) -> Response:
    svc = services(ctx.world)
    with refusals():
        svc.feeds.cancel_feed(ctx.seller_id, feedId)
    return cancelled(ctx)


# --------------------------------------------------------------------------- document URLs
# Not SP-API: stand-ins for S3's pre-signed URLs (no access token, as with S3).


@router.put(DOCUMENT_PATH + "/{documentId}")
async def upload_document(documentId: str, request: Request) -> Response:
    svc = services(simulator_of(request).world)
    doc = svc.documents.get(documentId)
    if doc is None or doc.content is not None or not documentId.startswith(
            "amzn1.tortuga.4.sim.FEED."):
        return Response(status_code=403, content=b"<Error><Code>AccessDenied</Code></Error>",
                        media_type="application/xml")
    compressed = request.headers.get("content-encoding", "").lower() == "gzip" or None
    svc.documents.put(documentId, await request.body(), compressed=compressed)
    return Response(status_code=200)


@router.get(DOCUMENT_PATH + "/{documentId}")
async def download_document(documentId: str, request: Request) -> Response:
    svc = services(simulator_of(request).world)
    svc.tick()
    doc = svc.documents.get(documentId)
    if doc is None or doc.content is None:
        return Response(status_code=404, content=b"<Error><Code>NoSuchKey</Code></Error>",
                        media_type="application/xml")
    return Response(content=doc.content, media_type=doc.content_type)
