"""Finances: v0 financial event groups/events (settlements) and 2024-06-19 transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from ._base import Api, dig

__all__ = ["FinancesApi"]


def _v0_next(page: dict[str, Any]) -> str | None:
    return dig(page, "payload", "NextToken")


class FinancesApi(Api):
    async def list_financial_event_groups(self, *, started_after: datetime | None = None,
                                          started_before: datetime | None = None,
                                          max_results_per_page: int | None = None,
                                          next_token: str | None = None) -> dict[str, Any]:
        return await self._client.call("financesV0.listFinancialEventGroups", params={
            "FinancialEventGroupStartedAfter": started_after, "FinancialEventGroupStartedBefore": started_before,
            "MaxResultsPerPage": max_results_per_page, "NextToken": next_token})

    def list_financial_event_groups_pages(self, *, started_after: datetime | None = None,
                                          started_before: datetime | None = None,
                                          max_results_per_page: int | None = None
                                          ) -> AsyncIterator[dict[str, Any]]:
        return self._client.pages("financesV0.listFinancialEventGroups", token_param="NextToken",
                                  next_token=_v0_next, params={
                                      "FinancialEventGroupStartedAfter": started_after,
                                      "FinancialEventGroupStartedBefore": started_before,
                                      "MaxResultsPerPage": max_results_per_page})

    async def list_financial_events_by_group_id(self, event_group_id: str, *,
                                                max_results_per_page: int | None = None,
                                                next_token: str | None = None) -> dict[str, Any]:
        return await self._client.call("financesV0.listFinancialEventsByGroupId",
                                       path_params={"eventGroupId": event_group_id},
                                       params={"MaxResultsPerPage": max_results_per_page, "NextToken": next_token})

    def list_financial_events_by_group_id_pages(self, event_group_id: str, *,
                                                max_results_per_page: int | None = None
                                                ) -> AsyncIterator[dict[str, Any]]:
        return self._client.pages("financesV0.listFinancialEventsByGroupId", token_param="NextToken",
                                  next_token=_v0_next, path_params={"eventGroupId": event_group_id},
                                  params={"MaxResultsPerPage": max_results_per_page})

    async def list_financial_events_by_order_id(self, order_id: str, *, next_token: str | None = None
                                                ) -> dict[str, Any]:
        return await self._client.call("financesV0.listFinancialEventsByOrderId",
                                       path_params={"orderId": order_id}, params={"NextToken": next_token})

    async def list_financial_events(self, *, posted_after: datetime | None = None,
                                    posted_before: datetime | None = None, max_results_per_page: int | None = None,
                                    next_token: str | None = None) -> dict[str, Any]:
        return await self._client.call("financesV0.listFinancialEvents", params={
            "PostedAfter": posted_after, "PostedBefore": posted_before,
            "MaxResultsPerPage": max_results_per_page, "NextToken": next_token})

    async def list_transactions(self, *, posted_after: datetime, posted_before: datetime | None = None,
                                marketplace_id: str | None = None, transaction_status: str | None = None,
                                next_token: str | None = None) -> dict[str, Any]:
        return await self._client.call("finances.listTransactions", params={
            "postedAfter": posted_after, "postedBefore": posted_before, "marketplaceId": marketplace_id,
            "transactionStatus": transaction_status, "nextToken": next_token})

    def list_transactions_pages(self, *, posted_after: datetime, posted_before: datetime | None = None,
                                marketplace_id: str | None = None) -> AsyncIterator[dict[str, Any]]:
        return self._client.pages("finances.listTransactions", token_param="nextToken",
                                  next_token=lambda page: dig(page, "payload", "nextToken"),
                                  params={"postedAfter": posted_after, "postedBefore": posted_before,
                                          "marketplaceId": marketplace_id})
