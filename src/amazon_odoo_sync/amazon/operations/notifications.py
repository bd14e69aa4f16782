"""Notifications API v1: destinations (grantless) and subscriptions."""

from __future__ import annotations

from typing import Any

from ._base import Api

__all__ = ["NotificationsApi"]


class NotificationsApi(Api):
    async def get_destinations(self) -> dict[str, Any]:
        return await self._client.call("notifications.getDestinations")

    async def create_destination(self, *, name: str, resource_specification: dict[str, Any]) -> dict[str, Any]:
        """``resource_specification``: ``{"sqs": {"arn": ...}}`` or ``{"eventBridge": {...}}``."""
        return await self._client.call("notifications.createDestination",
                                       json={"name": name, "resourceSpecification": resource_specification})

    async def get_destination(self, destination_id: str) -> dict[str, Any]:
        return await self._client.call("notifications.getDestination",
                                       path_params={"destinationId": destination_id})

    async def delete_destination(self, destination_id: str) -> dict[str, Any]:
        return await self._client.call("notifications.deleteDestination",
                                       path_params={"destinationId": destination_id})

    async def get_subscription(self, notification_type: str, *, payload_version: str | None = None
                               ) -> dict[str, Any]:
        return await self._client.call("notifications.getSubscription",
                                       path_params={"notificationType": notification_type},
                                       params={"payloadVersion": payload_version})

    async def create_subscription(self, notification_type: str, *, destination_id: str, payload_version: str,
                                  processing_directive: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"destinationId": destination_id, "payloadVersion": payload_version}
        if processing_directive:
            body["processingDirective"] = processing_directive
        return await self._client.call("notifications.createSubscription",
                                       path_params={"notificationType": notification_type}, json=body)

    async def get_subscription_by_id(self, notification_type: str, subscription_id: str) -> dict[str, Any]:
        return await self._client.call("notifications.getSubscriptionById", path_params={
            "notificationType": notification_type, "subscriptionId": subscription_id})

    async def delete_subscription_by_id(self, notification_type: str, subscription_id: str) -> dict[str, Any]:
        return await self._client.call("notifications.deleteSubscriptionById", path_params={
            "notificationType": notification_type, "subscriptionId": subscription_id})
