"""The simulator's world: Amazon's state as plain data, consistent across every operation.

One :class:`World` holds sellers, their marketplaces, the catalog (products with parent/child
variations), offers (one SKU per seller, marketplace and fulfilment channel; FBM offers carry
the quantity the seller last sent), FBA inventory per fulfilment network, orders with Amazon's
lifecycle, oversell records and the ground truth. Routes (``routes_*.py``) only read and call
methods here; they never change fields directly.

Lifecycle (Amazon's v0 status names are used inside; v2026 names are derived)::

    MFN: Pending (no prices, no address) → Unshipped → PartiallyShipped → Shipped
    AFN: Pending → Shipped (Amazon ships; the seller never sees Unshipped)
    any not-yet-shipped order may become Canceled

Time: ``world.clock`` is simulated time (:class:`~.clock.SimClock`). Nothing happens by itself;
:meth:`World.advance_to` (called by every request via :meth:`World.sync`, and by the admin
endpoint) materialises the orders due by then from the order source (``generator.py``) and runs
the scheduled transitions in time order, so results depend only on the seed and the calls made.

Events: every change appends nothing and calls each of ``world.listeners`` with a
:class:`WorldEvent` (order created / status changed / shipped, FBM quantity changed, FBA
inventory changed, oversell). Notifications hang on this hook. Listeners must not raise.

All methods are synchronous and never await: on one event loop every call is atomic.
Money is ``Decimal`` rounded to the currency's minor unit; times are aware UTC, whole seconds.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal, Protocol

from ...marketplaces import Marketplace, by_id
from .clock import SimClock

__all__ = [
    "CURRENCY_EXPONENT",
    "ORDER_STATUSES",
    "TAX_RATES",
    "Address",
    "Buyer",
    "Channel",
    "EventKind",
    "FbaInventory",
    "GroundTruthRow",
    "Offer",
    "Order",
    "OrderItem",
    "OrderLine",
    "OrderSource",
    "OrderStatus",
    "Oversell",
    "Package",
    "Product",
    "Seller",
    "World",
    "WorldError",
    "WorldEvent",
    "fulfillment_network",
    "money",
]

Channel = Literal["MFN", "AFN"]
OrderStatus = Literal["Pending", "Unshipped", "PartiallyShipped", "Shipped", "Canceled"]
ORDER_STATUSES: tuple[OrderStatus, ...] = ("Pending", "Unshipped", "PartiallyShipped", "Shipped",
                                           "Canceled")
EventKind = Literal["ORDER_CREATED", "ORDER_STATUS_CHANGED", "ORDER_SHIPMENT_CONFIRMED",
                    "FBM_QUANTITY_CHANGED", "FBA_INVENTORY_CHANGED", "PRICE_CHANGED", "OVERSELL"]

#: Minor-unit digits per currency (Amazon sends JPY without decimals).
CURRENCY_EXPONENT: dict[str, int] = {"JPY": 0}

#: Standard tax rate per marketplace code: VAT/GST where prices include it; a typical US/CA
#: sales-tax rate that Amazon collects as marketplace facilitator where they do not.
TAX_RATES: dict[str, Decimal] = {
    "US": Decimal("0.0825"), "CA": Decimal("0.13"), "MX": Decimal("0.16"), "BR": Decimal("0.17"),
    "UK": Decimal("0.20"), "DE": Decimal("0.19"), "FR": Decimal("0.20"), "IT": Decimal("0.22"),
    "ES": Decimal("0.21"), "NL": Decimal("0.21"), "BE": Decimal("0.21"), "IE": Decimal("0.23"),
    "SE": Decimal("0.25"), "PL": Decimal("0.23"), "TR": Decimal("0.20"), "AE": Decimal("0.05"),
    "SA": Decimal("0.15"), "EG": Decimal("0.14"), "IN": Decimal("0.18"), "JP": Decimal("0.10"),
    "AU": Decimal("0.10"), "SG": Decimal("0.09"),
}

_ZERO = Decimal(0)


def money(value: Decimal | int | str, currency: str) -> Decimal:
    """``value`` rounded half-up to the minor unit of ``currency``."""
    exponent = CURRENCY_EXPONENT.get(currency, 2)
    return Decimal(value).quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)


def fulfillment_network(marketplace_id: str) -> str:
    """The FBA fulfilment network serving a marketplace: one pan-European pool for the EU
    marketplaces (Pan-EU/EFN), the UK on its own since Brexit, otherwise the country."""
    m = by_id(marketplace_id)
    if m.region == "EU" and m.code not in ("UK", "TR", "AE", "SA", "EG", "IN"):
        return "EU"
    return m.code


class WorldError(Exception):
    """A request the world refuses. ``code`` is Amazon's error code, ``status`` the HTTP status,
    ``parameter`` the request field at fault when there is one."""

    def __init__(self, message: str, *, code: str = "InvalidInput", status: int = 400,
                 parameter: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.parameter = parameter


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, kw_only=True)
class Seller:
    """A selling partner. ``refresh_token`` is what LWA exchanges for access tokens."""

    seller_id: str
    name: str
    refresh_token: str
    marketplace_ids: tuple[str, ...]

    @property
    def marketplaces(self) -> tuple[Marketplace, ...]:
        return tuple(by_id(m) for m in self.marketplace_ids)


@dataclass(frozen=True, kw_only=True)
class Product:
    """A catalog item. Parents (``is_parent``) group children by ``variation_theme`` and are not
    buyable; a child names its ``parent_asin`` and its ``variation`` values."""

    asin: str
    title: str
    brand: str = "Simulated"
    product_type: str = "PRODUCT"
    parent_asin: str | None = None
    is_parent: bool = False
    variation_theme: str | None = None
    variation: tuple[tuple[str, str], ...] = ()
    weight_kg: Decimal = Decimal("0.5")


@dataclass(kw_only=True)
class Offer:
    """One SKU of a seller in one marketplace. ``quantity`` is the FBM quantity the seller last
    sent (for AFN offers Amazon uses FBA inventory and ``quantity`` is unused)."""

    seller_id: str
    marketplace_id: str
    sku: str
    asin: str
    channel: Channel
    price: Decimal
    currency: str
    quantity: int = 0
    business_price: Decimal | None = None
    condition: str = "New"
    status: Literal["BUYABLE", "DISCOVERABLE", "DELETED"] = "BUYABLE"
    handling_days: int = 1
    updated: datetime | None = None


@dataclass(kw_only=True)
class FbaInventory:
    """FBA quantities of one SKU in one fulfilment network (see :func:`fulfillment_network`),
    in the buckets of the FBA Inventory API's ``InventoryDetails``."""

    seller_id: str
    network: str
    sku: str
    asin: str
    fnsku: str
    condition: str = "NewItem"
    fulfillable: int = 0
    inbound_working: int = 0
    inbound_shipped: int = 0
    inbound_receiving: int = 0
    reserved_pending_customer_order: int = 0
    reserved_pending_transshipment: int = 0
    reserved_fc_processing: int = 0
    researching: int = 0
    unfulfillable_customer_damaged: int = 0
    unfulfillable_warehouse_damaged: int = 0
    unfulfillable_distributor_damaged: int = 0
    unfulfillable_carrier_damaged: int = 0
    unfulfillable_defective: int = 0
    unfulfillable_expired: int = 0
    updated: datetime | None = None

    @property
    def reserved(self) -> int:
        return (self.reserved_pending_customer_order + self.reserved_pending_transshipment
                + self.reserved_fc_processing)

    @property
    def unfulfillable(self) -> int:
        return (self.unfulfillable_customer_damaged + self.unfulfillable_warehouse_damaged
                + self.unfulfillable_distributor_damaged + self.unfulfillable_carrier_damaged
                + self.unfulfillable_defective + self.unfulfillable_expired)

    @property
    def total(self) -> int:
        """Amazon's ``totalQuantity``: everything in or on its way to the network."""
        return (self.fulfillable + self.inbound_working + self.inbound_shipped
                + self.inbound_receiving + self.reserved + self.researching + self.unfulfillable)


