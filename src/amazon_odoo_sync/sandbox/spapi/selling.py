"""Listings, feeds, reports, FBA inventory and notifications, bound to one :class:`World`.

:func:`attach` creates the engines of those APIs for a world and subscribes the notification hub
to the world's events; :func:`services` returns them (attaching defaults on first use). State of
these APIs lives here, next to the world, not in it: listing attributes and product types, feed
and report documents, subscriptions and the notification outbox.

Listing status (``summaries[].status``, LISTINGS_ITEM_STATUS_CHANGE) is derived: DELETED when the
seller deleted it; otherwise DISCOVERABLE, plus BUYABLE when it has a price and stock (FBM
quantity > 0, or FBA fulfillable > 0). A change of that derived status publishes a notification.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from amazon_odoo_sync.marketplaces import by_id
from amazon_odoo_sync.sandbox.spapi.clock import iso, parse_iso
from amazon_odoo_sync.sandbox.spapi.documents import DocumentStore
from amazon_odoo_sync.sandbox.spapi.fba_inventory import FbaInventoryRow, InventorySummaries
from amazon_odoo_sync.sandbox.spapi.feeds import Feed, FeedEngine, FeedSettings
from amazon_odoo_sync.sandbox.spapi.listings import FBM_CHANNEL, Issue, ListingChange
from amazon_odoo_sync.sandbox.spapi.notifications import (
    DeliveryRoutes,
    NotificationFaults,
    NotificationHub,
    fba_inventory_payload,
    feed_finished_payload,
    listings_status_payload,
    order_change_payload,
    report_finished_payload,
)
from amazon_odoo_sync.sandbox.spapi.reports import (
    FBA_INVENTORY_COLUMNS,
    LISTINGS_COLUMNS,
    ORDER_COLUMNS,
    Renderer,
    Report,
    ReportEngine,
    ReportSettings,
)
from amazon_odoo_sync.sandbox.spapi.world import (
    Offer,
    Order,
    World,
    WorldError,
    WorldEvent,
    fulfillment_network,
)

__all__ = [
    "ListingState",
    "SellingServices",
    "SellingSettings",
    "afn_channel_code",
    "attach",
    "csv_param",
    "install",
    "listing_status",
    "parse_time",
    "services",
]


@dataclass(frozen=True, kw_only=True)
class SellingSettings:
    feeds: FeedSettings = field(default_factory=FeedSettings)
    reports: ReportSettings = field(default_factory=ReportSettings)
    fba_page_size: int = 50
    #: nextToken lifetime of getInventorySummaries, in real seconds (Amazon: 30).
    fba_token_ttl_seconds: float = 30.0
    notification_faults: NotificationFaults = field(default_factory=NotificationFaults)
    notification_routes: DeliveryRoutes = field(default_factory=DeliveryRoutes)
    application_id: str = "amzn1.sellerapps.app.simulator"
    #: Deliver in the background (every ``notification_interval`` real seconds) once something
    #: is published; off: call ``hub.deliver_due()`` (tests) or ``POST /_sim/notifications/deliver``.
    notification_autostart: bool = True
    notification_interval: float = 1.0


@dataclass(kw_only=True)
class ListingState:
    """What the Listings API knows about a SKU beyond the world's offer."""

    product_type: str
    created: datetime
    attributes: dict[str, Any] = field(default_factory=dict)
    has_price: bool = True
    last_status: tuple[str, ...] = ()
    #: Issues Amazon keeps on the listing (publishing.Publisher.add_issue): shown with
    #: includedData=issues; LISTING_SUPPRESSED takes the buyability away.
    issues: list[Issue] = field(default_factory=list)


def afn_channel_code(marketplace_id: str) -> str:
    """Amazon's fulfillment_channel_code for FBA in a marketplace's region."""
    m = by_id(marketplace_id)
    if m.region == "NA":
        return "AMAZON_NA"
    if m.region == "EU":
        return "AMAZON_EU"
    return f"AMAZON_{m.code}"


def listing_status(world: World, offer: Offer, state: ListingState | None) -> tuple[str, ...]:
    if offer.status == "DELETED":
        return ("DELETED",)
    buyable = offer.status == "BUYABLE" and (state is None or state.has_price)
    if state is not None and any("LISTING_SUPPRESSED" in i.enforcement_actions for i in state.issues):
        buyable = False
    if offer.channel == "MFN":
        buyable = buyable and offer.quantity > 0
    else:
        inv = world.fba_inventory(offer.seller_id, offer.marketplace_id, offer.sku)
        buyable = buyable and inv is not None and inv.fulfillable > 0
    return ("BUYABLE", "DISCOVERABLE") if buyable else ("DISCOVERABLE",)


