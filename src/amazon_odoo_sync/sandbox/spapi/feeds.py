"""Feeds API of the simulator: feeds move IN_QUEUE → IN_PROGRESS → DONE/FATAL (or CANCELLED).

Time is simulated time: a feed waits ``queue_seconds`` in the queue, then takes
``processing_seconds`` to process (both multiplied by ``slow_factor``, the "slow feed processing"
fault). Nothing runs in the background: :meth:`FeedEngine.tick` moves every feed whose time has
come, and the routes call it before answering, so a test that advances the clock sees the result.

``JSON_LISTINGS_FEED`` is the one feed type processed. Each message is checked on its own; bad
messages get ERROR issues in the processing report (Amazon's listings-feed processing report v2)
and are not applied, good ones are applied through ``applier`` (the same code path as
``patchListingsItem``). A document that is not a listings feed at all makes the feed FATAL, with
a processing report that says why.
"""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from amazon_odoo_sync.sandbox.spapi import processing
from amazon_odoo_sync.sandbox.spapi.documents import DocumentStore, Now
from amazon_odoo_sync.sandbox.spapi.errors import EngineError
from amazon_odoo_sync.sandbox.spapi.listings import (
    Issue,
    ListingChange,
    interpret_attributes,
    interpret_patches,
)

__all__ = [
    "SUPPORTED_FEED_TYPES",
    "Applier",
    "Feed",
    "FeedEngine",
    "FeedError",
    "FeedSettings",
    "process_listings_feed",
]

SUPPORTED_FEED_TYPES = frozenset({"JSON_LISTINGS_FEED"})
_OPERATIONS = ("UPDATE", "PARTIAL_UPDATE", "PATCH", "DELETE")


class Applier(Protocol):
    """Applies one listings submission to the world; returns the issues that stopped it (none:
    applied). ``change`` is None for DELETE."""

    def __call__(self, *, seller_id: str, sku: str, marketplace_ids: Sequence[str],
                 operation: str, change: ListingChange | None) -> list[Issue]: ...


class Putter(Protocol):
    """Creates or replaces a whole listing (an UPDATE message naming a product type the simulator
    defines, as putListingsItem); returns the status and the issues."""

    def __call__(self, *, seller_id: str, sku: str, marketplace_ids: Sequence[str],
                 body: Mapping[str, Any], preview: bool) -> tuple[str, list[Issue]]: ...


class FeedError(EngineError):
    """A Feeds API request refused; ``status`` and ``code`` as Amazon returns them."""


@dataclass(frozen=True, kw_only=True)
class FeedSettings:
    queue_seconds: float = 30.0
    processing_seconds: float = 60.0
    #: Fault "slow feed processing": both delays are multiplied by this.
    slow_factor: float = 1.0
    #: Processing reports larger than this are stored gzip-compressed.
    gzip_over_bytes: int = 1_000_000


@dataclass(kw_only=True)
class Feed:
    feed_id: str
    seller_id: str
    feed_type: str
    marketplace_ids: list[str]
    input_document_id: str
    created: datetime
    feed_options: dict[str, str] = field(default_factory=dict)
    status: str = "IN_QUEUE"
    start: datetime | None = None
    end: datetime | None = None
    result_document_id: str | None = None
    #: The processing report, also stored as the result document (kept for tests).
    report: dict[str, Any] | None = None

    def to_json(self, iso: Callable[[datetime], str]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "feedId": self.feed_id,
            "feedType": self.feed_type,
            "marketplaceIds": list(self.marketplace_ids),
            "createdTime": iso(self.created),
            "processingStatus": self.status,
        }
        if self.start:
            body["processingStartTime"] = iso(self.start)
        if self.end:
            body["processingEndTime"] = iso(self.end)
        if self.result_document_id:
            body["resultFeedDocumentId"] = self.result_document_id
        return body


# --------------------------------------------------------------------------- processing


def _message_issue(message_id: Any, sku: Any, code: str, text: str,
                   attribute: str | None = None) -> dict[str, Any]:
    issue: dict[str, Any] = {"code": code, "severity": "ERROR", "message": text}
    if isinstance(message_id, int) and not isinstance(message_id, bool) and message_id >= 1:
        issue["messageId"] = message_id
    if isinstance(sku, str) and sku:
        issue["sku"] = sku
    if attribute:
        issue["attributeName"] = attribute
    return issue