@dataclass(frozen=True, kw_only=True)
class Address:
    name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    county: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country_code: str = "US"
    phone: str | None = None
    address_type: Literal["Residential", "Commercial"] = "Residential"


@dataclass(frozen=True, kw_only=True)
class Buyer:
    """Buyer data. ``email`` is Amazon's anonymised relay address. Business (B2B) buyers carry
    ``company``, ``vat_number`` (``taxRegistrations`` / ``BuyerTaxInfo``) and maybe a PO number."""

    name: str
    email: str
    company: str | None = None
    purchase_order_number: str | None = None
    vat_number: str | None = None
    tax_country: str | None = None


@dataclass(kw_only=True)
class OrderItem:
    """One order line. Amounts are line totals (Amazon's ``ItemPrice`` = unit price × quantity).

    Where the marketplace shows tax-inclusive prices, ``item_tax`` is the tax *contained in*
    ``item_price``; elsewhere it is added on top (and collected by Amazon as marketplace
    facilitator when ``marketplace_facilitator``). Discounts are positive amounts."""

    order_item_id: str
    sku: str
    asin: str
    title: str
    quantity_ordered: int
    quantity_shipped: int = 0
    unit_price: Decimal
    item_price: Decimal
    item_tax: Decimal = _ZERO
    shipping_price: Decimal = _ZERO
    shipping_tax: Decimal = _ZERO
    shipping_discount: Decimal = _ZERO
    shipping_discount_tax: Decimal = _ZERO
    promotion_discount: Decimal = _ZERO
    promotion_discount_tax: Decimal = _ZERO
    promotion_ids: tuple[str, ...] = ()
    gift_wrap_price: Decimal = _ZERO
    gift_wrap_tax: Decimal = _ZERO
    gift_wrap_level: str | None = None
    gift_message: str | None = None
    condition: str = "New"
    condition_subtype: str = "New"
    price_designation: str | None = None  # "BusinessPrice" for B2B prices
    marketplace_facilitator: bool = False
    tax_rate: Decimal = _ZERO

    @property
    def is_gift(self) -> bool:
        return self.gift_message is not None or self.gift_wrap_level is not None

    @property
    def charged(self) -> Decimal:
        """What the buyer pays for this line excluding added tax (tax-inclusive: all of it)."""
        return (self.item_price + self.shipping_price + self.gift_wrap_price
                - self.promotion_discount - self.shipping_discount)

    @property
    def tax(self) -> Decimal:
        return (self.item_tax + self.shipping_tax + self.gift_wrap_tax
                - self.promotion_discount_tax - self.shipping_discount_tax)


@dataclass(frozen=True, kw_only=True)
class OrderLine:
    """What :meth:`World.place_order` needs per line; unset amounts come from the offer."""

    sku: str
    quantity: int = 1
    unit_price: Decimal | None = None
    shipping_price: Decimal | None = None
    promotion_discount: Decimal = _ZERO
    promotion_id: str | None = None
    gift_wrap_price: Decimal | None = None
    gift_message: str | None = None


@dataclass(frozen=True, kw_only=True)
class Package:
    """A shipment confirmed by the seller (confirmShipment) or made by Amazon (AFN)."""

    package_reference_id: str
    carrier_code: str
    carrier_name: str | None
    shipping_method: str | None
    tracking_number: str
    ship_date: datetime
    items: tuple[tuple[str, int], ...]  # (orderItemId, quantity)
    created: datetime
    ship_from_supply_source_id: str | None = None
    transparency_codes: tuple[str, ...] = ()


