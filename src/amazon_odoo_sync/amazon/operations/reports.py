"""Reports API 2021-06-30: request a report, poll it, fetch its document."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from ._base import Api, dig

__all__ = ["ReportsApi"]


class ReportsApi(Api):
    async def create_report(self, *, report_type: str, marketplace_ids: Sequence[str],
                            data_start_time: datetime | None = None, data_end_time: datetime | None = None,
                            report_options: dict[str, str] | None = None) -> dict[str, Any]:
        """``{"reportId": ...}``."""
        from ..client import encode_query

        times = encode_query({"dataStartTime": data_start_time, "dataEndTime": data_end_time})
        body: dict[str, Any] = {"reportType": report_type, "marketplaceIds": list(marketplace_ids), **times}
        if report_options:
            body["reportOptions"] = report_options
        return await self._client.call("reports.createReport", json=body)

    async def get_reports(self, *, report_types: Sequence[str] | None = None,
                          processing_statuses: Sequence[str] | None = None,
                          marketplace_ids: Sequence[str] | None = None, page_size: int | None = None,
                          created_since: datetime | None = None, created_until: datetime | None = None,
                          next_token: str | None = None) -> dict[str, Any]:
        # Amazon: with nextToken, no other parameter may be sent.
        params: dict[str, Any] = {"nextToken": next_token} if next_token else {
            "reportTypes": report_types, "processingStatuses": processing_statuses,
            "marketplaceIds": marketplace_ids, "pageSize": page_size, "createdSince": created_since,
            "createdUntil": created_until}
        return await self._client.call("reports.getReports", params=params)

    async def get_reports_pages(self, *, report_types: Sequence[str] | None = None,
                                processing_statuses: Sequence[str] | None = None,
                                marketplace_ids: Sequence[str] | None = None,
                                created_since: datetime | None = None) -> AsyncIterator[dict[str, Any]]:
        page = await self.get_reports(report_types=report_types, processing_statuses=processing_statuses,
                                      marketplace_ids=marketplace_ids, created_since=created_since)
        while True:
            yield page
            token = dig(page, "nextToken")
            if not token:
                return
            page = await self.get_reports(next_token=token)

    async def get_report(self, report_id: str) -> dict[str, Any]:
        """``{"reportId", "processingStatus", "reportDocumentId"?...}``."""
        return await self._client.call("reports.getReport", path_params={"reportId": report_id})

    async def get_report_document(self, report_document_id: str) -> dict[str, Any]:
        return await self._client.call("reports.getReportDocument",
                                       path_params={"reportDocumentId": report_document_id})

    async def download_report_document(self, report_document_id: str) -> bytes:
        """The report's bytes, un-gzipped when Amazon compressed it."""
        document = await self.get_report_document(report_document_id)
        data: bytes = await self._client.download_document(document["url"], document.get("compressionAlgorithm"))
        return data