def _structure_errors(msg: Mapping[str, Any]) -> list[str]:
    """What makes a message malformed (the listings-feed schema's rules, in words)."""
    errors: list[str] = []
    mid, sku, op = msg.get("messageId"), msg.get("sku"), msg.get("operationType")
    if isinstance(mid, bool) or not isinstance(mid, int) or not 1 <= mid <= 2_147_483_647:
        errors.append("'messageId' must be an integer between 1 and 2147483647.")
    if not isinstance(sku, str) or not sku:
        errors.append("'sku' is required and must be a non-empty string.")
    if op not in _OPERATIONS:
        errors.append(f"'operationType' must be one of {', '.join(_OPERATIONS)}.")
        return errors
    needs_type = op != "DELETE"
    if needs_type and not (isinstance(msg.get("productType"), str) and msg["productType"]):
        errors.append(f"'productType' is required for {op} messages.")
    if op in ("UPDATE", "PARTIAL_UPDATE"):
        if "attributes" not in msg:
            errors.append(f"'attributes' is required for {op} messages.")
        if "patches" in msg:
            errors.append(f"'patches' is not applicable to {op} messages.")
    if op == "PATCH":
        if "patches" not in msg:
            errors.append("'patches' is required for PATCH messages.")
        if "attributes" in msg:
            errors.append("'attributes' is not applicable to PATCH messages.")
    if op == "DELETE":
        extra = [k for k in ("attributes", "patches", "productType", "requirements") if k in msg]
        if extra:
            errors.append(f"{', '.join(extra)} not applicable to DELETE messages.")
    return errors


def process_listings_feed(
    raw: bytes, *, feed_id: str, seller_id: str, marketplace_ids: Sequence[str],
    currency: str | None, applier: Applier, putter: Putter | None = None,
    known_product_types: frozenset[str] = frozenset(),
) -> tuple[str, dict[str, Any]]:
    """Process a JSON_LISTINGS_FEED document: (processing status, processing report). An UPDATE
    message of a product type in ``known_product_types`` goes to ``putter`` (a whole listing,
    validated against its product type, created when new) when one is given."""
    header: dict[str, Any] = {"sellerId": seller_id, "version": "2.0", "feedId": feed_id}

    def fatal(text: str) -> tuple[str, dict[str, Any]]:
        return "FATAL", {
            "header": header,
            "issues": [{"code": "100001", "severity": "ERROR", "message": text}],
            "summary": {"errors": 1, "warnings": 0, "messagesProcessed": 0,
                        "messagesAccepted": 0, "messagesInvalid": 0},
        }

    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        doc = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return fatal(f"The feed document is not valid JSON: {exc}")
    if not isinstance(doc, dict) or not isinstance(doc.get("header"), dict):
        return fatal("The feed document has no 'header' object.")
    if doc["header"].get("version") != "2.0":
        return fatal("The feed header 'version' must be \"2.0\".")
    if doc["header"].get("sellerId") != seller_id:
        return fatal(f"The feed header 'sellerId' {doc['header'].get('sellerId')!r} is not the "
                     "selling partner that submitted the feed.")
    messages = doc.get("messages")
    if not isinstance(messages, list) or not messages:
        return fatal("The feed document has no 'messages'.")
    if len(messages) > 25_000:
        return fatal("A listings feed may contain at most 25000 messages.")
    if isinstance(doc["header"].get("report"), dict):
        header["report"] = doc["header"]["report"]

    issues: list[dict[str, Any]] = []
    accepted = invalid = 0
    seen: set[int] = set()
    for msg in messages:
        if not isinstance(msg, dict):
            issues.append(_message_issue(None, None, "100002", "A message must be a JSON object."))
            invalid += 1
            continue
        mid, sku = msg.get("messageId"), msg.get("sku")
        problems = _structure_errors(msg)
        if not problems and mid in seen:
            problems = [f"'messageId' {mid} is used by more than one message."]
        if problems:
            issues.extend(_message_issue(mid, sku, "100002", text) for text in problems)
            invalid += 1
            continue
        mid, sku = int(msg["messageId"]), str(msg["sku"])
        seen.add(mid)
        op = msg["operationType"]
        change: ListingChange | None = None
        found: list[Issue] = []
        put = op == "UPDATE" and putter is not None and msg.get("productType") in known_product_types
        if put:
            assert putter is not None
            _, found = putter(seller_id=seller_id, sku=sku, marketplace_ids=marketplace_ids, preview=False,
                              body={"productType": msg["productType"], "attributes": msg["attributes"],
                                    "requirements": msg.get("requirements") or "LISTING"})
        elif op == "PATCH":
            change, found = interpret_patches(msg["patches"], currency=currency)
        elif op in ("UPDATE", "PARTIAL_UPDATE"):
            change, found = interpret_attributes(msg["attributes"], currency=currency)
        if not found and not put:
            found = applier(seller_id=seller_id, sku=sku, marketplace_ids=marketplace_ids,
                            operation=op, change=change)
        errors = [i for i in found if i.severity == "ERROR"]
        for item in found:
            issue = _message_issue(mid, sku, item.code, item.message,
                                   item.attribute_names[0] if item.attribute_names else None)
            issue["severity"] = item.severity
            issues.append(issue)
        if errors:
            invalid += 1
        else:
            accepted += 1
    n_errors = sum(1 for i in issues if i["severity"] == "ERROR")
    return "DONE", {
        "header": header,
        "issues": issues,
        "summary": {
            "errors": n_errors,
            "warnings": sum(1 for i in issues if i["severity"] == "WARNING"),
            "messagesProcessed": accepted + invalid,
            "messagesAccepted": accepted,
            "messagesInvalid": invalid,
        },
    }