class SellingServices:
    """The engines of one simulator; build with :func:`attach`."""

    def __init__(self, world: World, settings: SellingSettings, *,
                 transport: Any = None, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.world = world
        self.settings = settings
        self.listings: dict[tuple[str, str, str], ListingState] = {}
        self.documents = DocumentStore(world.clock)
        self.hub = NotificationHub(clock=world.clock, application_id=settings.application_id,
                                   faults=settings.notification_faults,
                                   routes=settings.notification_routes, transport=transport)
        self.hub.autostart = settings.notification_autostart
        self.hub.interval = settings.notification_interval
        self.feeds = FeedEngine(clock=world.clock, documents=self.documents, applier=self.apply,
                                currency_of=lambda mid: by_id(mid).currency,
                                settings=settings.feeds, on_finished=self._feed_finished)
        self.reports = ReportEngine(clock=world.clock, documents=self.documents,
                                    renderers=self._renderers(), settings=settings.reports,
                                    on_finished=self._report_finished)
        self.fba = InventorySummaries(rows_for=self._fba_rows, page_size=settings.fba_page_size,
                                      token_ttl_seconds=settings.fba_token_ttl_seconds,
                                      monotonic=monotonic)
        world.listeners.append(self._on_event)
        for offer in world.offers():  # remember today's status, so changes are noticed
            self.listing(offer)

    # -- listings -----------------------------------------------------------------------------

    def listing(self, offer: Offer) -> ListingState:
        key = (offer.seller_id, offer.marketplace_id, offer.sku)
        state = self.listings.get(key)
        if state is None:
            product = self.world.products.get(offer.asin)
            state = ListingState(product_type=product.product_type if product else "PRODUCT",
                                 created=offer.updated or self.world.clock.now())
            state.last_status = listing_status(self.world, offer, state)
            self.listings[key] = state
        return state

    def apply(self, *, seller_id: str, sku: str, marketplace_ids: Sequence[str], operation: str,
              change: ListingChange | None) -> list[Issue]:
        """Apply one submission (patchListingsItem or a feed message) in every marketplace given;
        nothing is applied when any marketplace refuses it."""
        offers: list[Offer] = []
        for mid in marketplace_ids:
            offer = self.world.offer(seller_id, mid, sku)
            if offer is None or (offer.status == "DELETED" and operation != "UPDATE"):
                return [Issue(code="4000003", message=f"The SKU '{sku}' does not exist in marketplace "
                              f"{mid}; creating listings is not simulated.",
                              categories=("INVALID_ATTRIBUTE",))]
            offers.append(offer)
        if change is not None and change.quantity is not None:
            for offer in offers:
                if offer.channel != "MFN":
                    return [Issue(code="8560", message=f"The SKU '{sku}' is fulfilled by Amazon in "
                                  f"{offer.marketplace_id}; its quantity is managed by Amazon.",
                                  attribute_names=("fulfillment_availability",),
                                  categories=("INVALID_ATTRIBUTE",))]
        now = self.world.clock.now()
        for offer in offers:
            state = self.listing(offer)
            if operation == "DELETE":
                self.world.set_offer_status(seller_id, offer.marketplace_id, sku, "DELETED", at=now)
            else:
                assert change is not None
                if offer.status == "DELETED":
                    self.world.set_offer_status(seller_id, offer.marketplace_id, sku, "BUYABLE",
                                                at=now)
                if operation == "UPDATE":
                    state.attributes.clear()
                for name in change.removed_attributes:
                    state.attributes.pop(name, None)
                state.attributes.update(change.attributes)
                if change.remove_price:
                    state.has_price = False
                if change.remove_business_price:
                    offer.business_price = None
                if change.business_price is not None:
                    offer.business_price = change.business_price
                try:
                    if change.price is not None:
                        self.world.set_price(seller_id, offer.marketplace_id, sku, change.price, at=now)
                        state.has_price = True
                    if change.quantity is not None:
                        self.world.set_fbm_quantity(seller_id, offer.marketplace_id, sku,
                                                    change.quantity, at=now)
                except WorldError as exc:
                    return [Issue(code="4000001", message=exc.message,
                                  categories=("INVALID_ATTRIBUTE",))]
            self._status_check(offer)
        return []

    def _status_check(self, offer: Offer) -> None:
        state = self.listing(offer)
        status = listing_status(self.world, offer, state)
        if status != state.last_status:
            state.last_status = status
            self.hub.publish("LISTINGS_ITEM_STATUS_CHANGE", offer.seller_id, listings_status_payload(
                seller_id=offer.seller_id, sku=offer.sku, status=status,
                marketplace_id=offer.marketplace_id, asin=offer.asin, created=state.created),
                marketplace_id=offer.marketplace_id)

    def item_json(self, offer_list: Sequence[Offer], included: Iterable[str]) -> dict[str, Any]:
        """getListingsItem's ``Item`` for one SKU across the offers (marketplaces) given."""
        inc = set(included)
        first = offer_list[0]
        item: dict[str, Any] = {"sku": first.sku}
        if "summaries" in inc:
            item["summaries"] = [self._summary(o) for o in offer_list]
        if "attributes" in inc:
            attrs: dict[str, Any] = {}
            for o in offer_list:
                attrs.update(self.listing(o).attributes)
                product = self.world.products.get(o.asin)
                if product:
                    attrs.setdefault("item_name", []).append(
                        {"value": product.title, "marketplace_id": o.marketplace_id})
                attrs.setdefault("condition_type", []).append(
                    {"value": "new_new", "marketplace_id": o.marketplace_id})
                if self.listing(o).has_price:
                    attrs.setdefault("purchasable_offer", []).append({
                        "marketplace_id": o.marketplace_id, "currency": o.currency,
                        "our_price": [{"schedule": [{"value_with_tax": float(o.price)}]}]})
                if o.channel == "MFN":
                    attrs["fulfillment_availability"] = [
                        {"fulfillment_channel_code": FBM_CHANNEL, "quantity": o.quantity}]
            item["attributes"] = attrs
        if "issues" in inc:
            item["issues"] = [dict(i.to_json(), marketplaceIds=[o.marketplace_id])
                              for o in offer_list for i in self.listing(o).issues]
        if "offers" in inc:
            offers = []
            for o in offer_list:
                if not self.listing(o).has_price:
                    continue
                offers.append({"marketplaceId": o.marketplace_id, "offerType": "B2C",
                               "price": {"currencyCode": o.currency, "amount": str(o.price)}})
                if o.business_price is not None:
                    offers.append({"marketplaceId": o.marketplace_id, "offerType": "B2B",
                                   "price": {"currencyCode": o.currency,
                                             "amount": str(o.business_price)}})
            item["offers"] = offers
        if "fulfillmentAvailability" in inc:
            fa = []
            for o in offer_list:
                if o.channel == "MFN":
                    fa.append({"fulfillmentChannelCode": FBM_CHANNEL, "quantity": o.quantity})
                else:
                    inv = self.world.fba_inventory(o.seller_id, o.marketplace_id, o.sku)
                    fa.append({"fulfillmentChannelCode": afn_channel_code(o.marketplace_id),
                               "quantity": inv.fulfillable if inv else 0})
            item["fulfillmentAvailability"] = fa
        if "productTypes" in inc:
            item["productTypes"] = [{"marketplaceId": o.marketplace_id,
                                     "productType": self.listing(o).product_type} for o in offer_list]
        if "procurement" in inc:
            item["procurement"] = []
        if "relationships" in inc:
            item["relationships"] = [{"marketplaceId": o.marketplace_id, "relationships": []}
                                     for o in offer_list]
        return item

    def _summary(self, o: Offer) -> dict[str, Any]:
        state = self.listing(o)
        product = self.world.products.get(o.asin)
        summary: dict[str, Any] = {
            "marketplaceId": o.marketplace_id,
            "asin": o.asin,
            "productType": state.product_type,
            "conditionType": "new_new",
            "status": [s for s in listing_status(self.world, o, state) if s != "DELETED"],
            "itemName": product.title if product else o.sku,
            "createdDate": iso(state.created),
            "lastUpdatedDate": iso(o.updated or state.created),
        }
        if o.channel == "AFN":
            inv = self.world.fba_inventory(o.seller_id, o.marketplace_id, o.sku)
            if inv is not None:
                summary["fnSku"] = inv.fnsku
        return summary

    # -- FBA inventory ------------------------------------------------------------------------

    def _fba_rows(self, seller_id: str, marketplace_id: str) -> list[FbaInventoryRow]:
        rows = []
        for inv in self.world.fba_inventories(seller_id, marketplace_id):
            product = self.world.products.get(inv.asin)
            rows.append(FbaInventoryRow(inventory=inv, product_name=product.title if product else inv.sku))
        return rows

    # -- reports ------------------------------------------------------------------------------

    def _renderers(self) -> dict[str, tuple[Sequence[str], Renderer]]:
        return {
            "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL": (ORDER_COLUMNS,
                                                                    self._orders_by("updated")),
            "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL": (ORDER_COLUMNS,
                                                                   self._orders_by("created")),
            "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA": (FBA_INVENTORY_COLUMNS, self._fba_report),
            "GET_MERCHANT_LISTINGS_ALL_DATA": (LISTINGS_COLUMNS, self._listings_report),
        }

    def _orders_by(self, by: Literal["created", "updated"]) -> Renderer:
        def render(seller_id: str, mids: Sequence[str], start: datetime | None,
                   end: datetime | None, _options: Any) -> list[dict[str, Any]]:
            now = self.world.clock.now()
            start = start or datetime.fromtimestamp(0, now.tzinfo)
            end = end or now
            rows: list[dict[str, Any]] = []
            cursor = None
            while True:
                page, cursor = self.world.scan(seller_id, by=by, after=start, before=end,
                                               cursor=cursor, limit=500,
                                               predicate=lambda o: o.marketplace_id in mids)
                for order in page:
                    rows.extend(_order_rows(order))
                if cursor is None:
                    return rows
        return render

    def _fba_report(self, seller_id: str, mids: Sequence[str], _s: Any, _e: Any,
                    _o: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for mid in mids:
            for inv in self.world.fba_inventories(seller_id, mid):
                if (inv.network, inv.sku) in seen:
                    continue
                seen.add((inv.network, inv.sku))
                offer = self.world.offer(seller_id, mid, inv.sku)
                product = self.world.products.get(inv.asin)
                rows.append({
                    "sku": inv.sku, "fnsku": inv.fnsku, "asin": inv.asin,
                    "product-name": product.title if product else inv.sku, "condition": "New",
                    "your-price": offer.price if offer else "", "mfn-listing-exists": "No",
                    "mfn-fulfillable-quantity": "", "afn-listing-exists": "Yes",
                    "afn-warehouse-quantity": inv.fulfillable + inv.unfulfillable + inv.reserved,
                    "afn-fulfillable-quantity": inv.fulfillable,
                    "afn-unsellable-quantity": inv.unfulfillable,
                    "afn-reserved-quantity": inv.reserved, "afn-total-quantity": inv.total,
                    "per-unit-volume": "", "afn-inbound-working-quantity": inv.inbound_working,
                    "afn-inbound-shipped-quantity": inv.inbound_shipped,
                    "afn-inbound-receiving-quantity": inv.inbound_receiving,
                    "afn-researching-quantity": inv.researching, "afn-reserved-future-supply": 0,
                    "afn-future-supply-buyable": 0,
                })
        return rows

    def _listings_report(self, seller_id: str, mids: Sequence[str], _s: Any, _e: Any,
                         _o: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for mid in mids:
            for o in self.world.offers(seller_id, mid):
                if o.status == "DELETED":
                    continue
                state = self.listing(o)
                product = self.world.products.get(o.asin)
                status = listing_status(self.world, o, state)
                if o.channel == "MFN":
                    qty: Any = o.quantity
                else:
                    qty = ""
                rows.append({
                    "item-name": product.title if product else o.sku, "item-description": "",
                    "listing-id": f"{abs(hash((o.seller_id, o.marketplace_id, o.sku))) % 10**10:010d}",
                    "seller-sku": o.sku, "price": o.price if state.has_price else "",
                    "quantity": qty, "open-date": state.created.strftime("%Y-%m-%d %H:%M:%S UTC"),
                    "item-is-marketplace": "y", "product-id-type": 1, "item-condition": 11,
                    "asin1": o.asin, "product-id": o.asin, "pending-quantity": 0,
                    "will-ship-internationally": "", "expedited-shipping": "",
                    "fulfillment-channel": FBM_CHANNEL if o.channel == "MFN"
                    else afn_channel_code(mid),
                    "merchant-shipping-group": "Migrated Template",
                    "status": "Active" if "BUYABLE" in status else "Inactive",
                })
        return rows

    # -- notifications from the world, feeds and reports -----------------------------------------

    def _on_event(self, event: WorldEvent) -> None:
        if event.kind in ("ORDER_CREATED", "ORDER_STATUS_CHANGED", "ORDER_SHIPMENT_CONFIRMED"):
            order = self.world.order(event.amazon_order_id or "")
            if order is not None:
                self._order_change(order, event)
        elif event.kind == "FBA_INVENTORY_CHANGED" and event.sku and event.marketplace_id:
            self._fba_change(event)
        if event.kind in ("FBM_QUANTITY_CHANGED", "FBA_INVENTORY_CHANGED", "PRICE_CHANGED") \
                and event.sku and event.marketplace_id:
            if event.kind == "FBM_QUANTITY_CHANGED":
                self.hub.publish("LISTINGS_ITEM_MFN_QUANTITY_CHANGE", event.seller_id, {
                    "SellerId": event.seller_id, "FulfillmentChannelCode": FBM_CHANNEL,
                    "Sku": event.sku, "Quantity": event.quantity or 0}, event_time=event.at)
            for mid in self._marketplaces_affected(event):
                offer = self.world.offer(event.seller_id, mid, event.sku)
                if offer is not None:
                    self._status_check(offer)

    def _marketplaces_affected(self, event: WorldEvent) -> list[str]:
        assert event.marketplace_id is not None
        if event.kind != "FBA_INVENTORY_CHANGED":
            return [event.marketplace_id]
        seller = self.world.sellers.get(event.seller_id)
        mids = seller.marketplace_ids if seller else (event.marketplace_id,)
        net = fulfillment_network(event.marketplace_id)
        return [m for m in mids if fulfillment_network(m) == net]

    def _order_change(self, order: Order, event: WorldEvent) -> None:
        reason = {"ORDER_CREATED": "Order placed", "ORDER_SHIPMENT_CONFIRMED": "Shipment confirmed"
                  }.get(event.kind, f"Order status changed to {order.status}")
        if order.status == "Canceled" and order.buyer_requested_cancel:
            reason = "Buyer Requested Cancel"
        payload = order_change_payload(
            seller_id=order.seller_id, amazon_order_id=order.amazon_order_id,
            marketplace_id=order.marketplace_id, order_status=order.status,
            purchase_date=order.purchase_date,
            fulfillment_type=order.fulfillment_channel,
            items=[{"OrderItemId": i.order_item_id, "SellerSKU": i.sku,
                    "Quantity": i.quantity_ordered, "QuantityShipped": i.quantity_shipped}
                   for i in order.items],
            change_reason=reason, time_of_change=event.at,
            postal_code=order.shipping_address.postal_code,
            programs=["Business"] if order.is_business else (),
        )
        self.hub.publish("ORDER_CHANGE", order.seller_id, payload, event_time=event.at,
                         marketplace_id=order.marketplace_id)

    def _fba_change(self, event: WorldEvent) -> None:
        assert event.sku and event.marketplace_id
        inv = self.world.fba_inventory(event.seller_id, event.marketplace_id, event.sku)
        if inv is None:
            return
        product = self.world.products.get(inv.asin)
        payload = fba_inventory_payload(
            seller_id=event.seller_id, sku=inv.sku, fnsku=inv.fnsku, asin=inv.asin,
            marketplace_id=event.marketplace_id, item_name=product.title if product else inv.sku,
            fulfillable=inv.fulfillable, unfulfillable=inv.unfulfillable,
            researching=inv.researching, inbound_working=inv.inbound_working,
            inbound_shipped=inv.inbound_shipped, inbound_receiving=inv.inbound_receiving,
            reserved_pending_customer_order=inv.reserved_pending_customer_order,
            reserved_transfer=inv.reserved_pending_transshipment,
            reserved_processing=inv.reserved_fc_processing)
        self.hub.publish("FBA_INVENTORY_AVAILABILITY_CHANGES", event.seller_id, payload,
                         event_time=event.at, marketplace_id=event.marketplace_id)

    def _feed_finished(self, feed: Feed) -> None:
        self.hub.publish("FEED_PROCESSING_FINISHED", feed.seller_id, feed_finished_payload(
            seller_id=feed.seller_id, feed_id=feed.feed_id, feed_type=feed.feed_type,
            processing_status=feed.status, result_feed_document_id=feed.result_document_id),
            event_time=feed.end)

    def _report_finished(self, report: Report) -> None:
        self.hub.publish("REPORT_PROCESSING_FINISHED", report.seller_id, report_finished_payload(
            seller_id=report.seller_id, report_id=report.report_id, report_type=report.report_type,
            processing_status=report.status, report_document_id=report.document_id),
            event_time=report.end)

    def tick(self) -> None:
        """Let feeds and reports catch up with the simulated clock."""
        self.feeds.tick()
        self.reports.tick()


def _order_rows(order: Order) -> list[dict[str, Any]]:
    channel = "Amazon" if order.fulfillment_channel == "AFN" else "Merchant"
    m = order.marketplace
    rows = []
    for item in order.items:
        rows.append({
            "amazon-order-id": order.amazon_order_id,
            "merchant-order-id": order.seller_order_id or "",
            "purchase-date": iso(order.purchase_date),
            "last-updated-date": iso(order.last_update_date),
            "order-status": order.status,
            "fulfillment-channel": channel,
            "sales-channel": m.name,
            "ship-service-level": order.shipment_service_level_category,
            "product-name": item.title, "sku": item.sku, "asin": item.asin,
            "item-status": "Cancelled" if order.status == "Canceled" else (
                "Shipped" if item.quantity_shipped >= item.quantity_ordered else "Unshipped"),
            "quantity": item.quantity_ordered, "currency": order.currency,
            "item-price": item.item_price, "item-tax": item.item_tax,
            "shipping-price": item.shipping_price, "shipping-tax": item.shipping_tax,
            "gift-wrap-price": item.gift_wrap_price, "gift-wrap-tax": item.gift_wrap_tax,
            "item-promotion-discount": _neg(item.promotion_discount),
            "ship-promotion-discount": _neg(item.shipping_discount),
            "ship-city": order.shipping_address.city, "ship-state": order.shipping_address.state,
            "ship-postal-code": order.shipping_address.postal_code,
            "ship-country": order.shipping_address.country_code,
            "promotion-ids": ",".join(item.promotion_ids),
            "is-business-order": "true" if order.is_business else "false",
            "purchase-order-number": order.buyer.purchase_order_number or "",
            "price-designation": item.price_designation or "",
        })
    return rows


def _neg(amount: Decimal) -> str:
    return str(-amount) if amount else "0.00"


_SERVICES: weakref.WeakKeyDictionary[World, SellingServices] = weakref.WeakKeyDictionary()


def attach(world: World, settings: SellingSettings | None = None, *, transport: Any = None,
           monotonic: Callable[[], float] = time.monotonic) -> SellingServices:
    """Create (or replace) the selling services of ``world``."""
    old = _SERVICES.get(world)
    if old is not None and old._on_event in world.listeners:
        world.listeners.remove(old._on_event)
    svc = SellingServices(world, settings or SellingSettings(), transport=transport,
                          monotonic=monotonic)
    _SERVICES[world] = svc
    return svc


def services(world: World) -> SellingServices:
    """The selling services of ``world`` (defaults attached on first use)."""
    svc = _SERVICES.get(world)
    return svc if svc is not None else attach(world)


def parse_time(text: str) -> datetime:
    return parse_iso(text)


def install(sim: Any) -> SellingServices:
    """Bind the selling services to a simulator app (``sim.extensions["selling"]``), reading
    notification and feed faults from ``sim.faults.config`` at run time. Idempotent."""
    svc = sim.extensions.get("selling")
    if svc is not None:
        return svc  # type: ignore[no-any-return]
    svc = services(sim.world)
    injector = sim.faults

    def faults() -> NotificationFaults:
        c = injector.config
        return NotificationFaults(
            drop_rate=c.notifications_drop_rate, duplicate_rate=c.notifications_duplicate_rate,
            reorder_rate=c.notifications_reorder_rate,
            delay_rate=1.0 if c.notifications_delay_seconds > 0 else 0.0,
            max_delay_seconds=c.notifications_delay_seconds, seed=injector.seed)

    # Settings given to attach() win over the app's fault configuration.
    if svc.settings.notification_faults == NotificationFaults():
        svc.hub.faults_provider = faults
    if svc.settings.feeds == FeedSettings():
        svc.feeds.processing_seconds_provider = lambda: float(
            injector.config.feed_processing_seconds)
    sim.extensions["selling"] = svc
    return svc


def csv_param(query: Any, name: str) -> list[str]:
    """An SP-API array query parameter: comma-separated and/or repeated."""
    out: list[str] = []
    for raw in query.getlist(name):
        out.extend(p for p in str(raw).split(",") if p)
    return out
