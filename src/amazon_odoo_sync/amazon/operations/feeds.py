"""Feeds API 2021-06-30: create documents, upload them, submit feeds, read processing reports."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from ._base import Api, dig

__all__ = ["FeedsApi"]


class FeedsApi(Api):
    async def get_feeds(self, *, feed_types: Sequence[str] | None = None,
                        marketplace_ids: Sequence[str] | None = None, page_size: int | None = None,
                        processing_statuses: Sequence[str] | None = None, created_since: datetime | None = None,
                        created_until: datetime | None = None, next_token: str | None = None) -> dict[str, Any]:
        # Amazon: with nextToken, no other parameter may be sent.
        params: dict[str, Any] = {"nextToken": next_token} if next_token else {
            "feedTypes": feed_types, "marketplaceIds": marketplace_ids, "pageSize": page_size,
            "processingStatuses": processing_statuses, "createdSince": created_since,
            "createdUntil": created_until}
        return await self._client.call("feeds.getFeeds", params=params)

    async def get_feeds_pages(self, *, feed_types: Sequence[str] | None = None,
                              marketplace_ids: Sequence[str] | None = None,
                              processing_statuses: Sequence[str] | None = None,
                              created_since: datetime | None = None) -> AsyncIterator[dict[str, Any]]:
        page = await self.get_feeds(feed_types=feed_types, marketplace_ids=marketplace_ids,
                                    processing_statuses=processing_statuses, created_since=created_since)
        while True:
            yield page
            token = dig(page, "nextToken")
            if not token:
                return
            page = await self.get_feeds(next_token=token)

    async def create_feed_document(self, content_type: str) -> dict[str, Any]:
        """``{"feedDocumentId": ..., "url": <pre-signed upload URL>}``."""
        return await self._client.call("feeds.createFeedDocument", json={"contentType": content_type})

    async def upload_feed_document(self, url: str, content: bytes, content_type: str) -> None:
        await self._client.upload_document(url, content, content_type)

    async def create_feed(self, *, feed_type: str, marketplace_ids: Sequence[str], input_feed_document_id: str,
                          feed_options: dict[str, str] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"feedType": feed_type, "marketplaceIds": list(marketplace_ids),
                                "inputFeedDocumentId": input_feed_document_id}
        if feed_options:
            body["feedOptions"] = feed_options
        return await self._client.call("feeds.createFeed", json=body)

    async def submit_feed(self, *, feed_type: str, marketplace_ids: Sequence[str], content: bytes,
                          content_type: str = "application/json; charset=UTF-8",
                          feed_options: dict[str, str] | None = None) -> dict[str, Any]:
        """createFeedDocument → upload → createFeed; returns ``{"feedId": ...}``."""
        document = await self.create_feed_document(content_type)
        await self.upload_feed_document(document["url"], content, content_type)
        return await self.create_feed(feed_type=feed_type, marketplace_ids=marketplace_ids,
                                      input_feed_document_id=document["feedDocumentId"],
                                      feed_options=feed_options)

    async def get_feed(self, feed_id: str) -> dict[str, Any]:
        return await self._client.call("feeds.getFeed", path_params={"feedId": feed_id})

    async def cancel_feed(self, feed_id: str) -> dict[str, Any]:
        return await self._client.call("feeds.cancelFeed", path_params={"feedId": feed_id})

    async def get_feed_document(self, feed_document_id: str) -> dict[str, Any]:
        """``{"feedDocumentId", "url", "compressionAlgorithm"?}`` (e.g. the processing report)."""
        return await self._client.call("feeds.getFeedDocument", path_params={"feedDocumentId": feed_document_id})

    async def download_feed_document(self, feed_document_id: str) -> bytes:
        """The document's bytes, un-gzipped when Amazon compressed it."""
        document = await self.get_feed_document(feed_document_id)
        data: bytes = await self._client.download_document(document["url"], document.get("compressionAlgorithm"))
        return data