# --------------------------------------------------------------------------- engine


class FeedEngine:
    """Feeds of one simulator (all sellers); documents shared with the reports engine."""

    def __init__(
        self,
        *,
        clock: Now,
        documents: DocumentStore,
        applier: Applier,
        currency_of: Callable[[str], str | None] = lambda _mid: None,
        settings: FeedSettings | None = None,
        on_finished: Callable[[Feed], None] | None = None,
    ) -> None:
        self.clock = clock
        self.documents = documents
        self.applier = applier
        self.currency_of = currency_of
        self.settings = settings or FeedSettings()
        self.on_finished = on_finished
        self.feeds: dict[str, Feed] = {}
        self._ids = itertools.count(50_001)
        #: When set, overrides ``settings.processing_seconds`` (the app wires it to the faults'
        #: ``feed_processing_seconds``, so "slow feed processing" can be switched at run time).
        self.processing_seconds_provider: Callable[[], float] | None = None
        #: Whole listings of these product types (UPDATE messages) go to ``putter`` (set by
        #: publishing.publisher: listings can then be created by feed as by putListingsItem).
        self.putter: Putter | None = None
        self.known_product_types: frozenset[str] = frozenset()

    @property
    def processing_seconds(self) -> float:
        if self.processing_seconds_provider is not None:
            return self.processing_seconds_provider()
        return self.settings.processing_seconds

    # -- API operations ---------------------------------------------------------------------

    def create_feed_document(self, body: Any) -> str:
        if not isinstance(body, dict) or not isinstance(body.get("contentType"), str) \
                or not body["contentType"]:
            raise FeedError(400, "InvalidInput", "contentType is required")
        return self.documents.create(content_type=body["contentType"], kind="FEED").document_id

    def create_feed(self, seller_id: str, body: Any) -> Feed:
        if not isinstance(body, dict):
            raise FeedError(400, "InvalidInput", "The request body must be a JSON object")
        feed_type, mids, doc_id = body.get("feedType"), body.get("marketplaceIds"), \
            body.get("inputFeedDocumentId")
        if not isinstance(feed_type, str) or not isinstance(doc_id, str) \
                or not isinstance(mids, list) or not 1 <= len(mids) <= 25 \
                or not all(isinstance(m, str) for m in mids):
            raise FeedError(400, "InvalidInput",
                            "feedType, inputFeedDocumentId and marketplaceIds (1-25) are required")
        if feed_type not in SUPPORTED_FEED_TYPES:
            raise FeedError(400, "InvalidInput",
                            f"Feed type {feed_type} is not supported by the simulator "
                            f"(supported: {', '.join(sorted(SUPPORTED_FEED_TYPES))})")
        doc = self.documents.get(doc_id)
        if doc is None:
            raise FeedError(400, "InvalidInput", f"Invalid inputFeedDocumentId {doc_id}")
        options = body.get("feedOptions") or {}
        feed = Feed(feed_id=str(next(self._ids)), seller_id=seller_id, feed_type=feed_type,
                    marketplace_ids=list(mids), input_document_id=doc_id,
                    created=self.clock.now(),
                    feed_options={str(k): str(v) for k, v in options.items()})
        self.feeds[feed.feed_id] = feed
        return feed

    def get_feed(self, seller_id: str, feed_id: str) -> Feed:
        self.tick()
        return processing.find(self.feeds, seller_id, feed_id, noun="Feed", error=FeedError)

    def cancel_feed(self, seller_id: str, feed_id: str) -> None:
        processing.cancel(self.get_feed(seller_id, feed_id), feed_id, noun="Feed",
                          error=FeedError, clock=self.clock, on_finished=self.on_finished)

    def list_feeds(self, seller_id: str, *, feed_types: Sequence[str] | None = None,
                   marketplace_ids: Sequence[str] | None = None,
                   statuses: Sequence[str] | None = None, created_since: datetime | None = None,
                   created_until: datetime | None = None, page_size: int = 10,
                   next_token: str | None = None) -> tuple[list[Feed], str | None]:
        """getFeeds. With ``next_token`` the filters come from the token (Amazon ignores the
        other parameters then). Default window: the last 90 days."""
        self.tick()
        window = processing.list_window(
            clock=self.clock, types=feed_types, marketplace_ids=marketplace_ids,
            statuses=statuses, created_since=created_since, created_until=created_until,
            page_size=page_size, next_token=next_token, types_param="feedTypes", error=FeedError)
        return processing.page(self.feeds.values(), seller_id, window,
                               type_of=lambda f: f.feed_type, id_of=lambda f: f.feed_id,
                               token_keys=("types", "mids", "st"))

    # -- time -----------------------------------------------------------------------------

    def _delay(self, seconds: float) -> timedelta:
        return timedelta(seconds=seconds * self.settings.slow_factor)

    def tick(self) -> list[Feed]:
        """Move feeds whose time has come; returns the feeds that finished now."""
        return processing.advance(
            sorted(self.feeds.values(), key=lambda f: int(f.feed_id)), now=self.clock.now(),
            queue=self._delay(self.settings.queue_seconds),
            processing=lambda: self._delay(self.processing_seconds),
            finish=lambda feed, end: self._process(feed, end=end), on_finished=self.on_finished)

    def _process(self, feed: Feed, *, end: datetime) -> None:
        doc = self.documents.get(feed.input_document_id)
        currency = self.currency_of(feed.marketplace_ids[0]) if feed.marketplace_ids else None
        if doc is None or doc.content is None:
            status, report = "FATAL", {
                "header": {"sellerId": feed.seller_id, "version": "2.0", "feedId": feed.feed_id},
                "issues": [{"code": "100001", "severity": "ERROR",
                            "message": "The feed document was never uploaded."}],
                "summary": {"errors": 1, "warnings": 0, "messagesProcessed": 0,
                            "messagesAccepted": 0, "messagesInvalid": 0},
            }
        else:
            status, report = process_listings_feed(
                doc.content, feed_id=feed.feed_id, seller_id=feed.seller_id,
                marketplace_ids=feed.marketplace_ids, currency=currency, applier=self.applier,
                putter=self.putter, known_product_types=self.known_product_types)
        result = self.documents.write(content=json.dumps(report).encode(),
                                      content_type="application/json", kind="FEEDRESULT",
                                      gzip_over=self.settings.gzip_over_bytes)
        feed.status, feed.end, feed.report = status, end, report
        feed.result_document_id = result.document_id
