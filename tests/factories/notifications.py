"""SP-API notifications as Amazon delivers them (SQS body or HTTP POST), for the intake tests."""

from __future__ import annotations

from typing import Any

from amazon_odoo_sync.flows import fba_inventory

#: Seller ids of the intake tests' two accounts.
SELLERS = {"A2US": "shop-us", "A2EU": "shop-eu"}


def order_change(seller: str, notification_id: str, order_id: str, *, status: str = "Unshipped",
                 channel: str = "MFN", items: list[tuple[str, int]] | None = None) -> dict[str, Any]:
    return {
        "NotificationVersion": "1.0", "NotificationType": "ORDER_CHANGE", "PayloadVersion": "1.0",
        "EventTime": "2026-07-14T00:01:00Z",
        "Payload": {"OrderChangeNotification": {
            "SellerId": seller, "AmazonOrderId": order_id,
            "Summary": {"MarketplaceId": "ATVPDKIKX0DER", "OrderStatus": status, "FulfillmentType": channel,
                        "OrderItems": [{"SellerSKU": sku, "Quantity": qty, "QuantityShipped": 0}
                                       for sku, qty in (items or [("SKU-1", 1)])]}}},
        "NotificationMetadata": {"NotificationId": notification_id},
    }


def fba_change(seller: str, notification_id: str) -> dict[str, Any]:
    return {"NotificationType": fba_inventory.NOTIFICATION_TYPE,
            "NotificationMetadata": {"NotificationId": notification_id},
            "Payload": {"SellerId": seller, "SKU": "SKU-9", "FulfillmentInventoryByMarketplace": []}}