@dataclass(kw_only=True)
class Order:
    amazon_order_id: str
    seller_id: str
    marketplace_id: str
    currency: str
    purchase_date: datetime
    last_update_date: datetime
    status: OrderStatus
    fulfillment_channel: Channel
    items: list[OrderItem]
    buyer: Buyer
    shipping_address: Address
    ship_service_level: str = "Std Dom"
    shipment_service_level_category: str = "Standard"
    is_business: bool = False
    is_prime: bool = False
    is_premium: bool = False
    seller_order_id: str | None = None
    earliest_ship_date: datetime | None = None
    latest_ship_date: datetime | None = None
    earliest_delivery_date: datetime | None = None
    latest_delivery_date: datetime | None = None
    packages: list[Package] = field(default_factory=list)
    shipment_status: str | None = None  # last updateShipmentStatus value
    cancel_reason: str | None = None
    buyer_requested_cancel: bool = False
    payment_method: str = "Other"
    prices_include_tax: bool = True
    priced: bool = False  # payment authorised once: prices stay visible (even if canceled later)
    version: int = 0

    @property
    def marketplace(self) -> Marketplace:
        return by_id(self.marketplace_id)

    @property
    def units(self) -> int:
        return sum(i.quantity_ordered for i in self.items)

    @property
    def units_shipped(self) -> int:
        return sum(i.quantity_shipped for i in self.items)

    @property
    def total(self) -> Decimal:
        """Amazon's ``OrderTotal``: what the buyer pays, tax included either way."""
        charged = sum((i.charged for i in self.items), _ZERO)
        if not self.prices_include_tax:
            charged += sum((i.tax for i in self.items), _ZERO)
        return money(charged, self.currency)

    @property
    def tax_total(self) -> Decimal:
        return money(sum((i.tax for i in self.items), _ZERO), self.currency)

    def item(self, order_item_id: str) -> OrderItem | None:
        for it in self.items:
            if it.order_item_id == order_item_id:
                return it
        return None


@dataclass(frozen=True, kw_only=True)
class Oversell:
    """An FBM order line placed while the offer's quantity could not cover it."""

    amazon_order_id: str
    seller_id: str
    marketplace_id: str
    sku: str
    quantity_ordered: int
    quantity_available: int
    at: datetime

    @property
    def units_oversold(self) -> int:
        return self.quantity_ordered - max(0, self.quantity_available)


@dataclass(frozen=True, kw_only=True)
class WorldEvent:
    """What changed, for listeners (notifications). Fields not relevant to ``kind`` are None."""

    kind: EventKind
    at: datetime
    seller_id: str
    marketplace_id: str | None = None
    amazon_order_id: str | None = None
    old_status: OrderStatus | None = None
    new_status: OrderStatus | None = None
    fulfillment_channel: Channel | None = None
    sku: str | None = None
    network: str | None = None
    quantity: int | None = None


@dataclass(frozen=True, kw_only=True)
class GroundTruthRow:
    """What the simulator produced on one UTC day (purchase date) in one marketplace."""

    day: date
    marketplace_id: str
    currency: str
    orders: int
    orders_canceled: int
    orders_afn: int
    orders_mfn: int
    orders_business: int
    units: int
    units_canceled: int
    units_shipped: int
    amount: Decimal  # Σ OrderTotal of orders not canceled
    tax: Decimal  # Σ tax of orders not canceled
    oversells: int
    units_oversold: int

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(), "marketplaceId": self.marketplace_id,
            "currency": self.currency, "orders": self.orders,
            "ordersCanceled": self.orders_canceled, "ordersAfn": self.orders_afn,
            "ordersMfn": self.orders_mfn, "ordersBusiness": self.orders_business,
            "units": self.units, "unitsCanceled": self.units_canceled,
            "unitsShipped": self.units_shipped, "amount": str(self.amount), "tax": str(self.tax),
            "oversells": self.oversells, "unitsOversold": self.units_oversold,
        }


class OrderSource(Protocol):
    """Where new orders come from (``generator.OrderGenerator``)."""

    def next_time(self, limit: datetime) -> datetime | None:
        """The time of the next planned order if it is at or before ``limit``, else None."""

    def place_next(self, world: World) -> Order | None:
        """Place the next planned order (None if the plan could not be placed, e.g. no stock)."""


@dataclass(frozen=True, kw_only=True)
class Lifecycle:
    """Delays of Amazon's order lifecycle (simulated seconds)."""

    pending_seconds: int = 30 * 60  # payment authorisation: Pending → Unshipped
    afn_ship_seconds: int = 2 * 3600  # AFN: Pending → Shipped
    handling_days: int = 1  # ship-by = purchase + handling days
    transit_days: int = 3


# --------------------------------------------------------------------------- the world


