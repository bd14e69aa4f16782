"""Reports API of the simulator: createReport → IN_QUEUE → IN_PROGRESS → DONE (document) / FATAL.

A report's rows are taken from the world when processing finishes (as Amazon's are: a report is a
snapshot at processing time). Reports are tab-separated flat files with Amazon's column names;
documents larger than ``gzip_over_bytes`` are stored gzip-compressed and ``getReportDocument``
says ``compressionAlgorithm: GZIP``. Time is simulated time; :meth:`ReportEngine.tick` moves
reports whose time has come (the routes call it before answering).

Rows come from ``renderers``: report type → function(seller_id, marketplace_ids, start, end,
options) returning ``(columns, rows)``. The simulator's renderers (``routes_reports``) read the
world; the engine itself knows nothing about it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from amazon_odoo_sync.sandbox.spapi import processing
from amazon_odoo_sync.sandbox.spapi.documents import DocumentStore, Now
from amazon_odoo_sync.sandbox.spapi.errors import EngineError

__all__ = [
    "FBA_INVENTORY_COLUMNS",
    "LISTINGS_COLUMNS",
    "ORDER_COLUMNS",
    "Renderer",
    "Report",
    "ReportEngine",
    "ReportError",
    "ReportSettings",
    "to_tsv",
]

Rows = Sequence[Mapping[str, Any]]
Renderer = Callable[[str, Sequence[str], datetime | None, datetime | None, Mapping[str, str]],
                    Rows]

#: GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL / ..._BY_ORDER_DATE_GENERAL
ORDER_COLUMNS = (
    "amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status",
    "fulfillment-channel", "sales-channel", "order-channel", "url", "ship-service-level",
    "product-name", "sku", "asin", "item-status", "quantity", "currency", "item-price", "item-tax",
    "shipping-price", "shipping-tax", "gift-wrap-price", "gift-wrap-tax", "item-promotion-discount",
    "ship-promotion-discount", "ship-city", "ship-state", "ship-postal-code", "ship-country",
    "promotion-ids", "is-business-order", "purchase-order-number", "price-designation",
)
#: GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA
FBA_INVENTORY_COLUMNS = (
    "sku", "fnsku", "asin", "product-name", "condition", "your-price", "mfn-listing-exists",
    "mfn-fulfillable-quantity", "afn-listing-exists", "afn-warehouse-quantity",
    "afn-fulfillable-quantity", "afn-unsellable-quantity", "afn-reserved-quantity",
    "afn-total-quantity", "per-unit-volume", "afn-inbound-working-quantity",
    "afn-inbound-shipped-quantity", "afn-inbound-receiving-quantity", "afn-researching-quantity",
    "afn-reserved-future-supply", "afn-future-supply-buyable",
)
#: GET_MERCHANT_LISTINGS_ALL_DATA
LISTINGS_COLUMNS = (
    "item-name", "item-description", "listing-id", "seller-sku", "price", "quantity", "open-date",
    "image-url", "item-is-marketplace", "product-id-type", "zshop-shipping-fee", "item-note",
    "item-condition", "zshop-category1", "zshop-browse-path", "zshop-storefront-feature", "asin1",
    "asin2", "asin3", "will-ship-internationally", "expedited-shipping", "zshop-boldface",
    "product-id", "bid-for-featured-placement", "add-delete", "pending-quantity",
    "fulfillment-channel", "merchant-shipping-group", "status",
)

def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    # Tabs and newlines would break the flat file; Amazon replaces them with spaces too.
    return str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def to_tsv(columns: Sequence[str], rows: Rows) -> bytes:
    """A flat file: header line, one line per row, tab-separated, ``\\n`` line ends, UTF-8."""
    lines = ["\t".join(columns)]
    lines.extend("\t".join(_cell(row.get(col)) for col in columns) for row in rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


class ReportError(EngineError):
    """A Reports API request refused; ``status`` and ``code`` as Amazon returns them."""


@dataclass(frozen=True, kw_only=True)
class ReportSettings:
    queue_seconds: float = 15.0
    processing_seconds: float = 45.0
    slow_factor: float = 1.0
    gzip_over_bytes: int = 64 * 1024


@dataclass(kw_only=True)
class Report:
    report_id: str
    seller_id: str
    report_type: str
    marketplace_ids: list[str]
    created: datetime
    data_start: datetime | None = None
    data_end: datetime | None = None
    options: dict[str, str] = field(default_factory=dict)
    status: str = "IN_QUEUE"
    start: datetime | None = None
    end: datetime | None = None
    document_id: str | None = None

    def to_json(self, iso: Callable[[datetime], str]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "reportId": self.report_id,
            "reportType": self.report_type,
            "marketplaceIds": list(self.marketplace_ids),
            "createdTime": iso(self.created),
            "processingStatus": self.status,
        }
        for key, value in (("dataStartTime", self.data_start), ("dataEndTime", self.data_end),
                           ("processingStartTime", self.start), ("processingEndTime", self.end)):
            if value is not None:
                body[key] = iso(value)
        if self.document_id:
            body["reportDocumentId"] = self.document_id
        return body


class ReportEngine:
    def __init__(
        self,
        *,
        clock: Now,
        documents: DocumentStore,
        renderers: Mapping[str, tuple[Sequence[str], Renderer]],
        settings: ReportSettings | None = None,
        on_finished: Callable[[Report], None] | None = None,
    ) -> None:
        self.clock = clock
        self.documents = documents
        self.renderers = dict(renderers)
        self.settings = settings or ReportSettings()
        self.on_finished = on_finished
        self.reports: dict[str, Report] = {}
        self._ids = itertools.count(70_001)

    def create_report(self, seller_id: str, body: Any,
                      parse_time: Callable[[str], datetime]) -> Report:
        if not isinstance(body, dict):
            raise ReportError(400, "InvalidInput", "The request body must be a JSON object")
        rtype, mids = body.get("reportType"), body.get("marketplaceIds")
        if not isinstance(rtype, str) or not isinstance(mids, list) or not 1 <= len(mids) <= 25 \
                or not all(isinstance(m, str) for m in mids):
            raise ReportError(400, "InvalidInput", "reportType and marketplaceIds (1-25) are required")
        if rtype not in self.renderers:
            raise ReportError(400, "InvalidInput",
                              f"Report type {rtype} is not supported by the simulator "
                              f"(supported: {', '.join(sorted(self.renderers))})")
        times: dict[str, datetime | None] = {}
        for key in ("dataStartTime", "dataEndTime"):
            raw = body.get(key)
            try:
                times[key] = parse_time(raw) if isinstance(raw, str) else None
            except ValueError as exc:
                raise ReportError(400, "InvalidInput", f"{key} is not an ISO 8601 date-time") from exc
        start, end = times["dataStartTime"], times["dataEndTime"]
        if start and end and start > end:
            raise ReportError(400, "InvalidInput", "dataStartTime is after dataEndTime")
        options = body.get("reportOptions") or {}
        report = Report(report_id=str(next(self._ids)), seller_id=seller_id, report_type=rtype,
                        marketplace_ids=list(mids), created=self.clock.now(), data_start=start,
                        data_end=end, options={str(k): str(v) for k, v in options.items()})
        self.reports[report.report_id] = report
        return report

    def get_report(self, seller_id: str, report_id: str) -> Report:
        self.tick()
        return processing.find(self.reports, seller_id, report_id, noun="Report",
                               error=ReportError)

    def cancel_report(self, seller_id: str, report_id: str) -> None:
        processing.cancel(self.get_report(seller_id, report_id), report_id, noun="Report",
                          error=ReportError, clock=self.clock, on_finished=self.on_finished)

    def get_document(self, seller_id: str, document_id: str) -> tuple[str, str | None]:
        """(document id, compression) of a DONE report's document of this seller."""
        self.tick()
        for report in self.reports.values():
            if report.document_id == document_id and report.seller_id == seller_id:
                doc = self.documents.get(document_id)
                if doc is not None:
                    return doc.document_id, doc.compression
        raise ReportError(404, "NotFound", f"Report document {document_id} not found")

    def list_reports(self, seller_id: str, *, report_types: Sequence[str] | None = None,
                     statuses: Sequence[str] | None = None,
                     marketplace_ids: Sequence[str] | None = None, page_size: int = 10,
                     created_since: datetime | None = None, created_until: datetime | None = None,
                     next_token: str | None = None) -> tuple[list[Report], str | None]:
        self.tick()
        window = processing.list_window(
            clock=self.clock, types=report_types, marketplace_ids=marketplace_ids,
            statuses=statuses, created_since=created_since, created_until=created_until,
            page_size=page_size, next_token=next_token, types_param="reportTypes",
            error=ReportError)
        return processing.page(self.reports.values(), seller_id, window,
                               type_of=lambda r: r.report_type, id_of=lambda r: r.report_id,
                               token_keys=("types", "st", "mids"))

    def publish(self, *, seller_id: str, report_type: str, marketplace_ids: Sequence[str],
                data_start: datetime, data_end: datetime, content: bytes,
                at: datetime | None = None) -> Report:
        """A report Amazon generates by itself (settlement reports cannot be requested): DONE
        at once, listed by getReports, its document downloadable like any other."""
        at = at or self.clock.now()
        doc = self.documents.write(content=content,
                                   content_type="text/tab-separated-values; charset=UTF-8",
                                   kind="REPORT", gzip_over=self.settings.gzip_over_bytes)
        report = Report(report_id=str(next(self._ids)), seller_id=seller_id,
                        report_type=report_type, marketplace_ids=list(marketplace_ids),
                        created=at, data_start=data_start, data_end=data_end, status="DONE",
                        start=at, end=at, document_id=doc.document_id)
        self.reports[report.report_id] = report
        return report

    def _delay(self, seconds: float) -> timedelta:
        return timedelta(seconds=seconds * self.settings.slow_factor)

    def tick(self) -> list[Report]:
        return processing.advance(
            sorted(self.reports.values(), key=lambda r: int(r.report_id)), now=self.clock.now(),
            queue=self._delay(self.settings.queue_seconds),
            processing=lambda: self._delay(self.settings.processing_seconds),
            finish=self._finish, on_finished=self.on_finished)

    def _finish(self, report: Report, end: datetime) -> None:
        report.end = end
        self._render(report)

    def _render(self, report: Report) -> None:
        columns, renderer = self.renderers[report.report_type]
        try:
            rows = renderer(report.seller_id, report.marketplace_ids, report.data_start,
                            report.data_end, report.options)
        except (KeyError, ValueError):
            report.status = "FATAL"
            return
        doc = self.documents.write(content=to_tsv(columns, rows),
                                   content_type="text/tab-separated-values; charset=UTF-8",
                                   kind="REPORT", gzip_over=self.settings.gzip_over_bytes)
        report.status, report.document_id = "DONE", doc.document_id