class World:
    """Amazon's state. See the module docstring for the rules; the public methods below are
    everything routes, notifications and tests need."""

    def __init__(self, clock: SimClock, *, lifecycle: Lifecycle | None = None,
                 seed: int = 0) -> None:
        self.clock = clock
        self.lifecycle = lifecycle or Lifecycle()
        self.seed = seed
        self.sellers: dict[str, Seller] = {}
        self.products: dict[str, Product] = {}
        #: (seller_id, marketplace_id, sku) → Offer
        self._offers: dict[tuple[str, str, str], Offer] = {}
        self._offers_by_market: dict[tuple[str, str], list[Offer]] = {}
        #: (seller_id, network, sku) → FbaInventory
        self._fba: dict[tuple[str, str, str], FbaInventory] = {}
        self._orders: dict[str, Order] = {}
        #: per seller, sorted (purchase timestamp, order id) and (last update timestamp, order id)
        self._by_created: dict[str, list[tuple[float, str]]] = {}
        self._by_updated: dict[str, list[tuple[float, str]]] = {}
        self.oversells: list[Oversell] = []
        self.listeners: list[Callable[[WorldEvent], None]] = []
        self.source: OrderSource | None = None
        self._schedule: list[tuple[float, int, str, str]] = []  # (ts, seq, action, order id)
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        self._synced_to = clock.now()

    # ---- setup --------------------------------------------------------------------------

    def add_seller(self, seller: Seller) -> Seller:
        self.sellers[seller.seller_id] = seller
        self._by_created.setdefault(seller.seller_id, [])
        self._by_updated.setdefault(seller.seller_id, [])
        return seller

    def seller(self, seller_id: str) -> Seller:
        try:
            return self.sellers[seller_id]
        except KeyError:
            raise WorldError(f"unknown seller {seller_id!r}", code="NotFound", status=404) from None

    def add_product(self, product: Product) -> Product:
        self.products[product.asin] = product
        return product

    def add_offer(self, offer: Offer) -> Offer:
        offer.updated = offer.updated or self.clock.now()
        key = (offer.seller_id, offer.marketplace_id, offer.sku)
        market = self._offers_by_market.setdefault((offer.seller_id, offer.marketplace_id), [])
        old = self._offers.get(key)
        if old is not None:
            market.remove(old)
        self._offers[key] = offer
        market.append(offer)
        return offer

    def add_fba_inventory(self, inventory: FbaInventory) -> FbaInventory:
        inventory.updated = inventory.updated or self.clock.now()
        self._fba[(inventory.seller_id, inventory.network, inventory.sku)] = inventory
        return inventory

    # ---- catalog, offers, inventory -------------------------------------------------------

    def offer(self, seller_id: str, marketplace_id: str, sku: str) -> Offer | None:
        """The offer of ``sku`` in a marketplace, or None."""
        return self._offers.get((seller_id, marketplace_id, sku))

    def offers(self, seller_id: str | None = None, marketplace_id: str | None = None,
               channel: Channel | None = None) -> Iterator[Offer]:
        """Offers, filtered by any of seller, marketplace and channel (insertion order)."""
        if seller_id is not None and marketplace_id is not None:
            pool: Iterable[Offer] = self._offers_by_market.get((seller_id, marketplace_id), ())
        else:
            pool = self._offers.values()
        for o in pool:
            if ((seller_id is None or o.seller_id == seller_id)
                    and (marketplace_id is None or o.marketplace_id == marketplace_id)
                    and (channel is None or o.channel == channel)):
                yield o

    def set_fbm_quantity(self, seller_id: str, marketplace_id: str, sku: str, quantity: int,
                         at: datetime | None = None) -> Offer:
        """The seller's new FBM quantity for an offer (what a listings patch/feed does)."""
        offer = self._require_offer(seller_id, marketplace_id, sku)
        if quantity < 0:
            raise WorldError("quantity must not be negative", parameter="quantity")
        at = at or self.clock.now()
        offer.quantity = quantity
        offer.updated = at
        self._emit(WorldEvent(kind="FBM_QUANTITY_CHANGED", at=at, seller_id=seller_id,
                              marketplace_id=marketplace_id, sku=sku, quantity=quantity))
        return offer

    def set_price(self, seller_id: str, marketplace_id: str, sku: str, price: Decimal,
                  at: datetime | None = None) -> Offer:
        offer = self._require_offer(seller_id, marketplace_id, sku)
        if price <= 0:
            raise WorldError("price must be positive", parameter="price")
        at = at or self.clock.now()
        offer.price = money(price, offer.currency)
        offer.updated = at
        self._emit(WorldEvent(kind="PRICE_CHANGED", at=at, seller_id=seller_id,
                              marketplace_id=marketplace_id, sku=sku))
        return offer

    # -- added by H4b (listings/feeds): a listing's status, set by DELETE / re-listing --------
    def set_offer_status(self, seller_id: str, marketplace_id: str, sku: str,
                         status: Literal["BUYABLE", "DISCOVERABLE", "DELETED"],
                         at: datetime | None = None) -> Offer:
        """The seller deletes (``DELETED``) or restores a listing. No event: the listings
        module publishes LISTINGS_ITEM_STATUS_CHANGE itself."""
        offer = self._require_offer(seller_id, marketplace_id, sku)
        offer.status = status
        offer.updated = at or self.clock.now()
        return offer
    # -- end of H4b addition ---------------------------------------------------------------

    def fba_inventory(self, seller_id: str, marketplace_id: str, sku: str) -> FbaInventory | None:
        """FBA inventory of ``sku`` in the network serving ``marketplace_id``, or None."""
        return self._fba.get((seller_id, fulfillment_network(marketplace_id), sku))

    def fba_inventories(self, seller_id: str, marketplace_id: str | None = None
                        ) -> Iterator[FbaInventory]:
        """All FBA inventory of a seller, or of the network serving ``marketplace_id``."""
        network = fulfillment_network(marketplace_id) if marketplace_id else None
        for inv in self._fba.values():
            if inv.seller_id == seller_id and (network is None or inv.network == network):
                yield inv

    def adjust_fba_inventory(self, seller_id: str, marketplace_id: str, sku: str,
                             at: datetime | None = None, **deltas: int) -> FbaInventory:
        """Add ``deltas`` to FBA buckets by field name, e.g. ``inbound_shipped=-10,
        inbound_receiving=10``. No bucket may go below 0."""
        inv = self.fba_inventory(seller_id, marketplace_id, sku)
        if inv is None:
            raise WorldError(f"no FBA inventory for SKU {sku!r}", code="NotFound", status=404,
                             parameter="sellerSku")
        for name, delta in deltas.items():
            if not hasattr(inv, name) or name in ("seller_id", "network", "sku", "asin", "fnsku"):
                raise ValueError(f"unknown FBA inventory bucket {name!r}")
            value = getattr(inv, name) + delta
            if value < 0:
                raise WorldError(f"{name} would become negative", parameter=name)
            setattr(inv, name, value)
        inv.updated = at or self.clock.now()
        self._emit(WorldEvent(kind="FBA_INVENTORY_CHANGED", at=inv.updated, seller_id=seller_id,
                              marketplace_id=marketplace_id, sku=sku, network=inv.network,
                              quantity=inv.fulfillable))
        return inv

    def _require_offer(self, seller_id: str, marketplace_id: str, sku: str) -> Offer:
        offer = self.offer(seller_id, marketplace_id, sku)
        if offer is None:
            raise WorldError(f"SKU {sku!r} is not offered in marketplace {marketplace_id}",
                             code="NotFound", status=404, parameter="sku")
        return offer

    # ---- orders: reading --------------------------------------------------------------------

    def order(self, amazon_order_id: str) -> Order | None:
        return self._orders.get(amazon_order_id)

    def orders(self, seller_id: str | None = None) -> Iterator[Order]:
        """All orders (of a seller), by purchase date."""
        sellers = [seller_id] if seller_id else list(self._by_created)
        for s in sellers:
            for _, oid in self._by_created.get(s, ()):
                yield self._orders[oid]

    def __len__(self) -> int:
        return len(self._orders)

    def scan(self, seller_id: str, *, by: Literal["created", "updated"], after: datetime,
             before: datetime, cursor: tuple[float, str] | None = None,
             predicate: Callable[[Order], bool] | None = None,
             limit: int = 100) -> tuple[list[Order], tuple[float, str] | None]:
        """Orders of a seller with purchase date (``by="created"``) or last update in
        ``[after, before]``, in that order, from just past ``cursor``; at most ``limit``.

        Returns the page and the cursor of the next page (None on the last page).
        """
        index = (self._by_created if by == "created" else self._by_updated).get(seller_id, [])
        lo_key: tuple[float, str] = cursor if cursor is not None else (after.timestamp(), "")
        hi = before.timestamp()
        start = bisect.bisect_right(index, lo_key) if cursor else bisect.bisect_left(index, lo_key)
        page: list[Order] = []
        for pos in range(start, len(index)):
            key = index[pos]
            if key[0] > hi:
                return page, None
            order = self._orders[key[1]]
            if predicate is None or predicate(order):
                page.append(order)
                if len(page) == limit:
                    return page, (key if self._has_more(index, pos, hi) else None)
        return page, None

    @staticmethod
    def _has_more(index: list[tuple[float, str]], pos: int, hi: float) -> bool:
        return pos + 1 < len(index) and index[pos + 1][0] <= hi

    # ---- orders: changing ---------------------------------------------------------------------

    def new_order_id(self, marketplace_id: str) -> str:
        """A fresh 3-7-7 order id (deterministic: derived from a counter and the seed)."""
        prefix = _ORDER_PREFIX.get(by_id(marketplace_id).code, "999")
        while True:
            n = next(self._ids)
            digits = f"{random.Random(f'{self.seed}:order:{n}').randrange(10**13, 10**14)}"
            oid = f"{prefix}-{digits[:7]}-{digits[7:]}"
            if oid not in self._orders:
                return oid

    def place_order(self, seller_id: str, marketplace_id: str, lines: Sequence[OrderLine], *,
                    buyer: Buyer, address: Address, at: datetime | None = None,
                    is_business: bool = False, is_prime: bool = False,
                    ship_service_level: str | None = None,
                    category: str = "Standard", seller_order_id: str | None = None,
                    cancel_after: float | None = None, pending_seconds: float | None = None,
                    order_id: str | None = None) -> Order:
        """Place an order as a buyer would: it starts ``Pending`` with all prices known inside.

        The channel is the offers' (all lines must share it). Stock moves now: FBM offer
        quantity decreases (an oversell is recorded when it could not cover the line), FBA
        fulfillable moves to reserved. ``cancel_after`` (seconds) schedules a cancellation
        by the buyer while the order is still unshipped.
        """
        seller = self.seller(seller_id)
        if marketplace_id not in seller.marketplace_ids:
            raise WorldError(f"seller {seller_id} does not sell in {marketplace_id}",
                             parameter="marketplaceId")
        if not lines:
            raise WorldError("an order needs at least one item", parameter="orderItems")
        at = (at or self.clock.now()).replace(microsecond=0)
        mp = by_id(marketplace_id)
        offers = [self._require_offer(seller_id, marketplace_id, ln.sku) for ln in lines]
        channels = {o.channel for o in offers}
        if len(channels) != 1:
            raise WorldError("all items of one order share a fulfilment channel", parameter="sku")
        channel: Channel = offers[0].channel
        oid = order_id or self.new_order_id(marketplace_id)
        if oid in self._orders:
            raise WorldError(f"order {oid} exists", parameter="orderId")
        rate = TAX_RATES.get(mp.code, _ZERO)
        items = [self._price_line(oid, n, ln, off, rate, mp, is_business)
                 for n, (ln, off) in enumerate(zip(lines, offers, strict=True))]
        handling = timedelta(days=max(offers[0].handling_days, self.lifecycle.handling_days))
        transit = timedelta(days=self.lifecycle.transit_days)
        order = Order(
            amazon_order_id=oid, seller_id=seller_id, marketplace_id=marketplace_id,
            currency=mp.currency, purchase_date=at, last_update_date=at, status="Pending",
            fulfillment_channel=channel, items=items, buyer=buyer, shipping_address=address,
            ship_service_level=ship_service_level or f"Std {mp.code} Dom_1",
            shipment_service_level_category=category, is_business=is_business,
            is_prime=is_prime or channel == "AFN", seller_order_id=seller_order_id,
            earliest_ship_date=at, latest_ship_date=at + handling,
            earliest_delivery_date=at + handling + timedelta(days=1),
            latest_delivery_date=at + handling + transit,
            prices_include_tax=mp.prices_include_tax,
        )
        self._orders[oid] = order
        ts = at.timestamp()
        bisect.insort(self._by_created[seller_id], (ts, oid))
        bisect.insort(self._by_updated[seller_id], (ts, oid))
        self._take_stock(order, offers, at)
        pending = self.lifecycle.pending_seconds if pending_seconds is None else pending_seconds
        if channel == "AFN":
            self._at(ts + max(pending, self.lifecycle.afn_ship_seconds), "afn_ship", oid)
        else:
            self._at(ts + pending, "authorise", oid)
        if cancel_after is not None:
            self._at(ts + cancel_after, "cancel", oid)
        self._emit(WorldEvent(kind="ORDER_CREATED", at=at, seller_id=seller_id,
                              marketplace_id=marketplace_id, amazon_order_id=oid,
                              new_status="Pending", fulfillment_channel=channel))
        return order

    def _price_line(self, oid: str, n: int, ln: OrderLine, offer: Offer, rate: Decimal,
                    mp: Marketplace, is_business: bool) -> OrderItem:
        if ln.quantity < 1:
            raise WorldError("quantity must be at least 1", parameter="quantity")
        cur = offer.currency
        business = is_business and offer.business_price is not None
        unit = ln.unit_price if ln.unit_price is not None else (
            offer.business_price if business and offer.business_price is not None else offer.price)
        unit = money(unit, cur)
        item_price = money(unit * ln.quantity, cur)
        shipping = money(ln.shipping_price if ln.shipping_price is not None else _ZERO, cur)
        wrap = money(ln.gift_wrap_price if ln.gift_wrap_price is not None else _ZERO, cur)
        promo = money(ln.promotion_discount, cur)

        def tax_of(amount: Decimal) -> Decimal:
            if mp.prices_include_tax:  # the tax contained in a gross amount
                return money(amount * rate / (1 + rate), cur)
            return money(amount * rate, cur)

        product = self.products.get(offer.asin)
        return OrderItem(
            order_item_id=_item_id(oid, n), sku=offer.sku, asin=offer.asin,
            title=product.title if product else offer.sku, quantity_ordered=ln.quantity,
            unit_price=unit, item_price=item_price, item_tax=tax_of(item_price),
            shipping_price=shipping, shipping_tax=tax_of(shipping),
            promotion_discount=promo, promotion_discount_tax=tax_of(promo),
            promotion_ids=(ln.promotion_id,) if ln.promotion_id else (),
            gift_wrap_price=wrap, gift_wrap_tax=tax_of(wrap),
            gift_wrap_level="Classic" if ln.gift_wrap_price else None,
            gift_message=ln.gift_message, condition=offer.condition,
            price_designation="BusinessPrice" if business and ln.unit_price is None else None,
            marketplace_facilitator=not mp.prices_include_tax and mp.region == "NA",
            tax_rate=rate,
        )

    def _take_stock(self, order: Order, offers: Sequence[Offer], at: datetime) -> None:
        for item, offer in zip(order.items, offers, strict=True):
            if order.fulfillment_channel == "MFN":
                available = offer.quantity
                if available < item.quantity_ordered:
                    over = Oversell(amazon_order_id=order.amazon_order_id,
                                    seller_id=order.seller_id, marketplace_id=order.marketplace_id,
                                    sku=item.sku, quantity_ordered=item.quantity_ordered,
                                    quantity_available=available, at=at)
                    self.oversells.append(over)
                    self._emit(WorldEvent(kind="OVERSELL", at=at, seller_id=order.seller_id,
                                          marketplace_id=order.marketplace_id,
                                          amazon_order_id=order.amazon_order_id, sku=item.sku,
                                          quantity=over.units_oversold))
                offer.quantity = max(0, available - item.quantity_ordered)
                offer.updated = at
                self._emit(WorldEvent(kind="FBM_QUANTITY_CHANGED", at=at, seller_id=order.seller_id,
                                      marketplace_id=order.marketplace_id, sku=item.sku,
                                      quantity=offer.quantity))
            else:
                inv = self.fba_inventory(order.seller_id, order.marketplace_id, item.sku)
                if inv is None:
                    continue
                take = min(inv.fulfillable, item.quantity_ordered)
                inv.fulfillable -= take
                inv.reserved_pending_customer_order += take
                inv.updated = at
                self._emit(WorldEvent(kind="FBA_INVENTORY_CHANGED", at=at,
                                      seller_id=order.seller_id,
                                      marketplace_id=order.marketplace_id, sku=item.sku,
                                      network=inv.network, quantity=inv.fulfillable))

    def _release_stock(self, order: Order, at: datetime) -> None:
        for item in order.items:
            open_qty = item.quantity_ordered - item.quantity_shipped
            if order.fulfillment_channel == "MFN":
                offer = self.offer(order.seller_id, order.marketplace_id, item.sku)
                if offer is not None and open_qty > 0:
                    offer.quantity += open_qty
                    offer.updated = at
                    self._emit(WorldEvent(kind="FBM_QUANTITY_CHANGED", at=at,
                                          seller_id=order.seller_id,
                                          marketplace_id=order.marketplace_id, sku=item.sku,
                                          quantity=offer.quantity))
            else:
                inv = self.fba_inventory(order.seller_id, order.marketplace_id, item.sku)
                if inv is not None:
                    back = min(inv.reserved_pending_customer_order, open_qty)
                    inv.reserved_pending_customer_order -= back
                    inv.fulfillable += back
                    inv.updated = at
                    self._emit(WorldEvent(kind="FBA_INVENTORY_CHANGED", at=at,
                                          seller_id=order.seller_id,
                                          marketplace_id=order.marketplace_id, sku=item.sku,
                                          network=inv.network, quantity=inv.fulfillable))

    def cancel_order(self, amazon_order_id: str, *, reason: str = "BuyerCanceled",
                     by_buyer: bool = True, at: datetime | None = None) -> Order:
        """Cancel an order that has shipped nothing yet; its stock goes back."""
        order = self._require_order(amazon_order_id)
        if order.status not in ("Pending", "Unshipped"):
            raise WorldError(f"order {amazon_order_id} is {order.status} and cannot be canceled",
                             parameter="orderId")
        at = at or self.clock.now()
        order.cancel_reason = reason
        order.buyer_requested_cancel = by_buyer
        self._release_stock(order, at)
        self._set_status(order, "Canceled", at)
        return order

    def confirm_shipment(self, amazon_order_id: str, *, marketplace_id: str,
                         package_reference_id: str, carrier_code: str, tracking_number: str,
                         ship_date: datetime, items: Sequence[tuple[str, int]],
                         carrier_name: str | None = None, shipping_method: str | None = None,
                         ship_from_supply_source_id: str | None = None,
                         at: datetime | None = None) -> Order:
        """The seller ships ``items`` ((orderItemId, quantity)) of an MFN order in one package.

        Refused (``WorldError``, 400) as Amazon refuses it: not an MFN order, canceled, still
        pending, already fully shipped, wrong marketplace, unknown item, more than is left to
        ship, or a package reference already used with other data. Re-sending an identical
        package is accepted and changes nothing (idempotent, as retries need).
        """
        order = self._require_order(amazon_order_id)
        at = at or self.clock.now()
        if marketplace_id != order.marketplace_id:
            raise WorldError(f"marketplaceId {marketplace_id} is not the order's marketplace",
                             parameter="marketplaceId")
        for pkg in order.packages:
            if pkg.package_reference_id == package_reference_id:
                if (pkg.tracking_number == tracking_number and pkg.carrier_code == carrier_code
                        and pkg.items == tuple(items)):
                    return order
                raise WorldError(f"packageReferenceId {package_reference_id} was already used for "
                                 "a different package", parameter="packageReferenceId")
        if order.fulfillment_channel != "MFN":
            raise WorldError("The order is fulfilled by Amazon; its shipment cannot be confirmed",
                             parameter="orderId")
        if order.status == "Canceled":
            raise WorldError(f"Order {amazon_order_id} is canceled", parameter="orderId")
        if order.status == "Pending":
            raise WorldError(f"Order {amazon_order_id} is pending and cannot be shipped yet",
                             parameter="orderId")
        if order.status == "Shipped":
            raise WorldError("Failed to create package due to not finding a matching package or "
                             "order already fulfilled.", parameter="orderId")
        if not items:
            raise WorldError("packageDetail.orderItems must not be empty",
                             parameter="packageDetail.orderItems")
        wanted: dict[str, int] = {}
        for item_id, qty in items:
            if qty < 1:
                raise WorldError("quantity must be at least 1",
                                 parameter="packageDetail.orderItems.quantity")
            wanted[item_id] = wanted.get(item_id, 0) + qty
        for item_id, qty in wanted.items():
            item = order.item(item_id)
            if item is None:
                raise WorldError(f"OrderItemId {item_id} is invalid, please obtain the value "
                                 "through the getOrderItems API or Manage Orders page",
                                 parameter="packageDetail.orderItems.orderItemId")
            if qty > item.quantity_ordered - item.quantity_shipped:
                raise WorldError(
                    f"quantity {qty} for orderItemId {item_id} exceeds the "
                    f"{item.quantity_ordered - item.quantity_shipped} unit(s) left to ship",
                    parameter="packageDetail.orderItems.quantity")
        for item_id, qty in wanted.items():
            item = order.item(item_id)
            assert item is not None
            item.quantity_shipped += qty
        order.packages.append(Package(
            package_reference_id=package_reference_id, carrier_code=carrier_code,
            carrier_name=carrier_name, shipping_method=shipping_method,
            tracking_number=tracking_number, ship_date=ship_date, items=tuple(items), created=at,
            ship_from_supply_source_id=ship_from_supply_source_id))
        done = all(i.quantity_shipped >= i.quantity_ordered for i in order.items)
        self._set_status(order, "Shipped" if done else "PartiallyShipped", at,
                         kind="ORDER_SHIPMENT_CONFIRMED")
        return order

    def update_shipment_status(self, amazon_order_id: str, *, marketplace_id: str,
                               shipment_status: str, at: datetime | None = None) -> Order:
        """updateShipmentStatus (ReadyForPickup / PickedUp / RefusedPickup): recorded on the
        order; PickedUp of an unshipped MFN order ships all open quantities."""
        order = self._require_order(amazon_order_id)
        if marketplace_id != order.marketplace_id:
            raise WorldError("Marketplace ID is not defined", parameter="marketplaceId")
        if order.status in ("Canceled", "Pending"):
            raise WorldError(f"Order {amazon_order_id} is {order.status}", parameter="orderId")
        at = at or self.clock.now()
        order.shipment_status = shipment_status
        if shipment_status == "PickedUp" and order.status in ("Unshipped", "PartiallyShipped"):
            for item in order.items:
                item.quantity_shipped = item.quantity_ordered
            self._set_status(order, "Shipped", at, kind="ORDER_SHIPMENT_CONFIRMED")
        else:
            self._touch(order, at)
        return order

    def _require_order(self, amazon_order_id: str) -> Order:
        order = self._orders.get(amazon_order_id)
        if order is None:
            raise WorldError(f"Order {amazon_order_id} not found", code="NotFound", status=404,
                             parameter="orderId")
        return order

    def _touch(self, order: Order, at: datetime) -> None:
        index = self._by_updated[order.seller_id]
        old = (order.last_update_date.timestamp(), order.amazon_order_id)
        pos = bisect.bisect_left(index, old)
        if pos < len(index) and index[pos] == old:
            del index[pos]
        at = max(at.replace(microsecond=0), order.last_update_date)
        order.last_update_date = at
        order.version += 1
        bisect.insort(index, (at.timestamp(), order.amazon_order_id))

    def _set_status(self, order: Order, status: OrderStatus, at: datetime,
                    kind: EventKind = "ORDER_STATUS_CHANGED") -> None:
        old = order.status
        order.status = status
        if status in ("Unshipped", "PartiallyShipped", "Shipped"):
            order.priced = True
        self._touch(order, at)
        self._emit(WorldEvent(kind=kind, at=order.last_update_date, seller_id=order.seller_id,
                              marketplace_id=order.marketplace_id,
                              amazon_order_id=order.amazon_order_id, old_status=old,
                              new_status=status, fulfillment_channel=order.fulfillment_channel))

    # ---- time ------------------------------------------------------------------------------

    def _at(self, ts: float, action: str, order_id: str) -> None:
        heapq.heappush(self._schedule, (ts, next(self._seq), action, order_id))

    def sync(self) -> datetime:
        """Bring the world up to the clock's current time (cheap when nothing is due)."""
        return self.advance_to(self.clock.now())

    def advance_to(self, until: datetime) -> datetime:
        """Materialise planned orders and run scheduled transitions due by ``until``, in time
        order. Does not move the clock (the admin endpoint moves both)."""
        limit = until.timestamp()
        while True:
            next_event = self._schedule[0][0] if self._schedule else None
            arrival = self.source.next_time(until) if self.source else None
            if arrival is not None and (next_event is None or arrival.timestamp() <= next_event):
                self.source.place_next(self)  # type: ignore[union-attr]
                continue
            if next_event is None or next_event > limit:
                break
            ts, _, action, oid = heapq.heappop(self._schedule)
            self._run(action, oid, datetime.fromtimestamp(ts, UTC))
        if until > self._synced_to:
            self._synced_to = until
        return until

    def _run(self, action: str, oid: str, at: datetime) -> None:
        order = self._orders[oid]
        if action == "authorise" and order.status == "Pending":
            self._set_status(order, "Unshipped", at)
        elif action == "afn_ship" and order.status in ("Pending", "Unshipped"):
            for item in order.items:
                item.quantity_shipped = item.quantity_ordered
                inv = self.fba_inventory(order.seller_id, order.marketplace_id, item.sku)
                if inv is not None:
                    inv.reserved_pending_customer_order = max(
                        0, inv.reserved_pending_customer_order - item.quantity_ordered)
                    inv.updated = at
            order.packages.append(Package(
                package_reference_id=f"AFN-{oid}", carrier_code="AMZN_" + order.marketplace.code,
                carrier_name="Amazon Logistics", shipping_method="Standard",
                tracking_number="TBA" + oid.replace("-", "")[:12], ship_date=at,
                items=tuple((i.order_item_id, i.quantity_ordered) for i in order.items),
                created=at))
            self._set_status(order, "Shipped", at)
        elif action == "cancel" and order.status in ("Pending", "Unshipped"):
            self.cancel_order(oid, at=at)

    # ---- ground truth ------------------------------------------------------------------------

    def ground_truth(self, *, seller_id: str | None = None, marketplace_id: str | None = None,
                     day: date | None = None) -> list[GroundTruthRow]:
        """Per UTC purchase day and marketplace: every order, unit and amount produced."""
        acc: dict[tuple[date, str], dict[str, Any]] = {}
        for order in self.orders(seller_id):
            d = order.purchase_date.date()
            if (marketplace_id and order.marketplace_id != marketplace_id) or (day and d != day):
                continue
            row = acc.setdefault((d, order.marketplace_id), {
                "currency": order.currency, "orders": 0, "orders_canceled": 0, "orders_afn": 0,
                "orders_mfn": 0, "orders_business": 0, "units": 0, "units_canceled": 0,
                "units_shipped": 0, "amount": _ZERO, "tax": _ZERO, "oversells": 0,
                "units_oversold": 0})
            row["orders"] += 1
            row["units"] += order.units
            row["units_shipped"] += order.units_shipped
            row["orders_afn" if order.fulfillment_channel == "AFN" else "orders_mfn"] += 1
            row["orders_business"] += int(order.is_business)
            if order.status == "Canceled":
                row["orders_canceled"] += 1
                row["units_canceled"] += order.units
            else:
                row["amount"] += order.total
                row["tax"] += order.tax_total
        for over in self.oversells:
            if seller_id and over.seller_id != seller_id:
                continue
            key = (over.at.date(), over.marketplace_id)
            if key in acc:
                acc[key]["oversells"] += 1
                acc[key]["units_oversold"] += over.units_oversold
        return [GroundTruthRow(day=k[0], marketplace_id=k[1], **v) for k, v in sorted(acc.items())]

    # ---- events ---------------------------------------------------------------------------------

    def _emit(self, event: WorldEvent) -> None:
        for listener in self.listeners:
            listener(event)


def _item_id(order_id: str, n: int) -> str:
    """A 14-digit order item id, stable for (order, line)."""
    digits = order_id.replace("-", "")[-12:]
    return f"{digits}{n:02d}"


#: First block of Amazon order ids by marketplace (as seen on real orders).
_ORDER_PREFIX: dict[str, str] = {
    "US": "113", "CA": "701", "MX": "701", "BR": "701", "UK": "202", "DE": "302", "FR": "405",
    "IT": "404", "ES": "406", "NL": "408", "BE": "408", "IE": "407", "SE": "408", "PL": "408",
    "TR": "408", "AE": "407", "SA": "407", "EG": "407", "IN": "403", "JP": "503", "AU": "249",
    "SG": "503",
}
